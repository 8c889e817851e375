/* jm_config: parses jobmaster.json into struct jm_config once at start-up.
 * Every error names the file and the key that was wrong. */
#include "jobmaster/jm_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_address.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_auth.h"
#include "utils/ut_cfg_log.h"
#include "utils/ut_config.h"
#include "utils/ut_hex.h"

#define JM_SCRIPTSIG_MAX 100
#define JM_HEIGHT_PUSH_MAX 6    /* push of a 5-byte CScriptNum: any uint32 height */

/* Keys of older releases, refused with what to write instead. */
static const ut_cfg_rename jm_renamed[] = {
    {"http", "\"http\": {\"bind\": ..., \"allow\": [...]}", true},
    {"blocknotify", "\"blocknotify\": {\"bind\": \"udp@...\"}", true},
    {NULL, NULL, false},
};

size_t jm_config_tag_max(size_t extranonce_size)
{
    size_t fixed = JM_HEIGHT_PUSH_MAX + 1 + extranonce_size;
    if (fixed >= JM_SCRIPTSIG_MAX - 1)
        return 0;
    size_t avail = JM_SCRIPTSIG_MAX - fixed;   /* for the tag push, opcode(s) included */
    size_t max = avail <= 76 ? avail - 1 : avail - 2;
    return max > JM_TAG_MAX ? JM_TAG_MAX : max;
}

static char *jm_strdup_or_null(const char *s)
{
    return (s && s[0]) ? strdup(s) : NULL;
}

static int jm_cfg_one_node(ut_cfg *uc, json_t *obj, size_t i, ut_node_url *out)
{
    char key[64];
    const char *url = NULL, *user = NULL, *password = NULL, *cookie = NULL;
    if (!json_is_object(obj)) {
        snprintf(key, sizeof(key), "nodes[%zu]", i);
        return ut_cfg_fail(uc, key, "expected an object {url, user, password | cookie_file}");
    }
    if (ut_cfg_str(uc, obj, "url", &url, true) < 0 ||
        ut_cfg_str(uc, obj, "user", &user, false) < 0 ||
        ut_cfg_str(uc, obj, "password", &password, false) < 0 ||
        ut_cfg_str(uc, obj, "cookie_file", &cookie, false) < 0)
        return -1;
    if (ut_cfg_describing(uc))
        return 0;
    if (!cookie && !password) {
        snprintf(key, sizeof(key), "nodes[%zu]", i);
        return ut_cfg_fail(uc, key, "expected 'password' (with 'user') or 'cookie_file'");
    }
    out->url = strdup(url);
    out->user = cookie ? NULL : strdup(user ? user : "");
    out->password = cookie ? NULL : strdup(password);
    out->cookie_file = jm_strdup_or_null(cookie);
    return 0;
}

static int jm_cfg_nodes(jm_config *cfg, ut_cfg *uc)
{
    json_t *arr = ut_cfg_array(uc, uc->root, "nodes", true);
    if (!arr)
        return -1;
    size_t n = json_array_size(arr);
    if (n == 0)
        return ut_cfg_fail(uc, "nodes", "expected at least one node");
    if (n > JM_MAX_NODES)
        return ut_cfg_fail(uc, "nodes", "at most 16 nodes");
    cfg->node.nodes = calloc(n, sizeof(ut_node_url));
    if (!cfg->node.nodes)
        return ut_cfg_fail(uc, "nodes", "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (jm_cfg_one_node(uc, json_array_get(arr, i), i, &cfg->node.nodes[i]) < 0)
            return -1;
        cfg->node.count = i + 1;
    }
    int64_t threads = 2;
    cfg->node.timeout = 10;
    cfg->node.connect_timeout = 2;
    if (ut_cfg_double(uc, uc->root, "node_timeout", &cfg->node.timeout, 0.1, 600, false) < 0 ||
        ut_cfg_int(uc, uc->root, "node_threads", &threads, 1, 16, false) < 0)
        return -1;
    cfg->node_threads = (int)threads;
    return 0;
}

