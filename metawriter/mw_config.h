/* mw_config: metawriter.json, parsed once at start-up into mw_config.
 *
 *   {
 *     "log": {"path": "log/metawriter.log", "level": "info",
 *             "max_size": 104857600, "max_files": 5},
 *     "rpc": {"bind": "tcp@127.0.0.1:7602", // CMD_MW_BATCH from gateways/metarelays
 *             "allow": ["127.0.0.1"]},      // peer hosts; others are refused with a log line
 *     "http": {"bind": "tcp@127.0.0.1:7612", // optional: /metrics and /status
 *              "allow": ["127.0.0.1"]},
 *     "coin": "btc",                        // batches of another coin are refused
 *     "redis": {"host": "127.0.0.1", "port": 6379, "db": 0, "password": "",
 *               "timeout": 10},
 *     "retention_days": 30,                 // minute fields older than this are deleted
 *     "sweep_interval": 3600,               // seconds between retention sweeps
 *     "dedup_days": 30,                     // how long applied batch ids are remembered
 *     "max_pending": 10000,                 // batches held (Redis down); then "retry later"
 *     "max_pending_bytes": 268435456,
 *     "pipeline": 16                        // batches in flight to Redis at once
 *   }
 * (metawriter --help lists every key with its type, range and default.)
 */
#ifndef MW_CONFIG_H
#define MW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "utils/ut_cfg_redis.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_alert.h"
#include "utils/ut_log.h"

typedef struct mw_config {
    char *file;
    ut_log_cfg log;            /* log.path points to log_path */
    char *log_path;
    ut_alert_cfg alert;       /* "alert": {"addr": [...]} (ut_alert.h) */

    ut_cfg_listen rpc;         /* rpc.bind, rpc.allow (NULL: everyone) */
    ut_cfg_listen http;        /* http.bind NULL: no HTTP endpoint */
    char *coin;

    ut_cfg_redis redis;

    int64_t retention_days;
    double sweep_interval;
    int64_t dedup_days;
    size_t max_pending;
    size_t max_pending_bytes;
    size_t pipeline;
} mw_config;

/* Returns 0, or -1 with the first problem (file and key named) in err. */
int mw_config_load(mw_config *cfg, const char *path, char *err, size_t errlen);
/* The keys the reader knows (path NULL) or looked up in path: ut_proc.h. */
int mw_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
void mw_config_free(mw_config *cfg);

#endif
