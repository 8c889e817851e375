/* ut_p2p: Bitcoin P2P message framing and the payloads bitpeer speaks
 * (see ut_p2p.h). Every reader works on a (pointer, remaining) cursor that
 * fails instead of reading past the end. */
#include "utils/ut_p2p.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_sha256.h"

/* ---- a bounded reader ---- */

typedef struct rd {
    const uint8_t *p;
    size_t left;
    bool bad;
} rd;

static const uint8_t *rd_take(rd *r, size_t n)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return NULL;
    }
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

static uint64_t rd_compact(rd *r)
{
    uint64_t v = 0;
    size_t used = r->bad ? 0 : ut_compact_get(r->p, r->left, &v);
    if (!used) {
        r->bad = true;
        return 0;
    }
    r->p += used;
    r->left -= used;
    return v;
}

static uint32_t rd_le32(rd *r)
{
    const uint8_t *p = rd_take(r, 4);
    return p ? ut_le32_get(p) : 0;
}

static uint64_t rd_le64(rd *r)
{
    const uint8_t *p = rd_take(r, 8);
    return p ? ut_le64_get(p) : 0;
}

/* Skips a CompactSize-prefixed byte string. */
static void rd_skip_var(rd *r)
{
    uint64_t n = rd_compact(r);
    if (!r->bad && n > r->left)
        r->bad = true;
    else
        rd_take(r, (size_t)n);
}

/* ---- networks and framing ---- */

int ut_p2p_magic(const char *network, uint32_t *magic)
{
    static const struct { const char *name; uint32_t magic; } nets[] = {
        {"main", 0xd9b4bef9u}, {"testnet", 0x0709110bu}, {"signet", 0x40cf030au},
        {"regtest", 0xdab5bffau}, {"bcoin-regtest", 0xdab5bffau},
    };
    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
        if (network && strcmp(network, nets[i].name) == 0) {
            *magic = nets[i].magic;
            return 0;
        }
    return -1;
}

static bool p2p_cmd_ok(const uint8_t *c)
{
    size_t i = 0;
    while (i < 12 && c[i] >= 0x20 && c[i] < 0x7f)
        i++;
    if (i == 0)
        return false;
    for (; i < 12; i++)
        if (c[i] != 0)
            return false;
    return true;
}

long ut_p2p_frame(const uint8_t *p, size_t len, uint32_t magic, size_t max_payload,
                  ut_p2p_hdr *h)
{
    if (len >= 4 && ut_le32_get(p) != magic)
        return -1;
    if (len < UT_P2P_HDR_SIZE)
        return 0;
    if (!p2p_cmd_ok(p + 4))
        return -1;
    h->magic = magic;
    memcpy(h->cmd, p + 4, 12);
    h->cmd[12] = '\0';
    h->len = ut_le32_get(p + 16);
    memcpy(h->checksum, p + 20, 4);
    if (h->len > max_payload || h->len > UT_P2P_MAX_PAYLOAD)
        return -1;
    size_t total = UT_P2P_HDR_SIZE + (size_t)h->len;
    return len >= total ? (long)total : 0;
}

bool ut_p2p_checksum_ok(const ut_p2p_hdr *h, const uint8_t *payload)
{
    uint8_t d[32];
    ut_sha256d(payload, h->len, d);
    return memcmp(d, h->checksum, 4) == 0;
}

void ut_p2p_msg(ut_bytes *out, uint32_t magic, const char *cmd, const void *payload, size_t len)
{
    uint8_t hdr[UT_P2P_HDR_SIZE] = {0};
    uint8_t d[32];
    ut_le32_put(hdr, magic);
    size_t n = strlen(cmd);
    memcpy(hdr + 4, cmd, n > 12 ? 12 : n);
    ut_le32_put(hdr + 16, (uint32_t)len);
    ut_sha256d(payload, len, d);
    memcpy(hdr + 20, d, 4);
    ut_bytes_put(out, hdr, sizeof(hdr));
    if (len)
        ut_bytes_put(out, payload, len);
}

/* ---- version ---- */

void ut_p2p_ipv4_mapped(const uint8_t ip4[4], uint8_t out[16])
{
    memset(out, 0, 16);
    out[10] = 0xff;
    out[11] = 0xff;
    memcpy(out + 12, ip4, 4);
}

