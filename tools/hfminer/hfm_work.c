/* hfm_work: jobs, header templates and the cursor that walks a job's
 * search space (nonce, then rolled version bits, then extranonce2). */
#include "tools/hfminer/hfm_work.h"

#include <stdlib.h>
#include <string.h>

#include "utils/ut_hex.h"
#include "utils/ut_merkle.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"
#include "utils/ut_diff.h"
#include "utils/ut_target.h"

#define HFM_NONCE_SPACE (UINT64_C(1) << 32)

hfm_job *hfm_job_new(void)
{
    hfm_job *job = calloc(1, sizeof(*job));
    if (job) {
        job->refs = 1;
        hfm_job_set_diff(job, 1.0);
    }
    return job;
}

void hfm_job_set_diff(hfm_job *job, double diff)
{
    job->diff = diff;
    /* A pool difficulty below UT_DIFF_MIN accepts every hash; an invalid
     * one (not sent by a sane pool) accepts none. */
    if (ut_target_from_diff(diff, job->target) != 0)
        memset(job->target, diff > 0 && diff < UT_DIFF_MIN ? 0xff : 0, 32);
}

hfm_job *hfm_job_ref(hfm_job *job)
{
    if (job)
        job->refs++;
    return job;
}

void hfm_job_unref(hfm_job *job)
{
    if (!job || --job->refs > 0)
        return;
    free(job->coinb1);
    free(job->coinb2);
    free(job);
}

int hfm_prevhash_from_notify(const char *hex, uint8_t internal[32])
{
    if (!hex || strlen(hex) != 64 || ut_hex_decode(hex, internal, 32) != 0)
        return -1;
    for (int w = 0; w < 8; w++)
        ut_bytes_reverse(internal + 4 * w, 4);
    return 0;
}

void hfm_prevhash_to_notify(const uint8_t internal[32], char hex[65])
{
    uint8_t tmp[32];
    memcpy(tmp, internal, 32);
    for (int w = 0; w < 8; w++)
        ut_bytes_reverse(tmp + 4 * w, 4);
    ut_hex_encode(tmp, 32, hex);
}

int hfm_coinbase_txid(const hfm_job *job, const uint8_t *en1, size_t en1_len,
                      const uint8_t *en2, size_t en2_len, uint8_t txid[32])
{
    size_t len = job->coinb1_len + en1_len + en2_len + job->coinb2_len;
    if (len > HFM_COINBASE_MAX)
        return -1;
    uint8_t *tx = malloc(len ? len : 1);
    if (!tx)
        return -1;
    uint8_t *p = tx;
    if (job->coinb1_len)
        memcpy(p, job->coinb1, job->coinb1_len);
    p += job->coinb1_len;
    if (en1_len)
        memcpy(p, en1, en1_len);
    p += en1_len;
    if (en2_len)
        memcpy(p, en2, en2_len);
    p += en2_len;
    if (job->coinb2_len)
        memcpy(p, job->coinb2, job->coinb2_len);
    ut_sha256d(tx, len, txid);
    free(tx);
    return 0;
}

void hfm_header_build(uint8_t header[80], uint32_t version, const uint8_t prev[32],
                      const uint8_t root[32], uint32_t ntime, uint32_t nbits,
                      uint32_t nonce)
{
    ut_le32_put(header, version);
    memcpy(header + 4, prev, 32);
    memcpy(header + 36, root, 32);
    ut_le32_put(header + 68, ntime);
    ut_le32_put(header + 72, nbits);
    ut_le32_put(header + 76, nonce);
}

void hfm_header_set_nonce(uint8_t header[80], uint32_t nonce)
{
    ut_le32_put(header + 76, nonce);
}

void hfm_header_set_ntime(uint8_t header[80], uint32_t ntime)
{
    ut_le32_put(header + 68, ntime);
}

uint32_t hfm_version_bits(uint32_t mask, uint64_t k)
{
    uint32_t out = 0;
    for (int bit = 0; bit < 32 && k; bit++) {
        if (!(mask & (UINT32_C(1) << bit)))
            continue;
        if (k & 1)
            out |= UINT32_C(1) << bit;
        k >>= 1;
    }
    return out;
}

uint32_t hfm_version_apply(uint32_t job_version, uint32_t mask, uint32_t bits)
{
    return (job_version & ~mask) | (bits & mask);
}

