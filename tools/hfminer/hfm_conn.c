/* hfm_conn: one Stratum V1 client session (see hfm_conn.h). */
#include "tools/hfminer/hfm_conn.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/hfminer/hfm_opts.h"
#include "tools/hfminer/hfm_stratum.h"
#include "utils/ut_log.h"

#define HFM_LINE_RESERVE 4096      /* room one request line always fits in */

enum { HFM_REQ_SUBMIT = 1, HFM_REQ_CONFIGURE, HFM_REQ_SUBSCRIBE, HFM_REQ_AUTHORIZE };

double hfm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mining.set_difficulty applies to jobs notified after it; jobs already
 * sent keep the lower of their difficulty and the new one (what pools
 * accept for work in progress). */
static void hfm_conn_set_diff(hfm_conn *c, double diff)
{
    c->diff = diff;
    for (size_t i = 0; i < HFM_RECENT_JOBS; i++)
        if (c->recent[i] && diff < c->recent[i]->diff)
            hfm_job_set_diff(c->recent[i], diff);
}

static void hfm_recent_push(hfm_conn *c, hfm_job *job)
{
    hfm_job **slot = &c->recent[c->recent_pos++ % HFM_RECENT_JOBS];
    hfm_job_unref(*slot);
    *slot = hfm_job_ref(job);
}

static void hfm_recent_clear(hfm_conn *c)
{
    for (size_t i = 0; i < HFM_RECENT_JOBS; i++) {
        hfm_job_unref(c->recent[i]);
        c->recent[i] = NULL;
    }
}

/* ---- output ------------------------------------------------------------- */

/* Room for one more line (HFM_LINE_RESERVE bytes at hfm_out_at) in the
 * batch. 0 or -1. */
static int hfm_out_reserve(hfm_conn *c)
{
    return nw_buf_reserve(&c->out, HFM_LINE_RESERVE);
}

/* Where the next line is written (after hfm_out_reserve). */
static char *hfm_out_at(hfm_conn *c)
{
    return c->out.data + c->out.wpos;
}

/* Counts a line of n bytes (n < 0: none) written at hfm_out_at. */
static void hfm_out_commit(hfm_conn *c, int n)
{
    nw_buf_commit(&c->out, n > 0 ? (size_t)n : 0);
}

void hfm_conn_flush(hfm_conn *c)
{
    size_t len = nw_buf_len(&c->out);
    if (len == 0)
        return;
    if (!c->clt || nw_clt_send(c->clt, c->out.data, len) != 0)
        log_warn("conn %zu: send of %zu bytes failed", c->index, len);
    nw_buf_reset(&c->out);
}

/* ---- requests in flight ------------------------------------------------- */

static hfm_pending *hfm_pend_slot(const hfm_conn *c, uint64_t id)
{
    return &c->pend[id & (c->pend_cap - 1)];
}

/* Claims the next id; NULL when its slot is still taken. */
static hfm_pending *hfm_pend_new(hfm_conn *c, uint8_t kind, uint64_t *id)
{
    hfm_pending *p = hfm_pend_slot(c, c->next_id);
    if (p->id != 0)
        return NULL;
    memset(p, 0, sizeof(*p));
    p->id = c->next_id;
    p->kind = kind;
    p->t_sent = hfm_now();
    *id = c->next_id++;
    return p;
}

static void hfm_pend_lost(hfm_conn *c, hfm_pending *p)
{
    if (p->kind == HFM_REQ_SUBMIT) {
        hfm_stats_no_reply(c->stats, p->worker);
        c->inflight--;
    }
    p->id = 0;
}

static void hfm_pend_drop_all(hfm_conn *c)
{
    for (size_t i = 0; i < c->pend_cap; i++)
        if (c->pend[i].id)
            hfm_pend_lost(c, &c->pend[i]);
    c->tail_id = c->next_id;
}

void hfm_conn_expire(hfm_conn *c, double now)
{
    while (c->tail_id < c->next_id) {
        hfm_pending *p = hfm_pend_slot(c, c->tail_id);
        if (p->id == c->tail_id) {
            if (now - p->t_sent < c->cfg->reply_timeout)
                break;
            log_warn("conn %zu: no reply to request %llu within %.1f s", c->index,
                     (unsigned long long)p->id, c->cfg->reply_timeout);
            hfm_pend_lost(c, p);
        }
        c->tail_id++;
    }
}

/* Queues one non-submit request built by the caller into the batch. */
static int hfm_send_request(hfm_conn *c, uint8_t kind, uint64_t *id)
{
    if (hfm_out_reserve(c) || !hfm_pend_new(c, kind, id))
        return -1;
    return 0;
}

