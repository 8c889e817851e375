/* jm_gateway: ut_rpc server for gateways: hello, job pushes, found-block
 * requests and their deferred replies. Each link carries a jm_gw_link
 * (ut_rpc_link_set_data); requests waiting for the node carry a
 * jm_gw_pending that forgets its link when the link goes down. */
#include "jobmaster/jm_gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "utils/ut_cmd.h"
#include "utils/ut_log.h"
#include "utils/ut_rpc_answer.h"
#include "utils/ut_rpc_link.h"

#define JM_GW_STATUS_BAD_REQUEST 400
#define JM_GW_STATUS_UNKNOWN_CMD 404

typedef struct jm_gw_link {
    ut_rpc_link *link;
    bool hello;
    int64_t gateway_id;
    int64_t process;
    char host[64];
    char peer[64];
    time_t since;
    uint64_t jobs_sent;
    uint64_t blocks_found;
    struct jm_gw_link *prev, *next;
} jm_gw_link;

struct jm_gw_pending {
    jm_gw_link *gl;              /* NULL once the link went down */
    ut_rpc_msg req;              /* header fields of the request (body not kept) */
    char peer[64];
    struct jm_gw_pending *prev, *next;
};

struct jm_gateway {
    ut_rpc_svr *svr;
    jm_gateway_handlers h;
    void *arg;
    jm_gw_link *links;
    jm_gw_pending *pending;
    size_t count;
    uint64_t jobs_pushed;
};

/* ---- replies ---- */

static void jm_gw_send_json(ut_rpc_link *link, const ut_rpc_msg *req, uint32_t status,
                            const json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT);
    if (!s) {
        ut_rpc_reply(link, req, status ? status : 500, "{}", 2);
        return;
    }
    ut_rpc_reply(link, req, status, s, strlen(s));
    free(s);
}

static void jm_gw_error(ut_rpc_link *link, const ut_rpc_msg *req, uint32_t status,
                        const char *what)
{
    log_warn("gateway %s: command 0x%04x rejected: %s", ut_rpc_link_peer(link), req->command,
             what);
    ut_rpc_reply_error(link, req, status, what);
}

/* ---- hello ---- */

static void jm_gw_push_one(jm_gw_link *gl, const jm_job *job)
{
    if (ut_rpc_push(gl->link, CMD_JM_JOB, job->body, job->body_len) == 0)
        gl->jobs_sent++;
    else
        log_warn("gateway %s id=%lld: job=%s push failed", gl->peer, (long long)gl->gateway_id,
                 job->id_hex);
}

static void jm_gw_on_hello(jm_gateway *gw, jm_gw_link *gl, const ut_rpc_msg *msg,
                           const json_t *body)
{
    json_t *id = json_object_get(body, "gateway_id");
    const char *host = json_string_value(json_object_get(body, "host"));
    if (!json_is_integer(id)) {
        jm_gw_error(gl->link, msg, JM_GW_STATUS_BAD_REQUEST, "hello: missing gateway_id");
        return;
    }
    gl->hello = true;
    gl->gateway_id = json_integer_value(id);
    gl->process = json_integer_value(json_object_get(body, "process"));
    snprintf(gl->host, sizeof(gl->host), "%s", host ? host : "");
    log_notice("gateway %s: hello id=%lld process=%lld host=%s", gl->peer,
               (long long)gl->gateway_id, (long long)gl->process, gl->host);
    json_t *reply = json_pack("{s:i}", "v", 1);
    jm_gw_send_json(gl->link, msg, 0, reply);
    json_decref(reply);
    const jm_job *job = gw->h.current_job(gw->arg);
    if (job)
        jm_gw_push_one(gl, job);
}

/* ---- found blocks ---- */

static void jm_gw_pending_unlink(jm_gateway *gw, jm_gw_pending *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        gw->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
}

static void jm_gw_on_found(jm_gateway *gw, jm_gw_link *gl, const ut_rpc_msg *msg,
                           const json_t *body)
{
    jm_gw_pending *p = calloc(1, sizeof(*p));
    if (!p) {
        jm_gw_error(gl->link, msg, 500, "out of memory");
        return;
    }
    p->gl = gl;
    p->req = *msg;
    p->req.body = NULL;
    p->req.body_len = 0;
    snprintf(p->peer, sizeof(p->peer), "%s", gl->peer);
    p->next = gw->pending;
    if (gw->pending)
        gw->pending->prev = p;
    gw->pending = p;
    gl->blocks_found++;
    gw->h.on_found(p, body, gw->arg);
}

void jm_gateway_reply(jm_gateway *gw, jm_gw_pending *p, uint32_t status, const json_t *body)
{
    if (p->gl)
        jm_gw_send_json(p->gl->link, &p->req, status, body);
    else
        log_warn("gateway %s: link gone, found-block reply dropped", p->peer);
    jm_gw_pending_unlink(gw, p);
    free(p);
}

const char *jm_gw_pending_peer(const jm_gw_pending *p)
{
    return p->peer;
}

/* ---- link events ---- */

