/* mw_server: receives CMD_MW_BATCH, applies each batch exactly once via
 * mw_redis, acknowledges after the apply (see mw_server.h). */
#include "metawriter/mw_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_cmd.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"
#include "utils/ut_meta_check.h"
#include "utils/ut_rpc_answer.h"
#include "utils/ut_rpc_link.h"

#define MW_TICK 0.1
#define MW_RETRY_MIN 0.1
#define MW_RETRY_MAX 5.0

typedef struct mw_job {
    struct mw_job *prev, *next;
    mw_server *srv;
    mw_ops *ops;
    ut_rpc_waiters waiters;    /* the requests for this batch */
    bool inflight;
    int attempts;
    double retry_at;
} mw_job;

struct mw_server {
    struct ev_loop *loop;
    mw_server_cfg cfg;
    char *coin;
    mw_redis *redis;
    ut_rpc_svr *svr;
    mw_job *head, *tail;
    size_t inflight;
    mw_server_stats st;
    ev_timer tick;
};

static void mw_pump(mw_server *s);

/* ---- queue ---- */

static void mw_job_link(mw_server *s, mw_job *j)
{
    j->prev = s->tail;
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    s->st.pending++;
    s->st.pending_bytes += j->ops->bytes;
}

static void mw_job_unlink(mw_server *s, mw_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        s->head = j->next;
    if (j->next)
        j->next->prev = j->prev;
    else
        s->tail = j->prev;
    s->st.pending--;
    s->st.pending_bytes -= j->ops->bytes;
}

static mw_job *mw_job_find(mw_server *s, const ut_meta_ident *id)
{
    for (mw_job *j = s->head; j; j = j->next) {
        if (j->ops->id.seq == id->seq && strcmp(j->ops->id.epoch, id->epoch) == 0 &&
            strcmp(j->ops->id.source, id->source) == 0)
            return j;
    }
    return NULL;
}

/* Answers every request waiting for j, then frees j. */
static void mw_job_done(mw_server *s, mw_job *j, const char *result)
{
    char body[64];
    snprintf(body, sizeof(body), "{\"v\":1,\"result\":\"%s\"}", result);
    ut_rpc_waiters_reply(&j->waiters, UT_META_ST_OK, body, strlen(body));
    mw_job_unlink(s, j);
    mw_ops_free(j->ops);
    free(j);
}

/* ---- applying ---- */

static void mw_on_applied(mw_apply_result res, long long errors, const char *first_error,
                          void *arg)
{
    mw_job *j = arg;
    mw_server *s = j->srv;
    const char *peer = ut_rpc_waiters_peer(&j->waiters);
    j->inflight = false;
    s->inflight--;
    if (res == MW_APPLY_FAILED) {
        double delay = MW_RETRY_MIN * (double)(1u << (j->attempts < 6 ? j->attempts : 6));
        j->attempts++;
        j->retry_at = ev_now(s->loop) + (delay < MW_RETRY_MAX ? delay : MW_RETRY_MAX);
        s->st.failures++;
        log_error("batch %s from %s: apply failed (attempt %d): %s", j->ops->idstr, peer,
                  j->attempts, first_error ? first_error : "?");
        return;
    }
    if (errors > 0) {
        s->st.write_errors += (uint64_t)errors;
        log_fatal("batch %s from %s: applied, but Redis refused %lld of %zu writes, first: %s",
                  j->ops->idstr, peer, errors, j->ops->n, first_error);
    }
    if (res == MW_APPLY_APPLIED) {
        s->st.applied++;
        s->st.records += j->ops->records;
        s->st.writes += j->ops->n;
        log_debug("batch %s from %s: applied, %zu records, %zu writes", j->ops->idstr, peer,
                  j->ops->records, j->ops->n);
    } else {
        s->st.duplicates++;
        log_info("batch %s from %s: already applied, acknowledged again", j->ops->idstr, peer);
    }
    mw_job_done(s, j, res == MW_APPLY_APPLIED ? "applied" : "duplicate");
    mw_pump(s);
}

static void mw_pump(mw_server *s)
{
    double now = ev_now(s->loop);
    for (mw_job *j = s->head; j && s->inflight < s->cfg.pipeline; j = j->next) {
        if (!mw_redis_ready(s->redis))
            return;
        if (j->inflight || j->retry_at > now)
            continue;
        if (mw_redis_apply(s->redis, j->ops, s->cfg.dedup_ttl, mw_on_applied, j) != 0)
            return;
        j->inflight = true;
        s->inflight++;
    }
}

static void mw_on_redis_ready(void *arg)
{
    mw_server *s = arg;
    for (mw_job *j = s->head; j; j = j->next)
        j->retry_at = 0;
    if (s->head)
        log_notice("redis ready: applying %zu queued batches", s->st.pending);
    mw_pump(s);
}

static void mw_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    mw_pump(w->data);
}

/* ---- requests ---- */

static void mw_refuse(mw_server *s, ut_rpc_link *link, const ut_rpc_msg *msg, uint32_t status,
                      const char *why)
{
    ut_rpc_reply_error(link, msg, status, why);
    if (status == UT_META_ST_BAD)
        s->st.refused_bad++;
    else
        s->st.refused_busy++;
}

