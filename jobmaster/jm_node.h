/* jm_node: asynchronous node JSON-RPC for the loop. Each call runs
 * ut_node_call in an nw_job worker thread (one ut_node_conn per thread);
 * the callback runs on the loop thread with the result or an error. */
#ifndef JM_NODE_H
#define JM_NODE_H

#include <ev.h>
#include <jansson.h>
#include <stddef.h>
#include "utils/ut_node.h"

typedef struct jm_node jm_node;

/* result: borrowed, valid during the call (NULL on error); err: NULL on
 * success, else the reason ("node 127.0.0.1:8332: -8: ..."). */
typedef void (*jm_node_cb)(json_t *result, const char *err, void *arg);

jm_node *jm_node_create(struct ev_loop *loop, const ut_node_cfg *cfg, int threads);
/* Stops the workers. Calls that had finished get their callback during
 * this; calls never started are dropped without one. */
void jm_node_free(jm_node *node);

/* Queues method(params); params is stolen (NULL = []). Returns 0, or -1
 * when the queue is full (cb will not run). */
int jm_node_call(jm_node *node, const char *method, json_t *params, jm_node_cb cb, void *arg);
size_t jm_node_pending(const jm_node *node);

#endif
