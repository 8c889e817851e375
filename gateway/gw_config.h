/* gw_config: the gateway's configuration, read once from the JSON file
 * given with --config (or -c) into gw_config; the Stratum server's settings
 * land in its st_config (stratum/st_config.h). Keys (defaults in brackets):
 *
 *   gateway_id          0..254, unique per gateway host (required). Byte 0
 *                       of every extranonce1 this gateway hands out (255
 *                       is the agents', see agents.list).
 *   host                name in logs, HELLO and accounting [gethostname()]
 *   workers             worker processes 1..16 [1]. The supervisor forks
 *                       them; each runs its own event loop and listens on
 *                       the same Stratum port (SO_REUSEPORT). A worker that
 *                       dies is restarted (at most once a second); SIGTERM
 *                       and SIGINT are forwarded, SIGHUP reopens the log.
 *   stratum.bind        "tcp@0.0.0.0:3333" (required)
 *   stratum.max_line    longest request line in bytes, 256..65536 [4096]
 *   stratum.max_output  bytes queued for a miner that does not read (jobs,
 *                       replies), 16 KiB..64 MiB; past it it is closed [262144]
 *   stratum.idle_timeout       seconds without any input before a
 *                              connection is closed [600]
 *   stratum.subscribe_timeout  seconds a connection may stay unsubscribed
 *                              or unauthorized [60]
 *   stratum.max_connections    per worker process, 0 = no limit [0]
 *   stratum.max_workers        worker names per connection 1..1024 [64]
 *   stratum.extranonce2_size   4..8 [8]; extranonce1 gets the rest of the
 *                              job's 12 extranonce bytes (gw_en1.h)
 *   stratum.version_mask       pool version-rolling mask, hex ["1fffe000"]
 *   stratum.shutdown_grace     seconds between client.reconnect and closing
 *                              connections on SIGTERM [1]
 *   jobmaster.addr      "tcp@127.0.0.1:7100" (required)
 *   jobmaster.heartbeat, jobmaster.request_timeout   seconds [2, 30]
 *   jobs.keep           recent jobs kept 1..256 [16]
 *   jobs.max_age        seconds a job is kept after it arrived [600]
 *   jobs.max_shares     shares one connection may have on kept jobs [4096]
 *   vardiff.start       difficulty of a new connection [1024]
 *   vardiff.min, vardiff.max   bounds, fractions allowed, each within
 *                       [2^-32 (2.3283e-10), 2^128] [1, 1e15]
 *   vardiff.target      wanted seconds between shares [10]
 *   vardiff.retarget    seconds between retargets [60]
 *   ban.enabled         [true]
 *   ban.window          seconds over which strikes are counted [60]
 *   ban.invalid_shares  rejected shares (codes 20,22,23,24,25) per window
 *                       from one IP address, over all workers; 0 = never [200]
 *   ban.junk_lines      unparsable lines, unknown methods, refused worker
 *                       names per window from one IP address [20]
 *   ban.seconds         ban length [600]
 *   ban.connections_per_ip    live connections from one IP address (IPv6:
 *                             one /64) over all workers; 0 = no limit [1024]
 *   ban.connect_rate_per_ip   new connections per second from one address;
 *                             0 = no limit [20]
 *   ban.connect_burst_per_ip  ... of which this many may come at once [200]
 *   ban.exempt          array of IP addresses never limited or banned [[]]
 *   agents              the mineragent port (optional; absent = none). Only
 *                       worker 0 listens on it. TLS is required.
 *     agents.bind       "tcp@0.0.0.0:3334" (required)
 *     agents.allow      agents' hosts that may connect [everyone]
 *     agents.tls.cert_file, agents.tls.key_file   PEM files (required)
 *     agents.tls.ca_file   CA of agents' client certificates (optional)
 *     agents.tls.require_client_cert   refuse agents without one [false]
 *     agents.relay.addr where agents' CMD_MW_BATCH go [meta.addr]
 *     agents.list       [{"id":"farm1","num":1,"secret":"..."}]: who may
 *                       connect; num 1..16777215 gives the agent the
 *                       extranonce1 ff<num> on every gateway, so an agent
 *                       keeps its work space when it fails over
 *   http.bind           "tcp@127.0.0.1:8300": status server of worker 0;
 *                       worker i listens on port + i (optional; absent =
 *                       no HTTP). Every worker's /status shows its own
 *                       counts and the totals of all workers.
 *   http.allow          hosts that may read it [everyone]
 *   meta                accounting (optional; absent = disabled):
 *     meta.addr         metarelay or metawriter address (required)
 *     meta.coin         key prefix ["btc"]
 *     meta.spool_dir    (required)
 *     meta.source       source id prefix ["gw<gateway_id>"]; worker i
 *                       sends as "<source>-p<i>"
 *     meta.flush_interval  seconds [10]
 *     meta.max_spool_bytes [1 GiB]
 *   log.path            file, or "-"/absent for stderr
 *   log.level           debug|info|notice|warn|error|fatal [info]
 *   log.max_size        bytes before rotation, 0 = never [0]
 *   log.max_files       rotated files kept [5]
 * gateway --help lists every key with its type, range and default.
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gateway/gw_ban.h"
#include "stratum/st_config.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_config.h"
#include "utils/ut_alert.h"
#include "utils/ut_log.h"

#define GW_EXTRANONCE_TOTAL 12   /* extranonce bytes in every job (en1 + en2) */
#define GW_AGENT_ID_BYTE 0xff    /* byte 0 of every agent's extranonce1; no gateway_id */
#define GW_AGENT_NUM_MAX 0xffffff

