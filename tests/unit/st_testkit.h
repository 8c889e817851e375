/* st_testkit: helpers for the Stratum library's and the gateway's unit
 * tests (header only, static functions): jobs built by hand (the Bitcoin
 * genesis block split into coinb1 / extranonce / coinb2, and easy made-up
 * ones), sink send/close hooks that capture a server's output, and a bare
 * Stratum server (no gateway) with a simple extranonce1 allocator. */
#ifndef ST_TESTKIT_H
#define ST_TESTKIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "stratum/st_conn.h"
#include "stratum/st_out.h"
#include "stratum/st_server.h"
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

/* Output of every connection lands in gt_out; closes are counted. */
static char gt_out[1 << 16];
static size_t gt_out_len;
static int gt_closed;
static const char *gt_close_reason;

static inline void gt_send(void *arg, st_conn *c, const void *data, size_t len)
{
    (void)arg;
    (void)c;
    if (gt_out_len + len < sizeof(gt_out)) {
        memcpy(gt_out + gt_out_len, data, len);
        gt_out_len += len;
        gt_out[gt_out_len] = '\0';
    }
}

static inline void gt_close(void *arg, st_conn *c, const char *reason)
{
    (void)arg;
    (void)c;
    gt_closed++;
    gt_close_reason = reason;
}

static inline void gt_reset_out(void)
{
    gt_out_len = 0;
    gt_out[0] = '\0';
}

/* Feeds one line (a '\n' is added) and returns what was written back. */
static inline const char *gt_line(st_conn *c, const char *line)
{
    char buf[1 << 16];
    size_t n = strlen(line);

    memcpy(buf, line, n);
    buf[n] = '\n';
    gt_reset_out();
    st_conn_message(c, buf, n + 1);
    st_flush(c->srv);
    return gt_out;
}

/* mining.submit with id 9 and ntime 495fab29 (the genesis block's); the reply. */
static inline const char *gt_submit(st_conn *c, const char *worker, const char *job,
                                    const char *en2_hex, uint32_t nonce)
{
    char line[256];

    snprintf(line, sizeof(line), "{\"id\":9,\"method\":\"mining.submit\",\"params\":"
             "[\"%s\",\"%s\",\"%s\",\"495fab29\",\"%08x\"]}", worker, job, en2_hex, nonce);
    return gt_line(c, line);
}

/* A bare Stratum server: its extranonce1 is the prefix (its first
 * en1_size bytes) followed by a big-endian counter from 0 in the bytes the
 * prefix leaves; output is captured in gt_out. */
typedef struct gt_bare {
    st_config cfg;
    struct ev_loop *loop;
    st_server srv;
    uint8_t prefix[ST_EN1_MAX];
    size_t prefix_len;
    uint32_t next;      /* next counter value */
    int live;           /* values handed out and not given back */
    int exhausted;      /* non-zero: alloc fails */
} gt_bare;

static inline int gt_bare_alloc(void *arg, uint8_t *out, size_t size, uint64_t *handle)
{
    gt_bare *b = arg;
    size_t p = b->prefix_len < size ? b->prefix_len : size;
    uint32_t v = b->next;

    if (b->exhausted)
        return -1;
    memcpy(out, b->prefix, p);
    for (size_t i = size; i-- > p; v >>= 8)
        out[i] = (uint8_t)v;
    *handle = b->next++;
    b->live++;
    return 0;
}

static inline void gt_bare_release(void *arg, uint64_t handle)
{
    gt_bare *b = arg;

    (void)handle;
    b->live--;
}

/* en1_size/en2_size as given; sink may be NULL (its send and close, when
 * NULL, become the capturing hooks). NULL when the server refuses. */
static inline gt_bare *gt_bare_new(size_t en1_size, size_t en2_size, const st_sink *sink)
{
    gt_bare *b = calloc(1, sizeof(*b));
    st_en1_alloc a = { .alloc = gt_bare_alloc, .release = gt_bare_release, .arg = b };
    st_sink k = { .arg = NULL };

    ut_log_set_level(UT_LOG_FATAL);
    st_config_defaults(&b->cfg);
    b->cfg.en1_size = en1_size;
    b->cfg.en2_size = en2_size;
    b->cfg.vardiff.min = b->cfg.vardiff.start = 0x1p-32;
    b->loop = ev_loop_new(0);
    if (sink != NULL)
        k = *sink;
    if (k.send == NULL)
        k.send = gt_send;
    if (k.close == NULL)
        k.close = gt_close;
    if (st_server_init(&b->srv, &b->cfg, b->loop, &k, &a, NULL) != 0) {
        ev_loop_destroy(b->loop);
        free(b);
        return NULL;
    }
    b->srv.fake_now = 1000.0;
    gt_reset_out();
    gt_closed = 0;
    gt_close_reason = NULL;
    return b;
}

static inline void gt_bare_free(gt_bare *b)
{
    st_server_free(&b->srv);
    ev_loop_destroy(b->loop);
    free(b);
}

#endif
