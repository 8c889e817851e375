/* st_share: share validation and header hashing (see st_share.h). */
#include <string.h>
#include "stratum/st_share.h"
#include "utils/ut_hex.h"
#include "utils/ut_merkle.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"
#include "utils/ut_target.h"

int st_hex_u32(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;

    if (n == 0 || n > 8)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

void st_share_hash(st_job *job, const uint8_t *en1, size_t en1_size, const uint8_t *en2,
                   size_t en2_size, uint32_t version, uint32_t ntime, uint32_t nonce,
                   uint8_t hash[32])
{
    uint8_t txid[32], header[80];
    uint8_t *slot = job->coinbase + job->coinb1_len;

    memcpy(slot, en1, en1_size);
    memcpy(slot + en1_size, en2, en2_size);
    ut_sha256d(job->coinbase, job->coinbase_len, txid);
    ut_le32_put(header, version);
    memcpy(header + 4, job->prev_block, 32);
    ut_merkle_fold(txid, (const uint8_t (*)[32])job->branch, job->branch_len, header + 36);
    ut_le32_put(header + 68, ntime);
    ut_le32_put(header + 72, job->nbits);
    ut_le32_put(header + 76, nonce);
    ut_header_hash(header, hash);
}

/* The share target of a difficulty, remembered for the last difficulty this
 * thread asked about: sessions mostly share a few difficulties, and the
 * 256-bit division costs more than the comparison it serves. The initial
 * entry (difficulty 0, a zero target) is what ut_target_from_diff gives 0. */
static void st_share_target(double diff, uint8_t target[32])
{
    static _Thread_local double last_diff;
    static _Thread_local uint8_t last_target[32];

    if (memcmp(&diff, &last_diff, sizeof(diff)) != 0) {
        (void)ut_target_from_diff(diff, last_target);
        last_diff = diff;
    }
    memcpy(target, last_target, 32);
}

static int st_share_fail(st_share_res *r, int code, const char *msg)
{
    r->code = code;
    r->msg = msg;
    return code;
}

/* Parses the params into r; 0 or an error code. */
static int st_share_parse(const st_job *job, const st_share_sess *s, const st_jv *p,
                          size_t np, st_share_res *r)
{
    uint32_t bits = 0;

    if (np < 3 || np > 4)
        return st_share_fail(r, ST_ERR_OTHER, "Malformed params");
    for (size_t i = 0; i < np; i++)
        if (p[i].type != ST_JV_STRING)
            return st_share_fail(r, ST_ERR_OTHER, "Malformed params");
    if (p[1].n != 8 || st_hex_u32(p[1].p, 8, &r->ntime) != 0 ||
        p[2].n != 8 || st_hex_u32(p[2].p, 8, &r->nonce) != 0 ||
        (np == 4 && st_hex_u32(p[3].p, p[3].n, &bits) != 0))
        return st_share_fail(r, ST_ERR_OTHER, "Malformed params");
    if (p[0].n != 2 * s->en2_size || s->en2_size > ST_EN2_MAX)
        return st_share_fail(r, ST_ERR_OTHER, "Invalid extranonce2 size");
    if (ut_hex_decode(p[0].p, r->en2, s->en2_size) != 0)
        return st_share_fail(r, ST_ERR_OTHER, "Malformed params");
    if (r->ntime < job->min_time || (uint64_t)r->ntime > (uint64_t)job->ntime + ST_NTIME_MAX_AHEAD)
        return st_share_fail(r, ST_ERR_OTHER, "ntime out of range");
    if (bits & ~s->vmask)
        return st_share_fail(r, ST_ERR_OTHER, "Invalid version bits");
    r->version = (job->version & ~s->vmask) | (bits & s->vmask);
    return ST_OK;
}

int st_share_check(st_job *job, const st_share_sess *s, const st_jv *p, size_t np,
                   st_share_res *r)
{
    uint8_t target[32];
    int dup;

    memset(r, 0, sizeof(*r));
    r->msg = "";
    if (s->en1_size + s->en2_size != job->extranonce_size)
        return st_share_fail(r, ST_ERR_JOB, "Job not found");
    if (st_share_parse(job, s, p, np, r) != ST_OK)
        return r->code;
    st_share_hash(job, s->en1, s->en1_size, r->en2, s->en2_size, r->version, r->ntime,
                  r->nonce, r->hash);
    r->block = ut_hash_meets(r->hash, job->network_target);
    /* A session difficulty that is not sane gives no target: only a block
     * (credited at the network difficulty) can pass then. */
    st_share_target(s->diff, target);
    r->diff = s->diff;
    if (!ut_hash_meets(r->hash, target)) {
        if (!r->block)
            return st_share_fail(r, ST_ERR_LOWDIFF, "Low difficulty share");
        /* A block easier than the share target (regtest): credit what it is worth. */
        r->diff = job->network_diff;
    }
    /* Only shares that carry work enter the duplicate set, so junk costs
     * the sender a strike and the server no memory. */
    dup = st_dupset_insert(s->dups, ut_le64_get(r->hash), job->seq, s->live_seq);
    if (dup == ST_DUP_SEEN)
        return st_share_fail(r, ST_ERR_DUP, "Duplicate share");
    if (dup == ST_DUP_FULL)
        return st_share_fail(r, ST_ERR_OTHER, "Too many shares on live jobs");
    r->code = ST_OK;
    return ST_OK;
}
