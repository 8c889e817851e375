/* bm_node: calls to this site's node from the loop without blocking it
 * (ut_node in nw_job worker threads). One call is one JSON-RPC method, or
 * a batch of getrawtransaction calls (the mempool fill). */
#ifndef BM_NODE_H
#define BM_NODE_H

#include <ev.h>
#include <jansson.h>
#include "utils/ut_node.h"

typedef struct bm_node bm_node;

/* On the loop: result (borrowed; NULL on failure, err says why). For
 * bm_node_txs the result is an array with one hex string, or null when
 * the node no longer had it, per txid asked. */
typedef void (*bm_node_cb)(const json_t *result, const char *err, void *arg);

bm_node *bm_node_create(struct ev_loop *loop, const ut_node_cfg *cfg, int threads);
void bm_node_free(bm_node *n);
/* params is stolen. 0, or -1 (cb not called). */
int bm_node_call(bm_node *n, const char *method, json_t *params, bm_node_cb cb, void *arg);
/* txids: a JSON array of hex txids (stolen). */
int bm_node_txs(bm_node *n, json_t *txids, bm_node_cb cb, void *arg);

#endif
