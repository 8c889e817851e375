/* mw_redis: the async Redis connection of metawriter (see mw_redis.h). */
#include "metawriter/mw_redis.h"

#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metawriter/mw_script.h"
#include "utils/ut_log.h"

#define MW_RECONNECT_MIN 0.1
#define MW_RECONNECT_MAX 5.0
#define MW_WATCH 0.5

struct mw_redis {
    struct ev_loop *loop;
    char *host, *password;
    int port, db;
    double timeout;
    redisAsyncContext *ac;
    bool connected, ready, closing;
    size_t inflight;
    double busy_since;        /* last progress while commands are pending */
    double backoff;
    char apply_sha[41], sweep_sha[41];
    void (*on_ready)(void *arg);
    void *on_ready_arg;
    ev_timer reconnect, watch;
};

/* One command's callback and its argument. */
typedef struct mw_call {
    mw_redis *r;
    mw_redis_cb cb;
    void *arg;
} mw_call;

static void mw_redis_connect(mw_redis *r);

static void mw_schedule_reconnect(mw_redis *r)
{
    if (r->closing)
        return;
    r->backoff = r->backoff ? r->backoff * 2 : MW_RECONNECT_MIN;
    if (r->backoff > MW_RECONNECT_MAX)
        r->backoff = MW_RECONNECT_MAX;
    ev_timer_stop(r->loop, &r->reconnect);
    ev_timer_set(&r->reconnect, r->backoff, 0);
    ev_timer_start(r->loop, &r->reconnect);
}

static void mw_on_call(redisAsyncContext *ac, void *reply, void *privdata)
{
    mw_call *c = privdata;
    mw_redis *r = c->r;
    r->inflight--;
    r->busy_since = ev_now(r->loop);
    if (!reply)
        r->ready = false;          /* the connection is going away */
    const char *err = reply ? NULL : (ac->errstr[0] ? ac->errstr : "connection lost");
    c->cb(reply, err, c->arg);
    free(c);
}

/* Sends without checking readiness (connect-time commands use it too). */
static int mw_send(mw_redis *r, int argc, const char **argv, const size_t *lens,
                   mw_redis_cb cb, void *arg)
{
    if (!r->ac || !r->connected)
        return -1;
    mw_call *c = malloc(sizeof(*c));
    if (!c)
        return -1;
    *c = (mw_call){.r = r, .cb = cb, .arg = arg};
    if (redisAsyncCommandArgv(r->ac, mw_on_call, c, argc, argv, lens) != REDIS_OK) {
        free(c);
        return -1;
    }
    if (r->inflight++ == 0)
        r->busy_since = ev_now(r->loop);
    return 0;
}

static void mw_on_setup(redisReply *reply, const char *err, void *arg)
{
    const char *what = arg;
    if (reply && reply->type != REDIS_REPLY_ERROR)
        return;
    log_error("redis: %s failed: %s", what, reply ? reply->str : err);
}

/* The last connect-time command: the scripts are there, work may start. */
static void mw_on_loaded(redisReply *reply, const char *err, void *arg)
{
    mw_redis *r = arg;
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        log_error("redis %s:%d: SCRIPT LOAD failed: %s", r->host, r->port,
                  reply ? reply->str : err);
        if (r->ac)
            redisAsyncDisconnect(r->ac);
        return;
    }
    r->ready = true;
    r->backoff = 0;
    log_info("redis %s:%d: ready (db %d)", r->host, r->port, r->db);
    if (r->on_ready)
        r->on_ready(r->on_ready_arg);
}

static void mw_send2(mw_redis *r, const char *a, const char *b, mw_redis_cb cb, void *arg)
{
    const char *argv[] = {a, b};
    size_t lens[] = {strlen(a), strlen(b)};
    mw_send(r, 2, argv, lens, cb, arg);
}