/* One payouts[] entry: {"address": ...} or {"script": hex}, plus "weight". */
static int jm_cfg_one_payout(ut_cfg *uc, const ut_network *net, json_t *obj, size_t i,
                             jm_payout *p)
{
    char key[64];
    const char *addr = NULL, *script = NULL;
    int64_t weight = 1;
    snprintf(key, sizeof(key), "payouts[%zu]", i);
    if (!json_is_object(obj))
        return ut_cfg_fail(uc, key, "expected an object {address | script, weight}");
    if (ut_cfg_str(uc, obj, "address", &addr, false) < 0 ||
        ut_cfg_str(uc, obj, "script", &script, false) < 0 ||
        ut_cfg_int(uc, obj, "weight", &weight, 1, INT64_MAX / 2, false) < 0)
        return -1;
    if (ut_cfg_describing(uc))
        return 0;
    if ((addr == NULL) == (script == NULL))
        return ut_cfg_fail(uc, key, "expected exactly one of 'address' and 'script'");
    p->weight = (uint64_t)weight;
    if (addr) {
        char err[128] = "";
        ut_addr_type type;
        uint8_t buf[42];
        int n = ut_address_to_script(net, addr, buf, &type, err, sizeof(err));
        if (n <= 0)
            return ut_cfg_fail(uc, key, "address '%s': %s", addr, err);
        memcpy(p->script, buf, (size_t)n);
        p->script_len = (size_t)n;
        snprintf(p->label, sizeof(p->label), "%s", addr);
        return 0;
    }
    size_t len = 0, hexlen = strlen(script);
    if (hexlen == 0 || ut_hex_decode_any(script, hexlen, p->script, sizeof(p->script), &len) < 0)
        return ut_cfg_fail(uc, key, "script: expected 1..%d bytes of hex", JM_SCRIPT_MAX);
    p->script_len = len;
    snprintf(p->label, sizeof(p->label), "script:%.100s", script);
    return 0;
}

static int jm_cfg_payouts(jm_config *cfg, ut_cfg *uc, const ut_network *net);

static int jm_cfg_coinbase(jm_config *cfg, ut_cfg *uc)
{
    const char *network = NULL, *tag = "/headframe/";
    int64_t en = 12, version = 1;
    if (ut_cfg_str(uc, uc->root, "network", &network, true) < 0 ||
        ut_cfg_str(uc, uc->root, "pool_tag", &tag, false) < 0 ||
        ut_cfg_int(uc, uc->root, "extranonce_size", &en, JM_EXTRANONCE_MIN, JM_EXTRANONCE_MAX,
                   false) < 0 ||
        ut_cfg_int(uc, uc->root, "coinbase_version", &version, 1, 2, false) < 0)
        return -1;
    const ut_network *net = network ? ut_network_find(network) : NULL;
    if (ut_cfg_describing(uc))
        return jm_cfg_payouts(cfg, uc, net);
    if (!net)
        return ut_cfg_fail(uc, "network",
                           "expected main|testnet|signet|regtest|bcoin-regtest, got '%s'", network);
    cfg->network = strdup(network);
    cfg->extranonce_size = (size_t)en;
    cfg->coinbase_version = (uint32_t)version;
    size_t tag_max = jm_config_tag_max(cfg->extranonce_size);
    if (strlen(tag) > tag_max)
        return ut_cfg_fail(uc, "pool_tag", "expected at most %zu bytes with extranonce_size %zu "
                           "(scriptSig <= 100 bytes), got %zu", tag_max, cfg->extranonce_size,
                           strlen(tag));
    cfg->pool_tag = strdup(tag);
    return jm_cfg_payouts(cfg, uc, net);
}

static int jm_cfg_payouts(jm_config *cfg, ut_cfg *uc, const ut_network *net)
{
    json_t *arr = ut_cfg_array(uc, uc->root, "payouts", true);
    if (!arr)
        return -1;
    size_t n = json_array_size(arr);
    if (n == 0 || n > JM_MAX_PAYOUTS)
        return ut_cfg_fail(uc, "payouts", "expected 1..%d entries, got %zu", JM_MAX_PAYOUTS, n);
    for (size_t i = 0; i < n; i++)
        if (jm_cfg_one_payout(uc, net, json_array_get(arr, i), i, &cfg->payouts[i]) < 0)
            return -1;
    cfg->payout_count = n;
    return 0;
}

