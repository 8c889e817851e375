/* bm_config: parses blockmaster.json into struct bm_config once at
 * start-up. Every error names the file and the key that was wrong. */
#include "blockmaster/bm_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_cfg_log.h"

static char *bm_dup(const char *s) { return s ? strdup(s) : NULL; }

static int bm_cfg_node(bm_config *cfg, ut_cfg *uc)
{
    const char *url = NULL, *user = NULL, *pw = NULL, *cookie = NULL;
    json_t *n = ut_cfg_object(uc, uc->root, "node", true);
    cfg->node.timeout = 10;
    if (!n || ut_cfg_str(uc, n, "url", &url, true) < 0 ||
        ut_cfg_str(uc, n, "user", &user, false) < 0 ||
        ut_cfg_str(uc, n, "password", &pw, false) < 0 ||
        ut_cfg_str(uc, n, "cookie_file", &cookie, false) < 0 ||
        ut_cfg_double(uc, n, "timeout", &cfg->node.timeout, 0.1, 600, false) < 0)
        return -1;
    if (ut_cfg_describing(uc))
        return 0;
    if (!cookie && !pw)
        return ut_cfg_fail(uc, "node", "expected 'password' (with 'user') or 'cookie_file'");
    cfg->node_url.url = strdup(url);
    cfg->node_url.user = cookie ? NULL : strdup(user ? user : "");
    cfg->node_url.password = cookie ? NULL : strdup(pw);
    cfg->node_url.cookie_file = bm_dup(cookie);
    cfg->node.nodes = &cfg->node_url;
    cfg->node.count = 1;
    return 0;
}

static int bm_cfg_agent(bm_config *cfg, ut_cfg *uc, json_t *obj, size_t i)
{
    const char *id = NULL, *secret = NULL;
    char key[48];
    snprintf(key, sizeof(key), "rpc.agents[%zu]", i);
    if (!json_is_object(obj))
        return ut_cfg_fail(uc, key, "expected an object {id, secret}");
    if (ut_cfg_str(uc, obj, "id", &id, true) < 0 ||
        ut_cfg_str(uc, obj, "secret", &secret, true) < 0)
        return -1;
    if (ut_cfg_describing(uc))
        return 0;
    if (!ut_auth_id_valid(id))
        return ut_cfg_fail(uc, key, "id '%s': expected 1..64 of [A-Za-z0-9._-]", id);
    if (ut_auth_secret_problem(secret))
        return ut_cfg_fail(uc, key, "secret: %s", ut_auth_secret_problem(secret));
    for (size_t j = 0; j < i; j++)
        if (strcmp(cfg->agents[j].id, id) == 0)
            return ut_cfg_fail(uc, key, "duplicate id '%s'", id);
    cfg->agents[i].id = strdup(id);
    cfg->agents[i].secret = strdup(secret);
    cfg->agent_count = i + 1;
    return 0;
}

static int bm_cfg_agents(bm_config *cfg, ut_cfg *uc, json_t *rpc)
{
    json_t *arr = ut_cfg_array(uc, rpc, "agents", false);
    if (!arr)
        return uc->err[0] ? -1 : 0;
    size_t n = json_array_size(arr);
    if (n == 0 && !ut_cfg_describing(uc))
        return ut_cfg_fail(uc, "rpc.agents", "expected at least one {id, secret}");
    cfg->agents = calloc(n + 1, sizeof(*cfg->agents));
    if (!cfg->agents)
        return ut_cfg_fail(uc, "rpc.agents", "out of memory");
    for (size_t i = 0; i < n; i++)
        if (bm_cfg_agent(cfg, uc, json_array_get(arr, i), i) < 0)
            return -1;
    return 0;
}

