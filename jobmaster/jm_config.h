/* jm_config: the jobmaster's configuration, read once from a JSON file into
 * typed fields (deploy/conf/jobmaster.json is an annotated example). After
 * jm_config_load returns, nothing else looks at the JSON. */
#ifndef JM_CONFIG_H
#define JM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "utils/ut_cfg_listen.h"
#include "utils/ut_config.h"
#include "utils/ut_alert.h"
#include "utils/ut_log.h"
#include "utils/ut_node.h"

#define JM_SCRIPT_MAX 80        /* longest payout scriptPubKey accepted */
#define JM_TAG_MAX 96           /* buffer bound; the real bound is jm_config_tag_max() */
#define JM_EXTRANONCE_MIN 2
#define JM_EXTRANONCE_MAX 32
#define JM_MAX_PAYOUTS 64
#define JM_MAX_NODES 16         /* found blocks go to every one (jm_submit) */

/* One payout output: a scriptPubKey and its share (weight) of the value. */
typedef struct jm_payout {
    uint8_t script[JM_SCRIPT_MAX];
    size_t script_len;
    uint64_t weight;
    char label[128];            /* the address or "script:<hex>" for logs */
} jm_payout;

typedef struct jm_config {
    char *file;                 /* the path it came from */

    /* log */
    ut_log_cfg log;             /* log.path points to log_path */
    char *log_path;             /* NULL: stderr */
    ut_alert_cfg alert;       /* "alert": {"addr": [...]} (ut_alert.h) */

    /* node(s) */
    ut_node_cfg node;           /* nodes[] owned here; template calls fail over in
                                 * this order, found blocks go to all of them */
    int node_threads;           /* worker threads for node RPC */

    /* coinbase */
    char *network;              /* ut_network name used for payout addresses */
    jm_payout payouts[JM_MAX_PAYOUTS];
    size_t payout_count;
    char *pool_tag;             /* coinbase text; may be "" */
    size_t extranonce_size;     /* en1 + en2 bytes */
    uint32_t coinbase_version;  /* 1 or 2 */

    /* job timing */
    double poll_interval;       /* getbestblockhash period */
    double refresh_interval;    /* non-clean job period */
    size_t job_keep_count;      /* always keep at least the newest N jobs */
    double job_keep_seconds;    /* and any job younger than this */

    /* found blocks */
    int submit_attempts;        /* tries while the node is unreachable */
    double submit_retry_delay;

    /* listeners */
    ut_cfg_listen gateway;      /* gateway.bind, gateway.allow (NULL: everyone) */
    double gateway_heartbeat;
    ut_cfg_listen blocknotify;  /* blocknotify.bind "udp@...", or NULL */
    ut_cfg_listen http;         /* http.bind "tcp@...", or NULL; http.allow */

    /* bitpeer links and empty-block jobs */
    char **bitpeer;             /* bitpeer.addr: every one is connected, NULL: none */
    size_t bitpeer_count;
    double bitpeer_heartbeat;
    char **poolbench;           /* poolbench.addr: other pools' tips (CMD_PB_TIP), NULL: none */
    size_t poolbench_count;
    double poolbench_heartbeat;
    bool empty_jobs;            /* an empty-block job on a new-tip signal */
    double empty_hold;          /* seconds a node template below the empty job is dropped */

    /* blockmasters of the other sites: "blockmaster": {"addr": [...], "id", "secret",
     * "heartbeat", "tls": {"ca", "host", "cert", "key"}} (jm_bmaster) */
    char **bmaster;             /* NULL: none */
    size_t bmaster_count;
    char *bmaster_id, *bmaster_secret;
    char *bmaster_ca, *bmaster_host, *bmaster_cert, *bmaster_key;
    double bmaster_heartbeat;
} jm_config;

/* Reads path into cfg. Returns 0, or -1 with a message in err naming the
 * file and key ("jobmaster.json: key 'payouts[1].address': bad checksum"). */
int jm_config_load(jm_config *cfg, const char *path, char *err, size_t errlen);
/* The keys the reader knows (path NULL) or looked up in path: ut_proc.h. */
int jm_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
void jm_config_free(jm_config *cfg);

/* The longest pool tag that still keeps the coinbase scriptSig within 100
 * bytes for any 32-bit height, given the extranonce size. */
size_t jm_config_tag_max(size_t extranonce_size);

#endif
