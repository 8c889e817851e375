/* mw_config: parses metawriter.json into struct mw_config once at
 * start-up. Every error names the file and the key that was wrong. */
#include "metawriter/mw_config.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_cfg_listen.h"
#include "utils/ut_cfg_log.h"
#include "utils/ut_config.h"

/* Keys of older releases, refused with what to write instead. */
static const ut_cfg_rename mw_renamed[] = {
    {"listen", "\"rpc\": {\"bind\": ...}", false},
    {"allow", "\"rpc\": {\"allow\": [...]} (and \"http\": {\"allow\": [...]})", false},
    {"http", "\"http\": {\"bind\": ..., \"allow\": [...]}", true},
    {NULL, NULL, false},
};


static int mw_cfg_redis(mw_config *cfg, ut_cfg *uc)
{
    return ut_cfg_redis_read(uc, &cfg->redis, 10.0, 3600) ? 0 : -1;
}

static int mw_cfg_limits(mw_config *cfg, ut_cfg *uc)
{
    int64_t max_pending = 10000, max_bytes = 256ll * 1024 * 1024, pipeline = 16;
    cfg->retention_days = 30;
    cfg->dedup_days = 30;
    cfg->sweep_interval = 3600;
    if (ut_cfg_int(uc, uc->root, "retention_days", &cfg->retention_days, 1, 36500, false) < 0 ||
        ut_cfg_int(uc, uc->root, "dedup_days", &cfg->dedup_days, 1, 36500, false) < 0 ||
        ut_cfg_double(uc, uc->root, "sweep_interval", &cfg->sweep_interval, 1, 86400 * 7,
                      false) < 0 ||
        ut_cfg_int(uc, uc->root, "max_pending", &max_pending, 1, 100000000, false) < 0 ||
        ut_cfg_int(uc, uc->root, "max_pending_bytes", &max_bytes, 1024, INT64_MAX, false) < 0 ||
        ut_cfg_int(uc, uc->root, "pipeline", &pipeline, 1, 1024, false) < 0)
        return -1;
    cfg->max_pending = (size_t)max_pending;
    cfg->max_pending_bytes = (size_t)max_bytes;
    cfg->pipeline = (size_t)pipeline;
    return 0;
}

static int mw_cfg_main(mw_config *cfg, ut_cfg *uc)
{
    if ((!ut_cfg_listen_read(uc, uc->root, "rpc", &cfg->rpc, true, true) && uc->err[0]) ||
        (!ut_cfg_listen_read(uc, uc->root, "http", &cfg->http, false, true) && uc->err[0]) ||
        ut_cfg_str_dup(uc, uc->root, "coin", &cfg->coin, true) < 0)
        return -1;
    if (cfg->coin && (!*cfg->coin || strchr(cfg->coin, ':')))
        return ut_cfg_fail(uc, "coin", "expected a key prefix without ':', got '%s'", cfg->coin);
    return 0;
}

static int mw_cfg_parse(ut_cfg *uc, void *arg)
{
    mw_config *cfg = arg;
    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 || ut_cfg_alert(uc, &cfg->alert) < 0 ||
        mw_cfg_main(cfg, uc) < 0)
        return -1;
    return mw_cfg_redis(cfg, uc) < 0 || mw_cfg_limits(cfg, uc) < 0 ? -1 : 0;
}

static int mw_config_run(mw_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path ? path : "");
    cfg->log = ut_cfg_log_defaults;
    if (ut_cfg_run(path, mw_cfg_parse, cfg, mw_renamed, keys, err, errlen) == 0)
        return 0;
    mw_config_free(cfg);
    return -1;
}

int mw_config_load(mw_config *cfg, const char *path, char *err, size_t errlen)
{
    return mw_config_run(cfg, path, NULL, err, errlen);
}

int mw_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    mw_config cfg;

    if (mw_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    mw_config_free(&cfg);
    return 0;
}

void mw_config_free(mw_config *cfg)
{
    ut_cfg_listen_free(&cfg->rpc);
    ut_cfg_listen_free(&cfg->http);
    free(cfg->file);
    free(cfg->log_path);
    ut_alert_cfg_free(&cfg->alert);
    free(cfg->coin);
    ut_cfg_redis_free(&cfg->redis);
    memset(cfg, 0, sizeof(*cfg));
}
