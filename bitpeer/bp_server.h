/* bp_server: the bitpeer process state and the wiring between its parts:
 * the P2P peers (bp_peer), found-block pushes (bp_push), the tip watch
 * (bp_watch) and the internal RPC listener where jobmasters connect:
 * CMD_BP_BLOCK and CMD_BP_BEST come in, CMD_BP_TIP goes out to every
 * jobmaster link the moment a peer shows a new tip. bp_http reads it. */
#ifndef BP_SERVER_H
#define BP_SERVER_H

#include <ev.h>
#include "bitpeer/bp_config.h"
#include "bitpeer/bp_peer.h"
#include "bitpeer/bp_push.h"
#include "bitpeer/bp_watch.h"
#include "utils/ut_rpc_link.h"
#include "utils/ut_status.h"

typedef struct bp_server_stats {
    uint64_t tips_sent;        /* CMD_BP_TIP pushes (per signal, not per link) */
    uint64_t orphan_headers;   /* headers with an unknown parent (getheaders sent) */
    uint64_t bad_pow;
    uint64_t bad_requests;     /* malformed CMD_BP_* bodies */
    double last_tip_ms;        /* P2P message read -> CMD_BP_TIP written, last one */
} bp_server_stats;

typedef struct bp_server {
    struct ev_loop *loop;
    const bp_config *cfg;
    double started;
    bp_peer **peers;
    size_t peer_count;
    bp_push *push;
    bp_watch *watch;
    ut_rpc_svr *rpc;
    ut_status *http;
    bp_server_stats st;
    double msg_t0;             /* ev_time when the current P2P message was taken */
} bp_server;

bp_server *bp_server_create(struct ev_loop *loop, const bp_config *cfg);
void bp_server_free(bp_server *srv);
size_t bp_server_ready_peers(const bp_server *srv);
size_t bp_server_jobmasters(const bp_server *srv);

#endif