void ut_p2p_version_put(ut_bytes *out, const ut_p2p_version *v)
{
    uint8_t port[2], zeros[26] = {0};
    ut_bytes_le32(out, (uint32_t)v->version);
    ut_bytes_le64(out, v->services);
    ut_bytes_le64(out, (uint64_t)v->timestamp);
    ut_bytes_le64(out, v->recv_services);
    ut_bytes_put(out, v->recv_ip, 16);
    ut_be16_put(port, v->recv_port);
    ut_bytes_put(out, port, 2);
    ut_bytes_put(out, zeros, sizeof(zeros));
    ut_bytes_le64(out, v->nonce);
    size_t ua = strlen(v->user_agent);
    ut_bytes_compact(out, ua);
    ut_bytes_put(out, v->user_agent, ua);
    ut_bytes_le32(out, (uint32_t)v->start_height);
    ut_bytes_u8(out, v->relay ? 1 : 0);
}

int ut_p2p_version_parse(const uint8_t *p, size_t len, ut_p2p_version *v)
{
    rd r = {p, len, false};
    memset(v, 0, sizeof(*v));
    v->version = (int32_t)rd_le32(&r);
    v->services = rd_le64(&r);
    v->timestamp = (int64_t)rd_le64(&r);
    v->recv_services = rd_le64(&r);
    const uint8_t *ip = rd_take(&r, 16);
    const uint8_t *port = rd_take(&r, 2);
    rd_take(&r, 26);                      /* addr_from */
    v->nonce = rd_le64(&r);
    uint64_t ua = rd_compact(&r);
    if (r.bad || ua > 256 || ua > r.left)
        return -1;
    memcpy(v->user_agent, rd_take(&r, (size_t)ua), (size_t)ua);
    v->user_agent[ua] = '\0';
    memcpy(v->recv_ip, ip, 16);
    v->recv_port = ut_be16_get(port);
    v->start_height = (int32_t)rd_le32(&r);
    if (r.bad)
        return -1;
    const uint8_t *relay = rd_take(&r, 1);
    v->relay = relay && *relay;
    return 0;
}

/* ---- headers ---- */

void ut_p2p_header_parse(const uint8_t raw[80], ut_p2p_header *h)
{
    h->version = ut_le32_get(raw);
    memcpy(h->prev, raw + 4, 32);
    memcpy(h->merkle, raw + 36, 32);
    h->time = ut_le32_get(raw + 68);
    h->bits = ut_le32_get(raw + 72);
    h->nonce = ut_le32_get(raw + 76);
    ut_header_hash(raw, h->hash);
}

void ut_p2p_getheaders_put(ut_bytes *out, uint32_t version, const uint8_t (*locator)[32],
                           size_t n, const uint8_t stop[32])
{
    static const uint8_t zero[32];
    ut_bytes_le32(out, version);
    ut_bytes_compact(out, n);
    for (size_t i = 0; i < n; i++)
        ut_bytes_put(out, locator[i], 32);
    ut_bytes_put(out, stop ? stop : zero, 32);
}

long ut_p2p_headers_parse(const uint8_t *p, size_t len, uint8_t (*out)[80], size_t cap)
{
    rd r = {p, len, false};
    uint64_t n = rd_compact(&r);
    if (r.bad || n > cap || n > UT_P2P_MAX_HEADERS)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *h = rd_take(&r, 80);
        rd_compact(&r);
        if (r.bad)
            return -1;
        memcpy(out[i], h, 80);
    }
    return r.left == 0 ? (long)n : -1;
}

void ut_p2p_headers_put(ut_bytes *out, const uint8_t (*hdrs)[80], size_t n)
{
    ut_bytes_compact(out, n);
    for (size_t i = 0; i < n; i++) {
        ut_bytes_put(out, hdrs[i], 80);
        ut_bytes_u8(out, 0);
    }
}

/* ---- inv ---- */

long ut_p2p_inv_parse(const uint8_t *p, size_t len, ut_p2p_inv *out, size_t cap)
{
    rd r = {p, len, false};
    uint64_t n = rd_compact(&r);
    if (r.bad || n > cap || n > UT_P2P_MAX_INV || n * 36 != r.left)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        out[i].type = rd_le32(&r);
        memcpy(out[i].hash, rd_take(&r, 32), 32);
    }
    return (long)n;
}

void ut_p2p_inv_put(ut_bytes *out, const ut_p2p_inv *items, size_t n)
{
    ut_bytes_compact(out, n);
    for (size_t i = 0; i < n; i++) {
        ut_bytes_le32(out, items[i].type);
        ut_bytes_put(out, items[i].hash, 32);
    }
}

