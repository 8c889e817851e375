/* pb_pool: a Stratum V1 client to one other pool. It subscribes and
 * authorizes with the configured user, never submits, and hands every
 * mining.notify that decodes (ut_snotify) to on_notify. Reconnects by
 * itself with backoff (nw_clt: reconnect_min doubling up to
 * reconnect_max; a pool that refuses authorization or closes on us counts
 * as a failed attempt, so it is not hammered); a pool silent for
 * idle_timeout seconds is reconnected. */
#ifndef PB_POOL_H
#define PB_POOL_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include "poolbench/pb_config.h"
#include "utils/ut_snotify.h"

typedef struct pb_pool pb_pool;

typedef struct pb_pool_stats {
    uint64_t connects;          /* connections made */
    uint64_t notifies;          /* mining.notify that decoded */
    uint64_t bad_notifies;      /* mining.notify that did not */
    uint64_t tips;              /* notifies that moved above every height seen before */
    bool subscribed, authorized;
    uint32_t height;            /* of the block its last notify builds */
    char prev_hex[65];          /* its last notify's prevhash (display order) */
    double last_notify;         /* ev_time of it, 0 before */
    char last_error[160];
} pb_pool_stats;

/* n: the notify; t0: ev_time when its line was read. */
typedef void (*pb_pool_notify_cb)(pb_pool *p, const ut_snotify *n, double t0, void *arg);

pb_pool *pb_pool_create(struct ev_loop *loop, const pb_pool_cfg *cfg, double reconnect_min,
                        double reconnect_max, double idle_timeout, pb_pool_notify_cb cb,
                        void *arg);
int pb_pool_start(pb_pool *p);
void pb_pool_free(pb_pool *p);
const char *pb_pool_name(const pb_pool *p);
bool pb_pool_up(const pb_pool *p);
pb_pool_stats *pb_pool_stats_of(pb_pool *p);

#endif
