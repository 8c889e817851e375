/* ut_thin: decoding a thin block (BIP152 cmpctblock payload) into slots,
 * filling them from a mempool and from the sender, and checking the
 * assembled block before anyone submits it. */
#include "utils/ut_thin.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_merkle.h"
#include "utils/ut_p2p.h"
#include "utils/ut_sha256.h"

const char *ut_thin_strerror(int rc)
{
    switch (rc) {
    case UT_THIN_OK: return "ok";
    case UT_THIN_MALFORMED: return "malformed thin block";
    case UT_THIN_COLLISION: return "short id collision";
    case UT_THIN_INCOMPLETE: return "transactions missing";
    case UT_THIN_BAD_TX: return "a transaction does not decode";
    case UT_THIN_BAD_SIZE: return "size differs from the declared one";
    case UT_THIN_BAD_MERKLE: return "merkle root mismatch";
    case UT_THIN_NOMEM: return "out of memory";
    default: return "unknown error";
    }
}

/* The prefilled transactions: index differences and whole transactions. */
static int thin_prefilled(ut_thin *t, const uint8_t *p, size_t left, uint64_t n)
{
    uint64_t next = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t diff;
        size_t used = ut_compact_get(p, left, &diff);
        if (!used || diff >= t->count || next + diff >= t->count)
            return UT_THIN_MALFORMED;
        p += used;
        left -= used;
        ut_p2p_tx tx;
        size_t tl = ut_p2p_tx_scan(p, left, &tx);
        size_t at = (size_t)(next + diff);
        if (!tl || t->slots[at].prefilled)
            return UT_THIN_MALFORMED;
        t->slots[at] = (ut_thin_slot){.raw = p, .len = tl, .prefilled = true};
        p += tl;
        left -= tl;
        next += diff + 1;
    }
    return left == 0 ? UT_THIN_OK : UT_THIN_MALFORMED;
}

/* Short ids go to the slots that are not prefilled, in order. */
static int thin_shortids(ut_thin *t, const uint8_t *ids, uint64_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < t->count; i++) {
        ut_thin_slot *s = &t->slots[i];
        if (s->prefilled)
            continue;
        if (k >= n)
            return UT_THIN_MALFORMED;
        uint8_t b[8] = {0};
        memcpy(b, ids + 6 * k++, 6);
        s->shortid = ut_le64_get(b);
        void *v;
        int rc = ut_htab_put(&t->ids, b, 6, &v);
        if (rc < 0)
            return UT_THIN_NOMEM;
        if (rc == 0)
            return UT_THIN_COLLISION;
        memcpy(v, &i, sizeof(i));
        t->missing++;
    }
    return k == n ? UT_THIN_OK : UT_THIN_MALFORMED;
}

int ut_thin_begin(ut_thin *t, const uint8_t *p, size_t len)
{
    memset(t, 0, sizeof(*t));
    ut_htab_init(&t->ids, sizeof(size_t), 0);
    ut_p2p_cmpct c;
    if (ut_p2p_cmpct_parse(p, len, &c) < 0 || c.shortids + c.prefilled == 0 ||
        c.shortids + c.prefilled > UT_THIN_MAX_TX)
        return UT_THIN_MALFORMED;
    memcpy(t->header, p, 80);
    ut_header_hash(t->header, t->hash);
    t->nonce = c.nonce;
    ut_p2p_shortid_key(t->header, t->nonce, &t->key);
    t->count = (size_t)(c.shortids + c.prefilled);
    t->slots = calloc(t->count, sizeof(*t->slots));
    if (!t->slots)
        return UT_THIN_NOMEM;
    size_t off = 88, used = 0;
    uint64_t n;
    used = ut_compact_get(p + off, len - off, &n);
    off += used;
    const uint8_t *ids = p + off;
    off += (size_t)n * 6;
    used = ut_compact_get(p + off, len - off, &n);
    off += used;
    int rc = thin_prefilled(t, p + off, len - off, n);
    return rc == UT_THIN_OK ? thin_shortids(t, ids, c.shortids) : rc;
}

void ut_thin_free(ut_thin *t)
{
    free(t->slots);
    ut_htab_free(&t->ids);
    memset(t, 0, sizeof(*t));
}

uint64_t ut_thin_shortid(const ut_thin *t, const uint8_t wtxid[32])
{
    return ut_p2p_shortid(&t->key, wtxid);
}

static void thin_offer(ut_thin *t, const ut_thin_have *h, size_t *filled)
{
    uint8_t b[8];
    ut_le64_put(b, ut_thin_shortid(t, h->wtxid));
    const size_t *at = ut_htab_get(&t->ids, b, 6);
    if (!at)
        return;
    ut_thin_slot *s = &t->slots[*at];
    if (s->ambiguous || (s->raw && memcmp(s->wtxid, h->wtxid, 32) == 0))
        return;
    if (s->raw) {                       /* a second candidate: ask the sender instead */
        s->raw = NULL;
        s->len = 0;
        s->ambiguous = true;
        t->missing++;
        (*filled)--;
        return;
    }
    s->raw = h->raw;
    s->len = h->len;
    memcpy(s->wtxid, h->wtxid, 32);
    t->missing--;
    (*filled)++;
}

size_t ut_thin_match(ut_thin *t, const ut_thin_have *have, size_t n)
{
    size_t filled = 0;
    for (size_t i = 0; i < n && t->missing; i++)
        thin_offer(t, &have[i], &filled);
    return filled;
}

size_t ut_thin_missing(const ut_thin *t, uint32_t *idx, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < t->count && k < cap; i++)
        if (!t->slots[i].raw)
            idx[k++] = (uint32_t)i;
    return k;
}

int ut_thin_fill(ut_thin *t, size_t i, const uint8_t *raw, size_t len)
{
    if (i >= t->count || t->slots[i].raw)
        return UT_THIN_MALFORMED;
    ut_p2p_tx tx;
    if (ut_p2p_tx_scan(raw, len, &tx) != len)
        return UT_THIN_BAD_TX;
    t->slots[i].raw = raw;
    t->slots[i].len = len;
    t->missing--;
    return UT_THIN_OK;
}

/* Merkle root of the parsed block's txids against its header. */
int ut_thin_check_block(const uint8_t *raw, size_t len)
{
    ut_p2p_block b;
    if (ut_p2p_block_parse(raw, len, &b) < 0)
        return UT_THIN_BAD_TX;
    uint8_t (*ids)[32] = malloc(b.tx_count * 32);
    if (!ids) {
        ut_p2p_block_free(&b);
        return UT_THIN_NOMEM;
    }
    for (size_t i = 0; i < b.tx_count; i++)
        memcpy(ids[i], b.txs[i].txid, 32);
    uint8_t root[32];
    ut_merkle_root((const uint8_t (*)[32])ids, b.tx_count, root);
    int rc = memcmp(root, b.header.merkle, 32) == 0 ? UT_THIN_OK : UT_THIN_BAD_MERKLE;
    free(ids);
    ut_p2p_block_free(&b);
    return rc;
}

int ut_thin_finish(ut_thin *t, size_t size, ut_bytes *out)
{
    if (t->missing)
        return UT_THIN_INCOMPLETE;
    size_t start = out->len;
    ut_bytes_put(out, t->header, 80);
    ut_bytes_compact(out, t->count);
    for (size_t i = 0; i < t->count; i++)
        ut_bytes_put(out, t->slots[i].raw, t->slots[i].len);
    if (out->oom)
        return UT_THIN_NOMEM;
    size_t got = out->len - start;
    if (size && got != size)
        return UT_THIN_BAD_SIZE;
    return ut_thin_check_block(out->data + start, got);
}
