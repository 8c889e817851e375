/* gw_jm: the jobmaster link of one gateway worker process (see gw_jm.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/gw_agent.h"
#include "gateway/gw_jm.h"
#include "stratum/st_acct.h"
#include "stratum/st_block.h"
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"
#include "utils/ut_rpc_link.h"

#define GW_JM_MAX_PENDING 64

/* One found block: its request body and what the reply is logged with. */
typedef struct gw_block {
    gw_jm *jm;
    char user[ST_NAME_MAX + 1];
    char worker[ST_NAME_MAX + 1];
    char job[ST_JOB_ID_MAX + 1];
    char hash[65];
    char peer[64];
    int64_t height;
    int64_t reward;               /* coinbase value (satoshis); -1: not known */
    uint8_t prev[32];
    char body[ST_BLOCK_BODY_MAX];
    size_t len;
} gw_block;

struct gw_jm {
    gw_server *srv;
    ut_rpc_clt *clt;
    gw_block *pending[GW_JM_MAX_PENDING];
    size_t npending;
    st_guard guard;
};

size_t gw_block_body(const gw_server *srv, const st_block_ev *ev, char *buf, size_t cap)
{
    return st_block_body(ev, ev->en1_size, srv->cfg->gateway_id, ev->conn->peer, buf, cap);
}

static void gw_jm_on_block_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    gw_block *b = arg;
    gw_server *srv = b->jm->srv;
    bool accepted, taken;
    char reason[256];

    if (msg == NULL) {
        log_error("block result unknown: worker=%s.%s job=%s hash=%s height=%" PRId64 ": %s",
                  b->user, b->worker, b->job, b->hash, b->height, error ? error : "no reply");
        st_guard_done(&b->jm->guard, b->prev, false);
        free(b);
        return;
    }
    accepted = st_block_verdict(msg->status, msg->body, msg->body_len, &taken, reason,
                                sizeof(reason));
    st_guard_done(&b->jm->guard, b->prev, taken);
    if (accepted) {
        st_stat_add(&srv->stats->blocks_accepted, 1);
        if (srv->meta != NULL)
            ut_meta_block_info(srv->meta, b->user, b->worker, b->hash, b->height, b->reward);
        log_notice("block accepted: peer=%s worker=%s.%s job=%s hash=%s height=%" PRId64,
                   b->peer, b->user, b->worker, b->job, b->hash, b->height);
    } else {
        st_stat_add(&srv->stats->blocks_rejected, 1);
        /* A block the node took onto a side chain lost a race (an orphan):
         * part of mining, not an operator's error (no alert mail). */
        UT_LOG_AT(taken ? UT_LOG_WARN : UT_LOG_ERROR,
                  "block %s: peer=%s worker=%s.%s job=%s hash=%s height=%" PRId64
                  " status=%u reason=\"%s\"", taken ? "orphaned" : "rejected", b->peer,
                  b->user, b->worker, b->job, b->hash, b->height, msg->status, reason);
    }
    free(b);
}

static int gw_jm_send_block(gw_jm *jm, gw_block *b)
{
    ut_rpc_link *link = ut_rpc_clt_link(jm->clt);

    if (link == NULL)
        return -1;
    return ut_rpc_request(link, CMD_JM_BLOCK_FOUND, b->body, b->len, gw_jm_on_block_reply, b);
}

/* The record of one found block, body included. NULL when out of memory. */
static gw_block *gw_block_new(gw_server *srv, const st_block_ev *ev)
{
    gw_block *b = calloc(1, sizeof(*b));

    if (b == NULL)
        return NULL;
    b->jm = srv->jm;
    snprintf(b->user, sizeof(b->user), "%s", ev->worker->user);
    snprintf(b->worker, sizeof(b->worker), "%s", ev->worker->worker);
    snprintf(b->job, sizeof(b->job), "%s", ev->job->id);
    snprintf(b->peer, sizeof(b->peer), "%s", ev->conn->peer);
    ut_hash_to_hex(ev->res->hash, b->hash);
    b->height = ev->job->height;
    b->reward = st_acct_reward(ev->job);
    memcpy(b->prev, ev->job->prev_block, 32);
    b->len = gw_block_body(srv, ev, b->body, sizeof(b->body));
    return b;
}

