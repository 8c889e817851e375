/* mw_redis: metawriter's one connection to Redis (hiredis async on the
 * libev loop). Reconnects by itself with backoff, authenticates, selects
 * the db and loads the scripts on every connect; commands are pipelined.
 * A connection that leaves a command unanswered for `timeout` seconds is
 * dropped. Every callback is called exactly once: with the reply, or with
 * NULL when the connection went away before the reply came. */
#ifndef MW_REDIS_H
#define MW_REDIS_H

#include <ev.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include "metawriter/mw_ops.h"

typedef struct mw_redis_cfg {
    const char *host;      /* numeric address; default 127.0.0.1 */
    int port;              /* default 6379 */
    int db;
    const char *password;  /* NULL or "": no AUTH */
    double timeout;        /* seconds a command may stay unanswered; default 10 */
} mw_redis_cfg;

typedef struct mw_redis mw_redis;

/* reply is NULL when the connection was lost; err then says why. */
typedef void (*mw_redis_cb)(redisReply *reply, const char *err, void *arg);

/* Result of applying one batch. */
typedef enum { MW_APPLY_FAILED = -1, MW_APPLY_DUPLICATE = 0, MW_APPLY_APPLIED = 1 } mw_apply_result;
/* errors: writes Redis refused inside an applied batch (first_error says
 * the first). */
typedef void (*mw_apply_cb)(mw_apply_result res, long long errors, const char *first_error,
                            void *arg);

mw_redis *mw_redis_create(struct ev_loop *loop, const mw_redis_cfg *cfg);
int mw_redis_start(mw_redis *r);
/* Fails every pending command (callbacks run) and frees. */
void mw_redis_free(mw_redis *r);

/* Connected, authenticated and the scripts loaded. */
bool mw_redis_ready(const mw_redis *r);
size_t mw_redis_inflight(const mw_redis *r);
/* Called each time the connection becomes ready (to resume work). */
void mw_redis_on_ready(mw_redis *r, void (*fn)(void *arg), void *arg);

/* Applies one batch with the apply script. ttl: seconds the batch mark is
 * kept. Returns 0, or -1 when not ready (cb is then not called). */
int mw_redis_apply(mw_redis *r, const mw_ops *ops, long ttl, mw_apply_cb cb, void *arg);

/* Any command; the sweep uses it. Returns 0, or -1 when not ready. */
int mw_redis_command(mw_redis *r, int argc, const char **argv, const size_t *lens,
                     mw_redis_cb cb, void *arg);

/* The SHA of the sweep script (for EVALSHA through mw_redis_command). */
const char *mw_redis_sweep_sha(const mw_redis *r);

#endif
