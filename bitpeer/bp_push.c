/* bp_push: the kept found blocks and the answers to peers' requests for
 * them (see bp_push.h). The announcement messages are framed once per
 * block and written to each peer; the block itself is framed per getdata. */
#include "bitpeer/bp_push.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_sha256.h"

typedef struct bp_found {
    uint8_t *raw;
    ut_p2p_block blk;
    uint32_t height;
    char hash_hex[65];
    double pushed;             /* ev_time when it went out */
    bool *echoed;              /* per peer index */
} bp_found;

struct bp_push {
    struct ev_loop *loop;
    bp_found *ring;
    size_t keep, next, count;
    size_t peer_count;
    uint32_t magic;
    bp_push_stats st;
};

bp_push *bp_push_create(struct ev_loop *loop, size_t keep, size_t peer_count, uint32_t magic)
{
    bp_push *p = calloc(1, sizeof(*p));
    if (!p || !(p->ring = calloc(keep ? keep : 1, sizeof(bp_found)))) {
        free(p);
        return NULL;
    }
    p->loop = loop;
    p->keep = keep ? keep : 1;
    p->peer_count = peer_count;
    p->magic = magic;
    return p;
}

static void bp_found_clear(bp_found *f)
{
    ut_p2p_block_free(&f->blk);
    free(f->raw);
    free(f->echoed);
    memset(f, 0, sizeof(*f));
}

void bp_push_free(bp_push *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->keep; i++)
        bp_found_clear(&p->ring[i]);
    free(p->ring);
    free(p);
}

static bp_found *bp_push_find(const bp_push *p, const uint8_t hash[32])
{
    for (size_t i = 0; i < p->keep; i++)
        if (p->ring[i].raw && memcmp(p->ring[i].blk.header.hash, hash, 32) == 0)
            return &p->ring[i];
    return NULL;
}

bool bp_push_has(const bp_push *p, const uint8_t hash[32])
{
    return bp_push_find(p, hash) != NULL;
}

/* The three announcement forms, framed once. */
typedef struct bp_ann {
    ut_bytes cmpct, headers, inv;
} bp_ann;

static void bp_ann_frame(ut_bytes *out, uint32_t magic, const char *cmd, ut_bytes *payload)
{
    ut_bytes_init(out);
    ut_p2p_msg(out, magic, cmd, payload->data, payload->len);
    ut_bytes_free(payload);
}

static void bp_ann_build(bp_ann *a, const bp_found *f, uint32_t magic)
{
    ut_bytes pl;
    uint64_t nonce = 0;
    if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
        nonce = (uint64_t)(uintptr_t)f ^ (uint64_t)f->pushed;
    ut_bytes_init(&pl);
    ut_p2p_cmpct_put(&pl, &f->blk, nonce, 2);
    bp_ann_frame(&a->cmpct, magic, "cmpctblock", &pl);
    ut_bytes_init(&pl);
    ut_p2p_headers_put(&pl, (const uint8_t (*)[80])f->raw, 1);
    bp_ann_frame(&a->headers, magic, "headers", &pl);
    ut_p2p_inv inv = {.type = UT_INV_BLOCK};
    memcpy(inv.hash, f->blk.header.hash, 32);
    ut_bytes_init(&pl);
    ut_p2p_inv_put(&pl, &inv, 1);
    bp_ann_frame(&a->inv, magic, "inv", &pl);
}

static void bp_ann_free(bp_ann *a)
{
    ut_bytes_free(&a->cmpct);
    ut_bytes_free(&a->headers);
    ut_bytes_free(&a->inv);
}

/* Announces to one ready peer the way it asked for. */
static void bp_push_announce(bp_peer *peer, const bp_ann *a)
{
    bp_peer_stats *st = bp_peer_stats_of(peer);
    st->pushes++;
    if (bp_peer_compact_hb(peer) && bp_peer_compact_version(peer) == 2) {
        if (bp_peer_send_raw(peer, a->cmpct.data, a->cmpct.len, "cmpctblock") == 0)
            st->cmpct_sent++;
    } else if (bp_peer_wants_headers(peer)) {
        if (bp_peer_send_raw(peer, a->headers.data, a->headers.len, "headers") == 0)
            st->headers_sent++;
    } else if (bp_peer_send_raw(peer, a->inv.data, a->inv.len, "inv") == 0) {
        st->inv_sent++;
    }
}

