/* sa_config: statsapi.json, parsed once at start-up into sa_config.
 *
 *   {
 *     "log": {"path": "log/statsapi.log", "level": "info", ...},
 *     "http": {"bind": "tcp@0.0.0.0:7620",     // the API, the dashboard, /status, /metrics
 *              "allow": ["127.0.0.1"]},        // absent: everyone (a public dashboard)
 *     "coin": "btc",                           // the Redis key prefix
 *     "redis": {"host": "127.0.0.1", "port": 6379, "db": 0, "password": "", "timeout": 5},
 *     "jobmaster_status": "http://127.0.0.1:7611/status",  // network difficulty; "" = none
 *     "refresh": 10,               // seconds between reads of the active workers' keys
 *     "idle_refresh": 300,         // seconds between reads of workers idle for an hour
 *     "rescan": 300,               // seconds between full SCANs for new keys
 *     "alive_minutes": 10,         // a worker is alive with a share in this many minutes
 *     "stratum_url": "stratum+tcp://127.0.0.1:3333",  // shown as the workers' "url"
 *     "web_dir": "statsapi/web",   // the dashboard's files
 *     "chartjs": "/usr/share/javascript/chart.js/chart.min.js",
 *     "max_workers": 1000000,      // workers kept in memory at most
 *     "max_worker_metrics": 1000,  // per-worker /metrics samples at most (0: none)
 *     "node": {"url": "http://127.0.0.1:18443/", "user": "x", "password": "p",
 *              "cookie_file": "",      // instead of user/password
 *              "interval": 30,         // seconds between checks of one block
 *              "timeout": 10}          // seconds per call
 *                                      // absent: no orphan check, every block "accepted"
 *   }
 * (statsapi --help lists every key with its type, range and default.) */
#ifndef SA_CONFIG_H
#define SA_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "utils/ut_cfg_listen.h"
#include "utils/ut_cfg_redis.h"
#include "utils/ut_config.h"
#include "utils/ut_log.h"
#include "utils/ut_node.h"

typedef struct sa_config {
    char *file;
    ut_log_cfg log;
    char *log_path;
    ut_cfg_listen http;
    char *coin;
    ut_cfg_redis redis;
    char *jobmaster_status;     /* NULL: none */
    double refresh, idle_refresh, rescan;
    int64_t alive_minutes;
    char *stratum_url;
    char *web_dir;
    char *chartjs;
    size_t max_workers;
    size_t max_worker_metrics;
    ut_node_cfg node;           /* count 0: no "node" section (no orphan check) */
    double node_interval;       /* seconds between checks of one block */
} sa_config;

int sa_config_load(sa_config *cfg, const char *path, char *err, size_t errlen);
int sa_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
void sa_config_free(sa_config *cfg);

#endif
