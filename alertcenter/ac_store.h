/* ac_store: alertcenter's Redis, on a thread of its own (hiredis, blocking,
 * in an nw_job worker): the loop hands over a pipeline of commands and gets
 * the replies back in a callback, never waiting for Redis. Every alert is
 * kept in a capped list (LPUSH + LTRIM, newest first, as the seed's
 * alertcenter did) and counted per key (HINCRBY on a hash); the readers
 * (ac_health, ac_miner) run their HMGET/LRANGE pipelines the same way.
 * While Redis is down a pipeline fails (its callback gets NULL) and the
 * connection is tried again with the next one; alert writes waiting then
 * are bounded (AC_STORE_MAX_PENDING pipelines), more are counted as lost. */
#ifndef AC_STORE_H
#define AC_STORE_H

#include <ev.h>
#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "network/nw_buf.h"

#define AC_STORE_MAX_PENDING 64

typedef struct ac_store_cfg {
    const char *host;
    int port, db;
    const char *password;
    double timeout;
    const char *list;          /* "alert:list" */
    size_t list_max;
    const char *counts;        /* "alert:count" */
} ac_store_cfg;

/* A pipeline being built: commands in Redis' wire format. */
typedef struct ac_cmds {
    nw_buf wire;
    size_t n;
} ac_cmds;

/* Appends one command (hiredis format: "HMGET %s %s", "%b" for binary). */
int ac_cmds_add(ac_cmds *c, const char *fmt, ...);
void ac_cmds_free(ac_cmds *c);

/* replies[i] answers command i; replies NULL when the pipeline failed. */
typedef void (*ac_store_cb)(redisReply **replies, size_t n, void *arg);

typedef struct ac_store ac_store;

ac_store *ac_store_create(struct ev_loop *loop, const ac_store_cfg *cfg);
void ac_store_free(ac_store *s);
/* Runs the pipeline (taken over: c is empty afterwards). 0, or -1 when
 * too many are pending (cb is not called then). */
int ac_store_run(ac_store *s, ac_cmds *c, ac_store_cb cb, void *arg);
/* Queues one alert's JSON and key; written with the next flush (every
 * 0.2 s, one pipeline for all alerts since the last). */
void ac_store_alert(ac_store *s, const char *json, const char *key);

typedef struct ac_store_stats {
    uint64_t stored;           /* alerts written */
    uint64_t lost;             /* alerts not written (Redis down too long) */
    uint64_t failures;         /* pipelines that failed */
    int up;                    /* the last pipeline succeeded */
} ac_store_stats;
void ac_store_stats_get(const ac_store *s, ac_store_stats *out);

#endif
