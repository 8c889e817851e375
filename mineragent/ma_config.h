/* ma_config: the mineragent's configuration, read once from the JSON file
 * given with --config into ma_config. Keys (defaults in brackets):
 *
 *   agent.id            this agent's id at the gateways: 1..61 of
 *                       [A-Za-z0-9_-] (required)
 *   agent.secret        its shared secret, 16+ characters (required; keep
 *                       the file 0600)
 *   host                name of this farm in accounting keys and logs
 *                       [gethostname()]
 *   upstream.addr       ["tcp@gw1.example:3334", ...]: the gateways' agent
 *                       ports, tried in order (required)
 *   upstream.failover_after  seconds without a working link before the
 *                       next gateway of the list is tried [10]
 *   upstream.heartbeat, upstream.request_timeout   seconds [2, 30]
 *   upstream.tls.ca_file    CA (or the gateway's certificate itself) that
 *                       the gateway's certificate must verify against
 *                       (required: the link is always TLS)
 *   upstream.tls.host   name or IP the certificate must carry [the host of
 *                       each gateway address]
 *   upstream.tls.cert_file, upstream.tls.key_file   a client certificate,
 *                       when the gateways ask for one
 *   stratum.bind        "tcp@0.0.0.0:3333": the farm's miners connect here
 *                       (required)
 *   stratum.max_connections   0 = no limit [0]
 *   stratum.*, jobs.*, vardiff.*, ban.{enabled,window,invalid_shares,
 *                       junk_lines}: as the gateway's (stratum/
 *                       st_config_read.h); miners over the limits are closed
 *   meta.coin           accounting key prefix ["btc"]
 *   meta.spool_dir      journal and unacknowledged batches (required)
 *   meta.flush_interval seconds between batches, aligned to the clock: with
 *                       60 a batch leaves just after each minute, one record
 *                       per worker and minute (the least upstream traffic) [60]
 *   meta.max_spool_bytes   [1 GiB]
 *   http.bind           status server, e.g. "tcp@127.0.0.1:8500" (optional)
 *   http.allow          hosts that may read it [everyone]
 *   log.*               as every module (utils/ut_cfg_log.h)
 *
 * The agent's accounting source id is "ag-<agent.id>". mineragent --help
 * lists every key with its type, range and default. */
#ifndef MA_CONFIG_H
#define MA_CONFIG_H

#include <stddef.h>
#include "stratum/st_config.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_config.h"
#include "utils/ut_alert.h"
#include "utils/ut_log.h"

typedef struct ma_config {
    char *file;
    char *id;
    char *secret;
    char *host;
    char **gateways;           /* upstream.addr, NULL-terminated */
    size_t ngateways;
    double failover_after;
    double heartbeat;
    double request_timeout;
    char *tls_ca, *tls_host, *tls_cert, *tls_key;

    char *stratum_bind;
    size_t max_connections;
    st_config stratum;         /* en1/en2 sizes are set from the gateway's HELLO */

    char *meta_coin;
    char *meta_spool_dir;
    double meta_flush_interval;
    size_t meta_max_spool;

    ut_cfg_listen http;        /* http.bind NULL: no HTTP; http.allow */
    ut_log_cfg log;
    char *log_path;
    ut_alert_cfg alert;       /* "alert": {"addr": [...]} (ut_alert.h) */
} ma_config;

/* 0, or -1 with the file, the key and the reason in err. */
int ma_config_load(ma_config *cfg, const char *path, char *err, size_t errlen);
void ma_config_free(ma_config *cfg);
/* The keys the reader knows (path NULL) or looked up in path: ut_proc.h. */
int ma_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);

#endif