/* Sends b, or queues it while the link is down; frees it when neither works. */
static void gw_jm_dispatch(gw_jm *jm, gw_block *b)
{
    if (b->len > 0 && gw_jm_send_block(jm, b) == 0)
        return;
    if (b->len > 0 && jm->npending < GW_JM_MAX_PENDING) {
        jm->pending[jm->npending++] = b;
        log_error("block found while the jobmaster link is down: job=%s hash=%s queued",
                  b->job, b->hash);
        return;
    }
    log_fatal("block lost: %s: job=%s hash=%s",
              b->len ? "jobmaster link down and the queue is full" : "body too long", b->job,
              b->hash);
    st_guard_done(&jm->guard, b->prev, false);
    free(b);
}

void gw_jm_block_found(gw_server *srv, const st_block_ev *ev)
{
    const st_conn *c = ev->conn;
    const st_wname *w = ev->worker;
    const st_job *job = ev->job;
    gw_jm *jm = srv->jm;
    gw_block *b;

    st_stat_add(&srv->stats->blocks_found, 1);
    if (jm != NULL && !st_guard_admit(&jm->guard, job->prev_block)) {
        st_stat_add(&srv->stats->blocks_skipped, 1);
        log_info("block candidate not sent: peer=%s worker=%s job=%s (%s)", c->peer, w->full,
                 job->id, jm->guard.won ? "a block on this parent was accepted already"
                                        : "too many unanswered on this parent");
        return;
    }
    b = gw_block_new(srv, ev);
    if (b == NULL) {
        log_fatal("block found but out of memory: peer=%s worker=%s job=%s", c->peer, w->full,
                  job->id);
        if (jm != NULL)
            st_guard_done(&jm->guard, job->prev_block, false);
        return;
    }
    log_notice("block found: peer=%s conn=%llu worker=%s job=%s height=%" PRId64 " hash=%s",
               c->peer, (unsigned long long)c->id, w->full, job->id, job->height, b->hash);
    if (srv->block_hook != NULL)
        srv->block_hook(srv, b->body, b->len);
    if (jm == NULL) {
        free(b);
        return;
    }
    gw_jm_dispatch(jm, b);
}

static void gw_jm_flush_pending(gw_jm *jm)
{
    size_t kept = 0;

    for (size_t i = 0; i < jm->npending; i++) {
        gw_block *b = jm->pending[i];
        if (gw_jm_send_block(jm, b) == 0)
            log_notice("queued block sent: job=%s hash=%s", b->job, b->hash);
        else
            jm->pending[kept++] = b;
    }
    jm->npending = kept;
}

static void gw_jm_on_hello_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    (void)arg;
    if (msg == NULL)
        log_warn("jobmaster HELLO got no reply: %s", error ? error : "?");
    else if (msg->status != 0)
        log_error("jobmaster refused HELLO: status %u: %.*s", msg->status, (int)msg->body_len,
                  (const char *)msg->body);
    else
        log_info("jobmaster HELLO acknowledged");
}

static void gw_jm_on_up(ut_rpc_link *link, void *udata)
{
    gw_jm *jm = udata;
    gw_server *srv = jm->srv;
    json_t *hello = json_pack("{s:i,s:i,s:i,s:s}", "v", 1, "gateway_id", srv->cfg->gateway_id,
                              "process", srv->worker, "host", srv->cfg->host);
    char *body = hello ? json_dumps(hello, JSON_COMPACT) : NULL;

    st_stat_set(&srv->stats->jm_up, 1);
    log_info("jobmaster link up: %s", ut_rpc_link_peer(link));
    if (body == NULL ||
        ut_rpc_request(link, CMD_JM_HELLO, body, strlen(body), gw_jm_on_hello_reply, jm) != 0)
        log_error("jobmaster HELLO could not be sent");
    free(body);
    json_decref(hello);
    gw_jm_flush_pending(jm);
}

