/* jm_node: node RPC calls on an nw_job thread pool, results delivered to
 * the loop thread. The request carries method, params and the callback;
 * the worker fills in the result or the error text. */
#include "jobmaster/jm_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_job.h"
#include "utils/ut_log.h"

#define JM_NODE_MAX_PENDING 256

struct jm_node {
    nw_job *pool;
    const ut_node_cfg *cfg;
    uint64_t next_id;
};

typedef struct jm_node_req {
    char method[32];
    json_t *params;
    jm_node_cb cb;
    void *arg;
} jm_node_req;

typedef struct jm_node_rep {
    json_t *result;
    char err[512];
    int rc;
} jm_node_rep;

static void *jm_node_thread_init(void *udata)
{
    jm_node *node = udata;
    return ut_node_conn_new(node->cfg);
}

static void jm_node_thread_free(void *thread_ctx, void *udata)
{
    ut_node_conn_free(thread_ctx);
}

/* Worker thread: the blocking call. */
static void jm_node_on_job(nw_job_entry *entry, void *thread_ctx)
{
    jm_node_req *req = entry->request;
    jm_node_rep *rep = calloc(1, sizeof(*rep));
    if (!rep)
        return;
    entry->reply = rep;
    if (!thread_ctx) {
        rep->rc = -1;
        strcpy(rep->err, "no node connection (curl init failed)");
        return;
    }
    rep->rc = ut_node_call(thread_ctx, req->method, req->params, &rep->result, rep->err,
                           sizeof(rep->err));
}

/* Loop thread: hand the outcome to the caller. */
static void jm_node_on_finish(nw_job_entry *entry, void *udata)
{
    jm_node_req *req = entry->request;
    jm_node_rep *rep = entry->reply;
    if (!rep) {
        req->cb(NULL, "out of memory in node worker", req->arg);
        return;
    }
    if (rep->rc == 0)
        req->cb(rep->result, NULL, req->arg);
    else
        req->cb(NULL, rep->err[0] ? rep->err : "node call failed", req->arg);
}

static void jm_node_on_cleanup(nw_job_entry *entry, void *udata)
{
    jm_node_req *req = entry->request;
    jm_node_rep *rep = entry->reply;
    if (rep) {
        json_decref(rep->result);
        free(rep);
    }
    if (req) {
        json_decref(req->params);
        free(req);
    }
}

jm_node *jm_node_create(struct ev_loop *loop, const ut_node_cfg *cfg, int threads)
{
    static const nw_job_handlers h = {
        .on_job = jm_node_on_job,
        .on_finish = jm_node_on_finish,
        .on_cleanup = jm_node_on_cleanup,
        .init_thread = jm_node_thread_init,
        .free_thread = jm_node_thread_free,
    };
    jm_node *node = calloc(1, sizeof(*node));
    if (!node)
        return NULL;
    node->cfg = cfg;
    node->pool = nw_job_create(loop, threads, &h, node);
    if (!node->pool) {
        free(node);
        return NULL;
    }
    nw_job_set_max(node->pool, JM_NODE_MAX_PENDING);
    return node;
}

void jm_node_free(jm_node *node)
{
    if (!node)
        return;
    nw_job_free(node->pool);
    free(node);
}

int jm_node_call(jm_node *node, const char *method, json_t *params, jm_node_cb cb, void *arg)
{
    jm_node_req *req = calloc(1, sizeof(*req));
    if (!req) {
        json_decref(params);
        return -1;
    }
    snprintf(req->method, sizeof(req->method), "%s", method);
    req->params = params;
    req->cb = cb;
    req->arg = arg;
    if (nw_job_add(node->pool, ++node->next_id, req, NULL) < 0) {
        log_error("node: queue full, dropping %s call", method);
        json_decref(params);
        free(req);
        return -1;
    }
    return 0;
}

size_t jm_node_pending(const jm_node *node)
{
    return nw_job_pending(node->pool);
}
