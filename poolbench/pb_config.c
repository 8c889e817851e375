/* pb_config: parses poolbench.json into struct pb_config once at start-up.
 * Every error names the file and the key that was wrong. */
#include "poolbench/pb_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_cfg_log.h"

static int pb_cfg_pool(ut_cfg *uc, json_t *obj, size_t i, pb_pool_cfg *out)
{
    char key[32];
    const char *name = NULL, *user = NULL, *password = NULL;
    snprintf(key, sizeof(key), "pools[%zu]", i);
    if (!json_is_object(obj))
        return ut_cfg_fail(uc, key, "expected an object {name, addr, user, password}");
    if (ut_cfg_str(uc, obj, "name", &name, true) < 0 ||
        ut_cfg_addr(uc, obj, "addr", &out->addr, true) < 0 ||
        ut_cfg_str(uc, obj, "user", &user, true) < 0 ||
        ut_cfg_str(uc, obj, "password", &password, false) < 0)
        return -1;
    if (ut_cfg_describing(uc))
        return 0;
    if (!name[0] || strlen(name) > 48 || strcspn(name, "\"\\\n") != strlen(name))
        return ut_cfg_fail_in(uc, obj, "name", "expected 1..48 characters, no quote, "
                              "backslash or newline");
    if (!user[0] || strlen(user) > 128)
        return ut_cfg_fail_in(uc, obj, "user", "expected 1..128 characters");
    out->name = strdup(name);
    out->user = strdup(user);
    out->password = strdup(password ? password : "x");
    return 0;
}

static int pb_cfg_pools(pb_config *cfg, ut_cfg *uc)
{
    json_t *arr = ut_cfg_array(uc, uc->root, "pools", true);
    if (!arr)
        return -1;
    size_t n = json_array_size(arr);
    if (n == 0)
        return ut_cfg_fail(uc, "pools", "expected at least one pool");
    if (n > PB_MAX_POOLS)
        return ut_cfg_fail(uc, "pools", "at most 64 pools");
    for (size_t i = 0; i < n; i++) {
        if (pb_cfg_pool(uc, json_array_get(arr, i), i, &cfg->pools[i]) < 0)
            return -1;
        cfg->pool_count = i + 1;
    }
    for (size_t i = 0; i < cfg->pool_count && !ut_cfg_describing(uc); i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->pools[i].name, cfg->pools[j].name) == 0)
                return ut_cfg_fail(uc, "pools", "name '%s' used twice", cfg->pools[i].name);
    return 0;
}

static int pb_cfg_parse(ut_cfg *uc, void *arg)
{
    pb_config *cfg = arg;
    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 || ut_cfg_alert(uc, &cfg->alert) < 0 ||
        pb_cfg_pools(cfg, uc) < 0 ||
        ut_cfg_double(uc, uc->root, "reconnect_min", &cfg->reconnect_min, 0.01, 3600,
                      false) < 0 ||
        ut_cfg_double(uc, uc->root, "reconnect_max", &cfg->reconnect_max, 0.01, 3600,
                      false) < 0 ||
        ut_cfg_double(uc, uc->root, "idle_timeout", &cfg->idle_timeout, 0, 86400, false) < 0)
        return -1;
    if (cfg->reconnect_max < cfg->reconnect_min && !ut_cfg_describing(uc))
        return ut_cfg_fail(uc, "reconnect_max", "expected at least reconnect_min");
    json_t *rpc = ut_cfg_listen_read(uc, uc->root, "rpc", &cfg->rpc, true, true);
    if (!rpc ||
        ut_cfg_double(uc, rpc, "heartbeat", &cfg->rpc_heartbeat, 0.1, 600, false) < 0 ||
        (!ut_cfg_listen_read(uc, uc->root, "http", &cfg->http, false, true) && uc->err[0]))
        return -1;
    return 0;
}

static int pb_config_run(pb_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path ? path : "");
    cfg->log = ut_cfg_log_defaults;
    cfg->reconnect_min = 0.5;
    cfg->reconnect_max = 60;
    cfg->idle_timeout = 600;
    cfg->rpc_heartbeat = 2;
    if (ut_cfg_run(path, pb_cfg_parse, cfg, NULL, keys, err, errlen) == 0)
        return 0;
    pb_config_free(cfg);
    return -1;
}

int pb_config_load(pb_config *cfg, const char *path, char *err, size_t errlen)
{
    return pb_config_run(cfg, path, NULL, err, errlen);
}

int pb_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    pb_config cfg;
    if (pb_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    pb_config_free(&cfg);
    return 0;
}

void pb_config_free(pb_config *cfg)
{
    free(cfg->file);
    free(cfg->log_path);
    ut_alert_cfg_free(&cfg->alert);
    for (size_t i = 0; i < PB_MAX_POOLS; i++) {
        free(cfg->pools[i].name);
        free(cfg->pools[i].addr);
        free(cfg->pools[i].user);
        free(cfg->pools[i].password);
    }
    ut_cfg_listen_free(&cfg->rpc);
    ut_cfg_listen_free(&cfg->http);
    memset(cfg, 0, sizeof(*cfg));
}
