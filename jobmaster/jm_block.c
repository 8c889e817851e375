/* jm_block: assembles a found block from a job and the miner's extranonce,
 * ntime, nonce and version, and checks its proof of work. */
#include "jobmaster/jm_block.h"

#include <stdio.h>
#include <string.h>
#include "utils/ut_hex.h"
#include "utils/ut_merkle.h"
#include "utils/ut_sha256.h"
#include "utils/ut_target.h"

void jm_block_coinbase(const jm_job *job, const uint8_t *en, size_t en_len, ut_bytes *out)
{
    ut_bytes_put(out, job->cb.coinb1, job->cb.coinb1_len);
    ut_bytes_put(out, en, en_len);
    ut_bytes_put(out, job->cb.coinb2, job->cb.coinb2_len);
}

/* coinb1 starts with the 4-byte version and coinb2 ends with the 4-byte
 * locktime; the marker/flag go after the version and the witness before
 * the locktime. */
void jm_block_coinbase_witness(const jm_job *job, const uint8_t *en, size_t en_len,
                               ut_bytes *out)
{
    static const uint8_t zero[32];
    const jm_coinbase *cb = &job->cb;
    ut_bytes_put(out, cb->coinb1, 4);
    ut_bytes_u8(out, 0x00);                   /* marker */
    ut_bytes_u8(out, 0x01);                   /* flag */
    ut_bytes_put(out, cb->coinb1 + 4, cb->coinb1_len - 4);
    ut_bytes_put(out, en, en_len);
    ut_bytes_put(out, cb->coinb2, cb->coinb2_len - 4);
    ut_bytes_compact(out, 1);                 /* one witness item ... */
    ut_bytes_compact(out, 32);                /* ... of 32 bytes */
    ut_bytes_put(out, zero, 32);              /* the witness reserved value */
    ut_bytes_put(out, cb->coinb2 + cb->coinb2_len - 4, 4);
}

static void jm_block_header(const jm_job *job, const jm_found *f, const uint8_t root[32],
                            uint8_t header[80])
{
    ut_le32_put(header, f->version);
    memcpy(header + 4, job->tmpl->prev, 32);
    memcpy(header + 36, root, 32);
    ut_le32_put(header + 68, f->ntime);
    ut_le32_put(header + 72, job->tmpl->bits);
    ut_le32_put(header + 76, f->nonce);
}

static void jm_block_body(const jm_job *job, const jm_found *f, jm_block *out)
{
    const jm_template *t = job->tmpl;
    ut_bytes_put(&out->raw, out->header, 80);
    ut_bytes_compact(&out->raw, 1 + t->tx_count);
    if (t->commitment)
        jm_block_coinbase_witness(job, f->extranonce, f->extranonce_len, &out->raw);
    else
        jm_block_coinbase(job, f->extranonce, f->extranonce_len, &out->raw);
    for (size_t i = 0; i < t->tx_count; i++)
        ut_bytes_put(&out->raw, t->txs[i].data, t->txs[i].len);
}

int jm_block_build(const jm_job *job, const jm_found *f, jm_block *out, char *err,
                   size_t errlen)
{
    memset(out, 0, sizeof(*out));
    ut_bytes_init(&out->raw);
    if (f->extranonce_len != job->extranonce_size) {
        snprintf(err, errlen, "extranonce is %zu bytes, job %s wants %zu", f->extranonce_len,
                 job->id_hex, job->extranonce_size);
        return -1;
    }
    ut_bytes cb;
    ut_bytes_init(&cb);
    jm_block_coinbase(job, f->extranonce, f->extranonce_len, &cb);
    int oom = cb.oom;
    if (!oom)
        ut_sha256d(cb.data, cb.len, out->coinbase_txid);
    ut_bytes_free(&cb);

    uint8_t root[32];
    ut_merkle_fold(out->coinbase_txid, (const uint8_t (*)[32])job->branch, job->branch_len, root);
    jm_block_header(job, f, root, out->header);
    ut_header_hash(out->header, out->hash);
    ut_hash_to_hex(out->hash, out->hash_hex);
    out->meets_target = ut_hash_meets(out->hash, job->target);
    jm_block_body(job, f, out);
    if (oom || out->raw.oom) {
        snprintf(err, errlen, "out of memory building the block");
        jm_block_free(out);
        return -1;
    }
    return 0;
}

void jm_block_free(jm_block *b)
{
    ut_bytes_free(&b->raw);
}
