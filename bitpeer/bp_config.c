/* bp_config: parses bitpeer.json into struct bp_config once at start-up.
 * Every error names the file and the key that was wrong. */
#include "bitpeer/bp_config.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_cfg_log.h"
#include "utils/ut_p2p.h"

static int bp_cfg_peers(bp_config *cfg, ut_cfg *uc)
{
    json_t *sec = ut_cfg_object(uc, uc->root, "peers", true);
    if (!sec || ut_cfg_peer_addrs(uc, sec, &cfg->peers, &cfg->peer_count) < 0 ||
        ut_cfg_double(uc, sec, "reconnect_min", &cfg->reconnect_min, 0.01, 3600, false) < 0 ||
        ut_cfg_double(uc, sec, "reconnect_max", &cfg->reconnect_max, 0.01, 3600, false) < 0 ||
        ut_cfg_double(uc, sec, "handshake_timeout", &cfg->handshake_timeout, 0.1, 600,
                      false) < 0 ||
        ut_cfg_double(uc, sec, "ping_interval", &cfg->ping_interval, 0.1, 3600, false) < 0 ||
        ut_cfg_bool(uc, sec, "compact_hb", &cfg->compact_hb, false) < 0 ||
        ut_cfg_size(uc, sec, "max_message", &cfg->max_message, 1024, UT_P2P_MAX_PAYLOAD,
                    false) < 0 ||
        ut_cfg_str_dup(uc, sec, "user_agent", &cfg->user_agent, false) < 0)
        return -1;
    if (cfg->reconnect_max < cfg->reconnect_min && !ut_cfg_describing(uc))
        return ut_cfg_fail_in(uc, sec, "reconnect_max", "expected at least reconnect_min");
    if (cfg->user_agent && strlen(cfg->user_agent) > 256)
        return ut_cfg_fail_in(uc, sec, "user_agent", "expected at most 256 bytes");
    return 0;
}

static int bp_cfg_main(bp_config *cfg, ut_cfg *uc)
{
    if (ut_cfg_str_dup(uc, uc->root, "network", &cfg->network, true) < 0)
        return -1;
    if (!ut_cfg_describing(uc) && ut_p2p_magic(cfg->network, &cfg->magic) < 0)
        return ut_cfg_fail(uc, "network", "expected main|testnet|signet|regtest|bcoin-regtest, "
                           "got '%s'", cfg->network);
    if (bp_cfg_peers(cfg, uc) < 0)
        return -1;
    json_t *rpc = ut_cfg_listen_read(uc, uc->root, "rpc", &cfg->rpc, true, true);
    if (!rpc ||
        ut_cfg_double(uc, rpc, "heartbeat", &cfg->rpc_heartbeat, 0.1, 600, false) < 0 ||
        (!ut_cfg_listen_read(uc, uc->root, "http", &cfg->http, false, true) && uc->err[0]) ||
        ut_cfg_size(uc, uc->root, "keep_blocks", &cfg->keep_blocks, 1, 1024, false) < 0 ||
        ut_cfg_size(uc, uc->root, "known_headers", &cfg->known_headers, 16, 10000000,
                    false) < 0)
        return -1;
    return 0;
}

static int bp_cfg_parse(ut_cfg *uc, void *arg)
{
    bp_config *cfg = arg;
    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 || ut_cfg_alert(uc, &cfg->alert) < 0)
        return -1;
    return bp_cfg_main(cfg, uc);
}

static int bp_config_run(bp_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path ? path : "");
    cfg->log = ut_cfg_log_defaults;
    cfg->reconnect_min = 0.5;
    cfg->reconnect_max = 30;
    cfg->handshake_timeout = 10;
    cfg->ping_interval = 30;
    cfg->compact_hb = true;
    cfg->max_message = UT_P2P_MAX_PAYLOAD;
    cfg->user_agent = strdup("/headframe-bitpeer:0.1/");
    cfg->rpc_heartbeat = 2;
    cfg->keep_blocks = 8;
    cfg->known_headers = 100000;
    if (ut_cfg_run(path, bp_cfg_parse, cfg, NULL, keys, err, errlen) == 0)
        return 0;
    bp_config_free(cfg);
    return -1;
}

int bp_config_load(bp_config *cfg, const char *path, char *err, size_t errlen)
{
    return bp_config_run(cfg, path, NULL, err, errlen);
}

int bp_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    bp_config cfg;
    if (bp_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    bp_config_free(&cfg);
    return 0;
}

void bp_config_free(bp_config *cfg)
{
    free(cfg->file);
    free(cfg->log_path);
    ut_alert_cfg_free(&cfg->alert);
    free(cfg->network);
    ut_cfg_host_list_free(cfg->peers);
    free(cfg->user_agent);
    ut_cfg_listen_free(&cfg->rpc);
    ut_cfg_listen_free(&cfg->http);
    memset(cfg, 0, sizeof(*cfg));
}
