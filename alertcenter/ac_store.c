/* ac_store: Redis pipelines on a worker thread, and the alert list and
 * counters (see ac_store.h). */
#include "alertcenter/ac_store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "network/nw_job.h"
#include "utils/ut_log.h"

struct ac_store {
    struct ev_loop *loop;
    ac_store_cfg cfg;
    nw_job *job;
    ac_cmds alerts;            /* alert writes since the last flush */
    size_t nalerts;
    ev_timer flush;
    ac_store_stats st;
    ut_log_rl rl;
};

typedef struct ac_req {
    char *wire;
    size_t len, n;
    ac_store_cb cb;
    void *arg;
    size_t nalerts;            /* alerts in it (for the counters) */
} ac_req;

typedef struct ac_rep {
    redisReply **v;
    size_t n;
    char err[300];
} ac_rep;

typedef struct ac_thr {
    redisContext *c;
    const ac_store_cfg *cfg;
} ac_thr;

int ac_cmds_add(ac_cmds *c, const char *fmt, ...)
{
    char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    int len = redisvFormatCommand(&cmd, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    int rc = nw_buf_append(&c->wire, cmd, (size_t)len);
    redisFreeCommand(cmd);
    if (rc == 0)
        c->n++;
    return rc;
}

void ac_cmds_free(ac_cmds *c)
{
    nw_buf_free(&c->wire);
    c->n = 0;
}

/* ---- the worker thread ---- */

static void *ac_thr_init(void *udata)
{
    ac_thr *t = calloc(1, sizeof(*t));
    if (t)
        t->cfg = &((ac_store *)udata)->cfg;
    return t;
}

static void ac_thr_free(void *ctx, void *udata)
{
    ac_thr *t = ctx;
    if (t && t->c)
        redisFree(t->c);
    free(t);
}

static redisReply *ac_thr_cmd(redisContext *c, const char *fmt, const char *arg)
{
    return redisCommand(c, fmt, arg);
}

static int ac_thr_connect(ac_thr *t, char *err, size_t errlen)
{
    const ac_store_cfg *cfg = t->cfg;
    struct timeval tv = {(time_t)cfg->timeout,
                         (suseconds_t)((cfg->timeout - (double)(time_t)cfg->timeout) * 1e6)};
    redisReply *r = NULL;

    if (t->c && !t->c->err)
        return 0;
    if (t->c)
        redisFree(t->c);
    t->c = redisConnectWithTimeout(cfg->host, cfg->port, tv);
    if (!t->c || t->c->err) {
        snprintf(err, errlen, "connect %s:%d: %s", cfg->host, cfg->port,
                 t->c ? t->c->errstr : "out of memory");
        return -1;
    }
    redisSetTimeout(t->c, tv);
    if (cfg->password && !(r = ac_thr_cmd(t->c, "AUTH %s", cfg->password)))
        goto fail;
    freeReplyObject(r);
    char db[16];
    snprintf(db, sizeof(db), "%d", cfg->db);
    if (!(r = ac_thr_cmd(t->c, "SELECT %s", db)) || r->type == REDIS_REPLY_ERROR)
        goto fail;
    freeReplyObject(r);
    return 0;
fail:
    snprintf(err, errlen, "AUTH/SELECT: %s", r ? r->str : t->c->errstr);
    freeReplyObject(r);
    redisFree(t->c);
    t->c = NULL;
    return -1;
}

static void ac_on_job(nw_job_entry *e, void *ctx)
{
    ac_thr *t = ctx;
    ac_req *q = e->request;
    ac_rep *p = calloc(1, sizeof(*p));

    e->reply = p;
    if (!p || !t)
        return;
    if (ac_thr_connect(t, p->err, sizeof(p->err)) != 0)
        return;
    if (redisAppendFormattedCommand(t->c, q->wire, q->len) != REDIS_OK)
        goto fail;
    p->v = calloc(q->n ? q->n : 1, sizeof(*p->v));
    for (size_t i = 0; p->v && i < q->n; i++) {
        void *r = NULL;
        if (redisGetReply(t->c, &r) != REDIS_OK)
            goto fail;
        p->v[p->n++] = r;
    }
    return;
fail:
    snprintf(p->err, sizeof(p->err), "%s", t->c->errstr[0] ? t->c->errstr : "I/O error");
    for (size_t i = 0; i < p->n; i++)
        freeReplyObject(p->v[i]);
    free(p->v);
    p->v = NULL;
    p->n = 0;
    redisFree(t->c);
    t->c = NULL;
}

static void ac_on_finish(nw_job_entry *e, void *udata)
{
    ac_store *s = udata;
    ac_req *q = e->request;
    ac_rep *p = e->reply;
    bool ok = p && p->v && p->n == q->n;

    if (ok) {
        s->st.up = 1;
        s->st.stored += q->nalerts;
    } else {
        s->st.up = 0;
        s->st.failures++;
        s->st.lost += q->nalerts;
        UT_LOG_LIMITED(&s->rl, ev_now(s->loop), UT_LOG_WARN,
                       "store: redis %s:%d: pipeline of %zu commands failed: %s",
                       s->cfg.host, s->cfg.port, q->n, p ? p->err : "out of memory");
    }
    if (q->cb)
        q->cb(ok ? p->v : NULL, ok ? p->n : 0, q->arg);
}

static void ac_on_cleanup(nw_job_entry *e, void *udata)
{
    ac_req *q = e->request;
    ac_rep *p = e->reply;
    if (p) {
        for (size_t i = 0; i < p->n; i++)
            freeReplyObject(p->v[i]);
        free(p->v);
        free(p);
    }
    if (q) {
        free(q->wire);
        free(q);
    }
}

/* ---- the loop side ---- */

static int ac_store_submit(ac_store *s, ac_cmds *c, ac_store_cb cb, void *arg, size_t nalerts)
{
    ac_req *q;
    if (c->n == 0)
        return 0;
    if (nw_job_pending(s->job) >= AC_STORE_MAX_PENDING || !(q = calloc(1, sizeof(*q)))) {
        ac_cmds_free(c);
        return -1;
    }
    q->n = c->n;
    q->wire = nw_buf_take(&c->wire, &q->len);
    q->cb = cb;
    q->arg = arg;
    q->nalerts = nalerts;
    c->n = 0;
    if (!q->wire || nw_job_add(s->job, 0, q, NULL) != 0) {
        free(q->wire);
        free(q);
        return -1;
    }
    return 0;
}

int ac_store_run(ac_store *s, ac_cmds *c, ac_store_cb cb, void *arg)
{
    return ac_store_submit(s, c, cb, arg, 0);
}

static void ac_on_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
    ac_store *s = w->data;
    size_t n = s->nalerts;

    if (n == 0)
        return;
    char max[24];
    snprintf(max, sizeof(max), "%zu", s->cfg.list_max - 1);
    ac_cmds_add(&s->alerts, "LTRIM %s 0 %s", s->cfg.list, max);
    s->nalerts = 0;
    if (ac_store_submit(s, &s->alerts, NULL, NULL, n) != 0)
        s->st.lost += n;
}

