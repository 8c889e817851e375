/* jm_node: node RPC calls on two nw_job thread pools (routine and urgent
 * lanes, see jm_node.h), results delivered to the loop thread. The request
 * carries method, params and the callback; the worker fills in the result,
 * the error text and ut_node_call's code. */
#include "jobmaster/jm_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_job.h"
#include "utils/ut_log.h"

struct jm_node {
    nw_job *routine;
    nw_job *urgent;
    const ut_node_cfg *cfg;
    uint64_t next_id;
};

typedef struct jm_node_req {
    char method[32];
    json_t *params;
    jm_node_cb cb;          /* routine lane */
    jm_node_rc_cb rc_cb;    /* urgent lane */
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
        rep->rc = UT_NODE_ERR_TRANSPORT;
        strcpy(rep->err, "no node connection (curl init failed)");
        return;
    }
    rep->rc = ut_node_call(thread_ctx, req->method, req->params, &rep->result, rep->err,
                           sizeof(rep->err));
}

/* Loop thread: hand the outcome to the caller. A worker that could not
 * even allocate its reply never reached the node: transport. */
static void jm_node_on_finish(nw_job_entry *entry, void *udata)
{
    jm_node_req *req = entry->request;
    jm_node_rep *rep = entry->reply;
    int rc = rep ? rep->rc : UT_NODE_ERR_TRANSPORT;
    json_t *result = rc == 0 ? rep->result : NULL;
    const char *err = NULL;
    if (!rep)
        err = "out of memory in node worker";
    else if (rc != 0)
        err = rep->err[0] ? rep->err : "node call failed";
    if (req->rc_cb)
        req->rc_cb(result, rc, err, req->arg);
    else
        req->cb(result, err, req->arg);
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

static const nw_job_handlers jm_node_handlers = {
    .on_job = jm_node_on_job,
    .on_finish = jm_node_on_finish,
    .on_cleanup = jm_node_on_cleanup,
    .init_thread = jm_node_thread_init,
    .free_thread = jm_node_thread_free,
};

jm_node *jm_node_create(struct ev_loop *loop, const ut_node_cfg *cfg, int threads)
{
    jm_node *node = calloc(1, sizeof(*node));
    if (!node)
        return NULL;
    node->cfg = cfg;
    if (threads > 0)
        node->routine = nw_job_create(loop, threads, &jm_node_handlers, node);
    node->urgent = nw_job_create(loop, JM_NODE_URGENT_THREADS, &jm_node_handlers, node);
    if ((threads > 0 && !node->routine) || !node->urgent) {
        jm_node_free(node);
        return NULL;
    }
    if (node->routine)
        nw_job_set_max(node->routine, JM_NODE_MAX_PENDING);
    nw_job_set_max(node->urgent, 0);
    return node;
}

void jm_node_free(jm_node *node)
{
    if (!node)
        return;
    nw_job_free(node->urgent);
    nw_job_free(node->routine);
    free(node);
}

/* Queues a request on pool; params is stolen either way. */
static int jm_node_add(jm_node *node, nw_job *pool, const char *method, json_t *params,
                       jm_node_cb cb, jm_node_rc_cb rc_cb, void *arg)
{
    jm_node_req *req = calloc(1, sizeof(*req));
    if (!req) {
        json_decref(params);
        return -1;
    }
    snprintf(req->method, sizeof(req->method), "%s", method);
    req->params = params;
    req->cb = cb;
    req->rc_cb = rc_cb;
    req->arg = arg;
    if (nw_job_add(pool, ++node->next_id, req, NULL) < 0) {
        json_decref(params);
        free(req);
        return -1;
    }
    return 0;
}

int jm_node_call(jm_node *node, const char *method, json_t *params, jm_node_cb cb, void *arg)
{
    if (!node->routine) {
        json_decref(params);
        log_error("node: %s on a node without a routine lane", method);
        return -1;
    }
    if (jm_node_add(node, node->routine, method, params, cb, NULL, arg) < 0) {
        log_error("node: queue full, dropping %s call", method);
        return -1;
    }
    return 0;
}

int jm_node_call_urgent(jm_node *node, const char *method, json_t *params, jm_node_rc_cb cb,
                        void *arg)
{
    if (jm_node_add(node, node->urgent, method, params, NULL, cb, arg) < 0) {
        log_error("node: out of memory queueing urgent %s call", method);
        return -1;
    }
    return 0;
}

size_t jm_node_pending(const jm_node *node)
{
    return (node->routine ? nw_job_pending(node->routine) : 0) + nw_job_pending(node->urgent);
}
