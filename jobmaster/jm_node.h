/* jm_node: asynchronous node JSON-RPC for the loop. Each call runs
 * ut_node_call in an nw_job worker thread (one ut_node_conn per thread);
 * the callback runs on the loop thread with the result or an error.
 *
 * Two lanes, each an nw_job pool with threads of its own:
 *   routine  jm_node_call: template polls and tip checks. `threads`
 *            workers, at most JM_NODE_MAX_PENDING calls waiting; a full
 *            queue refuses the call.
 *   urgent   jm_node_call_urgent: found blocks (submitblock and the tip
 *            check after it). JM_NODE_URGENT_THREADS workers, no queue
 *            limit: an urgent call never waits behind routine ones (a slow
 *            getblocktemplate cannot delay a block) and is never refused
 *            for a full queue. */
#ifndef JM_NODE_H
#define JM_NODE_H

#include <ev.h>
#include <jansson.h>
#include <stddef.h>
#include "utils/ut_node.h"

#define JM_NODE_MAX_PENDING 256
#define JM_NODE_URGENT_THREADS 2

typedef struct jm_node jm_node;

/* result: borrowed, valid during the call (NULL on error); err: NULL on
 * success, else the reason ("node 127.0.0.1:8332: -8: ..."). */
typedef void (*jm_node_cb)(json_t *result, const char *err, void *arg);
/* The same with ut_node_call's code: 0, UT_NODE_ERR_TRANSPORT (no node
 * answered: worth retrying) or UT_NODE_ERR_NODE (the node's error object:
 * final). */
typedef void (*jm_node_rc_cb)(json_t *result, int rc, const char *err, void *arg);

/* threads 0: no routine lane (jm_node_call refuses every call); jm_submit
 * uses such urgent-only jm_nodes, one per configured node. */
jm_node *jm_node_create(struct ev_loop *loop, const ut_node_cfg *cfg, int threads);
/* Stops the workers of both lanes. Calls that had finished get their
 * callback during this; calls never started are dropped without one. */
void jm_node_free(jm_node *node);

/* Routine lane: queues method(params); params is stolen (NULL = []).
 * Returns 0, or -1 when the queue is full (cb will not run). */
int jm_node_call(jm_node *node, const char *method, json_t *params, jm_node_cb cb, void *arg);
/* Urgent lane: the same, for found blocks. Returns 0, or -1 only when out
 * of memory (cb will not run). */
int jm_node_call_urgent(jm_node *node, const char *method, json_t *params, jm_node_rc_cb cb,
                        void *arg);
/* Calls not finished yet, both lanes. */
size_t jm_node_pending(const jm_node *node);

#endif