static void mw_setup(mw_redis *r)
{
    char db[16];
    snprintf(db, sizeof(db), "%d", r->db);
    if (r->password && *r->password)
        mw_send2(r, "AUTH", r->password, mw_on_setup, "AUTH");
    if (r->db)
        mw_send2(r, "SELECT", db, mw_on_setup, "SELECT");
    const char *argv[] = {"SCRIPT", "LOAD", mw_script_sweep};
    size_t lens[] = {6, 4, strlen(mw_script_sweep)};
    mw_send(r, 3, argv, lens, mw_on_setup, "SCRIPT LOAD sweep");
    argv[2] = mw_script_apply;
    lens[2] = strlen(mw_script_apply);
    mw_send(r, 3, argv, lens, mw_on_loaded, r);
}

static void mw_on_connect(const redisAsyncContext *ac, int status)
{
    mw_redis *r = ac->data;
    if (status != REDIS_OK) {
        log_error("redis %s:%d: connect failed: %s", r->host, r->port, ac->errstr);
        r->ac = NULL;            /* hiredis frees it */
        mw_schedule_reconnect(r);
        return;
    }
    r->connected = true;
    log_info("redis %s:%d: connected", r->host, r->port);
    mw_setup(r);
}

static void mw_on_disconnect(const redisAsyncContext *ac, int status)
{
    mw_redis *r = ac->data;
    if (!r->closing)
        log_warn("redis %s:%d: disconnected: %s", r->host, r->port,
                 status == REDIS_OK ? "closed" : ac->errstr);
    r->ac = NULL;
    r->connected = r->ready = false;
    mw_schedule_reconnect(r);
}

static void mw_redis_connect(mw_redis *r)
{
    redisAsyncContext *ac = redisAsyncConnect(r->host, r->port);
    if (!ac || ac->err) {
        log_error("redis %s:%d: connect failed: %s", r->host, r->port,
                  ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        mw_schedule_reconnect(r);
        return;
    }
    ac->data = r;
    r->ac = ac;
    r->busy_since = ev_now(r->loop);
    redisLibevAttach(r->loop, ac);
    redisAsyncSetConnectCallback(ac, mw_on_connect);
    redisAsyncSetDisconnectCallback(ac, mw_on_disconnect);
}

static void mw_on_reconnect(struct ev_loop *loop, ev_timer *w, int revents)
{
    mw_redis *r = w->data;
    if (!r->ac)
        mw_redis_connect(r);
}

/* Drops a connection whose oldest command stays unanswered too long, or
 * whose connect does not finish in time. */
static void mw_on_watch(struct ev_loop *loop, ev_timer *w, int revents)
{
    mw_redis *r = w->data;
    double now = ev_now(loop);
    if (!r->ac)
        return;
    if (r->connected && (!r->inflight || now - r->busy_since < r->timeout))
        return;
    if (!r->connected && now - r->busy_since < r->timeout)
        return;
    log_error("redis %s:%d: %s for %.1fs, reconnecting", r->host, r->port,
              r->connected ? "commands unanswered" : "connect pending", now - r->busy_since);
    bool was_connected = r->connected;
    r->ready = false;
    redisAsyncFree(r->ac);         /* fails the pending callbacks; on_disconnect if connected */
    if (!was_connected) {
        r->ac = NULL;
        mw_schedule_reconnect(r);
    }
}

mw_redis *mw_redis_create(struct ev_loop *loop, const mw_redis_cfg *cfg)
{
    mw_redis *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->loop = loop;
    r->host = strdup(cfg->host && *cfg->host ? cfg->host : "127.0.0.1");
    r->password = cfg->password && *cfg->password ? strdup(cfg->password) : NULL;
    r->port = cfg->port ? cfg->port : 6379;
    r->db = cfg->db;
    r->timeout = cfg->timeout > 0 ? cfg->timeout : 10.0;
    mw_script_sha(mw_script_apply, r->apply_sha);
    mw_script_sha(mw_script_sweep, r->sweep_sha);
    ev_timer_init(&r->reconnect, mw_on_reconnect, 0, 0);
    r->reconnect.data = r;
    ev_timer_init(&r->watch, mw_on_watch, MW_WATCH, MW_WATCH);
    r->watch.data = r;
    if (!r->host) {
        free(r);
        return NULL;
    }
    return r;
}

int mw_redis_start(mw_redis *r)
{
    ev_timer_start(r->loop, &r->watch);
    mw_redis_connect(r);
    return 0;
}

void mw_redis_free(mw_redis *r)
{
    if (!r)
        return;
    r->closing = true;
    r->ready = false;
    ev_timer_stop(r->loop, &r->reconnect);
    ev_timer_stop(r->loop, &r->watch);
    if (r->ac)
        redisAsyncFree(r->ac);
    free(r->host);
    free(r->password);
    free(r);
}

bool mw_redis_ready(const mw_redis *r)
{
    return r->ready && r->ac;
}

size_t mw_redis_inflight(const mw_redis *r)
{
    return r->inflight;
}

void mw_redis_on_ready(mw_redis *r, void (*fn)(void *arg), void *arg)
{
    r->on_ready = fn;
    r->on_ready_arg = arg;
}

int mw_redis_command(mw_redis *r, int argc, const char **argv, const size_t *lens,
                     mw_redis_cb cb, void *arg)
{
    if (!mw_redis_ready(r))
        return -1;
    return mw_send(r, argc, argv, lens, cb, arg);
}

const char *mw_redis_sweep_sha(const mw_redis *r)
{
    return r->sweep_sha;
}

/* ---- applying a batch ---- */

typedef struct mw_apply_call {
    mw_redis *r;
    mw_apply_cb cb;
    void *arg;
} mw_apply_call;

static void mw_on_apply(redisReply *reply, const char *err, void *arg)
{
    mw_apply_call *a = arg;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
        reply->element[0]->type != REDIS_REPLY_INTEGER) {
        const char *why = reply ? (reply->type == REDIS_REPLY_ERROR ? reply->str
                                                                    : "unexpected reply")
                                : err;
        if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(why, "NOSCRIPT", 8) == 0 &&
            a->r->ac)
            redisAsyncDisconnect(a->r->ac);   /* reconnecting loads the scripts again */
        a->cb(MW_APPLY_FAILED, 0, why, a->arg);
    } else {
        redisReply **e = reply->element;
        long long errors = e[1]->type == REDIS_REPLY_INTEGER ? e[1]->integer : 0;
        const char *first = e[2]->type == REDIS_REPLY_STRING ? e[2]->str : "";
        a->cb(e[0]->integer == 1 ? MW_APPLY_APPLIED : MW_APPLY_DUPLICATE, errors, first,
              a->arg);
    }
    free(a);
}

