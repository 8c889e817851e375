/* bm_server: the blockmaster process: the authenticated RPC listener
 * where jobmasters push CMD_BM_BLOCK (thin blocks), the rebuild of each
 * block from the mempool copy (bm_mempool), the CMD_BM_GETTXN /
 * CMD_BM_GETBLOCK requests back to the sending jobmaster for what is
 * missing or when the rebuild fails, submitblock to this site's node and
 * CMD_BP_BLOCK to the local bitpeers. bm_http reads it. */
#ifndef BM_SERVER_H
#define BM_SERVER_H

#include <ev.h>
#include "blockmaster/bm_config.h"
#include "blockmaster/bm_mempool.h"
#include "blockmaster/bm_node.h"
#include "utils/ut_rpc_link.h"
#include "utils/ut_status.h"

#define BM_SEEN 32             /* recent block hashes: a block from two jobmasters is rebuilt once */

typedef struct bm_last {
    char hash[65];
    unsigned height;
    char mode[8];              /* "thin" or "full" */
    char result[96];           /* "accepted", the node's reason, or why it failed */
    char fallback[64];         /* why the thin rebuild was given up, "" when it was not */
    size_t size, txs, from_mempool, fetched;
    uint64_t thin_bytes, fetch_bytes, full_bytes;   /* link bodies of this block */
    double seconds;            /* thin block read -> node answered submitblock */
} bm_last;

typedef struct bm_stats {
    uint64_t blocks, thin_ok, full, failed, accepted, rejected, duplicates, bad_requests;
    uint64_t txs_fetched, thin_bytes, fetch_bytes, full_bytes, block_bytes;
    uint64_t bitpeer_sent;
    bm_last last;
} bm_stats;

typedef struct bm_server {
    struct ev_loop *loop;
    const bm_config *cfg;
    bm_node *node;
    bm_mempool *mempool;
    ut_rpc_svr *rpc;
    ut_rpc_clt **bitpeers;
    size_t bitpeer_count;
    ut_status *http;
    bm_stats st;
    uint8_t seen[BM_SEEN][32];
    size_t seen_next;
} bm_server;

bm_server *bm_server_create(struct ev_loop *loop, const bm_config *cfg);
void bm_server_free(bm_server *srv);
size_t bm_server_jobmasters(const bm_server *srv);
size_t bm_server_bitpeers_up(const bm_server *srv);

#endif