static int jm_cfg_timing(jm_config *cfg, ut_cfg *uc)
{
    int64_t keep = 16, attempts = 5;
    cfg->poll_interval = 0.1;
    cfg->refresh_interval = 30;
    cfg->job_keep_seconds = 600;
    cfg->submit_retry_delay = 1.0;
    if (ut_cfg_double(uc, uc->root, "poll_interval", &cfg->poll_interval, 0.01, 60, false) < 0 ||
        ut_cfg_double(uc, uc->root, "refresh_interval", &cfg->refresh_interval, 0.1, 3600,
                      false) < 0 ||
        ut_cfg_int(uc, uc->root, "job_keep_count", &keep, 1, 1024, false) < 0 ||
        ut_cfg_double(uc, uc->root, "job_keep_seconds", &cfg->job_keep_seconds, 0, 86400,
                      false) < 0 ||
        ut_cfg_int(uc, uc->root, "submit_attempts", &attempts, 1, 100, false) < 0 ||
        ut_cfg_double(uc, uc->root, "submit_retry_delay", &cfg->submit_retry_delay, 0.01, 60,
                      false) < 0)
        return -1;
    cfg->job_keep_count = (size_t)keep;
    cfg->submit_attempts = (int)attempts;
    return 0;
}

static int jm_cfg_listeners(jm_config *cfg, ut_cfg *uc)
{
    json_t *gw = ut_cfg_listen_read(uc, uc->root, "gateway", &cfg->gateway, true, true);

    cfg->gateway_heartbeat = 2;
    if (!gw ||
        ut_cfg_double(uc, gw, "heartbeat", &cfg->gateway_heartbeat, 0.1, 600, false) < 0 ||
        (!ut_cfg_listen_read(uc, uc->root, "blocknotify", &cfg->blocknotify, false, false) &&
         uc->err[0]) ||
        (!ut_cfg_listen_read(uc, uc->root, "http", &cfg->http, false, true) && uc->err[0]))
        return -1;
    return 0;
}

/* "bitpeer": {"addr": [...], "heartbeat": 2} (optional), "empty_jobs", "empty_hold". */
static int jm_cfg_bitpeer(jm_config *cfg, ut_cfg *uc)
{
    json_t *bp = ut_cfg_object(uc, uc->root, "bitpeer", false);
    cfg->bitpeer_heartbeat = 2;
    cfg->empty_jobs = true;
    cfg->empty_hold = 10;
    if ((bp && (ut_cfg_peer_addrs(uc, bp, &cfg->bitpeer, &cfg->bitpeer_count) < 0 ||
                ut_cfg_double(uc, bp, "heartbeat", &cfg->bitpeer_heartbeat, 0.1, 600,
                              false) < 0)) ||
        ut_cfg_bool(uc, uc->root, "empty_jobs", &cfg->empty_jobs, false) < 0 ||
        ut_cfg_double(uc, uc->root, "empty_hold", &cfg->empty_hold, 0, 600, false) < 0)
        return -1;
    return 0;
}

/* "poolbench": {"addr": [...], "heartbeat": 2} (optional): poolbench
 * links, whose CMD_PB_TIP pushes are new-tip signals like bitpeer's. */
static int jm_cfg_poolbench(jm_config *cfg, ut_cfg *uc)
{
    json_t *pb = ut_cfg_object(uc, uc->root, "poolbench", false);
    cfg->poolbench_heartbeat = 2;
    if (pb && (ut_cfg_peer_addrs(uc, pb, &cfg->poolbench, &cfg->poolbench_count) < 0 ||
               ut_cfg_double(uc, pb, "heartbeat", &cfg->poolbench_heartbeat, 0.1, 600,
                             false) < 0))
        return -1;
    return 0;
}

/* "blockmaster": {"addr": [...], "id": .., "secret": .., "heartbeat": 2,
 * "tls": {"ca": .., "host": .., "cert": .., "key": ..}} (optional). */