static void hfm_send_subscribe(hfm_conn *c)
{
    uint64_t id;
    if (hfm_send_request(c, HFM_REQ_SUBSCRIBE, &id) == 0) {
        hfm_out_commit(c, hfm_req_subscribe(hfm_out_at(c), HFM_LINE_RESERVE, id,
                                            c->cfg->agent));
    }
    hfm_conn_flush(c);
}

static void hfm_send_configure(hfm_conn *c)
{
    uint64_t id;
    if (hfm_send_request(c, HFM_REQ_CONFIGURE, &id) == 0) {
        hfm_out_commit(c, hfm_req_configure(hfm_out_at(c), HFM_LINE_RESERVE, id,
                                            c->cfg->vr_mask));
    }
    hfm_conn_flush(c);
}

static void hfm_send_authorize(hfm_conn *c)
{
    for (size_t i = 0; i < c->n_workers; i++) {
        uint64_t id;
        if (hfm_send_request(c, HFM_REQ_AUTHORIZE, &id))
            break;
        hfm_pend_slot(c, id)->worker = c->workers[i];
        c->auth_pending++;
        hfm_out_commit(c, hfm_req_authorize(hfm_out_at(c), HFM_LINE_RESERVE, id,
                                            c->cfg->names[c->workers[i]], c->cfg->password));
        if (nw_buf_len(&c->out) > 64 * 1024)
            hfm_conn_flush(c);
    }
    hfm_conn_flush(c);
}

/* ---- submits ------------------------------------------------------------ */

size_t hfm_conn_room(const hfm_conn *c)
{
    if (c->state != HFM_ST_READY || !c->job || c->moving || c->inflight >= c->cfg->pipeline)
        return 0;
    if (hfm_pend_slot(c, c->next_id)->id != 0)
        return 0;
    return c->cfg->pipeline - c->inflight;
}

/* The next authorized worker, round robin; SIZE_MAX when there is none. */
static size_t hfm_pick_worker(hfm_conn *c)
{
    for (size_t tries = 0; tries < c->n_workers; tries++) {
        size_t i = c->next_worker++ % c->n_workers;
        if (c->authorized[i])
            return i;
    }
    return SIZE_MAX;
}

int hfm_conn_submit(hfm_conn *c, const hfm_share *s)
{
    size_t wi = hfm_pick_worker(c);
    uint64_t id;
    if (hfm_conn_room(c) == 0 || wi == SIZE_MAX || hfm_out_reserve(c))
        return -1;
    hfm_pending *p = hfm_pend_new(c, HFM_REQ_SUBMIT, &id);
    if (!p)
        return -1;
    p->worker = s->worker_name ? UINT32_MAX : c->workers[wi];
    p->diff = s->diff;
    p->block = s->block;
    hfm_submit sub = {
        .worker = s->worker_name ? s->worker_name : c->cfg->names[c->workers[wi]],
        .job_id = s->job_id ? s->job_id : s->job->id,
        .en2 = s->en2, .en2_len = s->en2_len, .ntime = s->ntime, .nonce = s->nonce,
        .has_vbits = s->has_vbits, .vbits = s->vbits,
    };
    int n = hfm_req_submit(hfm_out_at(c), HFM_LINE_RESERVE, id, &sub);
    if (n < 0) {
        p->id = 0;
        c->next_id--;
        return -1;
    }
    hfm_out_commit(c, n);
    c->inflight++;
    c->submitted++;
    hfm_stats_submitted(c->stats, p->worker, s->block, p->t_sent);
    return 0;
}

/* ---- replies ------------------------------------------------------------ */

static void hfm_on_submit_reply(hfm_conn *c, hfm_pending *p, const hfm_msg *m)
{
    double now = hfm_now();
    bool ok = m->result_kind == HFM_RES_TRUE && !m->has_error;
    if (!ok && m->err_code == 0)
        log_debug("conn %zu: share rejected without an error code", c->index);
    hfm_stats_reply(c->stats, p->worker, ok, m->err_code, p->diff, p->block, now - p->t_sent,
                    now);
    c->inflight--;
}

static void hfm_on_configure_reply(hfm_conn *c, const hfm_msg *m)
{
    uint32_t granted = 0;
    if (hfm_parse_configure(m->result, c->cfg->vr_mask, &granted) == 0 && granted) {
        c->mask = granted;
        log_info("conn %zu: version rolling granted, mask %08x", c->index, granted);
    } else {
        c->mask = 0;
        log_warn("conn %zu: version rolling not granted", c->index);
    }
    hfm_send_subscribe(c);
}

