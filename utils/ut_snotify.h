/* ut_snotify: reads a Stratum V1 mining.notify sent by another pool (the
 * client side; poolbench uses it, the fuzz target fuzz_pb_notify drives it).
 *
 * params: [job_id, prevhash, coinb1, coinb2, merkle_branch[], version,
 *          nbits, ntime, clean_jobs]
 *
 *   prevhash   the previous block's hash in Stratum's order: the header's
 *              32 bytes (internal order) with every 4-byte word
 *              byte-swapped, as hex. Undone here into internal order
 *              (prev) and the usual display hex (prev_hex, what
 *              getbestblockhash prints).
 *   coinb1     the coinbase transaction up to the extranonce: version (4),
 *              an optional segwit marker+flag (00 01), the input count
 *              (must be 1), the null outpoint (36), the scriptSig length
 *              (compact size), then the scriptSig, which starts with the
 *              BIP34 height push (ut_bip34_parse: OP_0, OP_1..OP_16, or a
 *              push of 1..5 bytes). Every read is bounds-checked against
 *              both coinb1's length and the scriptSig's declared length.
 *   version, nbits, ntime: 8 hex digits each, big-endian numbers. */
#ifndef UT_SNOTIFY_H
#define UT_SNOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UT_SNOTIFY_JOB_ID_MAX 64

typedef struct ut_snotify {
    char job_id[UT_SNOTIFY_JOB_ID_MAX + 1];
    uint8_t prev[32];          /* internal byte order (as in a header) */
    char prev_hex[65];         /* display order */
    uint32_t height;           /* BIP34 height of the block being mined */
    uint32_t version, nbits, ntime;
    size_t branch_count;       /* merkle branch entries (0: an empty block) */
    bool clean;
} ut_snotify;

/* Stratum prevhash (64 hex digits, word-swapped) -> internal order. 0 or -1. */
int ut_snotify_prevhash(const char *hex, uint8_t prev[32]);
/* The BIP34 height from coinb1's bytes. 0, or -1 with err set. */
int ut_snotify_height(const uint8_t *cb1, size_t len, uint32_t *height, char *err,
                      size_t errlen);
/* The whole params array. 0, or -1 with err naming the bad field. */
int ut_snotify_parse(const json_t *params, ut_snotify *out, char *err, size_t errlen);

#endif
