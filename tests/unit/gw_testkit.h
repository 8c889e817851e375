/* gw_testkit: helpers shared by the gateway's unit tests (header only,
 * static functions): the jobs of st_testkit.h, and a gateway server
 * without sockets whose output is captured through its Stratum sink. */
#ifndef GW_TESTKIT_H
#define GW_TESTKIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gateway/gw_server.h"
#include "gateway/gw_shm.h"
#include "utils/ut_log.h"
#include "st_testkit.h"

/* A gateway process without sockets; output lands in gt_out. */
typedef struct gt_ctx {
    gw_config cfg;
    gw_shm *shm;
    struct ev_loop *loop;
    gw_server srv;
} gt_ctx;

static char gt_block[2048];

static void gt_block_hook(gw_server *srv, const char *body, size_t len)
{
    (void)srv;
    snprintf(gt_block, sizeof(gt_block), "%.*s", (int)len, body);
}

static inline gt_ctx *gt_ctx_new(void)
{
    gt_ctx *t = calloc(1, sizeof(*t));

    ut_log_set_level(UT_LOG_FATAL);
    gw_config_defaults(&t->cfg);
    t->cfg.gateway_id = 7;
    t->cfg.host = strdup("test");
    t->shm = gw_shm_create();
    t->loop = ev_loop_new(0);
    if (gw_server_init(&t->srv, &t->cfg, t->loop, t->shm, 3) != 0)
        abort();
    /* Deterministic extranonce1 values: counter from 0. */
    gw_en1_free(&t->srv.en1);
    gw_en1_init(&t->srv.en1, 7, 3, 0);
    t->srv.st.sink.send = gt_send;
    t->srv.st.sink.close = gt_close;
    t->srv.block_hook = gt_block_hook;
    t->srv.st.fake_now = 1000.0;
    gt_reset_out();
    gt_closed = 0;
    gt_close_reason = NULL;
    gt_block[0] = '\0';
    return t;
}

static inline void gt_ctx_free(gt_ctx *t)
{
    gw_server_free(&t->srv);
    ev_loop_destroy(t->loop);
    gw_shm_free(t->shm);
    free(t->cfg.host);
    t->cfg.host = NULL;
    gw_config_free(&t->cfg);
    free(t);
}

static inline void gt_add_job(gt_ctx *t, json_t *job)
{
    gt_reset_out();
    gw_server_on_job(&t->srv, job);
    json_decref(job);
}

#endif