static void hfm_on_subscribe_reply(hfm_conn *c, const hfm_msg *m)
{
    if (m->has_error || hfm_parse_subscribe(m->result, c->en1, &c->en1_len,
                                            &c->en2_size)) {
        log_error("conn %zu: mining.subscribe failed or malformed; reconnecting", c->index);
        nw_ses *ses = nw_clt_ses(c->clt);
        if (ses)
            nw_ses_close(ses, "bad subscribe reply");
        return;
    }
    c->subscribed = true;
    hfm_send_authorize(c);
    /* A job that arrived before the reply becomes usable now. */
    if (c->job && c->cb->on_work)
        c->cb->on_work(c, c->ud);
}

/* Ready once every authorize was answered and one of them succeeded, so
 * submits are spread over all the session's workers from the start. */
static void hfm_on_authorize_reply(hfm_conn *c, hfm_pending *p, const hfm_msg *m)
{
    size_t i;
    for (i = 0; i < c->n_workers && c->workers[i] != p->worker; i++)
        ;
    if (c->auth_pending)
        c->auth_pending--;
    if (i == c->n_workers)
        return;
    if (m->result_kind != HFM_RES_TRUE || m->has_error) {
        log_error("conn %zu: worker %s not authorized (code %d)", c->index,
                  c->cfg->names[p->worker], m->err_code);
    } else if (!c->authorized[i]) {
        c->authorized[i] = true;
        c->n_authorized++;
    }
    if (c->auth_pending == 0 && c->n_authorized == 0)
        log_error("conn %zu: no worker of this session was authorized", c->index);
    if (c->state == HFM_ST_HANDSHAKE && c->auth_pending == 0 && c->n_authorized > 0) {
        c->state = HFM_ST_READY;
        c->stats->connects++;
        if (c->cb->on_ready)
            c->cb->on_ready(c, c->ud);
    }
}

static void hfm_on_reply(hfm_conn *c, const hfm_msg *m)
{
    if (!m->has_id) {
        log_warn("conn %zu: reply without a usable id (error code %d)", c->index, m->err_code);
        return;
    }
    hfm_pending *p = hfm_pend_slot(c, m->id);
    if (p->id != m->id || m->id == 0) {
        log_debug("conn %zu: reply to unknown id %llu", c->index, (unsigned long long)m->id);
        return;
    }
    hfm_pending req = *p;
    p->id = 0;
    switch (req.kind) {
    case HFM_REQ_SUBMIT:
        hfm_on_submit_reply(c, &req, m);
        break;
    case HFM_REQ_CONFIGURE:
        hfm_on_configure_reply(c, m);
        break;
    case HFM_REQ_SUBSCRIBE:
        hfm_on_subscribe_reply(c, m);
        break;
    case HFM_REQ_AUTHORIZE:
        hfm_on_authorize_reply(c, &req, m);
        break;
    }
}

/* ---- the pool's calls --------------------------------------------------- */

static void hfm_work_changed(hfm_conn *c, bool invalidate)
{
    if (invalidate)
        c->epoch++;
    if (c->subscribed && c->job && c->cb->on_work)
        c->cb->on_work(c, c->ud);
}

static void hfm_on_notify(hfm_conn *c, const hfm_msg *m)
{
    hfm_job *job = hfm_parse_notify(m->params);
    if (!job) {
        log_warn("conn %zu: malformed mining.notify ignored", c->index);
        return;
    }
    job->seq = ++c->job_seq;
    hfm_job_set_diff(job, c->diff);
    hfm_recent_push(c, job);
    hfm_job_unref(c->job);
    c->job = job;
    hfm_work_changed(c, job->clean);
}

static void hfm_on_set_difficulty(hfm_conn *c, const hfm_msg *m)
{
    double d;
    if (hfm_parse_difficulty(m->params, &d)) {
        log_warn("conn %zu: malformed mining.set_difficulty ignored", c->index);
        return;
    }
    hfm_conn_set_diff(c, d);
}

static void hfm_on_set_extranonce(hfm_conn *c, const hfm_msg *m)
{
    if (hfm_parse_set_extranonce(m->params, c->en1, &c->en1_len, &c->en2_size)) {
        log_warn("conn %zu: malformed mining.set_extranonce ignored", c->index);
        return;
    }
    hfm_work_changed(c, true);
}

static void hfm_on_set_version_mask(hfm_conn *c, const hfm_msg *m)
{
    uint32_t mask;
    if (hfm_parse_version_mask(m->params, &mask)) {
        log_warn("conn %zu: malformed mining.set_version_mask ignored", c->index);
        return;
    }
    if (!c->cfg->version_rolling)
        return;
    c->mask = mask & c->cfg->vr_mask;
    hfm_work_changed(c, true);
}

