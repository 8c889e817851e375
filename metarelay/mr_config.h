/* mr_config: metarelay.json, parsed once at start-up into mr_config.
 *
 *   {
 *     "log": {"path": "log/metarelay.log", "level": "info",
 *             "max_size": 104857600, "max_files": 5},
 *     "rpc": {"bind": "tcp@127.0.0.1:7601",  // CMD_MW_BATCH from gateways
 *             "allow": ["127.0.0.1"]},       // peer hosts; others refused with a log line
 *     "http": {"bind": "tcp@127.0.0.1:7611", // optional: /metrics and /status
 *              "allow": ["127.0.0.1"]},
 *     "upstream": {"addr": "tcp@127.0.0.1:7602",   // metawriter
 *                  "window": 64,             // batches in flight to metawriter
 *                  "request_timeout": 10},   // seconds per forwarded batch
 *     "spool_dir": "spool",                  // batches not yet acknowledged upstream
 *     "max_mem_bytes": 67108864,             // batch bodies kept in memory; then spooled
 *     "max_spool_bytes": 1073741824,         // past it new batches get "retry later"
 *     "spool_after": 5                       // seconds unacknowledged before spooling
 *   }
 * (metarelay --help lists every key with its type, range and default.)
 */
#ifndef MR_CONFIG_H
#define MR_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "utils/ut_cfg_listen.h"
#include "utils/ut_alert.h"
#include "utils/ut_log.h"

typedef struct mr_config {
    char *file;
    ut_log_cfg log;            /* log.path points to log_path */
    char *log_path;
    ut_alert_cfg alert;       /* "alert": {"addr": [...]} (ut_alert.h) */

    ut_cfg_listen rpc;         /* rpc.bind, rpc.allow (NULL: everyone) */
    ut_cfg_listen http;        /* http.bind NULL: no HTTP */
    char *upstream;            /* upstream.addr */
    char *spool_dir;
    size_t max_mem_bytes;
    uint64_t max_spool_bytes;
    double spool_after;
    size_t window;
    double request_timeout;
} mr_config;

int mr_config_load(mr_config *cfg, const char *path, char *err, size_t errlen);
/* The keys the reader knows (path NULL) or looked up in path: ut_proc.h. */
int mr_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
void mr_config_free(mr_config *cfg);

#endif
