/* sa_config: parses statsapi.json into struct sa_config once at start-up.
 * Every error names the file and the key that was wrong. */
#include "statsapi/sa_config.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_cfg_log.h"

static char *sa_dup(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static int sa_cfg_redis(sa_config *cfg, ut_cfg *uc)
{
    return ut_cfg_redis_read(uc, &cfg->redis, 5.0, 3600) ? 0 : -1;
}

/* The optional node to ask about found blocks (one, like one entry of the
 * jobmaster's "nodes"). */
static int sa_cfg_node(sa_config *cfg, ut_cfg *uc)
{
    json_t *o = ut_cfg_object(uc, uc->root, "node", false);
    const char *url = NULL, *user = NULL, *password = NULL, *cookie = NULL;

    cfg->node_interval = 30;
    cfg->node.timeout = 10;
    cfg->node.connect_timeout = 2;
    if (!o)
        return uc->err[0] ? -1 : 0;
    if (ut_cfg_str(uc, o, "url", &url, true) < 0 || ut_cfg_str(uc, o, "user", &user, false) < 0 ||
        ut_cfg_str(uc, o, "password", &password, false) < 0 ||
        ut_cfg_str(uc, o, "cookie_file", &cookie, false) < 0 ||
        ut_cfg_double(uc, o, "interval", &cfg->node_interval, 1, 86400, false) < 0 ||
        ut_cfg_double(uc, o, "timeout", &cfg->node.timeout, 0.1, 600, false) < 0)
        return -1;
    if (ut_cfg_describing(uc))
        return 0;
    if (cookie && !*cookie)
        cookie = NULL;
    if (!cookie && !password)
        return ut_cfg_fail(uc, "node", "expected 'password' (with 'user') or 'cookie_file'");
    cfg->node.nodes = calloc(1, sizeof(ut_node_url));
    if (!cfg->node.nodes)
        return ut_cfg_fail(uc, "node", "out of memory");
    cfg->node.count = 1;
    cfg->node.nodes[0].url = strdup(url);
    cfg->node.nodes[0].user = cookie ? NULL : strdup(user ? user : "");
    cfg->node.nodes[0].password = cookie ? NULL : strdup(password);
    cfg->node.nodes[0].cookie_file = sa_dup(cookie);
    return 0;
}

static int sa_cfg_str(ut_cfg *uc, const char *key, const char *def, char **out)
{
    const char *v = def;

    if (ut_cfg_str(uc, uc->root, key, &v, false) < 0)
        return -1;
    *out = sa_dup(v);
    return 0;
}

static int sa_cfg_main(sa_config *cfg, ut_cfg *uc)
{
    int64_t max_workers = 1000000, max_metrics = 1000;

    cfg->refresh = 10;
    cfg->idle_refresh = 300;
    cfg->rescan = 300;
    cfg->alive_minutes = 10;
    if ((!ut_cfg_listen_read(uc, uc->root, "http", &cfg->http, true, true) && uc->err[0]) ||
        ut_cfg_str_dup(uc, uc->root, "coin", &cfg->coin, true) < 0 ||
        sa_cfg_str(uc, "jobmaster_status", NULL, &cfg->jobmaster_status) < 0 ||
        ut_cfg_double(uc, uc->root, "refresh", &cfg->refresh, 1, 3600, false) < 0 ||
        ut_cfg_double(uc, uc->root, "idle_refresh", &cfg->idle_refresh, 1, 86400, false) < 0 ||
        ut_cfg_double(uc, uc->root, "rescan", &cfg->rescan, 1, 86400, false) < 0 ||
        ut_cfg_int(uc, uc->root, "alive_minutes", &cfg->alive_minutes, 1, 1440, false) < 0 ||
        sa_cfg_str(uc, "stratum_url", "", &cfg->stratum_url) < 0 ||
        sa_cfg_str(uc, "web_dir", "statsapi/web", &cfg->web_dir) < 0 ||
        sa_cfg_str(uc, "chartjs", "/usr/share/javascript/chart.js/chart.min.js",
                   &cfg->chartjs) < 0 ||
        ut_cfg_int(uc, uc->root, "max_workers", &max_workers, 1, 100000000, false) < 0 ||
        ut_cfg_int(uc, uc->root, "max_worker_metrics", &max_metrics, 0, 1000000, false) < 0)
        return -1;
    if (cfg->coin && (!*cfg->coin || strchr(cfg->coin, ':')))
        return ut_cfg_fail(uc, "coin", "expected a key prefix without ':', got '%s'", cfg->coin);
    cfg->max_workers = (size_t)max_workers;
    cfg->max_worker_metrics = (size_t)max_metrics;
    return 0;
}

static int sa_cfg_parse(ut_cfg *uc, void *arg)
{
    sa_config *cfg = arg;

    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 || sa_cfg_main(cfg, uc) < 0 ||
        sa_cfg_node(cfg, uc) < 0)
        return -1;
    return sa_cfg_redis(cfg, uc);
}

static int sa_config_run(sa_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path ? path : "");
    cfg->log = ut_cfg_log_defaults;
    if (ut_cfg_run(path, sa_cfg_parse, cfg, NULL, keys, err, errlen) == 0)
        return 0;
    sa_config_free(cfg);
    return -1;
}

int sa_config_load(sa_config *cfg, const char *path, char *err, size_t errlen)
{
    return sa_config_run(cfg, path, NULL, err, errlen);
}

int sa_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    sa_config cfg;

    if (sa_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    sa_config_free(&cfg);
    return 0;
}

void sa_config_free(sa_config *cfg)
{
    ut_cfg_listen_free(&cfg->http);
    free(cfg->file);
    free(cfg->log_path);
    free(cfg->coin);
    ut_cfg_redis_free(&cfg->redis);
    free(cfg->jobmaster_status);
    free(cfg->stratum_url);
    free(cfg->web_dir);
    free(cfg->chartjs);
    for (size_t i = 0; i < cfg->node.count; i++) {
        free(cfg->node.nodes[i].url);
        free(cfg->node.nodes[i].user);
        free(cfg->node.nodes[i].password);
        free(cfg->node.nodes[i].cookie_file);
    }
    free(cfg->node.nodes);
    memset(cfg, 0, sizeof(*cfg));
}
