/* mr_config: parses metarelay.json into struct mr_config once at start-up.
 * Every error names the file and the key that was wrong. */
#include "metarelay/mr_config.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_cfg_log.h"
#include "utils/ut_config.h"

static char *mr_strdup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static int mr_cfg_main(mr_config *cfg, ut_cfg *uc)
{
    const char *listen = NULL, *http = NULL, *upstream = NULL, *spool = NULL;
    int64_t mem = 64ll * 1024 * 1024, spool_max = 1024ll * 1024 * 1024, window = 64;
    cfg->spool_after = 5.0;
    cfg->request_timeout = 10.0;
    if (ut_cfg_str(uc, uc->root, "listen", &listen, true) < 0 ||
        ut_cfg_str(uc, uc->root, "http", &http, false) < 0 ||
        ut_cfg_str(uc, uc->root, "upstream", &upstream, true) < 0 ||
        ut_cfg_str(uc, uc->root, "spool_dir", &spool, true) < 0 ||
        ut_cfg_int(uc, uc->root, "max_mem_bytes", &mem, 0, INT64_MAX, false) < 0 ||
        ut_cfg_int(uc, uc->root, "max_spool_bytes", &spool_max, 4096, INT64_MAX, false) < 0 ||
        ut_cfg_double(uc, uc->root, "spool_after", &cfg->spool_after, 0.01, 86400, false) < 0 ||
        ut_cfg_int(uc, uc->root, "window", &window, 1, 4096, false) < 0 ||
        ut_cfg_double(uc, uc->root, "request_timeout", &cfg->request_timeout, 0.1, 3600,
                      false) < 0)
        return -1;
    cfg->listen = strdup(listen);
    cfg->http = mr_strdup_or_null(http);
    cfg->upstream = strdup(upstream);
    cfg->spool_dir = strdup(spool);
    cfg->max_mem_bytes = (size_t)mem;
    cfg->max_spool_bytes = (uint64_t)spool_max;
    cfg->window = (size_t)window;
    return 0;
}

static int mr_cfg_parse(ut_cfg *uc, void *arg)
{
    mr_config *cfg = arg;
    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 || mr_cfg_main(cfg, uc) < 0)
        return -1;
    return ut_cfg_host_list(uc, uc->root, "allow", &cfg->allow, false);
}

int mr_config_load(mr_config *cfg, const char *path, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path);
    cfg->log = ut_cfg_log_defaults;
    if (ut_cfg_read(path, mr_cfg_parse, cfg, err, errlen) == 0)
        return 0;
    mr_config_free(cfg);
    return -1;
}

void mr_config_free(mr_config *cfg)
{
    ut_cfg_host_list_free(cfg->allow);
    free(cfg->file);
    free(cfg->log_path);
    free(cfg->listen);
    free(cfg->http);
    free(cfg->upstream);
    free(cfg->spool_dir);
    memset(cfg, 0, sizeof(*cfg));
}
