/* jm_coinbase: builds the coinbase transaction of a job and splits it
 * around the extranonce slot into coinb1 and coinb2, so that
 * coinb1 || extranonce1 || extranonce2 || coinb2 is the transaction
 * without witness (the bytes whose sha256d is the txid).
 *
 *   version | 01 | 00*32 ffffffff | len | scriptSig | ffffffff | outputs | 00000000
 *   scriptSig = BIP34 height | push(pool tag) | push(extranonce_size) <slot>
 *
 * coinb1 ends with the extranonce push opcode; coinb2 starts at the sequence. */
#ifndef JM_COINBASE_H
#define JM_COINBASE_H

#include <stddef.h>
#include <stdint.h>
#include "jobmaster/jm_config.h"

typedef struct jm_coinbase_params {
    uint32_t version;               /* transaction version, 1 or 2 */
    uint32_t height;
    uint64_t value;                 /* template coinbasevalue */
    const jm_payout *payouts;
    size_t payout_count;
    const char *tag;                /* may be "" (no tag push) */
    size_t extranonce_size;
    const uint8_t *commitment;      /* witness commitment script or NULL */
    size_t commitment_len;
} jm_coinbase_params;

typedef struct jm_coinbase {
    uint8_t *coinb1;
    size_t coinb1_len;
    uint8_t *coinb2;
    size_t coinb2_len;
} jm_coinbase;

/* Splits value by the payouts' weights: each output gets value*w/W rounded
 * down, the last one the remainder, so the amounts always sum to value. */
void jm_coinbase_split(uint64_t value, const jm_payout *payouts, size_t n, uint64_t *amounts);

/* Builds coinb1/coinb2 into out (malloc'd; free with jm_coinbase_free).
 * Returns 0, or -1 with err set when the scriptSig would not fit in 2..100
 * bytes or memory ran out. */
int jm_coinbase_build(const jm_coinbase_params *p, jm_coinbase *out, char *err, size_t errlen);
void jm_coinbase_free(jm_coinbase *cb);

#endif
