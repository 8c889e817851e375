/* bm_node: node RPC in worker threads, answers back on the loop. */
#include "blockmaster/bm_node.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_job.h"

struct bm_node {
    nw_job *job;
    const ut_node_cfg *cfg;
    uint64_t seq;
};

typedef struct bm_call {
    char method[32];
    json_t *params;
    bool txs;                  /* params: txids, one getrawtransaction each */
    bm_node_cb cb;
    void *arg;
    json_t *result;            /* set in the worker */
    char err[256];
} bm_call;

static void bm_node_txs_run(bm_call *c, ut_node_conn *conn)
{
    c->result = json_array();
    size_t i;
    json_t *id;
    json_array_foreach(c->params, i, id) {
        json_t *res = NULL;
        char err[256];
        json_t *params = json_pack("[O, i]", id, 0);
        int rc = ut_node_call(conn, "getrawtransaction", params, &res, err, sizeof(err));
        json_decref(params);
        if (rc == UT_NODE_ERR_TRANSPORT) {
            snprintf(c->err, sizeof(c->err), "%s", err);
            json_decref(c->result);
            c->result = NULL;
            return;
        }
        json_array_append_new(c->result, json_is_string(res) ? res : json_null());
        if (!json_is_string(res))
            json_decref(res);
    }
}

static void bm_node_on_job(nw_job_entry *e, void *ctx)
{
    bm_call *c = e->request;
    if (c->txs) {
        bm_node_txs_run(c, ctx);
        return;
    }
    if (ut_node_call(ctx, c->method, c->params, &c->result, c->err, sizeof(c->err)) != 0)
        c->result = NULL;
}

static void bm_node_on_finish(nw_job_entry *e, void *udata)
{
    bm_call *c = e->request;
    c->cb(c->result, c->result ? NULL : (c->err[0] ? c->err : "no answer"), c->arg);
}

static void bm_node_on_cleanup(nw_job_entry *e, void *udata)
{
    bm_call *c = e->request;
    json_decref(c->params);
    json_decref(c->result);
    free(c);
}

static void *bm_node_init_thread(void *udata)
{
    bm_node *n = udata;
    return ut_node_conn_new(n->cfg);
}

static void bm_node_free_thread(void *ctx, void *udata) { ut_node_conn_free(ctx); }

bm_node *bm_node_create(struct ev_loop *loop, const ut_node_cfg *cfg, int threads)
{
    static const nw_job_handlers h = {.on_job = bm_node_on_job, .on_finish = bm_node_on_finish,
                                      .on_cleanup = bm_node_on_cleanup,
                                      .init_thread = bm_node_init_thread,
                                      .free_thread = bm_node_free_thread};
    bm_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->cfg = cfg;
    n->job = nw_job_create(loop, threads, &h, n);
    if (!n->job) {
        free(n);
        return NULL;
    }
    return n;
}

void bm_node_free(bm_node *n)
{
    if (!n)
        return;
    nw_job_free(n->job);
    free(n);
}

static int bm_node_add(bm_node *n, const char *method, json_t *params, bool txs,
                       bm_node_cb cb, void *arg)
{
    bm_call *c = calloc(1, sizeof(*c));
    if (!c) {
        json_decref(params);
        return -1;
    }
    snprintf(c->method, sizeof(c->method), "%s", method);
    c->params = params;
    c->txs = txs;
    c->cb = cb;
    c->arg = arg;
    if (nw_job_add(n->job, ++n->seq, c, NULL) < 0) {
        json_decref(params);
        free(c);
        return -1;
    }
    return 0;
}

int bm_node_call(bm_node *n, const char *method, json_t *params, bm_node_cb cb, void *arg)
{
    return bm_node_add(n, method, params ? params : json_array(), false, cb, arg);
}

int bm_node_txs(bm_node *n, json_t *txids, bm_node_cb cb, void *arg)
{
    return bm_node_add(n, "getrawtransaction", txids, true, cb, arg);
}