static bp_found *bp_push_store(bp_push *p, const uint8_t *raw, size_t len, uint32_t height,
                               char *err, size_t errlen)
{
    bp_found *f = &p->ring[p->next];
    bp_found_clear(f);
    f->raw = malloc(len ? len : 1);
    f->echoed = calloc(p->peer_count ? p->peer_count : 1, sizeof(bool));
    if (!f->raw || !f->echoed) {
        bp_found_clear(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(f->raw, raw, len);
    if (ut_p2p_block_parse(f->raw, len, &f->blk) < 0) {
        bp_found_clear(f);
        snprintf(err, errlen, "not a serialized block (%zu bytes)", len);
        return NULL;
    }
    f->height = height;
    ut_hash_to_hex(f->blk.header.hash, f->hash_hex);
    p->next = (p->next + 1) % p->keep;
    return f;
}

int bp_push_block(bp_push *p, const uint8_t *raw, size_t len, uint32_t height,
                  bp_peer **peers, size_t n, double t0, char *err, size_t errlen)
{
    bp_found *old = NULL;
    if (len >= 80) {
        uint8_t h[32];
        ut_header_hash(raw, h);
        old = bp_push_find(p, h);
    }
    bp_found *f = old ? old : bp_push_store(p, raw, len, height, err, errlen);
    if (!f) {
        p->st.bad_blocks++;
        return -1;
    }
    p->st.blocks++;
    f->pushed = ev_time();
    bp_ann a;
    bp_ann_build(&a, f, p->magic);
    unsigned sent = 0;
    for (size_t i = 0; i < n; i++)
        if (bp_peer_ready(peers[i])) {
            bp_push_announce(peers[i], &a);
            sent++;
        }
    bp_ann_free(&a);
    double done = ev_time();
    p->st.last_wire_ms = (done - t0) * 1e3;
    if (p->st.last_wire_ms > p->st.max_wire_ms)
        p->st.max_wire_ms = p->st.last_wire_ms;
    p->st.last_peers = sent;
    p->st.last_height = height;
    snprintf(p->st.last_hash, sizeof(p->st.last_hash), "%s", f->hash_hex);
    log_notice("push: block height=%u hash=%s (%zu bytes, %zu txs) announced to %u of %zu "
               "peers in %.3f ms", height, f->hash_hex, len, f->blk.tx_count, sent, n,
               p->st.last_wire_ms);
    return 0;
}

/* One getdata item for a kept block. */
static void bp_push_serve(bp_push *p, bp_peer *peer, const bp_found *f, uint32_t type)
{
    bp_peer_stats *st = bp_peer_stats_of(peer);
    uint32_t base = type & ~UT_INV_WITNESS_FLAG;
    ut_bytes pl;
    ut_bytes_init(&pl);
    if (base == UT_INV_CMPCT_BLOCK) {
        ut_p2p_cmpct_put(&pl, &f->blk, (uint64_t)(uintptr_t)f ^ 0x5bd1e995u,
                         bp_peer_compact_version(peer) == 1 ? 1 : 2);
        if (bp_peer_send(peer, "cmpctblock", pl.data, pl.len) == 0)
            st->cmpct_sent++;
    } else {
        if (type & UT_INV_WITNESS_FLAG || !f->blk.witness)
            ut_bytes_put(&pl, f->raw, f->blk.len);
        else
            ut_p2p_block_put_stripped(&pl, &f->blk);
        if (bp_peer_send(peer, "block", pl.data, pl.len) == 0)
            st->blocks_sent++;
    }
    ut_bytes_free(&pl);
    p->st.getdata_served++;
    log_info("push: peer %s got block %s as %s (%.3f ms after the push)", bp_peer_addr(peer),
             f->hash_hex, base == UT_INV_CMPCT_BLOCK ? "cmpctblock" :
             (type & UT_INV_WITNESS_FLAG) ? "witness block" : "block",
             (ev_time() - f->pushed) * 1e3);
}

void bp_push_on_getdata(bp_push *p, bp_peer *peer, const uint8_t *payload, size_t len)
{
    static ut_p2p_inv items[1024];
    long n = ut_p2p_inv_parse(payload, len, items, 1024);
    if (n < 0) {
        log_warn("push: peer %s: malformed getdata (%zu bytes)", bp_peer_addr(peer), len);
        return;
    }
    size_t missing = 0;
    for (long i = 0; i < n; i++) {
        uint32_t base = items[i].type & ~UT_INV_WITNESS_FLAG;
        const bp_found *f = (base == UT_INV_BLOCK || base == UT_INV_CMPCT_BLOCK)
                                ? bp_push_find(p, items[i].hash) : NULL;
        if (f)
            bp_push_serve(p, peer, f, items[i].type);
        else
            items[missing++] = items[i];
    }
    if (missing) {
        p->st.getdata_unknown += missing;
        ut_bytes pl;
        ut_bytes_init(&pl);
        ut_p2p_inv_put(&pl, items, missing);
        bp_peer_send(peer, "notfound", pl.data, pl.len);
        ut_bytes_free(&pl);
    }
}

void bp_push_on_getblocktxn(bp_push *p, bp_peer *peer, const uint8_t *payload, size_t len)
{
    uint8_t hash[32];
    static uint32_t idx[65536];
    long n = ut_p2p_getblocktxn_parse(payload, len, hash, idx, 65536);
    const bp_found *f = n >= 0 ? bp_push_find(p, hash) : NULL;
    if (!f) {
        log_warn("push: peer %s: getblocktxn for %s block", bp_peer_addr(peer),
                 n < 0 ? "a malformed" : "an unknown");
        return;
    }
    for (long i = 0; i < n; i++)
        if (idx[i] >= f->blk.tx_count) {
            log_warn("push: peer %s: getblocktxn index %u of %zu", bp_peer_addr(peer), idx[i],
                     f->blk.tx_count);
            return;
        }
    ut_bytes pl;
    ut_bytes_init(&pl);
    ut_p2p_blocktxn_put(&pl, &f->blk, idx, (size_t)n, bp_peer_compact_version(peer) != 1);
    if (bp_peer_send(peer, "blocktxn", pl.data, pl.len) == 0)
        bp_peer_stats_of(peer)->blocktxn_sent++;
    ut_bytes_free(&pl);
    p->st.blocktxn_served++;
}

/* Headers of kept blocks whose parent is in the peer's locator (a node
 * that saw our inv asks for the header first). */
void bp_push_on_getheaders(bp_push *p, bp_peer *peer, const uint8_t *payload, size_t len)
{
    uint64_t n = 0;
    size_t used = len > 4 ? ut_compact_get(payload + 4, len - 4, &n) : 0;
    if (!used || n > 101 || len != 4 + used + 32 * (n + 1))
        return;
    const uint8_t *loc = payload + 4 + used;
    uint8_t hdrs[8][80];
    size_t count = 0;
    for (size_t i = 0; i < p->keep && count < 8; i++) {
        const bp_found *f = &p->ring[i];
        for (uint64_t k = 0; f->raw && k < n; k++)
            if (memcmp(f->blk.header.prev, loc + 32 * k, 32) == 0) {
                memcpy(hdrs[count++], f->raw, 80);
                break;
            }
    }
    ut_bytes pl;
    ut_bytes_init(&pl);
    ut_p2p_headers_put(&pl, (const uint8_t (*)[80])hdrs, count);
    bp_peer_send(peer, "headers", pl.data, pl.len);
    ut_bytes_free(&pl);
}

void bp_push_seen(bp_push *p, bp_peer *peer, const uint8_t hash[32])
{
    bp_found *f = bp_push_find(p, hash);
    int i = bp_peer_index(peer);
    if (!f || i < 0 || (size_t)i >= p->peer_count || f->echoed[i])
        return;
    f->echoed[i] = true;
    bp_peer_stats *st = bp_peer_stats_of(peer);
    st->echoes++;
    st->last_echo_ms = (ev_time() - f->pushed) * 1e3;
    log_info("push: peer %s announced our block %s back after %.3f ms", bp_peer_addr(peer),
             f->hash_hex, st->last_echo_ms);
}

const bp_push_stats *bp_push_get_stats(const bp_push *p)
{
    return &p->st;
}
