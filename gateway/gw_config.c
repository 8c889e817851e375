/* gw_config: reading the gateway's JSON configuration once into a typed
 * struct (keys documented in gw_config.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gateway/gw_config.h"
#include "stratum/st_config_read.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_cfg_log.h"
#include "utils/ut_config.h"
#include "utils/ut_meta.h"

/* Keys of older releases, refused with what to write instead. */
static const ut_cfg_rename gw_renamed[] = {
    {"meta.upstream", "\"meta\": {\"addr\": ...}", false},
    {"agents.relay", "\"agents\": {\"relay\": {\"addr\": ...}}", true},
    {NULL, NULL, false},
};

void gw_config_defaults(gw_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->workers = 1;
    st_config_defaults(&cfg->stratum);
    cfg->stratum.en2_size = 8;
    cfg->stratum.en1_size = GW_EXTRANONCE_TOTAL - 8;
    cfg->shutdown_grace = 1;
    cfg->jm_heartbeat = 2;
    cfg->jm_timeout = 30;
    cfg->ban = (gw_ban_cfg){ .seconds = 600, .conns_per_ip = 1024, .rate_per_ip = 20,
                             .burst_per_ip = 200 };
    cfg->meta_flush_interval = 10;
    cfg->meta_max_spool = 1ull << 30;
    cfg->log.level = UT_LOG_INFO;
    cfg->log.max_files = 5;
    cfg->meta_coin = strdup("btc");
}

void gw_config_free(gw_config *cfg)
{
    free(cfg->host);
    free(cfg->stratum_bind);
    free(cfg->jm_addr);
    ut_cfg_listen_free(&cfg->http);
    free(cfg->meta_upstream);
    free(cfg->meta_coin);
    free(cfg->meta_spool_dir);
    free(cfg->meta_source);
    free(cfg->log_path);
    ut_alert_cfg_free(&cfg->alert);
    free(cfg->ban.exempt);
    ut_cfg_listen_free(&cfg->agents_listen);
    free(cfg->agents_cert);
    free(cfg->agents_key);
    free(cfg->agents_ca);
    free(cfg->agents_relay);
    for (size_t i = 0; i < cfg->nagents; i++) {
        free(cfg->agents[i].id);
        if (cfg->agents[i].secret)
            memset(cfg->agents[i].secret, 0, strlen(cfg->agents[i].secret));
        free(cfg->agents[i].secret);
    }
    free(cfg->agents);
    memset(cfg, 0, sizeof(*cfg));
}

static int gw_cfg_top(ut_cfg *c, gw_config *cfg)
{
    int64_t v = 0;
    char hn[256];

    if (ut_cfg_int(c, c->root, "gateway_id", &v, 0, GW_AGENT_ID_BYTE - 1, true) != 0)
        return -1;
    cfg->gateway_id = (int)v;
    v = cfg->workers;
    if (ut_cfg_int(c, c->root, "workers", &v, 1, 16, false) != 0)
        return -1;
    cfg->workers = (int)v;
    if (ut_cfg_str_dup(c, c->root, "host", &cfg->host, false) != 0)
        return -1;
    if (cfg->host == NULL) {
        if (gethostname(hn, sizeof(hn)) != 0)
            snprintf(hn, sizeof(hn), "gateway");
        hn[sizeof(hn) - 1] = '\0';
        cfg->host = strdup(hn);
    }
    return cfg->host ? 0 : -1;
}

/* The gateway's own keys of "stratum"; the shared ones: st_config_read. */
static int gw_cfg_stratum(ut_cfg *c, gw_config *cfg)
{
    ut_cfg_listen l = {0};
    json_t *o = ut_cfg_listen_read(c, c->root, "stratum", &l, true, false);
    st_config *st = &cfg->stratum;

    cfg->stratum_bind = l.bind;
    if (o == NULL)
        return -1;
    if (ut_cfg_size(c, o, "max_connections", &cfg->max_connections, 0, 100000000, false) != 0 ||
        ut_cfg_size(c, o, "extranonce2_size", &st->en2_size, 4, 8, false) != 0 ||
        ut_cfg_double(c, o, "shutdown_grace", &cfg->shutdown_grace, 0, 60, false) != 0)
        return -1;
    st->en1_size = GW_EXTRANONCE_TOTAL - st->en2_size;
    return st_config_read(c, st);
}

