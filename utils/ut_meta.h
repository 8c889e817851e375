/* ut_meta: the sending side of the accounting path, used by gateway (and
 * later mineragent). Aggregates counts per unix minute, per user and per
 * user:worker, plus system counters and events, and ships them as batches
 * with an identity (source id + batch sequence) to metarelay or metawriter
 * over ut_rpc_link (CMD_MW_BATCH). A batch is kept until acknowledged,
 * spooled to disk (spool_dir) when the next hop is down, and replayed after
 * a restart, so every count reaches Redis exactly once. */
#ifndef UT_META_H
#define UT_META_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct ut_meta_cfg {
    const char *coin;          /* key prefix, e.g. "btc" */
    const char *host;          /* this host's name in <coin>:mh:<host>:<key> */
    const char *source_id;     /* unique and stable per sender process, e.g. "gw1-p0" */
    const char *upstream;      /* "tcp@127.0.0.1:7601": metarelay or metawriter */
    const char *spool_dir;     /* unacknowledged batches live here */
    double flush_interval;     /* seconds between batches; default 10 */
    size_t max_spool_bytes;    /* past this, the oldest spooled data is kept and new
                                  data is refused with a FATAL log; default 1 GiB */
} ut_meta_cfg;

typedef struct ut_meta ut_meta;

/* Returns NULL (with a log line) when the spool dir cannot be used. */
ut_meta *ut_meta_create(struct ev_loop *loop, const ut_meta_cfg *cfg);
int ut_meta_start(ut_meta *m);
/* Flushes the current minute into a batch and spools what is unacknowledged. */
void ut_meta_free(ut_meta *m);

/* One share. accepted: counts s/p/g for user and user:worker; rejected:
 * counts the ":reject" share key. diff is the share difficulty, goal is
 * diff / network difficulty. worker may be "" (user-level key only). */
void ut_meta_share(ut_meta *m, const char *user, const char *worker, double diff,
                   double goal, bool accepted);
/* A block the node accepted: the block counter and a newblock event. */
void ut_meta_block(ut_meta *m, const char *user, const char *worker, const char *hash);
/* newevent: event is "connected" or "disconnected"; peer is the host. */
void ut_meta_event(ut_meta *m, const char *user, const char *worker, const char *peer,
                   const char *event);
/* newworker: the first time this process sees user.worker. */
void ut_meta_new_worker(ut_meta *m, const char *user, const char *worker);
/* Current connection count (sampled into the minute as the connections key). */
void ut_meta_connections(ut_meta *m, int64_t n);

/* For /metrics and status: batches waiting for an ack, bytes spooled. */
size_t ut_meta_pending(const ut_meta *m);
uint64_t ut_meta_spooled_bytes(const ut_meta *m);

#endif
