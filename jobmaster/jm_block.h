/* jm_block: rebuilds the block a gateway found on a job: the coinbase with
 * the miner's extranonce, the merkle root, the 80-byte header and its hash,
 * and the full serialized block for submitblock:
 *
 *   header | CompactSize(1 + n) | coinbase | template txs' "data" as given
 *
 * The coinbase is in segwit form (marker 00, flag 01, one witness item of
 * 32 zero bytes) when the template carries a witness commitment. */
#ifndef JM_BLOCK_H
#define JM_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jobmaster/jm_job.h"
#include "utils/ut_pack.h"

/* What the gateway sent, decoded. */
typedef struct jm_found {
    uint8_t extranonce[64];         /* extranonce1 || extranonce2 */
    size_t extranonce_len;
    uint32_t version;               /* final header version after rolling */
    uint32_t ntime;
    uint32_t nonce;
} jm_found;

typedef struct jm_block {
    uint8_t header[80];
    uint8_t hash[32];               /* sha256d(header), internal order */
    char hash_hex[65];              /* display hex */
    uint8_t coinbase_txid[32];
    bool meets_target;              /* hash <= the job's network target */
    ut_bytes raw;                   /* the full block */
} jm_block;

/* Builds everything into out (free with jm_block_free). Returns 0, or -1
 * with err set when the extranonce length does not match the job. */
int jm_block_build(const jm_job *job, const jm_found *f, jm_block *out, char *err,
                   size_t errlen);
void jm_block_free(jm_block *b);

/* The coinbase without witness: coinb1 || extranonce || coinb2. */
void jm_block_coinbase(const jm_job *job, const uint8_t *en, size_t en_len, ut_bytes *out);
/* The same coinbase with marker, flag and the 32-zero-byte witness. */
void jm_block_coinbase_witness(const jm_job *job, const uint8_t *en, size_t en_len,
                               ut_bytes *out);

#endif
