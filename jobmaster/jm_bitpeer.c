/* jm_bitpeer: one ut_rpc client per bitpeer; pushes out, tips in. */
#include "jobmaster/jm_bitpeer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_rpc_link.h"

struct jm_bitpeer {
    struct ev_loop *loop;
    ut_rpc_clt **clts;
    char **addrs;
    size_t n;
    jm_bitpeer_tip_cb on_tip;
    void *arg;
    char best[160];            /* the last CMD_BP_BEST body, "" before the first */
    uint64_t blocks_sent;
};

static void jm_bp_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    jm_bitpeer *b = udata;
    double t0 = ev_time();
    if (msg->command != CMD_BP_TIP) {
        log_warn("bitpeer %s: unexpected command %04x", ut_rpc_link_peer(link), msg->command);
        return;
    }
    json_error_t jerr;
    json_t *body = json_loadb(msg->body, msg->body_len, 0, &jerr);
    if (json_is_object(body))
        b->on_tip(body, ut_rpc_link_peer(link), t0, b->arg);
    else
        log_error("bitpeer %s: CMD_BP_TIP body is no JSON object", ut_rpc_link_peer(link));
    json_decref(body);
}

static void jm_bp_on_up(ut_rpc_link *link, void *udata)
{
    jm_bitpeer *b = udata;
    log_info("bitpeer %s: connected", ut_rpc_link_peer(link));
    if (b->best[0])
        ut_rpc_push(link, CMD_BP_BEST, b->best, strlen(b->best));
}

static void jm_bp_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    log_warn("bitpeer %s: link down: %s", ut_rpc_link_peer(link), reason);
}

jm_bitpeer *jm_bitpeer_create(struct ev_loop *loop, char *const *addrs, size_t n,
                              double heartbeat, jm_bitpeer_tip_cb on_tip, void *arg)
{
    static const ut_rpc_handlers h = {.on_msg = jm_bp_on_msg, .on_up = jm_bp_on_up,
                                      .on_down = jm_bp_on_down};
    jm_bitpeer *b = calloc(1, sizeof(*b));
    if (!b || !(b->clts = calloc(n ? n : 1, sizeof(ut_rpc_clt *)))) {
        free(b);
        return NULL;
    }
    b->loop = loop;
    b->on_tip = on_tip;
    b->arg = arg;
    for (size_t i = 0; i < n; i++) {
        ut_rpc_cfg rc = {.addr = addrs[i], .heartbeat = heartbeat};
        b->clts[i] = ut_rpc_clt_create(loop, &rc, &h, b);
        if (!b->clts[i]) {
            jm_bitpeer_free(b);
            return NULL;
        }
        b->n = i + 1;
    }
    return b;
}

int jm_bitpeer_start(jm_bitpeer *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (ut_rpc_clt_start(b->clts[i]) < 0)
            return -1;
    return 0;
}

void jm_bitpeer_free(jm_bitpeer *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        ut_rpc_clt_free(b->clts[i]);
    free(b->clts);
    free(b);
}

/* {"v":1,"hash":"..","height":N,"block":"<hex>"} written straight into one buffer. */
static char *jm_bp_block_body(const char *hash_hex, uint32_t height, const uint8_t *raw,
                              size_t len, size_t *out_len)
{
    char head[160];
    int hn = snprintf(head, sizeof(head), "{\"v\":1,\"hash\":\"%s\",\"height\":%u,\"block\":\"",
                      hash_hex, height);
    size_t total = (size_t)hn + 2 * len + 2;
    char *s = malloc(total + 1);
    if (!s)
        return NULL;
    memcpy(s, head, (size_t)hn);
    ut_hex_encode(raw, len, s + hn);
    memcpy(s + hn + 2 * len, "\"}", 3);
    *out_len = total;
    return s;
}

size_t jm_bitpeer_send_block(jm_bitpeer *b, const char *hash_hex, uint32_t height,
                             const uint8_t *raw, size_t len)
{
    size_t blen = 0, sent = 0;
    char *body = b->n ? jm_bp_block_body(hash_hex, height, raw, len, &blen) : NULL;
    for (size_t i = 0; body && i < b->n; i++) {
        ut_rpc_link *link = ut_rpc_clt_link(b->clts[i]);
        if (link && ut_rpc_push(link, CMD_BP_BLOCK, body, blen) == 0)
            sent++;
    }
    free(body);
    b->blocks_sent += sent;
    return sent;
}

void jm_bitpeer_send_best(jm_bitpeer *b, uint32_t height, const char *hash_hex)
{
    snprintf(b->best, sizeof(b->best), "{\"v\":1,\"height\":%u,\"hash\":\"%s\"}", height,
             hash_hex);
    for (size_t i = 0; i < b->n; i++) {
        ut_rpc_link *link = ut_rpc_clt_link(b->clts[i]);
        if (link)
            ut_rpc_push(link, CMD_BP_BEST, b->best, strlen(b->best));
    }
}

size_t jm_bitpeer_up(const jm_bitpeer *b)
{
    size_t up = 0;
    for (size_t i = 0; i < b->n; i++)
        up += ut_rpc_clt_up(b->clts[i]);
    return up;
}

size_t jm_bitpeer_count(const jm_bitpeer *b) { return b->n; }
uint64_t jm_bitpeer_blocks_sent(const jm_bitpeer *b) { return b->blocks_sent; }