int mw_redis_apply(mw_redis *r, const mw_ops *ops, long ttl, mw_apply_cb cb, void *arg)
{
    if (!mw_redis_ready(r))
        return -1;
    char mark[200], gaps[200], seq[24], ttls[24];
    snprintf(mark, sizeof(mark), "mw:applied:%s:%s", ops->id.source, ops->id.epoch);
    snprintf(gaps, sizeof(gaps), "mw:gaps:%s:%s", ops->id.source, ops->id.epoch);
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)ops->id.seq);
    snprintf(ttls, sizeof(ttls), "%ld", ttl);
    size_t argc = 7 + 4 * ops->n;
    const char **argv = malloc(argc * sizeof(*argv));
    size_t *lens = malloc(argc * sizeof(*lens));
    mw_apply_call *a = malloc(sizeof(*a));
    int rc = -1;
    if (argv && lens && a) {
        const char *head[] = {"EVALSHA", r->apply_sha, "0", mark, gaps, seq, ttls};
        for (size_t i = 0; i < 7; i++)
            argv[i] = head[i];
        static const char kinds[][2] = {"I", "F", "S", "R"};
        for (size_t i = 0; i < ops->n; i++) {
            const mw_op *op = &ops->v[i];
            int k = op->kind == 'I' ? 0 : op->kind == 'F' ? 1 : op->kind == 'S' ? 2 : 3;
            argv[7 + 4 * i] = kinds[k];
            argv[8 + 4 * i] = op->key;
            argv[9 + 4 * i] = op->arg;
            argv[10 + 4 * i] = op->val;
        }
        for (size_t i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        *a = (mw_apply_call){.r = r, .cb = cb, .arg = arg};
        rc = mw_send(r, (int)argc, argv, lens, mw_on_apply, a);
    }
    if (rc != 0)
        free(a);
    free(argv);
    free(lens);
    return rc;
}
