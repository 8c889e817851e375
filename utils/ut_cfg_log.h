/* ut_cfg_log: the "log" section that every module's config file has, the
 * same everywhere:
 *
 *   "log": {"path": "log/jobmaster.log",   // file; absent, "" or "-": stderr
 *           "level": "info",               // debug|info|notice|warn|error|fatal
 *           "max_size": 104857600,         // bytes before rotation, 0 = never
 *           "max_files": 5}                // rotated files kept, 0..1000
 *
 * The section and each key are optional; the module chooses the defaults. */
#ifndef UT_CFG_LOG_H
#define UT_CFG_LOG_H

#include "utils/ut_config.h"
#include "utils/ut_log.h"

/* The usual defaults: stderr, info, rotation at 100 MiB, 5 files kept. */
extern const ut_log_cfg ut_cfg_log_defaults;

/* Reads cfg's "log" object into *log, whose values on entry are the
 * defaults. A path other than "" is copied into *path (the caller frees
 * it) and log->path points to the copy. Returns 0, or -1 with cfg->err set
 * ("key 'log.level': expected debug|info|notice|warn|error|fatal, ..."). */
int ut_cfg_log(ut_cfg *cfg, ut_log_cfg *log, char **path);

#endif
