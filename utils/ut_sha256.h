/* ut_sha256: SHA-256 and double SHA-256 on OpenSSL's low-level SHA256_*
 * functions (the fastest path in OpenSSL 3; uses the CPU's SHA extensions),
 * plus a midstate form for hashing many 80-byte headers that share their
 * first 64 bytes. Every function is reentrant (no shared state). */
#ifndef UT_SHA256_H
#define UT_SHA256_H

#include <stddef.h>
#include <stdint.h>

void ut_sha256(const void *data, size_t len, uint8_t out[32]);
void ut_sha256d(const void *data, size_t len, uint8_t out[32]);
/* sha256d of an 80-byte block header. */
void ut_header_hash(const uint8_t header[80], uint8_t out[32]);

/* Midstate: the SHA-256 state after the first 64 bytes of a header
 * (version, prevhash, 28 bytes of the merkle root). Opaque; plain data,
 * may be copied with memcpy or assignment. */
typedef struct ut_sha256_mid {
    uint64_t opaque[16];
} ut_sha256_mid;

void ut_header_midstate(const uint8_t first64[64], ut_sha256_mid *mid);
/* sha256d of the header whose first 64 bytes went into mid and whose last
 * 16 bytes (merkle root tail, ntime, nbits, nonce) are tail. Same result as
 * ut_header_hash on the whole header. */
void ut_header_hash_mid(const ut_sha256_mid *mid, const uint8_t tail[16], uint8_t out[32]);

#endif