int hfm_popcount32(uint32_t v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

void hfm_en2_encode(uint64_t counter, uint8_t *out, size_t len)
{
    for (size_t i = len; i > 0; i--) {
        out[i - 1] = (uint8_t)(counter & 0xff);
        counter >>= 8;
    }
}

int hfm_work_set(hfm_work *w, hfm_job *job, const uint8_t *en1, size_t en1_len,
                 const uint8_t *en2, size_t en2_len, uint32_t mask, uint32_t vbits,
                 bool rolled)
{
    uint8_t txid[32], root[32];
    if (en2_len > HFM_EN_MAX || hfm_coinbase_txid(job, en1, en1_len, en2, en2_len, txid))
        return -1;
    ut_merkle_fold(txid, (const uint8_t (*)[32])job->branch, job->branch_len, root);
    hfm_job_ref(job);
    hfm_job_unref(w->job);
    w->job = job;
    if (en2_len)
        memcpy(w->en2, en2, en2_len);
    w->en2_len = en2_len;
    w->vbits = vbits & mask;
    w->version = hfm_version_apply(job->version, mask, vbits);
    w->rolled = rolled;
    hfm_header_build(w->header, w->version, job->prevhash, root, job->ntime, job->nbits, 0);
    ut_header_midstate(w->header, &w->mid);
    return 0;
}

void hfm_work_clear(hfm_work *w)
{
    hfm_job_unref(w->job);
    memset(w, 0, sizeof(*w));
}

void hfm_work_copy(hfm_work *dst, const hfm_work *src)
{
    *dst = *src;
    hfm_job_ref(dst->job);
}

bool hfm_hash_nonce(uint8_t header[80], uint32_t nonce, const uint8_t target[32],
                    uint8_t hash[32])
{
    hfm_header_set_nonce(header, nonce);
    ut_header_hash(header, hash);
    return ut_hash_meets(hash, target);
}

bool hfm_hash_tail(const ut_sha256_mid *mid, uint8_t tail[16], uint32_t nonce,
                   const uint8_t target[32], uint8_t hash[32])
{
    ut_le32_put(tail + 12, nonce);
    ut_header_hash_mid(mid, tail, hash);
    return ut_hash_meets(hash, target);
}

void hfm_cursor_init(hfm_cursor *c)
{
    memset(c, 0, sizeof(*c));
}

/* Builds the template for the current extranonce2 counter and roll index. */
static int hfm_cursor_build(hfm_cursor *c, hfm_job *job)
{
    uint8_t en2[HFM_EN_MAX];
    hfm_en2_encode(c->en2_cur, en2, c->en2_len);
    /* Roll values start at 1 so rolling is visible from the first share. */
    uint64_t k = (c->roll + 1) % c->roll_count;
    uint32_t vbits = c->mask ? hfm_version_bits(c->mask, k) : 0;
    if (hfm_work_set(&c->work, job, c->en1, c->en1_len, en2, c->en2_len, c->mask, vbits,
                     c->mask != 0))
        return -1;
    c->next_nonce = 0;
    return 0;
}

static bool hfm_cursor_en2_left(const hfm_cursor *c)
{
    if (c->en2_len >= 8)
        return c->en2_counter != UINT64_MAX;
    return c->en2_counter < (UINT64_C(1) << (8 * c->en2_len));
}

int hfm_cursor_start(hfm_cursor *c, hfm_job *job, const uint8_t *en1, size_t en1_len,
                     size_t en2_len, uint32_t mask)
{
    hfm_cursor_stop(c);
    if (!job || en1_len > HFM_EN_MAX || en2_len > HFM_EN_MAX)
        return -1;
    if (en1_len)
        memcpy(c->en1, en1, en1_len);
    c->en1_len = en1_len;
    c->en2_len = en2_len;
    c->mask = mask;
    c->roll = 0;
    c->roll_count = mask ? UINT64_C(1) << hfm_popcount32(mask) : 1;
    if (!hfm_cursor_en2_left(c))
        return -1;
    c->en2_cur = c->en2_counter++;
    if (hfm_cursor_build(c, job))
        return -1;
    c->active = true;
    return 0;
}

/* Moves to the next template: next roll value, else next extranonce2. */
static int hfm_cursor_advance(hfm_cursor *c)
{
    hfm_job *job = c->work.job;
    if (c->roll + 1 < c->roll_count) {
        c->roll++;
        return hfm_cursor_build(c, job);
    }
    if (!hfm_cursor_en2_left(c))
        return -1;
    c->roll = 0;
    c->en2_cur = c->en2_counter++;
    return hfm_cursor_build(c, job);
}

const hfm_work *hfm_cursor_take(hfm_cursor *c, uint32_t want, uint32_t *first,
                                uint32_t *count)
{
    if (!c->active || want == 0)
        return NULL;
    if (c->next_nonce >= HFM_NONCE_SPACE && hfm_cursor_advance(c)) {
        hfm_cursor_stop(c);
        return NULL;
    }
    uint64_t left = HFM_NONCE_SPACE - c->next_nonce;
    *first = (uint32_t)c->next_nonce;
    *count = left < want ? (uint32_t)left : want;
    c->next_nonce += *count;
    return &c->work;
}

void hfm_cursor_stop(hfm_cursor *c)
{
    hfm_work_clear(&c->work);
    c->active = false;
}
