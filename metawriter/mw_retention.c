/* mw_retention: the retention sweep of metawriter (see mw_retention.h).
 * A sweep is a chain of Redis callbacks:
 *   GET mw:retention:<coin> -> (SCAN page -> EVALSHA sweep)* -> SET cutoff. */
#include "metawriter/mw_retention.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_log.h"

#define MW_FULL_EVERY 24
#define MW_MAX_GAP (7 * 86400)
#define MW_SCAN_COUNT "500"

struct mw_retention {
    struct ev_loop *loop;
    mw_redis *redis;
    char *coin;
    char state_key[128];
    char match[128];
    int64_t days;
    double interval;
    ev_timer timer;
    bool busy;
    int64_t from, to;          /* this sweep: from 0 = every field */
    char cursor[32];
    uint64_t sweeps, deleted, sweep_deleted;
    bool closing;
};

static void mw_ret_scan(mw_retention *t);

static void mw_ret_fail(mw_retention *t, const char *step, redisReply *reply, const char *err)
{
    t->busy = false;
    if (!t->closing)
        log_error("retention %s: %s failed: %s; next try in %.0fs", t->coin, step,
                  reply && reply->type == REDIS_REPLY_ERROR ? reply->str
                                                            : (err ? err : "bad reply"),
                  t->interval);
}

static void mw_ret_on_set(redisReply *reply, const char *err, void *arg)
{
    mw_retention *t = arg;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        mw_ret_fail(t, "SET cutoff", reply, err);
        return;
    }
    t->busy = false;
    t->sweeps++;
    log_info("retention %s: %s sweep done, cutoff %" PRId64 ", %" PRIu64 " fields deleted",
             t->coin, t->from ? "incremental" : "full", t->to, t->sweep_deleted);
}

static void mw_ret_finish(mw_retention *t)
{
    char to[24];
    snprintf(to, sizeof(to), "%" PRId64, t->to);
    const char *argv[] = {"SET", t->state_key, to};
    size_t lens[] = {3, strlen(t->state_key), strlen(to)};
    if (mw_redis_command(t->redis, 3, argv, lens, mw_ret_on_set, t) != 0)
        mw_ret_fail(t, "SET cutoff", NULL, "redis not ready");
}

static void mw_ret_on_sweep(redisReply *reply, const char *err, void *arg)
{
    mw_retention *t = arg;
    if (!reply || reply->type != REDIS_REPLY_INTEGER) {
        mw_ret_fail(t, "sweep script", reply, err);
        return;
    }
    t->deleted += (uint64_t)reply->integer;
    t->sweep_deleted += (uint64_t)reply->integer;
    if (strcmp(t->cursor, "0") == 0)
        mw_ret_finish(t);
    else
        mw_ret_scan(t);
}

/* Runs the sweep script over one SCAN page of keys. */
static void mw_ret_sweep_page(mw_retention *t, redisReply *keys)
{
    size_t n = keys->elements, argc = 5 + n;
    const char **argv = malloc(argc * sizeof(*argv));
    size_t *lens = malloc(argc * sizeof(*lens));
    char from[24], to[24];
    snprintf(from, sizeof(from), "%" PRId64, t->from);
    snprintf(to, sizeof(to), "%" PRId64, t->to);
    int rc = -1;
    if (argv && lens) {
        argv[0] = "EVALSHA";
        argv[1] = mw_redis_sweep_sha(t->redis);
        argv[2] = "0";
        argv[3] = from;
        argv[4] = to;
        for (size_t i = 0; i < n; i++)
            argv[5 + i] = keys->element[i]->str;
        for (size_t i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        rc = mw_redis_command(t->redis, (int)argc, argv, lens, mw_ret_on_sweep, t);
    }
    free(argv);
    free(lens);
    if (rc != 0)
        mw_ret_fail(t, "sweep script", NULL, "redis not ready");
}

static void mw_ret_on_scan(redisReply *reply, const char *err, void *arg)
{
    mw_retention *t = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        mw_ret_fail(t, "SCAN", reply, err);
        return;
    }
    snprintf(t->cursor, sizeof(t->cursor), "%s", reply->element[0]->str);
    if (reply->element[1]->elements > 0)
        mw_ret_sweep_page(t, reply->element[1]);
    else if (strcmp(t->cursor, "0") == 0)
        mw_ret_finish(t);
    else
        mw_ret_scan(t);
}

