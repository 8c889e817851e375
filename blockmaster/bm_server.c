/* bm_server: thin block in -> rebuilt from the mempool copy -> missing
 * transactions (or the whole block) asked from the sender -> merkle root
 * checked -> submitblock to this site's node and CMD_BP_BLOCK to bitpeers. */
#include "blockmaster/bm_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blockmaster/bm_http.h"
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_thin.h"

/* One block being rebuilt, from CMD_BM_BLOCK to the node's answer. */
typedef struct bm_rb {
    bm_server *srv;
    ut_thin t;
    bool began;
    uint8_t *thin;             /* the decoded payload (slots point into it) */
    uint8_t **own;             /* copies of mempool and fetched transactions */
    size_t own_n;
    uint32_t *idx;             /* indexes asked with CMD_BM_GETTXN */
    size_t idx_n;
    ut_rpc_link *link;         /* the sender; valid in a reply callback that has a msg */
    double t0;
    bm_last last;
} bm_rb;

static void bm_rb_free(bm_rb *rb)
{
    if (rb->began)
        ut_thin_free(&rb->t);
    for (size_t i = 0; i < rb->own_n; i++)
        free(rb->own[i]);
    free(rb->own);
    free(rb->thin);
    free(rb->idx);
    free(rb);
}

static uint8_t *bm_hex_bytes(const char *hex, size_t *len)
{
    size_t hl = hex ? strlen(hex) : 0;
    uint8_t *b = hl && hl % 2 == 0 ? malloc(hl / 2) : NULL;
    if (b && ut_hex_decode_any(hex, hl, b, hl / 2, len) < 0) {
        free(b);
        return NULL;
    }
    return b;
}

/* rb keeps p (freed with it). */
static int bm_rb_own(bm_rb *rb, uint8_t *p)
{
    void *n = realloc(rb->own, (rb->own_n + 1) * sizeof(*rb->own));
    if (!n)
        return -1;
    rb->own = n;
    rb->own[rb->own_n++] = p;
    return 0;
}

static void bm_done(bm_rb *rb, const char *result, bool accepted)
{
    bm_server *srv = rb->srv;
    rb->last.seconds = ev_time() - rb->t0;
    snprintf(rb->last.result, sizeof(rb->last.result), "%s", result);
    if (accepted)
        srv->st.accepted++;
    else
        srv->st.rejected++;
    srv->st.last = rb->last;
    log_notice("block %s height=%u: %s, %s in %.3f s (%zu txs: %zu from mempool, %zu fetched; "
               "link bytes thin=%llu fetch=%llu full=%llu, block %zu)%s%s", rb->last.hash,
               rb->last.height, rb->last.mode, result, rb->last.seconds, rb->last.txs,
               rb->last.from_mempool, rb->last.fetched,
               (unsigned long long)rb->last.thin_bytes, (unsigned long long)rb->last.fetch_bytes,
               (unsigned long long)rb->last.full_bytes, rb->last.size,
               rb->last.fallback[0] ? "; thin given up: " : "", rb->last.fallback);
    bm_rb_free(rb);
}

static void bm_fail(bm_rb *rb, const char *why)
{
    rb->srv->st.failed++;
    log_error("block %s height=%u: cannot rebuild or fetch it: %s", rb->last.hash,
              rb->last.height, why);
    bm_done(rb, why, false);
}

static void bm_on_submitted(const json_t *res, const char *err, void *arg)
{
    bm_rb *rb = arg;
    if (!res)
        bm_done(rb, err, false);
    else if (json_is_null(res))
        bm_done(rb, "accepted", true);
    else
        bm_done(rb, json_is_string(res) ? json_string_value(res) : "rejected", false);
}

static void bm_bitpeers(bm_server *srv, const char *body, size_t len)
{
    for (size_t i = 0; i < srv->bitpeer_count; i++) {
        ut_rpc_link *l = ut_rpc_clt_link(srv->bitpeers[i]);
        if (l && ut_rpc_push(l, CMD_BP_BLOCK, body, len) == 0)
            srv->st.bitpeer_sent++;
    }
}