/* ---- transactions and blocks ---- */

/* Inputs then outputs; returns the input count (for the witness part). */
static uint64_t p2p_tx_io(rd *r)
{
    uint64_t nin = rd_compact(r);
    for (uint64_t i = 0; i < nin && !r->bad; i++) {
        rd_take(r, 36);
        rd_skip_var(r);
        rd_take(r, 4);
    }
    uint64_t nout = rd_compact(r);
    for (uint64_t i = 0; i < nout && !r->bad; i++) {
        rd_take(r, 8);
        rd_skip_var(r);
    }
    return nin;
}

static void p2p_tx_hash_stripped(const uint8_t *p, const ut_p2p_tx *tx, uint8_t out[32])
{
    if (!tx->witness) {
        ut_sha256d(p, tx->len, out);
        return;
    }
    ut_bytes b;
    ut_bytes_init(&b);
    ut_bytes_put(&b, p, 4);
    ut_bytes_put(&b, p + tx->io_off, tx->io_len);
    ut_bytes_put(&b, p + tx->len - 4, 4);
    ut_sha256d(b.data, b.len, out);
    ut_bytes_free(&b);
}

size_t ut_p2p_tx_scan(const uint8_t *p, size_t avail, ut_p2p_tx *tx)
{
    rd r = {p, avail, false};
    memset(tx, 0, sizeof(*tx));
    rd_take(&r, 4);
    if (r.left >= 2 && r.p[0] == 0 && r.p[1] != 0) {
        tx->witness = true;
        rd_take(&r, 2);
    }
    tx->io_off = (size_t)(r.p - p);
    uint64_t nin = p2p_tx_io(&r);
    tx->io_len = (size_t)(r.p - p) - tx->io_off;
    if (tx->witness)
        for (uint64_t i = 0; i < nin && !r.bad; i++) {
            uint64_t items = rd_compact(&r);
            for (uint64_t k = 0; k < items && !r.bad; k++)
                rd_skip_var(&r);
        }
    rd_take(&r, 4);
    if (r.bad)
        return 0;
    tx->len = (size_t)(r.p - p);
    ut_sha256d(p, tx->len, tx->wtxid);
    p2p_tx_hash_stripped(p, tx, tx->txid);
    return tx->len;
}

int ut_p2p_block_parse(const uint8_t *raw, size_t len, ut_p2p_block *b)
{
    memset(b, 0, sizeof(*b));
    rd r = {raw, len, false};
    const uint8_t *hdr = rd_take(&r, 80);
    uint64_t n = rd_compact(&r);
    /* every transaction takes at least 10 bytes (no input, no output) */
    if (r.bad || n == 0 || n > r.left / 10)
        return -1;
    ut_p2p_header_parse(hdr, &b->header);
    b->txs = calloc((size_t)n, sizeof(ut_p2p_tx));
    if (!b->txs)
        return -1;
    b->raw = raw;
    b->len = len;
    for (uint64_t i = 0; i < n; i++) {
        size_t used = ut_p2p_tx_scan(r.p, r.left, &b->txs[i]);
        if (!used) {
            ut_p2p_block_free(b);
            return -1;
        }
        b->txs[i].off = (size_t)(r.p - raw);
        b->witness |= b->txs[i].witness;
        rd_take(&r, used);
    }
    b->tx_count = (size_t)n;
    if (r.left != 0) {
        ut_p2p_block_free(b);
        return -1;
    }
    return 0;
}

void ut_p2p_block_free(ut_p2p_block *b)
{
    free(b->txs);
    memset(b, 0, sizeof(*b));
}

void ut_p2p_tx_put_stripped(ut_bytes *out, const ut_p2p_block *b, size_t i)
{
    const ut_p2p_tx *tx = &b->txs[i];
    const uint8_t *p = b->raw + tx->off;
    if (!tx->witness) {
        ut_bytes_put(out, p, tx->len);
        return;
    }
    ut_bytes_put(out, p, 4);
    ut_bytes_put(out, p + tx->io_off, tx->io_len);
    ut_bytes_put(out, p + tx->len - 4, 4);
}

void ut_p2p_block_put_stripped(ut_bytes *out, const ut_p2p_block *b)
{
    ut_bytes_put(out, b->raw, 80);
    ut_bytes_compact(out, b->tx_count);
    for (size_t i = 0; i < b->tx_count; i++)
        ut_p2p_tx_put_stripped(out, b, i);
}

