/* ut_thin: thin blocks between the pool's sites (blockmaster). The thin
 * form of a block is BIP152's cmpctblock payload, version 2, as ut_p2p
 * writes it: the 80-byte header, a nonce, 6-byte SipHash-2-4 short ids of
 * every transaction's wtxid (keyed from SHA256(header || nonce)) and the
 * coinbase prefilled at index 0 with its witness.
 *
 * The receiver (ut_thin_begin) decodes it into one slot per transaction,
 * matches the slots against the transactions it has (ut_thin_match: its
 * node's mempool), fills what was missing from the sender's answer
 * (ut_thin_fill), then ut_thin_finish assembles the block and checks it:
 * every transaction scans, the declared total size matches and the merkle
 * root of the txids equals the header's. Nothing is submitted unchecked.
 *
 * Collisions: two short ids of the block that are equal make the thin
 * block unusable (UT_THIN_COLLISION: fetch the full block); a slot matched
 * by two different mempool transactions is left missing and asked for,
 * as BIP152 advises. Pure functions on bytes (a fuzz target runs them);
 * slots borrow the bytes given to begin/match/fill, which the caller keeps
 * alive until ut_thin_free. */
#ifndef UT_THIN_H
#define UT_THIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "utils/ut_hash.h"
#include "utils/ut_pack.h"

#define UT_THIN_MAX_TX 1000000          /* transactions of one block at most */

enum {
    UT_THIN_OK = 0,
    UT_THIN_MALFORMED = -1,             /* the payload does not decode */
    UT_THIN_COLLISION = -2,             /* two short ids of the block are equal */
    UT_THIN_INCOMPLETE = -3,            /* slots still missing */
    UT_THIN_BAD_TX = -4,                /* a filled transaction does not scan */
    UT_THIN_BAD_SIZE = -5,              /* the assembled block is not the declared size */
    UT_THIN_BAD_MERKLE = -6,            /* merkle root != the header's */
    UT_THIN_NOMEM = -7,
};
const char *ut_thin_strerror(int rc);

typedef struct ut_thin_slot {
    const uint8_t *raw;                 /* NULL: missing */
    size_t len;
    uint64_t shortid;                   /* 48 bits; prefilled slots: 0 */
    bool prefilled;
    bool ambiguous;                     /* two mempool transactions matched */
    uint8_t wtxid[32];                  /* of the mempool match (ambiguity check) */
} ut_thin_slot;

typedef struct ut_thin {
    uint8_t header[80];
    uint8_t hash[32];                   /* sha256d(header), internal order */
    uint64_t nonce;
    ut_hash_key key;                    /* BIP152 SipHash key of header || nonce */
    ut_thin_slot *slots;
    size_t count;                       /* transactions in the block */
    size_t missing;                     /* slots with raw == NULL */
    ut_htab ids;                        /* short id (6 bytes) -> slot index (size_t) */
} ut_thin;

/* One transaction a receiver has: its whole serialization (with witness). */
typedef struct ut_thin_have {
    const uint8_t *raw;
    size_t len;
    uint8_t wtxid[32];
} ut_thin_have;

/* Decodes a cmpctblock payload. UT_THIN_OK, UT_THIN_MALFORMED,
 * UT_THIN_COLLISION or UT_THIN_NOMEM; free with ut_thin_free either way. */
int ut_thin_begin(ut_thin *t, const uint8_t *p, size_t len);
void ut_thin_free(ut_thin *t);
/* The short id of a wtxid under this block's key. */
uint64_t ut_thin_shortid(const ut_thin *t, const uint8_t wtxid[32]);
/* Offers the transactions in have (n of them); returns how many filled a slot. */
size_t ut_thin_match(ut_thin *t, const ut_thin_have *have, size_t n);
/* The missing slot indexes, ascending, into idx (cap); returns the count written. */
size_t ut_thin_missing(const ut_thin *t, uint32_t *idx, size_t cap);
/* Fills slot i (which must be missing or ambiguous) with raw. UT_THIN_OK,
 * UT_THIN_MALFORMED (i out of range or already filled) or UT_THIN_BAD_TX. */
int ut_thin_fill(ut_thin *t, size_t i, const uint8_t *raw, size_t len);
/* Assembles the block into out (appended) and checks it against size (0:
 * no size check) and the header's merkle root. UT_THIN_OK or an error. */
int ut_thin_finish(ut_thin *t, size_t size, ut_bytes *out);
/* A whole serialized block: UT_THIN_OK when it parses and its txids' merkle
 * root equals the header's; UT_THIN_BAD_TX, UT_THIN_BAD_MERKLE or NOMEM. */
int ut_thin_check_block(const uint8_t *raw, size_t len);

#endif