static int gw_cfg_jobmaster(ut_cfg *c, gw_config *cfg)
{
    json_t *jm = ut_cfg_object(c, c->root, "jobmaster", true);

    if (jm == NULL)
        return -1;
    if (ut_cfg_peer_addr(c, jm, &cfg->jm_addr, true) != 0 ||
        ut_cfg_double(c, jm, "heartbeat", &cfg->jm_heartbeat, 0.1, 600, false) != 0 ||
        ut_cfg_double(c, jm, "request_timeout", &cfg->jm_timeout, 0.1, 600, false) != 0)
        return -1;
    return 0;
}

static int gw_cfg_exempt(ut_cfg *c, char **list, gw_ban_cfg *b)
{
    size_t n = 0;

    while (list && list[n])
        n++;
    b->exempt = calloc(n ? n : 1, 16);
    if (b->exempt == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *s = list[i];
        uint8_t *k = b->exempt[i];
        if (s != NULL && inet_pton(AF_INET6, s, k) == 1) {
            static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
            if (memcmp(k, mapped, 12) != 0)
                memset(k + 8, 0, 8);   /* IPv6 counts per /64 (gw_ban_key) */
            continue;
        }
        memset(k, 0, 16);
        k[10] = k[11] = 0xff;
        if (s == NULL || inet_pton(AF_INET, s, k + 12) != 1)
            return ut_cfg_fail(c, "ban.exempt", "expected IP addresses, item %zu is not", i);
    }
    b->nexempt = (int)n;
    return 0;
}

static int gw_cfg_ban(ut_cfg *c, gw_config *cfg)
{
    json_t *o = ut_cfg_object(c, c->root, "ban", false);
    char **ex = NULL;
    gw_ban_cfg *b = &cfg->ban;
    size_t per_ip = b->conns_per_ip;
    int rc;

    if (o == NULL)
        return c->err[0] ? -1 : 0;
    if (ut_cfg_double(c, o, "seconds", &b->seconds, 1, 1e8, false) != 0 ||
        ut_cfg_size(c, o, "connections_per_ip", &per_ip, 0, 10000000, false) != 0 ||
        ut_cfg_double(c, o, "connect_rate_per_ip", &b->rate_per_ip, 0, 1e6, false) != 0 ||
        ut_cfg_double(c, o, "connect_burst_per_ip", &b->burst_per_ip, 1, 1e7, false) != 0 ||
        ut_cfg_str_list(c, o, "exempt", &ex, false, "an array of IP addresses") != 0)
        return -1;
    b->conns_per_ip = (uint32_t)per_ip;
    rc = gw_cfg_exempt(c, ex, b);
    ut_cfg_host_list_free(ex);
    return rc;
}

static int gw_cfg_http_meta(ut_cfg *c, gw_config *cfg)
{
    json_t *m;
    char src[64];

    if (ut_cfg_listen_read(c, c->root, "http", &cfg->http, false, true) == NULL && c->err[0])
        return -1;
    m = ut_cfg_object(c, c->root, "meta", false);
    if (m == NULL)
        return c->err[0] ? -1 : 0;
    cfg->meta_enabled = !ut_cfg_describing(c);
    snprintf(src, sizeof(src), "gw%d", cfg->gateway_id);
    if (ut_cfg_peer_addr(c, m, &cfg->meta_upstream, true) != 0 ||
        ut_cfg_str_dup(c, m, "spool_dir", &cfg->meta_spool_dir, true) != 0 ||
        ut_cfg_str_dup(c, m, "coin", &cfg->meta_coin, false) != 0 ||
        ut_cfg_str_dup(c, m, "source", &cfg->meta_source, false) != 0 ||
        ut_cfg_double(c, m, "flush_interval", &cfg->meta_flush_interval, 0.05, 3600, false) != 0 ||
        ut_cfg_size(c, m, "max_spool_bytes", &cfg->meta_max_spool, 1024, INT64_MAX, false) != 0)
        return -1;
    if (cfg->meta_source == NULL)
        cfg->meta_source = strdup(src);
    return cfg->meta_coin && cfg->meta_source ? 0 : -1;
}

static int gw_cfg_agent(ut_cfg *c, json_t *o, size_t i, gw_agent_cfg *a)
{
    int64_t num = 0;
    char src[UT_META_SOURCE_MAX + 1];

    if (!json_is_object(o))
        return ut_cfg_fail(c, "agents.list", "item %zu is not an object", i);
    if (ut_cfg_str_dup(c, o, "id", &a->id, true) != 0 ||
        ut_cfg_int(c, o, "num", &num, 1, GW_AGENT_NUM_MAX, true) != 0 ||
        ut_cfg_str_dup(c, o, "secret", &a->secret, true) != 0)
        return -1;
    a->num = (uint32_t)num;
    if (ut_cfg_describing(c))
        return 0;
    if (!ut_meta_agent_source(a->id, src, sizeof(src)))
        return ut_cfg_fail(c, "agents.list", "item %zu: id '%s': expected 1..61 of "
                           "[A-Za-z0-9_-]", i, a->id);
    if (strlen(a->secret) < 16)
        return ut_cfg_fail(c, "agents.list", "item %zu (%s): secret shorter than 16 "
                           "characters", i, a->id);
    return 0;
}