static int jm_cfg_bmaster(jm_config *cfg, ut_cfg *uc)
{
    json_t *bm = ut_cfg_object(uc, uc->root, "blockmaster", false);
    cfg->bmaster_heartbeat = 2;
    if (!bm)
        return uc->err[0] ? -1 : 0;
    if (ut_cfg_peer_addrs(uc, bm, &cfg->bmaster, &cfg->bmaster_count) < 0 ||
        ut_cfg_str_dup(uc, bm, "id", &cfg->bmaster_id, true) < 0 ||
        ut_cfg_str_dup(uc, bm, "secret", &cfg->bmaster_secret, true) < 0 ||
        ut_cfg_double(uc, bm, "heartbeat", &cfg->bmaster_heartbeat, 0.1, 600, false) < 0)
        return -1;
    json_t *tls = ut_cfg_object(uc, bm, "tls", false);
    if ((!tls && uc->err[0]) ||
        (tls && (ut_cfg_str_dup(uc, tls, "ca", &cfg->bmaster_ca, true) < 0 ||
                 ut_cfg_str_dup(uc, tls, "host", &cfg->bmaster_host, false) < 0 ||
                 ut_cfg_str_dup(uc, tls, "cert", &cfg->bmaster_cert, false) < 0 ||
                 ut_cfg_str_dup(uc, tls, "key", &cfg->bmaster_key, false) < 0)))
        return -1;
    if (ut_cfg_describing(uc))
        return 0;
    if (!ut_auth_id_valid(cfg->bmaster_id))
        return ut_cfg_fail(uc, "blockmaster.id", "expected 1..64 of [A-Za-z0-9._-]");
    if (ut_auth_secret_problem(cfg->bmaster_secret))
        return ut_cfg_fail(uc, "blockmaster.secret", "%s",
                           ut_auth_secret_problem(cfg->bmaster_secret));
    return 0;
}

static int jm_cfg_parse(ut_cfg *uc, void *arg)
{
    jm_config *cfg = arg;
    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 || ut_cfg_alert(uc, &cfg->alert) < 0 ||
        jm_cfg_nodes(cfg, uc) < 0 ||
        jm_cfg_coinbase(cfg, uc) < 0 || jm_cfg_timing(cfg, uc) < 0)
        return -1;
    if (jm_cfg_listeners(cfg, uc) < 0)
        return -1;
    if (jm_cfg_bitpeer(cfg, uc) < 0 || jm_cfg_bmaster(cfg, uc) < 0)
        return -1;
    return jm_cfg_poolbench(cfg, uc);
}

static int jm_config_run(jm_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path ? path : "");
    cfg->log = ut_cfg_log_defaults;
    if (ut_cfg_run(path, jm_cfg_parse, cfg, jm_renamed, keys, err, errlen) == 0)
        return 0;
    jm_config_free(cfg);
    return -1;
}

int jm_config_load(jm_config *cfg, const char *path, char *err, size_t errlen)
{
    return jm_config_run(cfg, path, NULL, err, errlen);
}

int jm_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    jm_config cfg;

    if (jm_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    jm_config_free(&cfg);
    return 0;
}

static void jm_node_url_free(ut_node_url *u)
{
    free(u->url);
    free(u->user);
    free(u->password);
    free(u->cookie_file);
}

void jm_config_free(jm_config *cfg)
{
    for (size_t i = 0; i < cfg->node.count; i++)
        jm_node_url_free(&cfg->node.nodes[i]);
    free(cfg->node.nodes);
    ut_cfg_listen_free(&cfg->gateway);
    ut_cfg_listen_free(&cfg->blocknotify);
    ut_cfg_listen_free(&cfg->http);
    ut_cfg_host_list_free(cfg->bitpeer);
    ut_cfg_host_list_free(cfg->poolbench);
    ut_cfg_host_list_free(cfg->bmaster);
    free(cfg->bmaster_id);
    if (cfg->bmaster_secret)
        memset(cfg->bmaster_secret, 0, strlen(cfg->bmaster_secret));
    free(cfg->bmaster_secret);
    free(cfg->bmaster_ca);
    free(cfg->bmaster_host);
    free(cfg->bmaster_cert);
    free(cfg->bmaster_key);
    free(cfg->file);
    free(cfg->log_path);
    ut_alert_cfg_free(&cfg->alert);
    free(cfg->network);
    free(cfg->pool_tag);
    memset(cfg, 0, sizeof(*cfg));
}