/* One mineragent this gateway accepts on its agent port. */
typedef struct gw_agent_cfg {
    char *id;                  /* 1..61 of [A-Za-z0-9_-] */
    uint32_t num;              /* 1..2^24-1: its extranonce1 is ff <num, 3 bytes> */
    char *secret;              /* at least 16 characters */
} gw_agent_cfg;

typedef struct gw_config {
    int gateway_id;
    char *host;
    int workers;

    char *stratum_bind;
    size_t max_connections;
    double shutdown_grace;
    /* stratum.max_line, idle_timeout, subscribe_timeout, max_workers,
     * extranonce2_size (en1_size = GW_EXTRANONCE_TOTAL - en2_size),
     * version_mask; jobs.*; vardiff.*; ban.enabled, window,
     * invalid_shares, junk_lines (as strikes). */
    st_config stratum;

    char *jm_addr;
    double jm_heartbeat;
    double jm_timeout;

    gw_ban_cfg ban;            /* ban.seconds, ban.exempt */

    ut_cfg_listen http;        /* http.bind NULL: no HTTP; http.allow */

    ut_cfg_listen agents_listen;   /* agents.bind NULL: no agent port; agents.allow */
    char *agents_cert, *agents_key, *agents_ca;   /* TLS of the agent port */
    bool agents_require_cert;
    char *agents_relay;        /* agents.relay.addr: where agents' batches go [meta.addr] */
    gw_agent_cfg *agents;
    size_t nagents;

    bool meta_enabled;
    char *meta_upstream;       /* meta.addr */
    char *meta_coin;
    char *meta_spool_dir;
    char *meta_source;
    double meta_flush_interval;
    size_t meta_max_spool;

    ut_log_cfg log;
    char *log_path;
    ut_alert_cfg alert;       /* "alert": {"addr": [...]} (ut_alert.h) */
} gw_config;

/* Reads path into cfg. Returns 0, or -1 with a message in err. */
int gw_config_load(gw_config *cfg, const char *path, char *err, size_t errlen);
/* The keys the reader knows (path NULL) or looked up in path: ut_proc.h. */
int gw_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
/* Defaults for every optional key (what tests start from). */
void gw_config_defaults(gw_config *cfg);
void gw_config_free(gw_config *cfg);

/* "tcp@127.0.0.1:8300" + 2 -> "tcp@127.0.0.1:8302" into out. 0 or -1. */
int gw_addr_add_port(const char *spec, int add, char *out, size_t n);

#endif