static void jm_gw_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    jm_gateway *gw = udata;
    jm_gw_link *gl = ut_rpc_link_data(link);
    if (msg->type != UT_RPC_REQUEST) {
        log_debug("gateway %s: ignoring push 0x%04x", gl->peer, msg->command);
        return;
    }
    json_error_t jerr;
    json_t *body = json_loadb(msg->body, msg->body_len, 0, &jerr);
    if (!json_is_object(body)) {
        jm_gw_error(link, msg, JM_GW_STATUS_BAD_REQUEST, "body is not a JSON object");
    } else if (msg->command == CMD_JM_HELLO) {
        jm_gw_on_hello(gw, gl, msg, body);
    } else if (msg->command == CMD_JM_BLOCK_FOUND) {
        jm_gw_on_found(gw, gl, msg, body);
    } else {
        jm_gw_error(link, msg, JM_GW_STATUS_UNKNOWN_CMD, "unknown command");
    }
    json_decref(body);
}

static void jm_gw_on_up(ut_rpc_link *link, void *udata)
{
    jm_gateway *gw = udata;
    jm_gw_link *gl = calloc(1, sizeof(*gl));
    if (!gl) {
        ut_rpc_link_close(link, "out of memory");
        return;
    }
    gl->link = link;
    gl->since = time(NULL);
    snprintf(gl->peer, sizeof(gl->peer), "%s", ut_rpc_link_peer(link));
    gl->next = gw->links;
    if (gw->links)
        gw->links->prev = gl;
    gw->links = gl;
    gw->count++;
    ut_rpc_link_set_data(link, gl);
    log_info("gateway %s: connected", gl->peer);
}

static void jm_gw_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    jm_gateway *gw = udata;
    jm_gw_link *gl = ut_rpc_link_data(link);
    if (!gl)
        return;
    log_notice("gateway %s: id=%lld disconnected: %s", gl->peer, (long long)gl->gateway_id,
               reason ? reason : "");
    for (jm_gw_pending *p = gw->pending; p; p = p->next)
        if (p->gl == gl)
            p->gl = NULL;
    if (gl->prev)
        gl->prev->next = gl->next;
    else
        gw->links = gl->next;
    if (gl->next)
        gl->next->prev = gl->prev;
    gw->count--;
    ut_rpc_link_set_data(link, NULL);
    free(gl);
}

/* ---- life cycle ---- */

jm_gateway *jm_gateway_create(struct ev_loop *loop, const jm_config *cfg,
                              const jm_gateway_handlers *h, void *arg)
{
    static const ut_rpc_handlers rh = {
        .on_msg = jm_gw_on_msg, .on_up = jm_gw_on_up, .on_down = jm_gw_on_down,
    };
    jm_gateway *gw = calloc(1, sizeof(*gw));
    if (!gw)
        return NULL;
    gw->h = *h;
    gw->arg = arg;
    ut_rpc_cfg rc = {
        .addr = cfg->gateway.bind,
        .heartbeat = cfg->gateway_heartbeat,
        .request_timeout = 30,
        .allow = (const char **)cfg->gateway.allow,
    };
    gw->svr = ut_rpc_svr_create(loop, &rc, &rh, gw);
    if (!gw->svr) {
        free(gw);
        return NULL;
    }
    return gw;
}

int jm_gateway_start(jm_gateway *gw)
{
    return ut_rpc_svr_start(gw->svr);
}

void jm_gateway_free(jm_gateway *gw)
{
    if (!gw)
        return;
    ut_rpc_svr_free(gw->svr);     /* on_down runs for every link */
    while (gw->pending) {
        jm_gw_pending *p = gw->pending;
        gw->pending = p->next;
        free(p);
    }
    while (gw->links) {           /* in case on_down did not run */
        jm_gw_link *gl = gw->links;
        gw->links = gl->next;
        free(gl);
    }
    free(gw);
}

/* ---- pushes and status ---- */

void jm_gateway_push_job(jm_gateway *gw, const jm_job *job)
{
    for (jm_gw_link *gl = gw->links; gl; gl = gl->next)
        if (gl->hello)
            jm_gw_push_one(gl, job);
    gw->jobs_pushed++;
}

void jm_gateway_push_all(jm_gateway *gw, uint16_t command, const char *body, size_t len)
{
    for (jm_gw_link *gl = gw->links; gl; gl = gl->next)
        if (gl->hello && ut_rpc_push(gl->link, command, body, len) < 0)
            log_warn("gateway %s id=%lld: push 0x%04x failed", gl->peer,
                     (long long)gl->gateway_id, command);
}

json_t *jm_gateway_status(const jm_gateway *gw)
{
    json_t *arr = json_array();
    for (const jm_gw_link *gl = gw->links; gl; gl = gl->next) {
        json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:s, s:I, s:I, s:I}", "peer", gl->peer,
                              "hello", gl->hello, "gateway_id", (json_int_t)gl->gateway_id,
                              "process", (json_int_t)gl->process, "host", gl->host,
                              "since", (json_int_t)gl->since, "jobs_sent",
                              (json_int_t)gl->jobs_sent, "blocks_found",
                              (json_int_t)gl->blocks_found);
        json_array_append_new(arr, o);
    }
    return arr;
}

size_t jm_gateway_count(const jm_gateway *gw)
{
    return gw->count;
}

uint64_t jm_gateway_jobs_pushed(const jm_gateway *gw)
{
    return gw->jobs_pushed;
}