static int bm_cfg_tls(bm_config *cfg, ut_cfg *uc, json_t *rpc)
{
    json_t *t = ut_cfg_object(uc, rpc, "tls", false);
    if (!t)
        return uc->err[0] ? -1 : 0;
    if (ut_cfg_str_dup(uc, t, "cert", &cfg->tls_cert, true) < 0 ||
        ut_cfg_str_dup(uc, t, "key", &cfg->tls_key, true) < 0 ||
        ut_cfg_str_dup(uc, t, "ca", &cfg->tls_ca, false) < 0 ||
        ut_cfg_bool(uc, t, "require_client_cert", &cfg->tls_require_cert, false) < 0)
        return -1;
    return 0;
}

static int bm_cfg_main(bm_config *cfg, ut_cfg *uc)
{
    if (bm_cfg_node(cfg, uc) < 0)
        return -1;
    json_t *rpc = ut_cfg_listen_read(uc, uc->root, "rpc", &cfg->rpc, true, true);
    if (!rpc || ut_cfg_double(uc, rpc, "heartbeat", &cfg->rpc_heartbeat, 0.1, 600, false) < 0 ||
        bm_cfg_agents(cfg, uc, rpc) < 0 || bm_cfg_tls(cfg, uc, rpc) < 0)
        return -1;
    json_t *bp = ut_cfg_object(uc, uc->root, "bitpeer", false);
    if ((!bp && uc->err[0]) ||
        (bp && ut_cfg_peer_addrs(uc, bp, &cfg->bitpeer, &cfg->bitpeer_count) < 0) ||
        (!ut_cfg_listen_read(uc, uc->root, "http", &cfg->http, false, true) && uc->err[0]) ||
        ut_cfg_double(uc, uc->root, "mempool_poll", &cfg->mempool_poll, 0.05, 3600, false) < 0 ||
        ut_cfg_size(uc, uc->root, "mempool_max", &cfg->mempool_max, 0, 10000000, false) < 0 ||
        ut_cfg_size(uc, uc->root, "max_missing", &cfg->max_missing, 0, 1000000, false) < 0 ||
        ut_cfg_double(uc, uc->root, "fetch_timeout", &cfg->fetch_timeout, 0.1, 600, false) < 0)
        return -1;
    return 0;
}

static int bm_cfg_parse(ut_cfg *uc, void *arg)
{
    bm_config *cfg = arg;
    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 || ut_cfg_alert(uc, &cfg->alert) < 0)
        return -1;
    return bm_cfg_main(cfg, uc);
}

static int bm_config_run(bm_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path ? path : "");
    cfg->log = ut_cfg_log_defaults;
    cfg->rpc_heartbeat = 2;
    cfg->mempool_poll = 1;
    cfg->mempool_max = 300000;
    cfg->max_missing = 1000;
    cfg->fetch_timeout = 5;
    if (ut_cfg_run(path, bm_cfg_parse, cfg, NULL, keys, err, errlen) == 0)
        return 0;
    bm_config_free(cfg);
    return -1;
}

int bm_config_load(bm_config *cfg, const char *path, char *err, size_t errlen)
{
    return bm_config_run(cfg, path, NULL, err, errlen);
}

int bm_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    bm_config cfg;
    if (bm_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    bm_config_free(&cfg);
    return 0;
}

static void bm_wipe_free(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

void bm_config_free(bm_config *cfg)
{
    free(cfg->file);
    free(cfg->log_path);
    ut_alert_cfg_free(&cfg->alert);
    free(cfg->node_url.url);
    free(cfg->node_url.user);
    bm_wipe_free(cfg->node_url.password);
    free(cfg->node_url.cookie_file);
    ut_cfg_listen_free(&cfg->rpc);
    for (size_t i = 0; cfg->agents && i < cfg->agent_count; i++) {
        free((char *)cfg->agents[i].id);
        bm_wipe_free((char *)cfg->agents[i].secret);
    }
    free(cfg->agents);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    free(cfg->tls_ca);
    ut_cfg_host_list_free(cfg->bitpeer);
    ut_cfg_listen_free(&cfg->http);
    memset(cfg, 0, sizeof(*cfg));
}