static bool mw_over_limits(const mw_server *s, const mw_ops *ops)
{
    return s->st.pending >= s->cfg.max_pending ||
           s->st.pending_bytes + ops->bytes > s->cfg.max_pending_bytes;
}

static void mw_on_batch(mw_server *s, ut_rpc_link *link, const ut_rpc_msg *msg)
{
    char err[256] = "", idstr[128];
    ut_meta_ident id;
    const char *peer = ut_rpc_link_peer(link);
    mw_ops *ops = mw_ops_from_body(msg->body, msg->body_len, s->coin, &id, err, sizeof(err));
    if (!ops) {
        log_error("batch %s from %s refused, nothing of it written: %s",
                  ut_meta_body_id(&id, idstr, sizeof(idstr)), peer, err);
        mw_refuse(s, link, msg, UT_META_ST_BAD, err);
        return;
    }
    mw_job *j = mw_job_find(s, &ops->id);
    if (j) {
        log_info("batch %s from %s: resent while queued, waiting for the same apply",
                 ops->idstr, peer);
        ut_rpc_waiters_add(&j->waiters, link, msg);
        mw_ops_free(ops);
        return;
    }
    if (mw_over_limits(s, ops)) {
        log_warn("batch %s from %s: %zu batches (%zu bytes) queued, answering retry later",
                 ops->idstr, peer, s->st.pending, s->st.pending_bytes);
        mw_refuse(s, link, msg, UT_META_ST_RETRY, "busy");
        mw_ops_free(ops);
        return;
    }
    j = calloc(1, sizeof(*j));
    if (!j) {
        mw_refuse(s, link, msg, UT_META_ST_RETRY, "out of memory");
        mw_ops_free(ops);
        return;
    }
    j->srv = s;
    j->ops = ops;
    ut_rpc_waiters_add(&j->waiters, link, msg);
    mw_job_link(s, j);
    mw_pump(s);
}

static void mw_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    mw_server *s = udata;
    s->st.received++;
    if (msg->type != UT_RPC_REQUEST || msg->command != CMD_MW_BATCH) {
        log_warn("peer %s: unexpected command 0x%04x type %u", ut_rpc_link_peer(link),
                 msg->command, msg->type);
        if (msg->type == UT_RPC_REQUEST)
            mw_refuse(s, link, msg, UT_META_ST_BAD, "unknown command");
        return;
    }
    mw_on_batch(s, link, msg);
}

static void mw_on_up(ut_rpc_link *link, void *udata)
{
    log_info("peer %s: connected", ut_rpc_link_peer(link));
}

/* Forgets the requests of a link that went away (their senders resend). */
static void mw_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    mw_server *s = udata;
    for (mw_job *j = s->head; j; j = j->next)
        ut_rpc_waiters_forget(&j->waiters, link);
    log_info("peer %s: disconnected (%s)", ut_rpc_link_peer(link), reason ? reason : "?");
}

/* ---- life cycle ---- */

mw_server *mw_server_create(struct ev_loop *loop, const mw_server_cfg *cfg, mw_redis *redis)
{
    mw_server *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->loop = loop;
    s->cfg = *cfg;
    s->redis = redis;
    s->coin = strdup(cfg->coin);
    s->cfg.coin = s->coin;
    if (!s->cfg.pipeline)
        s->cfg.pipeline = 16;
    if (!s->cfg.max_pending)
        s->cfg.max_pending = 10000;
    if (!s->cfg.max_pending_bytes)
        s->cfg.max_pending_bytes = 256u * 1024 * 1024;
    if (s->cfg.dedup_ttl <= 0)
        s->cfg.dedup_ttl = 30L * 86400;
    ut_rpc_cfg rc = {.addr = cfg->listen, .allow = cfg->allow};
    ut_rpc_handlers h = {.on_msg = mw_on_msg, .on_up = mw_on_up, .on_down = mw_on_down};
    s->svr = s->coin ? ut_rpc_svr_create(loop, &rc, &h, s) : NULL;
    if (!s->svr) {
        log_error("metawriter: cannot listen on '%s'", cfg->listen);
        free(s->coin);
        free(s);
        return NULL;
    }
    ev_timer_init(&s->tick, mw_on_tick, MW_TICK, MW_TICK);
    s->tick.data = s;
    mw_redis_on_ready(redis, mw_on_redis_ready, s);
    return s;
}

int mw_server_start(mw_server *s)
{
    if (ut_rpc_svr_start(s->svr) != 0) {
        log_error("metawriter: cannot listen on %s", s->cfg.listen);
        return -1;
    }
    ev_timer_start(s->loop, &s->tick);
    return 0;
}

/* The caller frees the mw_redis first, so no apply is in flight here. */
void mw_server_free(mw_server *s)
{
    if (!s)
        return;
    ev_timer_stop(s->loop, &s->tick);
    ut_rpc_svr_free(s->svr);
    for (mw_job *j = s->head, *n; j; j = n) {
        n = j->next;
        mw_ops_free(j->ops);
        free(j);
    }
    free(s->coin);
    free(s);
}

void mw_server_get_stats(const mw_server *s, mw_server_stats *out)
{
    *out = s->st;
}
