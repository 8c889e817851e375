/* pb_config: poolbench.json, parsed once at start-up into pb_config.
 *
 *   {
 *     "pools": [{"name": "otherpool", "addr": "tcp@stratum.example:3333",
 *                "user": "watcher.1", "password": "x"}],   // every one at once
 *     "reconnect_min": 0.5, "reconnect_max": 60,  // backoff between attempts, seconds
 *     "idle_timeout": 600,   // no line from a pool this long: reconnect (0 = never)
 *     "rpc": {"bind": "tcp@127.0.0.1:7901", "allow": ["127.0.0.1"], "heartbeat": 2},
 *     "http": {"bind": "tcp@127.0.0.1:7911", "allow": ["127.0.0.1"]},  // /status, /metrics
 *     "log": {...}, "alert": {...}
 *   }
 * (poolbench --help lists every key with its type, range and default.) */
#ifndef PB_CONFIG_H
#define PB_CONFIG_H

#include <stddef.h>
#include "utils/ut_alert.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_config.h"
#include "utils/ut_log.h"

#define PB_MAX_POOLS 64

typedef struct pb_pool_cfg {
    char *name;                /* label in logs, /status and /metrics */
    char *addr;                /* "tcp@host:port" */
    char *user;
    char *password;
} pb_pool_cfg;

typedef struct pb_config {
    char *file;
    ut_log_cfg log;
    char *log_path;
    ut_alert_cfg alert;

    pb_pool_cfg pools[PB_MAX_POOLS];
    size_t pool_count;
    double reconnect_min, reconnect_max;
    double idle_timeout;

    ut_cfg_listen rpc;
    double rpc_heartbeat;
    ut_cfg_listen http;
} pb_config;

int pb_config_load(pb_config *cfg, const char *path, char *err, size_t errlen);
/* The keys the reader knows (path NULL) or looked up in path: ut_proc.h. */
int pb_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
void pb_config_free(pb_config *cfg);

#endif
