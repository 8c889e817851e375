/* pb_server: the poolbench process: one pb_pool per configured pool, the
 * "rpc" listener jobmasters connect to, and the rule that turns notifies
 * into CMD_PB_TIP pushes:
 *
 *   a notify whose BIP34 height is above every height seen so far (from any
 *   pool) means that pool builds on a block we may not have yet: push
 *   {"height": height - 1, "hash": its prevhash, "bits", "time" (ntime),
 *   "version", "pool"} to every connected jobmaster at once. jobmaster
 *   itself compares with its current job (jm_server's new-tip entry point)
 *   and makes an empty-block job only when the tip is ahead of it.
 *
 * The highest tip is pushed again to a jobmaster that connects later.
 * Limits: a pool that lies about its height moves the bar up for the
 * others until the real chain passes it (poolbench keeps no chain). */
#ifndef PB_SERVER_H
#define PB_SERVER_H

#include <ev.h>
#include <stdint.h>
#include "poolbench/pb_config.h"
#include "poolbench/pb_pool.h"
#include "utils/ut_rpc_link.h"
#include "utils/ut_status.h"

typedef struct pb_server {
    struct ev_loop *loop;
    const pb_config *cfg;
    double started;
    pb_pool *pools[PB_MAX_POOLS];
    size_t pool_count;
    ut_rpc_svr *rpc;
    ut_status *http;
    uint32_t best_height;        /* highest notify height seen, 0 before */
    char best_body[512];         /* the last CMD_PB_TIP body, "" before */
    uint64_t tips_sent;          /* CMD_PB_TIP bodies made (each to every jobmaster) */
    double last_tip_seconds;     /* notify line read -> pushes written, last tip */
} pb_server;

pb_server *pb_server_create(struct ev_loop *loop, const pb_config *cfg);
void pb_server_free(pb_server *srv);
size_t pb_server_jobmasters(const pb_server *srv);

/* The CMD_PB_TIP body for notify n from pool name into out. 0, or -1 when
 * it does not fit or n's height is 0 (no block below it). */
int pb_tip_body(const ut_snotify *n, const char *name, char *out, size_t cap);

#endif
