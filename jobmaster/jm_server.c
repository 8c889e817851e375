/* jm_server: builds the jobmaster's parts, connects their callbacks, and
 * holds the two flows that cross parts: template -> job -> gateways, and
 * found block -> checks -> node -> verdict -> gateways. */
#include "jobmaster/jm_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "jobmaster/jm_block.h"
#include "jobmaster/jm_empty.h"
#include "jobmaster/jm_found.h"
#include "jobmaster/jm_http.h"
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"

#define JM_VERDICT_BUDGET 28.0    /* seconds; gateways wait 30 s for the verdict */

/* One found block on its way through the node. */
typedef struct jm_found_ctx {
    jm_server *srv;
    jm_gw_pending *pending;
    jm_found_req req;
} jm_found_ctx;

/* ---- templates -> jobs ---- */

static jm_coinbase_params jm_server_cb_params(const jm_config *cfg)
{
    jm_coinbase_params p = {
        .version = cfg->coinbase_version,
        .payouts = cfg->payouts,
        .payout_count = cfg->payout_count,
        .tag = cfg->pool_tag,
        .extranonce_size = cfg->extranonce_size,
    };
    return p;
}

/* Keeps job, sends it to the gateways, tells the bitpeers what it builds on. */
static void jm_server_publish(jm_server *srv, jm_job *job, const char *reason)
{
    srv->last_job_id = job->id;
    srv->stats.jobs++;
    srv->stats.clean_jobs += job->clean;
    log_info("job: new job=%s height=%u prev=%s clean=%d empty=%d txs=%zu value=%llu "
             "ntime=%08x reason=%s", job->id_hex, job->tmpl->height, job->tmpl->prev_hex,
             job->clean, job->empty, job->tmpl->tx_count,
             (unsigned long long)job->tmpl->coinbase_value, job->tmpl->curtime, reason);
    jm_jobs_add(&srv->jobs, job, ev_now(srv->loop));
    jm_gateway_push_job(srv->gw, job);
    if (job->clean && srv->bitpeer)
        jm_bitpeer_send_best(srv->bitpeer, job->tmpl->height - 1, job->tmpl->prev_hex);
}

