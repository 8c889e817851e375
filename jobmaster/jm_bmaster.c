/* jm_bmaster: thin blocks out to blockmasters, their requests answered
 * from the last JM_BM_KEEP found blocks. */
#include "jobmaster/jm_bmaster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_p2p.h"
#include "utils/ut_rpc_link.h"

#define JM_BM_KEEP 8

typedef struct jm_bm_kept {
    char hash[65];
    uint8_t *raw;
    size_t len;
    ut_p2p_block blk;
} jm_bm_kept;

struct jm_bmaster {
    ut_rpc_clt **clts;
    size_t n;
    jm_bm_kept kept[JM_BM_KEEP];
    size_t next;
};

static jm_bm_kept *jm_bm_find(jm_bmaster *b, const json_t *body)
{
    const char *h = json_string_value(json_object_get(body, "hash"));
    for (size_t i = 0; h && i < JM_BM_KEEP; i++)
        if (b->kept[i].raw && strcmp(b->kept[i].hash, h) == 0)
            return &b->kept[i];
    return NULL;
}

static void jm_bm_reply_json(ut_rpc_link *link, const ut_rpc_msg *msg, uint32_t status,
                             json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s)
        ut_rpc_reply(link, msg, status, s, strlen(s));
    free(s);
}

static json_t *jm_bm_hex(const uint8_t *p, size_t len)
{
    char *h = malloc(2 * len + 1);
    if (!h)
        return NULL;
    ut_hex_encode(p, len, h);
    h[2 * len] = 0;
    json_t *s = json_string(h);
    free(h);
    return s;
}

static void jm_bm_gettxn(ut_rpc_link *link, const ut_rpc_msg *msg, jm_bm_kept *k,
                         const json_t *body)
{
    json_t *idx = json_object_get(body, "idx"), *txs = json_array(), *v;
    size_t i;
    json_array_foreach(idx, i, v) {
        json_int_t at = json_integer_value(v);
        if (!json_is_integer(v) || at < 0 || (size_t)at >= k->blk.tx_count) {
            json_decref(txs);
            jm_bm_reply_json(link, msg, 2, json_pack("{s:i, s:s}", "v", 1, "error", "bad index"));
            return;
        }
        const ut_p2p_tx *tx = &k->blk.txs[at];
        json_array_append_new(txs, jm_bm_hex(k->raw + tx->off, tx->len));
    }
    log_info("blockmaster %s: sent %zu transactions of block %s", ut_rpc_link_peer(link),
             json_array_size(txs), k->hash);
    jm_bm_reply_json(link, msg, 0, json_pack("{s:i, s:o}", "v", 1, "txs", txs));
}

static void jm_bm_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    jm_bmaster *b = udata;
    json_t *body = json_loadb(msg->body, msg->body_len, 0, NULL);
    jm_bm_kept *k = json_is_object(body) ? jm_bm_find(b, body) : NULL;
    if (msg->command != CMD_BM_GETTXN && msg->command != CMD_BM_GETBLOCK) {
        log_warn("blockmaster %s: unexpected command %04x", ut_rpc_link_peer(link),
                 msg->command);
    } else if (!k) {
        jm_bm_reply_json(link, msg, 1, json_pack("{s:i, s:s}", "v", 1, "error",
                                                 "unknown block"));
    } else if (msg->command == CMD_BM_GETTXN) {
        jm_bm_gettxn(link, msg, k, body);
    } else {
        log_info("blockmaster %s: sent the full block %s", ut_rpc_link_peer(link), k->hash);
        jm_bm_reply_json(link, msg, 0, json_pack("{s:i, s:o}", "v", 1, "block",
                                                 jm_bm_hex(k->raw, k->len)));
    }
    json_decref(body);
}

static void jm_bm_on_up(ut_rpc_link *link, void *udata)
{
    log_info("blockmaster %s: connected as agent %s (%s)", ut_rpc_link_peer(link),
             ut_rpc_link_agent(link) ? ut_rpc_link_agent(link) : "-",
             ut_rpc_link_tls(link) ? ut_rpc_link_tls(link) : "plaintext");
}

static void jm_bm_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    log_warn("blockmaster %s: link down: %s", ut_rpc_link_peer(link), reason);
}

