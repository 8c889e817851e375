/* jm_server: builds the jobmaster's parts, connects their callbacks, and
 * holds the two flows that cross parts: template -> job -> gateways, and
 * found block -> checks -> node -> verdict -> gateways. */
#include "jobmaster/jm_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "jobmaster/jm_block.h"
#include "jobmaster/jm_found.h"
#include "jobmaster/jm_http.h"
#include "utils/ut_cmd.h"
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

static void jm_server_on_template(jm_template *tmpl, const char *reason, void *arg)
{
    jm_server *srv = arg;
    const jm_job *cur = jm_jobs_latest(&srv->jobs);
    bool clean = !cur || memcmp(cur->tmpl->prev, tmpl->prev, 32) != 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t id = jm_job_next_id(srv->last_job_id, (double)ts.tv_sec + ts.tv_nsec / 1e9);
    jm_coinbase_params p = jm_server_cb_params(srv->cfg);
    char err[256];
    jm_job *job = jm_job_new(id, tmpl, &p, clean, ev_now(srv->loop), err, sizeof(err));
    if (!job) {
        log_error("job: cannot build a job: %s", err);
        return;
    }
    srv->last_job_id = id;
    srv->stats.jobs++;
    srv->stats.clean_jobs += clean;
    log_info("job: new job=%s height=%u prev=%s clean=%d txs=%zu value=%llu ntime=%08x "
             "reason=%s", job->id_hex, job->tmpl->height, job->tmpl->prev_hex, clean,
             job->tmpl->tx_count, (unsigned long long)job->tmpl->coinbase_value,
             job->tmpl->curtime, reason);
    jm_jobs_add(&srv->jobs, job, ev_now(srv->loop));
    jm_gateway_push_job(srv->gw, job);
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
    }
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

static void jm_server_on_notify(const char *text, const char *peer, void *arg)
{
    jm_server *srv = arg;
    log_info("blocknotify from %s: %s", peer, text[0] ? text : "(empty)");
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

jm_server *jm_server_create(struct ev_loop *loop, const jm_config *cfg)
{
    jm_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->loop = loop;
    srv->cfg = cfg;
    srv->started = (double)time(NULL);
    jm_jobs_init(&srv->jobs, cfg->job_keep_count, cfg->job_keep_seconds);
    srv->node = jm_node_create(loop, &cfg->node, cfg->node_threads);
    if (!srv->node) {
        log_fatal("node: cannot start %d worker threads", cfg->node_threads);
        goto fail;
    }
    /* the last try may take node_timeout, the tip check after it another */
    double deadline = JM_VERDICT_BUDGET - 2 * cfg->node.timeout;
    srv->submit = jm_submit_create(loop, srv->node, cfg->submit_attempts,
                                   cfg->submit_retry_delay, deadline > 1 ? deadline : 1);
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
    jm_submit_free(srv->submit);      /* verdicts "shutting down" still reach gateways */
    jm_poller_free(srv->poller);
    srv->poller = NULL;
    ut_status_free(srv->http);
    jm_notify_free(srv->notify);
    jm_gateway_free(srv->gw);
    jm_jobs_free(&srv->jobs);
    json_decref(srv->stats.last_block);
    free(srv);
}