#define HFM_MOVE_POLL 0.01

static void hfm_move_cb(nw_timer *t, void *privdata)
{
    hfm_conn *c = privdata;
    double now = hfm_now();
    if (now < c->move_deadline && (now < c->move_at || c->inflight > 0)) {
        nw_timer_set(&c->move_timer, c->loop, HFM_MOVE_POLL, false, hfm_move_cb, c);
        return;
    }
    c->moving = false;
    nw_clt_free(c->clt);
    c->clt = NULL;
    strcpy(c->addr, c->move_addr);
    if (hfm_conn_start(c))
        log_error("conn %zu: cannot connect to %s", c->index, c->addr);
}

static void hfm_on_reconnect(hfm_conn *c, const hfm_msg *m)
{
    char host[256];
    int port = c->port;
    double wait = 0;
    strcpy(host, c->host);
    if (hfm_parse_reconnect(m->params, host, sizeof(host), &port, &wait)) {
        log_warn("conn %zu: malformed client.reconnect ignored", c->index);
        return;
    }
    if (hfm_make_addr(host, port, c->move_addr, sizeof(c->move_addr)) == 0) {
        strcpy(c->host, host);
    } else {
        log_warn("conn %zu: client.reconnect to non-numeric host %s: keeping %s", c->index,
                 host, c->host);
        hfm_make_addr(c->host, port, c->move_addr, sizeof(c->move_addr));
    }
    c->port = port;
    log_notice("conn %zu: pool asks to reconnect to %s in %.1f s", c->index, c->move_addr,
               wait);
    c->moving = true;
    c->move_at = hfm_now() + wait;
    c->move_deadline = c->move_at + c->cfg->reply_timeout;
    nw_timer_set(&c->move_timer, c->loop, HFM_MOVE_POLL, false, hfm_move_cb, c);
}

static void hfm_answer_call(hfm_conn *c, const hfm_msg *m, const char *result,
                            const char *err)
{
    if (!m->id_json || json_is_null(m->id_json) || hfm_out_reserve(c))
        return;
    hfm_out_commit(c, hfm_reply_call(hfm_out_at(c), HFM_LINE_RESERVE, m->id_json, result,
                                     err));
}

static void hfm_on_call(hfm_conn *c, const hfm_msg *m)
{
    const char *meth = m->method;
    if (strcmp(meth, "mining.notify") == 0)
        hfm_on_notify(c, m);
    else if (strcmp(meth, "mining.set_difficulty") == 0)
        hfm_on_set_difficulty(c, m);
    else if (strcmp(meth, "mining.set_extranonce") == 0)
        hfm_on_set_extranonce(c, m);
    else if (strcmp(meth, "mining.set_version_mask") == 0)
        hfm_on_set_version_mask(c, m);
    else if (strcmp(meth, "client.reconnect") == 0)
        hfm_on_reconnect(c, m);
    else if (strcmp(meth, "client.get_version") == 0)
        hfm_answer_call(c, m, c->cfg->agent, NULL);
    else if (strcmp(meth, "mining.ping") == 0)
        hfm_answer_call(c, m, "pong", NULL);
    else if (strcmp(meth, "client.show_message") == 0)
        log_notice("conn %zu: pool says: %s", c->index,
                   json_string_value(json_array_get(m->params, 0)) ?
                   json_string_value(json_array_get(m->params, 0)) : "(no text)");
    else
        hfm_answer_call(c, m, NULL, "unknown method");
}

/* ---- transport callbacks ------------------------------------------------ */

static hfm_conn *hfm_conn_of(nw_ses *ses)
{
    return nw_clt_udata(nw_ses_clt(ses));
}

static int hfm_decode(nw_ses *ses, const void *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    if (nl)
        return (int)(nl - (const char *)data) + 1;
    return len > HFM_LINE_MAX ? -1 : 0;
}

static void hfm_on_message(nw_ses *ses, const void *msg, size_t len)
{
    hfm_conn *c = hfm_conn_of(ses);
    hfm_msg m;
    if (len > 0 && ((const char *)msg)[len - 1] == '\n')
        len--;
    if (len == 0)
        return;
    if (hfm_msg_parse(msg, len, &m)) {
        log_warn("conn %zu: unparsable line from the pool (%zu bytes) ignored", c->index, len);
        return;
    }
    if (m.kind == HFM_MSG_CALL)
        hfm_on_call(c, &m);
    else
        hfm_on_reply(c, &m);
    hfm_msg_free(&m);
}