jm_bmaster *jm_bmaster_create(struct ev_loop *loop, const jm_bmaster_cfg *cfg)
{
    static const ut_rpc_handlers h = {.on_msg = jm_bm_on_msg, .on_up = jm_bm_on_up,
                                      .on_down = jm_bm_on_down};
    jm_bmaster *b = calloc(1, sizeof(*b));
    if (!b || !(b->clts = calloc(cfg->n ? cfg->n : 1, sizeof(ut_rpc_clt *)))) {
        free(b);
        return NULL;
    }
    nw_tls_cfg tls = {.ca_file = cfg->tls_ca, .host = cfg->tls_host,
                      .cert_file = cfg->tls_cert, .key_file = cfg->tls_key};
    for (size_t i = 0; i < cfg->n; i++) {
        ut_rpc_cfg rc = {.addr = cfg->addrs[i], .heartbeat = cfg->heartbeat,
                         .agent_id = cfg->id, .agent_secret = cfg->secret,
                         .tls = cfg->tls_ca ? &tls : NULL, .max_body = 256u << 20};
        b->clts[i] = ut_rpc_clt_create(loop, &rc, &h, b);
        if (!b->clts[i]) {
            jm_bmaster_free(b);
            return NULL;
        }
        b->n = i + 1;
    }
    return b;
}

int jm_bmaster_start(jm_bmaster *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (ut_rpc_clt_start(b->clts[i]) < 0)
            return -1;
    return 0;
}

static void jm_bm_kept_free(jm_bm_kept *k)
{
    if (k->raw)
        ut_p2p_block_free(&k->blk);
    free(k->raw);
    memset(k, 0, sizeof(*k));
}

void jm_bmaster_free(jm_bmaster *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++)
        ut_rpc_clt_free(b->clts[i]);
    for (size_t i = 0; i < JM_BM_KEEP; i++)
        jm_bm_kept_free(&b->kept[i]);
    free(b->clts);
    free(b);
}

/* Keeps a copy of the block; NULL when it does not parse. */
static jm_bm_kept *jm_bm_keep(jm_bmaster *b, const char *hash_hex, const uint8_t *raw,
                              size_t len)
{
    jm_bm_kept *k = &b->kept[b->next];
    jm_bm_kept_free(k);
    if (!(k->raw = malloc(len)))
        return NULL;
    memcpy(k->raw, raw, len);
    k->len = len;
    if (ut_p2p_block_parse(k->raw, len, &k->blk) < 0) {
        free(k->raw);
        k->raw = NULL;
        return NULL;
    }
    snprintf(k->hash, sizeof(k->hash), "%s", hash_hex);
    b->next = (b->next + 1) % JM_BM_KEEP;
    return k;
}

size_t jm_bmaster_send_block(jm_bmaster *b, const char *hash_hex, uint32_t height,
                             const uint8_t *raw, size_t len)
{
    jm_bm_kept *k = b->n ? jm_bm_keep(b, hash_hex, raw, len) : NULL;
    if (!k)
        return 0;
    ut_bytes thin;
    ut_bytes_init(&thin);
    uint64_t nonce = ((uint64_t)rand() << 32) ^ (uint64_t)rand() ^ (uint64_t)ev_time();
    ut_p2p_cmpct_put(&thin, &k->blk, nonce, 2);
    json_t *o = json_pack("{s:i, s:s, s:I, s:I, s:o}", "v", 1, "hash", hash_hex, "height",
                          (json_int_t)height, "size", (json_int_t)len, "thin",
                          jm_bm_hex(thin.data, thin.len));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    ut_bytes_free(&thin);
    size_t sent = 0;
    for (size_t i = 0; s && i < b->n; i++) {
        ut_rpc_link *link = ut_rpc_clt_link(b->clts[i]);
        if (link && ut_rpc_push(link, CMD_BM_BLOCK, s, strlen(s)) == 0)
            sent++;
    }
    log_info("found: block %s (%zu bytes) sent thin (%zu bytes) to %zu blockmaster(s)",
             hash_hex, len, s ? strlen(s) : 0, sent);
    free(s);
    return sent;
}

size_t jm_bmaster_up(const jm_bmaster *b)
{
    size_t up = 0;
    for (size_t i = 0; i < b->n; i++)
        up += ut_rpc_clt_up(b->clts[i]);
    return up;
}

size_t jm_bmaster_count(const jm_bmaster *b) { return b->n; }
