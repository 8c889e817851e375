/* ma_config: reading the mineragent's JSON configuration once into a typed
 * struct (keys documented in ma_config.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mineragent/ma_config.h"
#include "stratum/st_config_read.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_cfg_log.h"
#include "utils/ut_config.h"
#include "utils/ut_meta.h"

/* Keys of older releases, refused with what to write instead. */
static const ut_cfg_rename ma_renamed[] = {
    {"upstream.gateways", "\"upstream\": {\"addr\": [...]}", false},
    {NULL, NULL, false},
};

static int ma_cfg_agent(ut_cfg *c, ma_config *cfg)
{
    json_t *o = ut_cfg_object(c, c->root, "agent", true);
    char hn[256], src[UT_META_SOURCE_MAX + 1];

    if (o == NULL || ut_cfg_str_dup(c, o, "id", &cfg->id, true) != 0 ||
        ut_cfg_str_dup(c, o, "secret", &cfg->secret, true) != 0 ||
        ut_cfg_str_dup(c, c->root, "host", &cfg->host, false) != 0)
        return -1;
    if (ut_cfg_describing(c))
        return 0;
    if (!ut_meta_agent_source(cfg->id, src, sizeof(src)))
        return ut_cfg_fail(c, "agent.id", "expected 1..61 of [A-Za-z0-9_-], got '%s'", cfg->id);
    if (strlen(cfg->secret) < 16)
        return ut_cfg_fail(c, "agent.secret", "expected at least 16 characters");
    if (cfg->host == NULL) {
        if (gethostname(hn, sizeof(hn)) != 0)
            snprintf(hn, sizeof(hn), "mineragent");
        hn[sizeof(hn) - 1] = '\0';
        cfg->host = strdup(hn);
    }
    return cfg->host ? 0 : -1;
}

static int ma_cfg_upstream(ut_cfg *c, ma_config *cfg)
{
    json_t *up = ut_cfg_object(c, c->root, "upstream", true);
    json_t *tls;

    if (up == NULL || ut_cfg_peer_addrs(c, up, &cfg->gateways, &cfg->ngateways) != 0 ||
        ut_cfg_double(c, up, "failover_after", &cfg->failover_after, 1, 3600, false) != 0 ||
        ut_cfg_double(c, up, "heartbeat", &cfg->heartbeat, 0.1, 600, false) != 0 ||
        ut_cfg_double(c, up, "request_timeout", &cfg->request_timeout, 0.5, 600, false) != 0)
        return -1;
    tls = ut_cfg_object(c, up, "tls", true);
    if (tls == NULL || ut_cfg_str_dup(c, tls, "ca_file", &cfg->tls_ca, true) != 0 ||
        ut_cfg_str_dup(c, tls, "host", &cfg->tls_host, false) != 0 ||
        ut_cfg_str_dup(c, tls, "cert_file", &cfg->tls_cert, false) != 0 ||
        ut_cfg_str_dup(c, tls, "key_file", &cfg->tls_key, false) != 0)
        return -1;
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
        return ut_cfg_fail(c, "upstream.tls.cert_file", "cert_file and key_file go together");
    return 0;
}

static int ma_cfg_stratum(ut_cfg *c, ma_config *cfg)
{
    ut_cfg_listen l = {0};
    json_t *o = ut_cfg_listen_read(c, c->root, "stratum", &l, true, false);
    int64_t maxc = 0;

    cfg->stratum_bind = l.bind;
    if (o == NULL || ut_cfg_int(c, o, "max_connections", &maxc, 0, 100000000, false) != 0)
        return -1;
    cfg->max_connections = (size_t)maxc;
    return st_config_read(c, &cfg->stratum);
}

static int ma_cfg_meta_http(ut_cfg *c, ma_config *cfg)
{
    json_t *m = ut_cfg_object(c, c->root, "meta", true);
    int64_t spool = (int64_t)cfg->meta_max_spool;

    if (m == NULL || ut_cfg_str_dup(c, m, "coin", &cfg->meta_coin, false) != 0 ||
        ut_cfg_str_dup(c, m, "spool_dir", &cfg->meta_spool_dir, true) != 0 ||
        ut_cfg_double(c, m, "flush_interval", &cfg->meta_flush_interval, 0.05, 3600,
                      false) != 0 ||
        ut_cfg_int(c, m, "max_spool_bytes", &spool, 4096, INT64_MAX, false) != 0)
        return -1;
    cfg->meta_max_spool = (size_t)spool;
    if (ut_cfg_listen_read(c, c->root, "http", &cfg->http, false, true) == NULL && c->err[0])
        return -1;
    return 0;
}

static int ma_cfg_parse(ut_cfg *c, void *arg)
{
    ma_config *cfg = arg;

    if (ma_cfg_agent(c, cfg) != 0 || ma_cfg_upstream(c, cfg) != 0 ||
        ma_cfg_stratum(c, cfg) != 0 || ma_cfg_meta_http(c, cfg) != 0)
        return -1;
    return ut_cfg_log(c, &cfg->log, &cfg->log_path) < 0 ? -1 : ut_cfg_alert(c, &cfg->alert);
}

static void ma_config_defaults(ma_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->failover_after = 10;
    cfg->heartbeat = 2;
    cfg->request_timeout = 30;
    st_config_defaults(&cfg->stratum);
    cfg->meta_flush_interval = 60;
    cfg->meta_max_spool = 1ull << 30;
    cfg->meta_coin = strdup("btc");
    cfg->log = ut_cfg_log_defaults;
}

static int ma_config_run(ma_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    ma_config_defaults(cfg);
    cfg->file = strdup(path ? path : "");
    if (cfg->file != NULL && cfg->meta_coin != NULL &&
        ut_cfg_run(path, ma_cfg_parse, cfg, ma_renamed, keys, err, errlen) == 0)
        return 0;
    ma_config_free(cfg);
    return -1;
}

int ma_config_load(ma_config *cfg, const char *path, char *err, size_t errlen)
{
    return ma_config_run(cfg, path, NULL, err, errlen);
}

int ma_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    ma_config cfg;

    if (ma_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    ma_config_free(&cfg);
    return 0;
}

void ma_config_free(ma_config *cfg)
{
    if (cfg->secret != NULL)
        memset(cfg->secret, 0, strlen(cfg->secret));
    free(cfg->secret);
    free(cfg->file);
    free(cfg->id);
    free(cfg->host);
    ut_cfg_host_list_free(cfg->gateways);
    free(cfg->tls_ca);
    free(cfg->tls_host);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->stratum_bind);
    free(cfg->meta_coin);
    free(cfg->meta_spool_dir);
    ut_cfg_listen_free(&cfg->http);
    free(cfg->log_path);
    ut_alert_cfg_free(&cfg->alert);
    memset(cfg, 0, sizeof(*cfg));
}