/* The checked block: to the node and to bitpeer at once. */
static void bm_submit(bm_rb *rb, const uint8_t *raw, size_t len, const char *mode)
{
    bm_server *srv = rb->srv;
    snprintf(rb->last.mode, sizeof(rb->last.mode), "%s", mode);
    rb->last.size = len;
    srv->st.block_bytes += len;
    char *hex = malloc(2 * len + 1);
    if (!hex) {
        bm_fail(rb, "out of memory");
        return;
    }
    ut_hex_encode(raw, len, hex);
    hex[2 * len] = 0;
    if (srv->bitpeer_count) {
        json_t *b = json_pack("{s:i, s:s, s:I, s:s}", "v", 1, "hash", rb->last.hash, "height",
                              (json_int_t)rb->last.height, "block", hex);
        char *s = json_dumps(b, JSON_COMPACT);
        if (s)
            bm_bitpeers(srv, s, strlen(s));
        free(s);
        json_decref(b);
    }
    json_t *params = json_pack("[s]", hex);
    free(hex);
    if (bm_node_call(srv->node, "submitblock", params, bm_on_submitted, rb) < 0)
        bm_fail(rb, "submitblock: node queue full");
}

static void bm_on_full(const ut_rpc_msg *msg, const char *error, void *arg)
{
    bm_rb *rb = arg;
    if (!msg || msg->status != 0) {
        bm_fail(rb, msg ? "full block: the sender no longer has it" : error);
        return;
    }
    rb->last.full_bytes = msg->body_len;
    rb->srv->st.full_bytes += msg->body_len;
    json_t *body = json_loadb(msg->body, msg->body_len, 0, NULL);
    size_t len = 0;
    uint8_t *raw = bm_hex_bytes(json_string_value(json_object_get(body, "block")), &len);
    json_decref(body);
    int rc = raw ? ut_thin_check_block(raw, len) : UT_THIN_BAD_TX;
    if (rc != UT_THIN_OK) {
        free(raw);
        bm_fail(rb, ut_thin_strerror(rc));
        return;
    }
    rb->srv->st.full++;
    bm_submit(rb, raw, len, "full");
    free(raw);
}

/* Gives the thin rebuild up and asks the sender for the whole block. */
static void bm_full(bm_rb *rb, ut_rpc_link *link, const char *why)
{
    snprintf(rb->last.fallback, sizeof(rb->last.fallback), "%s", why);
    log_warn("block %s height=%u: thin rebuild given up (%s): asking %s for the full block",
             rb->last.hash, rb->last.height, why, ut_rpc_link_peer(link));
    char body[128];
    int n = snprintf(body, sizeof(body), "{\"v\":1,\"hash\":\"%s\"}", rb->last.hash);
    if (ut_rpc_request(link, CMD_BM_GETBLOCK, body, (size_t)n, bm_on_full, rb) < 0)
        bm_fail(rb, "full block: link down");
}

static void bm_finish(bm_rb *rb, ut_rpc_link *link)
{
    ut_bytes out;
    ut_bytes_init(&out);
    int rc = ut_thin_finish(&rb->t, rb->last.size, &out);
    if (rc != UT_THIN_OK) {
        ut_bytes_free(&out);
        bm_full(rb, link, ut_thin_strerror(rc));
        return;
    }
    rb->srv->st.thin_ok++;
    bm_submit(rb, out.data, out.len, "thin");
    ut_bytes_free(&out);
}

static int bm_fill(bm_rb *rb, const json_t *txs)
{
    if (json_array_size(txs) != rb->idx_n)
        return UT_THIN_MALFORMED;
    for (size_t i = 0; i < rb->idx_n; i++) {
        size_t len = 0;
        uint8_t *raw = bm_hex_bytes(json_string_value(json_array_get(txs, i)), &len);
        if (!raw || bm_rb_own(rb, raw) < 0) {
            free(raw);
            return UT_THIN_BAD_TX;
        }
        int rc = ut_thin_fill(&rb->t, rb->idx[i], raw, len);
        if (rc != UT_THIN_OK)
            return rc;
    }
    return UT_THIN_OK;
}

/* The sender's answer to CMD_BM_GETTXN. The link is alive while msg is set. */
static void bm_on_txn(const ut_rpc_msg *msg, const char *error, void *arg)
{
    bm_rb *rb = arg;
    if (!msg) {
        bm_fail(rb, error);
        return;
    }
    ut_rpc_link *link = rb->link;
    rb->last.fetch_bytes = msg->body_len;
    rb->srv->st.fetch_bytes += msg->body_len;
    json_t *body = msg->status == 0 ? json_loadb(msg->body, msg->body_len, 0, NULL) : NULL;
    int rc = body ? bm_fill(rb, json_object_get(body, "txs")) : UT_THIN_MALFORMED;
    json_decref(body);
    rb->last.fetched = rb->idx_n;
    rb->srv->st.txs_fetched += rb->idx_n;
    if (rc != UT_THIN_OK)
        bm_full(rb, link, msg->status ? "missing transactions not available" :
                ut_thin_strerror(rc));
    else
        bm_finish(rb, link);
}