static void gw_jm_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    gw_jm *jm = udata;

    (void)link;
    st_stat_set(&jm->srv->stats->jm_up, 0);
    if (jm->srv->stopping)
        log_info("jobmaster link closed: %s", reason ? reason : "?");
    else
        log_warn("jobmaster link down: %s; serving the last job until it is back",
                 reason ? reason : "?");
}

static void gw_jm_block_result(const ut_rpc_msg *msg)
{
    json_t *body = json_loadb(msg->body, msg->body_len, 0, NULL);
    const char *hash = json_string_value(json_object_get(body, "hash"));
    const char *user = json_string_value(json_object_get(body, "user"));
    const char *worker = json_string_value(json_object_get(body, "worker"));
    const char *reason = json_string_value(json_object_get(body, "reason"));

    log_info("block result: hash=%s accepted=%s height=%" PRId64 " worker=%s.%s gateway=%" PRId64
             " reason=\"%s\"", hash ? hash : "?",
             json_is_true(json_object_get(body, "accepted")) ? "true" : "false",
             (int64_t)json_integer_value(json_object_get(body, "height")), user ? user : "?",
             worker ? worker : "", (int64_t)json_integer_value(json_object_get(body, "gateway_id")),
             reason ? reason : "");
    json_decref(body);
}

static void gw_jm_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    gw_jm *jm = udata;
    json_t *body;
    json_error_t err;

    if (msg->command == CMD_JM_JOB) {
        body = json_loadb(msg->body, msg->body_len, 0, &err);
        if (body == NULL)
            log_error("job push from %s is not JSON: %s", ut_rpc_link_peer(link), err.text);
        else
            gw_server_on_job(jm->srv, body);
        if (body != NULL && jm->srv->agents != NULL)
            gw_agent_job(jm->srv->agents, msg->body, msg->body_len);
        json_decref(body);
    } else if (msg->command == CMD_JM_BLOCK_RESULT) {
        gw_jm_block_result(msg);
    } else {
        log_warn("jobmaster sent unknown command 0x%04x", msg->command);
    }
    if (msg->type == UT_RPC_REQUEST)
        ut_rpc_reply(link, msg, msg->command == CMD_JM_JOB ? 0 : 1, "{\"v\":1}", 7);
}

gw_jm *gw_jm_create(gw_server *srv)
{
    static const ut_rpc_handlers h = {
        .on_msg = gw_jm_on_msg, .on_up = gw_jm_on_up, .on_down = gw_jm_on_down,
    };
    gw_jm *jm = calloc(1, sizeof(*jm));
    ut_rpc_cfg cfg = {
        .addr = srv->cfg->jm_addr,
        .heartbeat = srv->cfg->jm_heartbeat,
        .request_timeout = srv->cfg->jm_timeout,
    };

    if (jm == NULL)
        return NULL;
    jm->srv = srv;
    jm->clt = ut_rpc_clt_create(srv->loop, &cfg, &h, jm);
    if (jm->clt == NULL) {
        free(jm);
        return NULL;
    }
    return jm;
}

int gw_jm_start(gw_jm *jm)
{
    return ut_rpc_clt_start(jm->clt);
}

ut_rpc_link *gw_jm_link(const gw_jm *jm)
{
    return jm != NULL ? ut_rpc_clt_link(jm->clt) : NULL;
}

bool gw_jm_up(const gw_jm *jm)
{
    return jm != NULL && ut_rpc_clt_up(jm->clt);
}

void gw_jm_free(gw_jm *jm)
{
    if (jm == NULL)
        return;
    ut_rpc_clt_free(jm->clt);   /* outstanding block requests get their callback */
    for (size_t i = 0; i < jm->npending; i++) {
        log_error("block never sent (shutting down): job=%s hash=%s", jm->pending[i]->job,
                  jm->pending[i]->hash);
        free(jm->pending[i]);
    }
    free(jm);
}