static void mw_ret_scan(mw_retention *t)
{
    const char *argv[] = {"SCAN", t->cursor, "MATCH", t->match, "COUNT", MW_SCAN_COUNT,
                          "TYPE", "hash"};
    size_t lens[8];
    for (int i = 0; i < 8; i++)
        lens[i] = strlen(argv[i]);
    if (mw_redis_command(t->redis, 8, argv, lens, mw_ret_on_scan, t) != 0)
        mw_ret_fail(t, "SCAN", NULL, "redis not ready");
}

static void mw_ret_on_get(redisReply *reply, const char *err, void *arg)
{
    mw_retention *t = arg;
    if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_NIL)) {
        mw_ret_fail(t, "GET cutoff", reply, err);
        return;
    }
    int64_t last = reply->type == REDIS_REPLY_STRING ? strtoll(reply->str, NULL, 10) : 0;
    int64_t now = (int64_t)floor(ev_now(t->loop));
    t->to = now - now % 60 - t->days * 86400;
    t->from = last;
    if (last <= 0 || last % 60 != 0 || t->to - last > MW_MAX_GAP ||
        t->sweeps % MW_FULL_EVERY == 0)
        t->from = 0;
    if (t->from && t->from >= t->to) {
        t->busy = false;
        return;
    }
    snprintf(t->cursor, sizeof(t->cursor), "0");
    t->sweep_deleted = 0;
    mw_ret_scan(t);
}

static void mw_ret_start_sweep(mw_retention *t)
{
    if (t->busy || !mw_redis_ready(t->redis))
        return;
    t->busy = true;
    const char *argv[] = {"GET", t->state_key};
    size_t lens[] = {3, strlen(t->state_key)};
    if (mw_redis_command(t->redis, 2, argv, lens, mw_ret_on_get, t) != 0)
        mw_ret_fail(t, "GET cutoff", NULL, "redis not ready");
}

static void mw_ret_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    mw_retention *t = w->data;
    mw_ret_start_sweep(t);
    ev_timer_set(w, t->interval, 0);
    ev_timer_start(loop, w);
}

mw_retention *mw_retention_create(struct ev_loop *loop, mw_redis *redis, const char *coin,
                                  int64_t retention_days, double interval)
{
    mw_retention *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->loop = loop;
    t->redis = redis;
    t->coin = strdup(coin);
    t->days = retention_days;
    t->interval = interval > 0 ? interval : 3600;
    snprintf(t->state_key, sizeof(t->state_key), "mw:retention:%s", coin);
    snprintf(t->match, sizeof(t->match), "%s:*", coin);
    ev_timer_init(&t->timer, mw_ret_on_timer, 0, 0);
    t->timer.data = t;
    if (!t->coin) {
        free(t);
        return NULL;
    }
    return t;
}

void mw_retention_start(mw_retention *t, double first_delay)
{
    ev_timer_stop(t->loop, &t->timer);
    ev_timer_set(&t->timer, first_delay, 0);
    ev_timer_start(t->loop, &t->timer);
}

/* The caller frees the mw_redis first, so no command of ours is pending. */
void mw_retention_free(mw_retention *t)
{
    if (!t)
        return;
    t->closing = true;
    ev_timer_stop(t->loop, &t->timer);
    free(t->coin);
    free(t);
}

bool mw_retention_busy(const mw_retention *t)
{
    return t->busy;
}

uint64_t mw_retention_sweeps(const mw_retention *t)
{
    return t->sweeps;
}

uint64_t mw_retention_deleted(const mw_retention *t)
{
    return t->deleted;
}