static void hfm_on_batch_end(nw_ses *ses)
{
    hfm_conn *c = hfm_conn_of(ses);
    if (c->cb->on_room)
        c->cb->on_room(c, c->ud);
    hfm_conn_flush(c);
}

static void hfm_session_reset(hfm_conn *c)
{
    hfm_pend_drop_all(c);
    hfm_job_unref(c->job);
    c->job = NULL;
    hfm_recent_clear(c);
    c->subscribed = false;
    c->en1_len = 0;
    c->en2_size = 0;
    c->mask = 0;
    c->n_authorized = 0;
    c->auth_pending = 0;
    memset(c->authorized, 0, c->n_workers * sizeof(*c->authorized));
    nw_buf_reset(&c->out);
    c->epoch++;
    hfm_conn_set_diff(c, 1.0);
}

static void hfm_on_connect(nw_ses *ses, bool ok)
{
    hfm_conn *c = hfm_conn_of(ses);
    if (!ok) {
        log_debug("conn %zu: connect to %s failed", c->index, c->addr);
        return;
    }
    log_debug("conn %zu: connected to %s", c->index, c->addr);
    hfm_session_reset(c);
    c->state = HFM_ST_HANDSHAKE;
    if (c->cfg->version_rolling)
        hfm_send_configure(c);
    else
        hfm_send_subscribe(c);
}

static void hfm_on_close(nw_ses *ses, const char *reason)
{
    hfm_conn *c = hfm_conn_of(ses);
    bool was_ready = c->state == HFM_ST_READY;
    c->state = HFM_ST_DOWN;
    if (!c->freeing) {
        log_warn("conn %zu: connection to %s closed: %s", c->index, c->addr, reason);
        c->stats->disconnects += was_ready;
    }
    hfm_session_reset(c);
    if (c->cb->on_down)
        c->cb->on_down(c, c->ud);
}

static const nw_handlers hfm_conn_handlers = {
    .decode = hfm_decode,
    .on_message = hfm_on_message,
    .on_connect = hfm_on_connect,
    .on_close = hfm_on_close,
    .on_batch_end = hfm_on_batch_end,
};

/* ---- lifetime ----------------------------------------------------------- */

static size_t hfm_pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n)
        p *= 2;
    return p;
}

hfm_conn *hfm_conn_create(struct ev_loop *loop, size_t index, const char *host, int port,
                          const hfm_conn_cfg *cfg, const uint32_t *workers,
                          size_t n_workers, hfm_stats *stats, const hfm_conn_cb *cb,
                          void *ud)
{
    hfm_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->index = index;
    c->loop = loop;
    c->cfg = cfg;
    c->stats = stats;
    c->cb = cb;
    c->ud = ud;
    c->port = port;
    c->next_id = 1;
    c->tail_id = 1;
    nw_buf_init(&c->out);
    snprintf(c->host, sizeof(c->host), "%s", host);
    /* Room for every request in flight plus slack, so that one request
     * the pool never answers does not stall the session at once. */
    c->pend_cap = hfm_pow2_at_least((size_t)cfg->pipeline + n_workers + 8);
    c->pend = calloc(c->pend_cap, sizeof(*c->pend));
    c->workers = malloc((n_workers ? n_workers : 1) * sizeof(*c->workers));
    c->authorized = calloc(n_workers ? n_workers : 1, sizeof(*c->authorized));
    if (!c->pend || !c->workers || !c->authorized ||
        hfm_make_addr(host, port, c->addr, sizeof(c->addr))) {
        hfm_conn_free(c);
        return NULL;
    }
    memcpy(c->workers, workers, n_workers * sizeof(*c->workers));
    c->n_workers = n_workers;
    hfm_conn_set_diff(c, 1.0);
    return c;
}

int hfm_conn_start(hfm_conn *c)
{
    nw_clt_cfg ccfg = {
        .addr = c->addr, .max_msg = HFM_LINE_MAX + 1, .reconnect_min = 0.1,
        .reconnect_max = 2.0, .connect_timeout = c->cfg->connect_timeout,
    };
    c->clt = nw_clt_create(c->loop, &ccfg, &hfm_conn_handlers, c);
    if (!c->clt)
        return -1;
    return nw_clt_start(c->clt);
}

void hfm_conn_free(hfm_conn *c)
{
    if (!c)
        return;
    c->freeing = true;
    nw_timer_stop(&c->move_timer);
    if (c->clt) {
        nw_clt_free(c->clt);
        c->clt = NULL;
    }
    if (c->pend)
        hfm_pend_drop_all(c);
    hfm_job_unref(c->job);
    hfm_recent_clear(c);
    free(c->pend);
    free(c->workers);
    free(c->authorized);
    nw_buf_free(&c->out);
    free(c);
}
