/* jm_server: the jobmaster process state and the wiring between its parts:
 * templates from jm_poller become jobs (jm_job) kept in jm_jobs and pushed
 * through jm_gateway; found blocks from jm_gateway are rebuilt (jm_block),
 * checked and handed to jm_submit, whose verdict goes back to the gateways.
 * jm_http reads this struct for /status and /metrics. */
#ifndef JM_SERVER_H
#define JM_SERVER_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "jobmaster/jm_bitpeer.h"
#include "jobmaster/jm_bmaster.h"
#include "jobmaster/jm_config.h"
#include "jobmaster/jm_gateway.h"
#include "jobmaster/jm_jobs.h"
#include "jobmaster/jm_node.h"
#include "jobmaster/jm_notify.h"
#include "jobmaster/jm_poller.h"
#include "jobmaster/jm_poolbench.h"
#include "jobmaster/jm_submit.h"
#include "network/nw_timer.h"
#include "utils/ut_status.h"

typedef struct jm_stats {
    uint64_t jobs;
    uint64_t clean_jobs;
    uint64_t blocks_found;        /* BLOCK_FOUND requests for a known job */
    uint64_t blocks_accepted;
    uint64_t blocks_rejected;     /* by the node or by our own checks */
    uint64_t blocks_bad_pow;      /* hash above the network target: gateway bug */
    uint64_t blocks_unknown_job;
    json_t *last_block;           /* the last verdict (BLOCK_RESULT form) or NULL */
    /* new-tip signals and empty-block jobs (jm_empty) */
    uint64_t tip_signals;         /* CMD_BP_TIP / blocknotify tips received */
    uint64_t tip_bad;             /* signals that did not decode or check */
    uint64_t empty_jobs;
    double empty_signal_ms;       /* signal read -> empty job pushed, last one */
    double empty_signal_ms_sum;
    uint64_t empty_replaced;      /* empty jobs replaced by a full template */
    double empty_replaced_ms;     /* empty job -> full job on its tip, last one */
    double empty_replaced_ms_sum;
    uint64_t templates_dropped;   /* node templates below the empty job's tip */
    uint64_t bitpeer_blocks;      /* found blocks handed to bitpeers (links) */
    uint64_t bmaster_blocks;      /* found blocks sent thin to blockmasters (links) */
} jm_stats;

typedef struct jm_server {
    struct ev_loop *loop;
    const jm_config *cfg;
    double started;
    bool stopping;                /* jm_server_free has begun */
    uint64_t last_job_id;
    jm_node *node;
    jm_poller *poller;
    jm_jobs jobs;
    jm_gateway *gw;
    jm_submit *submit;
    ut_node_cfg submit_cfg[JM_MAX_NODES]; /* one node each: blocks go to all at once */
    jm_node *submit_nodes[JM_MAX_NODES];  /* urgent-only jm_nodes on submit_cfg */
    size_t submit_node_count;
    jm_notify *notify;
    ut_status *http;
    jm_bitpeer *bitpeer;          /* NULL without "bitpeer" in the config */
    jm_poolbench *poolbench;      /* NULL without "poolbench" in the config */
    jm_bmaster *bmaster;          /* NULL without "blockmaster" in the config */
    nw_timer empty_retry;         /* asks the node again while it lags the empty job */
    jm_stats stats;
} jm_server;

/* Creates and starts every part (listeners bound, first template asked
 * for). Returns NULL after logging what failed. */
jm_server *jm_server_create(struct ev_loop *loop, const jm_config *cfg);
void jm_server_free(jm_server *srv);

/* The newest job, or NULL before the first template. */
const jm_job *jm_server_current_job(const jm_server *srv);

#endif
