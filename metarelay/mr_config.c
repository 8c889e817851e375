/* mr_config: parses metarelay.json into struct mr_config once at start-up.
 * Every error names the file and the key that was wrong. */
#include "metarelay/mr_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_config.h"

static char *mr_strdup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

static int mr_cfg_log(mr_config *cfg, ut_cfg *uc)
{
    json_t *log = ut_cfg_object(uc, uc->root, "log", false);
    const char *path = NULL, *level = "info";
    int64_t max_size = 100ll * 1024 * 1024, max_files = 5;
    cfg->log_level = UT_LOG_INFO;
    if (log && (ut_cfg_str(uc, log, "path", &path, false) < 0 ||
                ut_cfg_str(uc, log, "level", &level, false) < 0 ||
                ut_cfg_int(uc, log, "max_size", &max_size, 0, INT64_MAX, false) < 0 ||
                ut_cfg_int(uc, log, "max_files", &max_files, 0, 1000, false) < 0))
        return -1;
    if (ut_log_level_parse(level, &cfg->log_level) < 0)
        return ut_cfg_fail(uc, "log.level",
                           "expected debug|info|notice|warn|error|fatal, got '%s'", level);
    cfg->log_path = mr_strdup_or_null(path);
    cfg->log_max_size = (size_t)max_size;
    cfg->log_max_files = (int)max_files;
    return 0;
}

static int mr_cfg_allow(mr_config *cfg, ut_cfg *uc)
{
    json_t *arr = ut_cfg_array(uc, uc->root, "allow", false);
    if (!arr)
        return uc->err[0] ? -1 : 0;
    size_t n = json_array_size(arr);
    cfg->allow = calloc(n + 1, sizeof(char *));
    if (!cfg->allow)
        return ut_cfg_fail(uc, "allow", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *host = json_string_value(json_array_get(arr, i));
        if (!host || !*host)
            return ut_cfg_fail(uc, "allow", "expected an array of host strings");
        cfg->allow[i] = strdup(host);
    }
    return 0;
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

int mr_config_load(mr_config *cfg, const char *path, char *err, size_t errlen)
{
    ut_cfg uc;
    memset(cfg, 0, sizeof(*cfg));
    memset(&uc, 0, sizeof(uc));
    cfg->file = strdup(path);
    int rc = -1;
    if (ut_cfg_load(&uc, path) == 0 && mr_cfg_log(cfg, &uc) == 0 && mr_cfg_main(cfg, &uc) == 0 &&
        mr_cfg_allow(cfg, &uc) == 0)
        rc = 0;
    if (rc < 0)
        snprintf(err, errlen, "%s", uc.err[0] ? uc.err : "config error");
    ut_cfg_free(&uc);
    if (rc < 0)
        mr_config_free(cfg);
    return rc;
}

void mr_config_free(mr_config *cfg)
{
    if (cfg->allow) {
        for (size_t i = 0; cfg->allow[i]; i++)
            free(cfg->allow[i]);
    }
    free(cfg->allow);
    free(cfg->file);
    free(cfg->log_path);
    free(cfg->listen);
    free(cfg->http);
    free(cfg->upstream);
    free(cfg->spool_dir);
    memset(cfg, 0, sizeof(*cfg));
}
