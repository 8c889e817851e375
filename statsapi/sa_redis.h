/* sa_redis: the refresh thread of the statistics service. It alone talks
 * to Redis (its own synchronous connection, read-only commands) and to the
 * jobmaster, and writes what it read into the store under its lock:
 *   - every `rescan` seconds a SCAN of <coin>:s:* finds users and workers
 *     (and every refresh the new entries of the `newworker` list);
 *   - every `refresh` seconds, pipelined HMGETs of the minute fields not
 *     yet read (the last 3 minutes again, which senders may still be
 *     adding to) of the pool keys <coin>:m:{pow,share,reject,stale} and of
 *     the user and worker keys <coin>:{p,s,st}:<who> and <coin>:s:<who>:reject;
 *     a worker with no accepted share for an hour is read every
 *     `idle_refresh` seconds only; the first read of an entity takes the
 *     last hour (SA_FIRST_MINUTES), so a start with many workers serves
 *     soon (loading false); the older minutes of the 24 h window are
 *     back-filled afterwards, in the spare time of each round, until
 *     every entity has them (history_loading false);
 *   - the `newblock` list (only its new entries) and <coin>:m:block, whose
 *     minute counts give each block its minute;
 *   - the jobmaster's /status: network difficulty, height, reward.
 * Pipelines are cut every SA_PIPE commands so other Redis clients (the
 * metawriter) are served between them. */
#ifndef SA_REDIS_H
#define SA_REDIS_H

#include <hiredis/hiredis.h>
#include "statsapi/sa_config.h"
#include "statsapi/sa_store.h"

typedef struct sa_redis sa_redis;

/* Starts the thread (the store must outlive it). NULL when it cannot. */
sa_redis *sa_redis_start(sa_store *st, const sa_config *cfg);
/* A blocking connection to the configured Redis (timeouts set, AUTH and
 * SELECT done); NULL with the reason in err. Shared by the refresh thread
 * and the series reader. */
redisContext *sa_redis_open(const ut_cfg_redis *rc, char *err, size_t errlen);
/* Stops the thread (within a second or the Redis timeout) and frees r. */
void sa_redis_stop(sa_redis *r);

/* Splits a <coin>:s: key's rest ("user", "user:worker", "user:reject",
 * "user:worker:reject") into user and worker (worker "" for the user-level
 * key). Returns 0 for a user-level key, 1 for a worker key, -1 for a name
 * that is not one (too long). */
int sa_key_split(const char *rest, char *user, char *worker, size_t cap);

#endif
