/* ut_cfg_log: parses the standard "log" config section into ut_log_cfg
 * (see ut_cfg_log.h). */
#include "utils/ut_cfg_log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const ut_log_cfg ut_cfg_log_defaults = {
    .path = NULL, .level = UT_LOG_INFO, .max_size = 100u * 1024 * 1024, .max_files = 5,
};

int ut_cfg_log(ut_cfg *cfg, ut_log_cfg *log, char **path)
{
    json_t *o = ut_cfg_object(cfg, cfg->root, "log", false);
    static const char *const names[] = {"debug", "info", "notice", "warn", "error", "fatal"};
    const char *file = log->path, *level = NULL;
    int64_t max_size = (int64_t)log->max_size, max_files = log->max_files;

    if (!o)
        return cfg->err[0] ? -1 : 0;
    if ((unsigned)log->level < sizeof(names) / sizeof(names[0]))
        level = names[log->level];      /* the default --help shows */
    if (ut_cfg_str(cfg, o, "path", &file, false) < 0 ||
        ut_cfg_str(cfg, o, "level", &level, false) < 0 ||
        ut_cfg_int(cfg, o, "max_size", &max_size, 0, INT64_MAX, false) < 0 ||
        ut_cfg_int(cfg, o, "max_files", &max_files, 0, 1000, false) < 0)
        return -1;
    if (level && !ut_cfg_describing(cfg) && ut_log_level_parse(level, &log->level) < 0)
        return ut_cfg_fail(cfg, "log.level",
                           "expected debug|info|notice|warn|error|fatal, got '%s'", level);
    if (file && *file && file != log->path) {
        if (!(*path = strdup(file)))
            return ut_cfg_fail(cfg, "log.path", "out of memory");
        log->path = *path;
    }
    log->max_size = (size_t)max_size;
    log->max_files = (int)max_files;
    return 0;
}