static void bm_ask_missing(bm_rb *rb, ut_rpc_link *link)
{
    rb->idx = malloc(rb->t.missing * sizeof(uint32_t));
    if (!rb->idx) {
        bm_full(rb, link, "out of memory");
        return;
    }
    rb->idx_n = ut_thin_missing(&rb->t, rb->idx, rb->t.missing);
    json_t *idx = json_array();
    for (size_t i = 0; i < rb->idx_n; i++)
        json_array_append_new(idx, json_integer(rb->idx[i]));
    json_t *b = json_pack("{s:i, s:s, s:o}", "v", 1, "hash", rb->last.hash, "idx", idx);
    char *s = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    log_info("block %s: %zu of %zu transactions missing from the mempool: asking %s",
             rb->last.hash, rb->idx_n, rb->t.count, ut_rpc_link_peer(link));
    if (!s || ut_rpc_request(link, CMD_BM_GETTXN, s, strlen(s), bm_on_txn, rb) < 0)
        bm_fail(rb, "getblocktxn: link down");
    free(s);
}

/* Matches the mempool and copies what matched (the mempool may change
 * before the missing transactions come back). */
static int bm_match(bm_rb *rb)
{
    size_t n = 0;
    ut_thin_have *have = bm_mempool_list(rb->srv->mempool, &n);
    if (!have)
        return -1;
    rb->last.from_mempool = ut_thin_match(&rb->t, have, n);
    free(have);
    for (size_t i = 0; i < rb->t.count; i++) {
        ut_thin_slot *s = &rb->t.slots[i];
        if (!s->raw || s->prefilled)
            continue;
        uint8_t *c = malloc(s->len);
        if (!c || bm_rb_own(rb, c) < 0) {
            free(c);
            return -1;
        }
        memcpy(c, s->raw, s->len);
        s->raw = c;
    }
    return 0;
}

static bool bm_seen(bm_server *srv, const uint8_t hash[32])
{
    for (size_t i = 0; i < BM_SEEN; i++)
        if (memcmp(srv->seen[i], hash, 32) == 0)
            return true;
    memcpy(srv->seen[srv->seen_next], hash, 32);
    srv->seen_next = (srv->seen_next + 1) % BM_SEEN;
    return false;
}

static void bm_on_block(bm_server *srv, ut_rpc_link *link, const json_t *body, size_t blen,
                        double t0)
{
    bm_rb *rb = calloc(1, sizeof(*rb));
    size_t len = 0;
    const char *hash = json_string_value(json_object_get(body, "hash"));
    if (!rb || !hash || strlen(hash) != 64 ||
        !(rb->thin = bm_hex_bytes(json_string_value(json_object_get(body, "thin")), &len))) {
        srv->st.bad_requests++;
        log_error("rpc: bad CMD_BM_BLOCK from %s", ut_rpc_link_peer(link));
        if (rb)
            bm_rb_free(rb);
        return;
    }
    rb->srv = srv;
    rb->link = link;
    rb->t0 = t0;
    snprintf(rb->last.hash, sizeof(rb->last.hash), "%s", hash);
    rb->last.height = (unsigned)json_integer_value(json_object_get(body, "height"));
    rb->last.size = (size_t)json_integer_value(json_object_get(body, "size"));
    rb->last.thin_bytes = blen;
    srv->st.thin_bytes += blen;
    int rc = ut_thin_begin(&rb->t, rb->thin, len);
    rb->began = true;
    if (rc == UT_THIN_OK && bm_seen(srv, rb->t.hash)) {
        srv->st.duplicates++;
        log_info("block %s from %s: already handled", hash, ut_rpc_link_peer(link));
        bm_rb_free(rb);
        return;
    }
    srv->st.blocks++;
    rb->last.txs = rb->t.count;
    if (rc != UT_THIN_OK)
        bm_full(rb, link, ut_thin_strerror(rc));
    else if (bm_match(rb) < 0)
        bm_full(rb, link, "out of memory");
    else if (rb->t.missing == 0)
        bm_finish(rb, link);
    else if (rb->t.missing > srv->cfg->max_missing)
        bm_full(rb, link, "more missing than max_missing");
    else
        bm_ask_missing(rb, link);
}

