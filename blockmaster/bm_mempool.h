/* bm_mempool: this site's node's mempool, kept in memory so a thin block
 * can be matched at once: every mempool_poll seconds getrawmempool (txids),
 * then getrawtransaction for the txids not held yet; transactions gone
 * from the node's mempool are dropped on the next poll. Each kept
 * transaction carries its wtxid (the short ids of ut_thin are computed
 * from it under each block's own key when a block arrives: ~0.1 us each). */
#ifndef BM_MEMPOOL_H
#define BM_MEMPOOL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include "blockmaster/bm_node.h"
#include "utils/ut_thin.h"

typedef struct bm_mempool bm_mempool;

typedef struct bm_mempool_stats {
    uint64_t polls, poll_errors, fetched, fetch_misses, dropped;
    double last_poll;          /* ev_time of the last complete poll, 0 before */
} bm_mempool_stats;

bm_mempool *bm_mempool_create(struct ev_loop *loop, bm_node *node, double interval,
                              size_t max);
void bm_mempool_free(bm_mempool *m);
size_t bm_mempool_count(const bm_mempool *m);
const bm_mempool_stats *bm_mempool_get_stats(const bm_mempool *m);
/* Every kept transaction as an array (malloc'd; borrowed bytes stay valid
 * until the next poll result is applied: use it at once, on the loop). */
ut_thin_have *bm_mempool_list(const bm_mempool *m, size_t *n);

#endif