/* ---- BIP152 ---- */

void ut_p2p_shortid_key(const uint8_t header[80], uint64_t nonce, ut_hash_key *key)
{
    uint8_t buf[88], h[32];
    memcpy(buf, header, 80);
    ut_le64_put(buf + 80, nonce);
    ut_sha256(buf, sizeof(buf), h);
    key->k0 = ut_le64_get(h);
    key->k1 = ut_le64_get(h + 8);
}

uint64_t ut_p2p_shortid(const ut_hash_key *key, const uint8_t hash[32])
{
    return ut_siphash(key, 2, 4, hash, 32) & 0xffffffffffffull;
}

static void p2p_put_tx(ut_bytes *out, const ut_p2p_block *b, size_t i, bool witness)
{
    if (witness)
        ut_bytes_put(out, b->raw + b->txs[i].off, b->txs[i].len);
    else
        ut_p2p_tx_put_stripped(out, b, i);
}

void ut_p2p_cmpct_put(ut_bytes *out, const ut_p2p_block *b, uint64_t nonce, int version)
{
    ut_hash_key key;
    ut_p2p_shortid_key(b->raw, nonce, &key);
    ut_bytes_put(out, b->raw, 80);
    ut_bytes_le64(out, nonce);
    ut_bytes_compact(out, b->tx_count - 1);
    for (size_t i = 1; i < b->tx_count; i++) {
        const uint8_t *h = version == 2 ? b->txs[i].wtxid : b->txs[i].txid;
        uint8_t sid[8];
        ut_le64_put(sid, ut_p2p_shortid(&key, h));
        ut_bytes_put(out, sid, 6);
    }
    ut_bytes_compact(out, 1);
    ut_bytes_compact(out, 0);
    p2p_put_tx(out, b, 0, version == 2);
}

int ut_p2p_cmpct_parse(const uint8_t *p, size_t len, ut_p2p_cmpct *c)
{
    rd r = {p, len, false};
    memset(c, 0, sizeof(*c));
    c->header = rd_take(&r, 80);
    c->nonce = rd_le64(&r);
    c->shortids = rd_compact(&r);
    if (r.bad || c->shortids > r.left / 6)
        return -1;
    rd_take(&r, (size_t)c->shortids * 6);
    c->prefilled = rd_compact(&r);
    if (r.bad || c->prefilled > r.left / 11)   /* an index and at least 10 bytes */
        return -1;
    uint64_t total = c->shortids + c->prefilled, next = 0;
    for (uint64_t i = 0; i < c->prefilled && !r.bad; i++) {
        uint64_t diff = rd_compact(&r);
        ut_p2p_tx tx;
        size_t used = r.bad ? 0 : ut_p2p_tx_scan(r.p, r.left, &tx);
        if (!used || diff >= total || next + diff >= total)
            return -1;
        next += diff + 1;
        rd_take(&r, used);
    }
    return r.bad || r.left != 0 ? -1 : 0;
}

long ut_p2p_getblocktxn_parse(const uint8_t *p, size_t len, uint8_t hash[32], uint32_t *idx,
                              size_t cap)
{
    rd r = {p, len, false};
    const uint8_t *h = rd_take(&r, 32);
    uint64_t n = rd_compact(&r);
    if (r.bad || n > cap || n > r.left)
        return -1;
    memcpy(hash, h, 32);
    uint64_t next = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t diff = rd_compact(&r);
        if (r.bad || diff > 0xffffffffull || next + diff > 0xffffffffull)
            return -1;
        idx[i] = (uint32_t)(next + diff);
        next += diff + 1;
    }
    return r.left == 0 ? (long)n : -1;
}

void ut_p2p_blocktxn_put(ut_bytes *out, const ut_p2p_block *b, const uint32_t *idx, size_t n,
                         bool witness)
{
    ut_bytes_put(out, b->header.hash, 32);
    ut_bytes_compact(out, n);
    for (size_t i = 0; i < n; i++)
        p2p_put_tx(out, b, idx[i], witness);
}

int ut_p2p_sendcmpct_parse(const uint8_t *p, size_t len, bool *announce, uint64_t *version)
{
    if (len != 9)
        return -1;
    *announce = p[0] != 0;
    *version = ut_le64_get(p + 1);
    return 0;
}

void ut_p2p_sendcmpct_put(ut_bytes *out, bool announce, uint64_t version)
{
    ut_bytes_u8(out, announce ? 1 : 0);
    ut_bytes_le64(out, version);
}