static void bm_rpc_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    bm_server *srv = udata;
    double t0 = ev_time();
    json_t *body = json_loadb(msg->body, msg->body_len, 0, NULL);
    if (msg->command == CMD_BM_BLOCK && json_is_object(body)) {
        bm_on_block(srv, link, body, msg->body_len, t0);
    } else {
        srv->st.bad_requests++;
        log_warn("rpc: %s (agent %s): unexpected command %04x or body", ut_rpc_link_peer(link),
                 ut_rpc_link_agent(link) ? ut_rpc_link_agent(link) : "-", msg->command);
    }
    json_decref(body);
}

static void bm_rpc_on_up(ut_rpc_link *link, void *udata)
{
    log_info("rpc: jobmaster %s connected (agent %s, %s)", ut_rpc_link_peer(link),
             ut_rpc_link_agent(link) ? ut_rpc_link_agent(link) : "-",
             ut_rpc_link_tls(link) ? ut_rpc_link_tls(link) : "plaintext");
}

static void bm_rpc_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    log_warn("rpc: jobmaster %s gone: %s", ut_rpc_link_peer(link), reason);
}

static void bm_bp_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata) {}

static int bm_server_bitpeer(bm_server *srv)
{
    static const ut_rpc_handlers h = {.on_msg = bm_bp_on_msg};
    srv->bitpeers = calloc(srv->cfg->bitpeer_count + 1, sizeof(ut_rpc_clt *));
    if (!srv->bitpeers)
        return -1;
    for (size_t i = 0; i < srv->cfg->bitpeer_count; i++) {
        ut_rpc_cfg rc = {.addr = srv->cfg->bitpeer[i]};
        srv->bitpeers[i] = ut_rpc_clt_create(srv->loop, &rc, &h, srv);
        if (!srv->bitpeers[i])
            return -1;
        srv->bitpeer_count = i + 1;
        if (ut_rpc_clt_start(srv->bitpeers[i]) < 0)
            return -1;
    }
    return 0;
}

static int bm_server_listen(bm_server *srv)
{
    const bm_config *cfg = srv->cfg;
    static const ut_rpc_handlers rh = {.on_msg = bm_rpc_on_msg, .on_up = bm_rpc_on_up,
                                       .on_down = bm_rpc_on_down};
    nw_tls_cfg tls = {.cert_file = cfg->tls_cert, .key_file = cfg->tls_key,
                      .ca_file = cfg->tls_ca, .require_client_cert = cfg->tls_require_cert};
    ut_rpc_cfg rc = {.addr = cfg->rpc.bind, .heartbeat = cfg->rpc_heartbeat,
                     .request_timeout = cfg->fetch_timeout,
                     .allow = (const char **)cfg->rpc.allow, .agents = cfg->agents,
                     .tls = cfg->tls_cert ? &tls : NULL, .max_body = 256u << 20};
    srv->rpc = ut_rpc_svr_create(srv->loop, &rc, &rh, srv);
    if (!srv->rpc || ut_rpc_svr_start(srv->rpc) < 0) {
        log_fatal("rpc: cannot listen on %s", cfg->rpc.bind);
        return -1;
    }
    if (cfg->http.bind) {
        srv->http = bm_http_start(srv->loop, cfg->http.bind, (const char *const *)cfg->http.allow,
                                  srv);
        if (!srv->http)
            return -1;
    }
    return 0;
}

bm_server *bm_server_create(struct ev_loop *loop, const bm_config *cfg)
{
    bm_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->loop = loop;
    srv->cfg = cfg;
    srv->node = bm_node_create(loop, &cfg->node, 2);
    srv->mempool = srv->node ? bm_mempool_create(loop, srv->node, cfg->mempool_poll,
                                                 cfg->mempool_max) : NULL;
    if (!srv->mempool || bm_server_listen(srv) < 0 || bm_server_bitpeer(srv) < 0) {
        bm_server_free(srv);
        return NULL;
    }
    return srv;
}

void bm_server_free(bm_server *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < srv->bitpeer_count; i++)
        ut_rpc_clt_free(srv->bitpeers[i]);
    free(srv->bitpeers);
    ut_status_free(srv->http);
    if (srv->rpc)
        ut_rpc_svr_free(srv->rpc);
    bm_mempool_free(srv->mempool);
    bm_node_free(srv->node);
    free(srv);
}

size_t bm_server_jobmasters(const bm_server *srv) { return ut_rpc_svr_count(srv->rpc); }

size_t bm_server_bitpeers_up(const bm_server *srv)
{
    size_t n = 0;
    for (size_t i = 0; i < srv->bitpeer_count; i++)
        n += ut_rpc_clt_up(srv->bitpeers[i]);
    return n;
}