static uint64_t jm_server_next_id(jm_server *srv)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return jm_job_next_id(srv->last_job_id, (double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* While the newest job is an empty one and within empty_hold, a template
 * below its height is the node lagging behind the signal: dropped, and the
 * node asked again shortly. */
static bool jm_server_lagging(jm_server *srv, const jm_job *cur, const jm_template *tmpl)
{
    if (!cur || !cur->empty || tmpl->height >= cur->tmpl->height ||
        ev_now(srv->loop) - cur->created > srv->cfg->empty_hold)
        return false;
    srv->stats.templates_dropped++;
    log_info("job: node template height=%u prev=%s is behind the empty job height=%u; "
             "asking again", tmpl->height, tmpl->prev_hex, cur->tmpl->height);
    if (!nw_timer_active(&srv->empty_retry))
        nw_timer_start(&srv->empty_retry);
    return true;
}

static void jm_server_on_empty_retry(nw_timer *t, void *privdata)
{
    jm_server *srv = privdata;
    if (!srv->stopping)
        jm_poller_trigger(srv->poller, "node behind the empty job");
}

/* The full template on the tip of an empty job: how long the empty one lived. */
static void jm_server_replaced(jm_server *srv, const jm_job *cur, const jm_job *job)
{
    if (!cur || !cur->empty || memcmp(cur->tmpl->prev, job->tmpl->prev, 32) != 0)
        return;
    double ms = (ev_now(srv->loop) - cur->created) * 1e3;
    srv->stats.empty_replaced++;
    srv->stats.empty_replaced_ms = ms;
    srv->stats.empty_replaced_ms_sum += ms;
    log_info("job: full job=%s replaces empty job=%s height=%u after %.1f ms", job->id_hex,
             cur->id_hex, job->tmpl->height, ms);
}

static void jm_server_on_template(jm_template *tmpl, const char *reason, void *arg)
{
    jm_server *srv = arg;
    const jm_job *cur = jm_jobs_latest(&srv->jobs);
    if (jm_server_lagging(srv, cur, tmpl)) {
        jm_template_free(tmpl);
        return;
    }
    bool clean = !cur || memcmp(cur->tmpl->prev, tmpl->prev, 32) != 0;
    uint64_t id = jm_server_next_id(srv);
    jm_coinbase_params p = jm_server_cb_params(srv->cfg);
    char err[256];
    jm_job *job = jm_job_new(id, tmpl, &p, clean, ev_now(srv->loop), err, sizeof(err));
    if (!job) {
        log_error("job: cannot build a job: %s", err);
        return;
    }
    jm_server_replaced(srv, cur, job);
    jm_server_publish(srv, job, reason);
}

/* ---- new-tip signals -> empty-block jobs ---- */

/* A tip ahead of the newest job: an empty job on it at once, and the node
 * asked for the full template. */
static void jm_server_on_tip(jm_server *srv, const jm_tip *tip, double t0)
{
    const jm_job *cur = jm_jobs_latest(&srv->jobs);
    srv->stats.tip_signals++;
    if (!cur || tip->height + 1 <= cur->tmpl->height || srv->stopping)
        return;                       /* not ahead (or no template to start from yet) */
    jm_poller_trigger(srv->poller, "new tip signal");
    if (!srv->cfg->empty_jobs)
        return;
    char err[256];
    jm_template *t = jm_empty_template(cur->tmpl, tip, srv->cfg->network, (uint32_t)time(NULL),
                                       err, sizeof(err));
    if (!t) {
        log_warn("job: no empty job on tip %s height=%u: %s", tip->hash_hex, tip->height, err);
        return;
    }
    jm_coinbase_params p = jm_server_cb_params(srv->cfg);
    jm_job *job = jm_job_new(jm_server_next_id(srv), t, &p, true, ev_now(srv->loop), err,
                             sizeof(err));
    if (!job || jm_job_mark_empty(job, err, sizeof(err)) < 0) {
        jm_job_free(job);
        log_error("job: cannot build an empty job on %s: %s", tip->hash_hex, err);
        return;
    }
    char reason[128];
    snprintf(reason, sizeof(reason), "tip from %s via %s", tip->peer[0] ? tip->peer : "?",
             tip->via[0] ? tip->via : "?");
    jm_server_publish(srv, job, reason);
    double ms = (ev_time() - t0) * 1e3;
    srv->stats.empty_jobs++;
    srv->stats.empty_signal_ms = ms;
    srv->stats.empty_signal_ms_sum += ms;
    log_notice("job: empty job=%s height=%u on tip %s (%s) pushed %.3f ms after the signal",
               job->id_hex, job->tmpl->height, tip->hash_hex, reason, ms);
}

static void jm_server_on_bp_tip(const json_t *body, const char *from, double t0, void *arg)
{
    jm_server *srv = arg;
    jm_tip tip;
    char err[256];
    if (jm_tip_parse(body, &tip, err, sizeof(err)) < 0) {
        srv->stats.tip_bad++;
        log_warn("bitpeer %s: bad CMD_BP_TIP: %s", from, err);
        return;
    }
    jm_server_on_tip(srv, &tip, t0);
}

/* poolbench: another pool's notify built on a block above our job. */
static void jm_server_on_pb_tip(const jm_tip *tip, double t0, void *arg)
{
    jm_server *srv = arg;
    log_info("poolbench: pool %s builds on %s height=%u", tip->peer, tip->hash_hex,
             tip->height + 1);
    jm_server_on_tip(srv, tip, t0);
}

/* ---- found blocks ---- */

static void jm_server_set_last_block(jm_server *srv, json_t *result)
{
    json_decref(srv->stats.last_block);
    srv->stats.last_block = json_incref(result);
    if (result)
        json_object_set_new(result, "time", json_integer((json_int_t)time(NULL)));
}

/* Replies to the finder, tells every gateway, logs and counts. */
static void jm_server_verdict(jm_server *srv, jm_gw_pending *pending, const jm_found_req *req,
                              const jm_found_verdict *v)
{
    log_notice("block found height=%u hash=%s job=%s user=%s worker=%s gateway=%lld "
               "gateway_peer=%s peer=%s accepted=%s tip=%s reason=%s", v->height, v->hash,
               req->job_id, req->user, req->worker, (long long)req->gateway_id,
               jm_gw_pending_peer(pending), req->peer, v->accepted ? "true" : "false",
               v->is_tip ? "true" : "false", v->reason[0] ? v->reason : "-");
    if (v->accepted)
        srv->stats.blocks_accepted++;
    else
        srv->stats.blocks_rejected++;
    json_t *reply = jm_found_result_json(v, NULL);
    jm_gateway_reply(srv->gw, pending, 0, reply);
    json_decref(reply);
    json_t *result = jm_found_result_json(v, req);
    char *body = result ? json_dumps(result, JSON_COMPACT) : NULL;
    if (body)
        jm_gateway_push_all(srv->gw, CMD_JM_BLOCK_RESULT, body, strlen(body));
    free(body);
    jm_server_set_last_block(srv, result);
    json_decref(result);
}

static void jm_server_on_submitted(const jm_found_verdict *v, void *arg)
{
    jm_found_ctx *ctx = arg;
    jm_server *srv = ctx->srv;
    jm_server_verdict(srv, ctx->pending, &ctx->req, v);
    if (v->accepted && !srv->stopping)
        jm_poller_trigger(srv->poller, "block accepted");
    free(ctx);
}

static void jm_server_reject(jm_server *srv, jm_gw_pending *pending, const jm_found_req *req,
                             uint32_t height, const char *hash, const char *reason)
{
    jm_found_verdict v = { .accepted = false, .height = height };
    snprintf(v.hash, sizeof(v.hash), "%s", hash);
    snprintf(v.reason, sizeof(v.reason), "%s", reason);
    jm_server_verdict(srv, pending, req, &v);
}

static void jm_server_bad_request(jm_server *srv, jm_gw_pending *pending, const char *what)
{
    log_error("found: malformed BLOCK_FOUND from %s: %s", jm_gw_pending_peer(pending), what);
    json_t *o = json_pack("{s:i, s:s}", "v", 1, "error", what);
    jm_gateway_reply(srv->gw, pending, 400, o);
    json_decref(o);
}

/* Our hash must meet the target; a gateway that says otherwise is buggy. */
static bool jm_server_check_pow(const jm_job *job, const jm_block *blk, const jm_found_req *req)
{
    if (req->hash[0] && strcmp(req->hash, blk->hash_hex) != 0)
        log_error("GATEWAY BUG? job=%s gateway=%lld peer=%s user=%s: gateway hash %s, "
                  "rebuilt hash %s", job->id_hex, (long long)req->gateway_id, req->peer,
                  req->user, req->hash, blk->hash_hex);
    if (blk->meets_target)
        return true;
    log_error("GATEWAY BUG? job=%s gateway=%lld peer=%s user=%s worker=%s: block hash %s "
              "does not meet the network target (nbits %08x); not submitted", job->id_hex,
              (long long)req->gateway_id, req->peer, req->user, req->worker, blk->hash_hex,
              job->tmpl->bits);
    return false;
}

static void jm_server_submit(jm_server *srv, jm_gw_pending *pending, const jm_found_req *req,
                             const jm_job *job, const jm_block *blk)
{
    jm_found_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        jm_server_reject(srv, pending, req, job->tmpl->height, blk->hash_hex, "out of memory");
        return;
    }
    ctx->srv = srv;
    ctx->pending = pending;
    ctx->req = *req;
    log_notice("found: job=%s height=%u hash=%s user=%s worker=%s: submitting %zu bytes",
               job->id_hex, job->tmpl->height, blk->hash_hex, req->user, req->worker,
               blk->raw.len);
    if (jm_submit_block(srv->submit, blk->hash_hex, job->tmpl->height, blk->raw.data,
                        blk->raw.len, jm_server_on_submitted, ctx) < 0) {
        free(ctx);
        jm_server_reject(srv, pending, req, job->tmpl->height, blk->hash_hex, "out of memory");
        return;
    }
    if (srv->bitpeer)               /* the same moment: every P2P peer through bitpeer */
        srv->stats.bitpeer_blocks += jm_bitpeer_send_block(srv->bitpeer, blk->hash_hex,
                                                           job->tmpl->height, blk->raw.data,
                                                           blk->raw.len);
    if (srv->bmaster)               /* and thin to the other sites' blockmasters */
        srv->stats.bmaster_blocks += jm_bmaster_send_block(srv->bmaster, blk->hash_hex,
                                                           job->tmpl->height, blk->raw.data,
                                                           blk->raw.len);
}

static void jm_server_on_found(jm_gw_pending *pending, const json_t *body, void *arg)
{
    jm_server *srv = arg;
    jm_found_req req;
    char err[256];
    if (jm_found_parse(body, &req, err, sizeof(err)) < 0) {
        jm_server_bad_request(srv, pending, err);
        return;
    }
    const jm_job *job = jm_jobs_find(&srv->jobs, req.job_id);
    if (!job) {
        srv->stats.blocks_unknown_job++;
        jm_server_reject(srv, pending, &req, 0, req.hash, "unknown job");
        return;
    }
    jm_block blk;
    if (jm_block_build(job, &req.found, &blk, err, sizeof(err)) < 0) {
        jm_server_bad_request(srv, pending, err);
        return;
    }
    srv->stats.blocks_found++;
    if (!jm_server_check_pow(job, &blk, &req)) {
        srv->stats.blocks_bad_pow++;
        jm_server_reject(srv, pending, &req, job->tmpl->height, blk.hash_hex,
                         "high-hash: hash does not meet the network target");
    } else {
        jm_server_submit(srv, pending, &req, job, &blk);
    }
    jm_block_free(&blk);
}

static const jm_job *jm_server_job_cb(void *arg)
{
    return jm_server_current_job(arg);
}

const jm_job *jm_server_current_job(const jm_server *srv)
{
    return jm_jobs_latest(&srv->jobs);
}

/* ---- blocknotify ---- */

typedef struct jm_notify_ctx {
    jm_server *srv;
    double t0;
} jm_notify_ctx;

static void jm_server_on_header(json_t *result, int rc, const char *err, void *arg)
{
    jm_notify_ctx *ctx = arg;
    jm_server *srv = ctx->srv;
    jm_tip tip;
    char perr[256];
    if (err || srv->stopping) {
        if (err)
            log_warn("blocknotify: getblockheader failed: %s", err);
    } else if (jm_tip_from_header_json(result, &tip, perr, sizeof(perr)) < 0) {
        srv->stats.tip_bad++;
        log_warn("blocknotify: %s", perr);
    } else {
        jm_server_on_tip(srv, &tip, ctx->t0);
    }
    free(ctx);
}

/* A datagram whose text is a block hash: its header from the node (urgent
 * lane, ahead of template polls) makes a tip signal. */
static void jm_server_notify_tip(jm_server *srv, const char *text)
{
    uint8_t h[32];
    jm_notify_ctx *ctx = NULL;
    if (!srv->cfg->empty_jobs || strlen(text) != 64 || ut_hash_from_hex(text, h) < 0 ||
        !(ctx = malloc(sizeof(*ctx))))
        return;
    ctx->srv = srv;
    ctx->t0 = ev_time();
    if (jm_node_call_urgent(srv->node, "getblockheader", json_pack("[s, b]", text, 1),
                            jm_server_on_header, ctx) < 0)
        free(ctx);
}

static void jm_server_on_notify(const char *text, const char *peer, void *arg)
{
    jm_server *srv = arg;
    log_info("blocknotify from %s: %s", peer, text[0] ? text : "(empty)");
    jm_server_notify_tip(srv, text);
    jm_poller_trigger(srv->poller, "blocknotify");
}

/* ---- life cycle ---- */

static int jm_server_listen(jm_server *srv)
{
    const jm_config *cfg = srv->cfg;
    static const jm_gateway_handlers gh = {
        .current_job = jm_server_job_cb, .on_found = jm_server_on_found,
    };
    srv->gw = jm_gateway_create(srv->loop, cfg, &gh, srv);
    if (!srv->gw || jm_gateway_start(srv->gw) < 0) {
        log_fatal("gateway: cannot listen on %s", cfg->gateway.bind);
        return -1;
    }
    if (cfg->blocknotify.bind) {
        srv->notify = jm_notify_create(srv->loop, cfg->blocknotify.bind, jm_server_on_notify,
                                       srv);
        if (!srv->notify || jm_notify_start(srv->notify) < 0) {
            log_fatal("blocknotify: cannot listen on %s", cfg->blocknotify.bind);
            return -1;
        }
    }
    if (cfg->bitpeer_count) {
        srv->bitpeer = jm_bitpeer_create(srv->loop, cfg->bitpeer, cfg->bitpeer_count,
                                         cfg->bitpeer_heartbeat, jm_server_on_bp_tip, srv);
        if (!srv->bitpeer || jm_bitpeer_start(srv->bitpeer) < 0) {
            log_fatal("bitpeer: cannot start the links");
            return -1;
        }
    }
    if (cfg->poolbench_count) {
        srv->poolbench = jm_poolbench_create(srv->loop, cfg->poolbench, cfg->poolbench_count,
                                             cfg->poolbench_heartbeat, jm_server_on_pb_tip,
                                             srv);
        if (!srv->poolbench || jm_poolbench_start(srv->poolbench) < 0) {
            log_fatal("poolbench: cannot start the links");
            return -1;
        }
    }
    if (cfg->bmaster_count) {
        jm_bmaster_cfg bc = {.addrs = cfg->bmaster, .n = cfg->bmaster_count,
                             .id = cfg->bmaster_id, .secret = cfg->bmaster_secret,
                             .tls_ca = cfg->bmaster_ca, .tls_host = cfg->bmaster_host,
                             .tls_cert = cfg->bmaster_cert, .tls_key = cfg->bmaster_key,
                             .heartbeat = cfg->bmaster_heartbeat};
        srv->bmaster = jm_bmaster_create(srv->loop, &bc);
        if (!srv->bmaster || jm_bmaster_start(srv->bmaster) < 0) {
            log_fatal("blockmaster: cannot start the links");
            return -1;
        }
    }
    if (cfg->http.bind) {
        srv->http = jm_http_start(srv->loop, cfg->http.bind,
                                  (const char *const *)cfg->http.allow, srv);
        if (!srv->http) {
            log_fatal("http: cannot listen on %s", cfg->http.bind);
            return -1;
        }
    }
    return 0;
}

/* "http://127.0.0.1:48332/" -> "127.0.0.1:48332": the node's label. */
static void jm_server_node_label(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/");
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* One urgent-only jm_node per configured node: found blocks go to all. */
static int jm_server_submit_nodes(jm_server *srv)
{
    const jm_config *cfg = srv->cfg;
    for (size_t i = 0; i < cfg->node.count && i < JM_MAX_NODES; i++) {
        char label[64];
        srv->submit_cfg[i] = cfg->node;
        srv->submit_cfg[i].nodes = &cfg->node.nodes[i];
        srv->submit_cfg[i].count = 1;
        srv->submit_nodes[i] = jm_node_create(srv->loop, &srv->submit_cfg[i], 0);
        if (!srv->submit_nodes[i])
            return -1;
        srv->submit_node_count = i + 1;
        jm_server_node_label(cfg->node.nodes[i].url, label, sizeof(label));
        if (jm_submit_add_node(srv->submit, srv->submit_nodes[i], label) < 0)
            return -1;
    }
    return 0;
}

jm_server *jm_server_create(struct ev_loop *loop, const jm_config *cfg)
{
    jm_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->loop = loop;
    srv->cfg = cfg;
    srv->started = (double)time(NULL);
    jm_jobs_init(&srv->jobs, cfg->job_keep_count, cfg->job_keep_seconds);
    nw_timer_set(&srv->empty_retry, loop, 0.05, false, jm_server_on_empty_retry, srv);
    nw_timer_stop(&srv->empty_retry);
    srv->node = jm_node_create(loop, &cfg->node, cfg->node_threads);
    if (!srv->node) {
        log_fatal("node: cannot start %d worker threads", cfg->node_threads);
        goto fail;
    }
    /* the last try may take node_timeout, the tip check after it another */
    double deadline = JM_VERDICT_BUDGET - 2 * cfg->node.timeout;
    srv->submit = jm_submit_create(loop, NULL, cfg->submit_attempts,
                                   cfg->submit_retry_delay, deadline > 1 ? deadline : 1);
    if (!srv->submit || jm_server_submit_nodes(srv) < 0) {
        log_fatal("node: cannot start the found-block lanes");
        goto fail;
    }
    srv->poller = jm_poller_create(loop, srv->node, cfg->poll_interval, cfg->refresh_interval,
                                   jm_server_on_template, srv);
    if (!srv->submit || !srv->poller || jm_server_listen(srv) < 0)
        goto fail;
    jm_poller_start(srv->poller);
    return srv;
fail:
    jm_server_free(srv);
    return NULL;
}

void jm_server_free(jm_server *srv)
{
    if (!srv)
        return;
    srv->stopping = true;             /* finished node calls may still call back below */
    jm_node_free(srv->node);          /* first: no node callback runs after this */
    srv->node = NULL;
    for (size_t i = 0; i < srv->submit_node_count; i++)
        jm_node_free(srv->submit_nodes[i]);
    srv->submit_node_count = 0;
    jm_submit_free(srv->submit);      /* verdicts "shutting down" still reach gateways */
    jm_poller_free(srv->poller);
    srv->poller = NULL;
    nw_timer_stop(&srv->empty_retry);
    jm_bitpeer_free(srv->bitpeer);
    jm_poolbench_free(srv->poolbench);
    jm_bmaster_free(srv->bmaster);
    ut_status_free(srv->http);
    jm_notify_free(srv->notify);
    jm_gateway_free(srv->gw);
    jm_jobs_free(&srv->jobs);
    json_decref(srv->stats.last_block);
    free(srv);
}
