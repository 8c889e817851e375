/* gw_testkit: helpers shared by the gateway's unit tests (header only,
 * static functions): jobs built by hand (the Bitcoin genesis block split
 * into coinb1 / extranonce / coinb2, and easy made-up ones), and a gateway
 * server without sockets whose output is captured per connection. */
#ifndef GW_TESTKIT_H
#define GW_TESTKIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gateway/gw_conn.h"
#include "gateway/gw_server.h"
#include "gateway/gw_shm.h"
#include "utils/ut_log.h"
#include "utils/ut_target.h"

/* The genesis coinbase with "The Times 03" (12 bytes) as the extranonce:
 * extranonce1 "54686520", extranonce2 "54696d6573203033". */
#define GT_GEN_COINB1 "01000000010000000000000000000000000000000000000000000000000000000000000000" \
                      "ffffffff4d04ffff001d010445"
#define GT_GEN_COINB2 "2f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365" \
                      "636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a0100000043" \
                      "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6" \
                      "bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"
#define GT_GEN_EN1 "54686520"
#define GT_GEN_EN2 "54696d6573203033"
#define GT_GEN_HASH "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
#define GT_ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

static inline json_t *gt_job_json(const char *id, const char *prev_display, const char *coinb1,
                                  const char *coinb2, const char *version, const char *nbits,
                                  const char *ntime, int clean)
{
    char prevhash[65];

    /* notify form: the display hex split into 8 words, word order reversed */
    for (int w = 0; w < 8; w++)
        memcpy(prevhash + 8 * w, prev_display + 8 * (7 - w), 8);
    prevhash[64] = '\0';
    return json_pack("{s:i,s:s,s:i,s:s,s:s,s:s,s:s,s:i,s:[],s:s,s:s,s:s,s:i,s:b,s:f,s:b}",
                     "v", 1, "job_id", id, "height", 0, "prev_block", prev_display,
                     "prevhash", prevhash, "coinb1", coinb1, "coinb2", coinb2,
                     "extranonce_size", 12, "merkle_branch", "version", version, "nbits", nbits,
                     "ntime", ntime, "min_time", (int)(strtoul(ntime, NULL, 16) - 600), "clean",
                     clean, "network_diff", ut_nbits_to_diff((uint32_t)strtoul(nbits, NULL, 16)),
                     "empty", 0);
}

static inline json_t *gt_genesis_json(const char *id, int clean)
{
    return gt_job_json(id, GT_ZERO64, GT_GEN_COINB1, GT_GEN_COINB2, "00000001", "1d00ffff",
                       "495fab29", clean);
}

/* A gateway process without sockets; output lands in gt_out. */
typedef struct gt_ctx {
    gw_config cfg;
    gw_shm *shm;
    struct ev_loop *loop;
    gw_server srv;
} gt_ctx;

static char gt_out[1 << 16];
static size_t gt_out_len;
static int gt_closed;
static const char *gt_close_reason;
static char gt_block[2048];

static void gt_send(gw_conn *c, const void *data, size_t len)
{
    (void)c;
    if (gt_out_len + len < sizeof(gt_out)) {
        memcpy(gt_out + gt_out_len, data, len);
        gt_out_len += len;
        gt_out[gt_out_len] = '\0';
    }
}

static void gt_close(gw_conn *c, const char *reason)
{
    (void)c;
    gt_closed++;
    gt_close_reason = reason;
}

static void gt_block_hook(gw_server *srv, const char *body, size_t len)
{
    (void)srv;
    snprintf(gt_block, sizeof(gt_block), "%.*s", (int)len, body);
}

static inline void gt_reset_out(void)
{
    gt_out_len = 0;
    gt_out[0] = '\0';
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
    t->srv.send = gt_send;
    t->srv.close = gt_close;
    t->srv.block_hook = gt_block_hook;
    t->srv.fake_now = 1000.0;
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

/* Feeds one line (a '\n' is added) and returns what was written back. */
static inline const char *gt_line(gw_conn *c, const char *line)
{
    char buf[1 << 16];
    size_t n = strlen(line);

    memcpy(buf, line, n);
    buf[n] = '\n';
    gt_reset_out();
    gw_conn_message(c, buf, n + 1);
    gw_flush(c->srv);
    return gt_out;
}

static inline void gt_add_job(gt_ctx *t, json_t *job)
{
    gt_reset_out();
    gw_server_on_job(&t->srv, job);
    json_decref(job);
}

#endif
