/* mr_config: parses metarelay.json into struct mr_config once at start-up.
 * Every error names the file and the key that was wrong. */
#include "metarelay/mr_config.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_cfg_listen.h"
#include "utils/ut_cfg_log.h"
#include "utils/ut_config.h"

/* Keys of older releases, refused with what to write instead. */
static const ut_cfg_rename mr_renamed[] = {
    {"listen", "\"rpc\": {\"bind\": ...}", false},
    {"allow", "\"rpc\": {\"allow\": [...]} (and \"http\": {\"allow\": [...]})", false},
    {"http", "\"http\": {\"bind\": ..., \"allow\": [...]}", true},
    {"upstream", "\"upstream\": {\"addr\": ...}", true},
    {"window", "\"upstream\": {\"window\": ...}", false},
    {"request_timeout", "\"upstream\": {\"request_timeout\": ...}", false},
    {NULL, NULL, false},
};

static int mr_cfg_upstream(mr_config *cfg, ut_cfg *uc)
{
    json_t *up = ut_cfg_object(uc, uc->root, "upstream", true);
    int64_t window = (int64_t)cfg->window;

    if (!up || ut_cfg_peer_addr(uc, up, &cfg->upstream, true) < 0 ||
        ut_cfg_int(uc, up, "window", &window, 1, 4096, false) < 0 ||
        ut_cfg_double(uc, up, "request_timeout", &cfg->request_timeout, 0.1, 3600,
                      false) < 0)
        return -1;
    cfg->window = (size_t)window;
    return 0;
}

static int mr_cfg_main(mr_config *cfg, ut_cfg *uc)
{
    int64_t mem = (int64_t)cfg->max_mem_bytes, spool_max = (int64_t)cfg->max_spool_bytes;

    if ((!ut_cfg_listen_read(uc, uc->root, "rpc", &cfg->rpc, true, true) && uc->err[0]) ||
        (!ut_cfg_listen_read(uc, uc->root, "http", &cfg->http, false, true) && uc->err[0]) ||
        mr_cfg_upstream(cfg, uc) < 0 ||
        ut_cfg_str_dup(uc, uc->root, "spool_dir", &cfg->spool_dir, true) < 0 ||
        ut_cfg_int(uc, uc->root, "max_mem_bytes", &mem, 0, INT64_MAX, false) < 0 ||
        ut_cfg_int(uc, uc->root, "max_spool_bytes", &spool_max, 4096, INT64_MAX, false) < 0 ||
        ut_cfg_double(uc, uc->root, "spool_after", &cfg->spool_after, 0.01, 86400, false) < 0)
        return -1;
    cfg->max_mem_bytes = (size_t)mem;
    cfg->max_spool_bytes = (uint64_t)spool_max;
    return 0;
}

static int mr_cfg_parse(ut_cfg *uc, void *arg)
{
    mr_config *cfg = arg;
    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 || ut_cfg_alert(uc, &cfg->alert) < 0)
        return -1;
    return mr_cfg_main(cfg, uc);
}

static int mr_config_run(mr_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path ? path : "");
    cfg->log = ut_cfg_log_defaults;
    cfg->max_mem_bytes = 64u * 1024 * 1024;
    cfg->max_spool_bytes = 1024ull * 1024 * 1024;
    cfg->spool_after = 5.0;
    cfg->window = 64;
    cfg->request_timeout = 10.0;
    if (ut_cfg_run(path, mr_cfg_parse, cfg, mr_renamed, keys, err, errlen) == 0)
        return 0;
    mr_config_free(cfg);
    return -1;
}

int mr_config_load(mr_config *cfg, const char *path, char *err, size_t errlen)
{
    return mr_config_run(cfg, path, NULL, err, errlen);
}

int mr_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    mr_config cfg;

    if (mr_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    mr_config_free(&cfg);
    return 0;
}

void mr_config_free(mr_config *cfg)
{
    ut_cfg_listen_free(&cfg->rpc);
    ut_cfg_listen_free(&cfg->http);
    free(cfg->file);
    free(cfg->log_path);
    ut_alert_cfg_free(&cfg->alert);
    free(cfg->upstream);
    free(cfg->spool_dir);
    memset(cfg, 0, sizeof(*cfg));
}