static int gw_cfg_agent_list(ut_cfg *c, json_t *arr, gw_config *cfg)
{
    size_t n = json_array_size(arr);

    cfg->agents = calloc(n ? n : 1, sizeof(*cfg->agents));
    if (cfg->agents == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        cfg->nagents = i + 1;
        if (gw_cfg_agent(c, json_array_get(arr, i), i, &cfg->agents[i]) != 0)
            return -1;
        if (ut_cfg_describing(c))
            continue;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->agents[j].id, cfg->agents[i].id) == 0 ||
                cfg->agents[j].num == cfg->agents[i].num)
                return ut_cfg_fail(c, "agents.list", "items %zu and %zu share an id or a num",
                                   j, i);
    }
    return 0;
}

static int gw_cfg_agents(ut_cfg *c, gw_config *cfg)
{
    json_t *o = ut_cfg_listen_read(c, c->root, "agents", &cfg->agents_listen, false, true);
    json_t *tls, *list, *relay;

    if (o == NULL)
        return c->err[0] ? -1 : 0;
    relay = ut_cfg_object(c, o, "relay", false);
    if ((relay == NULL && c->err[0]) ||
        (relay != NULL && ut_cfg_peer_addr(c, relay, &cfg->agents_relay, true) != 0) ||
        (tls = ut_cfg_object(c, o, "tls", true)) == NULL ||
        ut_cfg_str_dup(c, tls, "cert_file", &cfg->agents_cert, true) != 0 ||
        ut_cfg_str_dup(c, tls, "key_file", &cfg->agents_key, true) != 0 ||
        ut_cfg_str_dup(c, tls, "ca_file", &cfg->agents_ca, false) != 0 ||
        ut_cfg_bool(c, tls, "require_client_cert", &cfg->agents_require_cert, false) != 0 ||
        (list = ut_cfg_array(c, o, "list", true)) == NULL)
        return -1;
    if (cfg->agents_require_cert && cfg->agents_ca == NULL)
        return ut_cfg_fail(c, "agents.tls.require_client_cert", "needs agents.tls.ca_file");
    if (gw_cfg_agent_list(c, list, cfg) != 0)
        return -1;
    if (cfg->agents_relay == NULL && cfg->meta_upstream != NULL &&
        (cfg->agents_relay = strdup(cfg->meta_upstream)) == NULL)
        return -1;
    return 0;
}

static int gw_cfg_parse(ut_cfg *c, void *arg)
{
    gw_config *cfg = arg;

    if (gw_cfg_top(c, cfg) != 0 || gw_cfg_stratum(c, cfg) != 0 ||
        gw_cfg_jobmaster(c, cfg) != 0 || gw_cfg_ban(c, cfg) != 0 ||
        gw_cfg_http_meta(c, cfg) != 0 || gw_cfg_agents(c, cfg) != 0)
        return -1;
    return ut_cfg_log(c, &cfg->log, &cfg->log_path) < 0 ? -1 : ut_cfg_alert(c, &cfg->alert);
}

int gw_config_load(gw_config *cfg, const char *path, char *err, size_t errlen)
{
    gw_config_defaults(cfg);
    return ut_cfg_run(path, gw_cfg_parse, cfg, gw_renamed, NULL, err, errlen);
}

int gw_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    gw_config cfg;
    int rc;

    gw_config_defaults(&cfg);
    rc = ut_cfg_run(path, gw_cfg_parse, &cfg, gw_renamed, keys, err, errlen);
    gw_config_free(&cfg);
    return rc;
}

int gw_addr_add_port(const char *spec, int add, char *out, size_t n)
{
    const char *colon = strrchr(spec, ':');
    char *end;
    long port;

    if (colon == NULL)
        return -1;
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    /* Range first: a port of 20 digits must not overflow port + add. */
    if (end == colon + 1 || *end != '\0' || errno != 0 || port < 0 || port > 65535 ||
        add < 0 || add > 65535 || port + add > 65535)
        return -1;
    if ((size_t)snprintf(out, n, "%.*s:%ld", (int)(colon - spec), spec, port + add) >= n)
        return -1;
    return 0;
}