void ac_store_alert(ac_store *s, const char *json, const char *key)
{
    if (s->nalerts >= 100000) {            /* Redis far behind: bounded */
        s->st.lost++;
        return;
    }
    if (ac_cmds_add(&s->alerts, "LPUSH %s %s", s->cfg.list, json) == 0 &&
        ac_cmds_add(&s->alerts, "HINCRBY %s %s 1", s->cfg.counts, key) == 0)
        s->nalerts++;
}

static const nw_job_handlers ac_store_handlers = {
    .on_job = ac_on_job, .on_finish = ac_on_finish, .on_cleanup = ac_on_cleanup,
    .init_thread = ac_thr_init, .free_thread = ac_thr_free,
};

ac_store *ac_store_create(struct ev_loop *loop, const ac_store_cfg *cfg)
{
    ac_store *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->loop = loop;
    s->cfg = *cfg;
    s->job = nw_job_create(loop, 1, &ac_store_handlers, s);
    if (!s->job) {
        free(s);
        return NULL;
    }
    ev_timer_init(&s->flush, ac_on_flush, 0.2, 0.2);
    s->flush.data = s;
    ev_timer_start(loop, &s->flush);
    return s;
}

void ac_store_free(ac_store *s)
{
    if (!s)
        return;
    ev_timer_stop(s->loop, &s->flush);
    nw_job_free(s->job);
    ac_cmds_free(&s->alerts);
    free(s);
}

void ac_store_stats_get(const ac_store *s, ac_store_stats *out)
{
    *out = s->st;
}
