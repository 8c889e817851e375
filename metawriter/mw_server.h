/* mw_server: metawriter's CMD_MW_BATCH server. Each batch is parsed into
 * its Redis writes (mw_ops), queued, applied by the apply script over
 * mw_redis, and only then acknowledged. A resent batch that is still
 * queued is not queued twice: the new request waits for the same apply.
 * While Redis is down the queue holds up to max_pending batches /
 * max_pending_bytes; past that new batches get "retry later" (status 1)
 * and stay with their sender, who keeps them on disk. */
#ifndef MW_SERVER_H
#define MW_SERVER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include "metawriter/mw_redis.h"

typedef struct mw_server_cfg {
    const char *listen;
    const char **allow;        /* NULL-terminated or NULL */
    const char *coin;
    long dedup_ttl;            /* seconds a batch mark is kept in Redis */
    size_t max_pending;
    size_t max_pending_bytes;
    size_t pipeline;
} mw_server_cfg;

typedef struct mw_server_stats {
    uint64_t received;         /* requests */
    uint64_t applied;          /* batches applied */
    uint64_t duplicates;       /* batches already applied before */
    uint64_t records;          /* records in applied batches */
    uint64_t writes;           /* Redis writes in applied batches */
    uint64_t write_errors;     /* writes Redis refused inside applied batches */
    uint64_t failures;         /* apply attempts that failed (retried) */
    uint64_t refused_busy;     /* requests answered "retry later" */
    uint64_t refused_bad;      /* requests answered "bad" */
    size_t pending;            /* batches queued now */
    size_t pending_bytes;
} mw_server_stats;

typedef struct mw_server mw_server;

mw_server *mw_server_create(struct ev_loop *loop, const mw_server_cfg *cfg, mw_redis *redis);
int mw_server_start(mw_server *s);
void mw_server_free(mw_server *s);
void mw_server_get_stats(const mw_server *s, mw_server_stats *out);

#endif
