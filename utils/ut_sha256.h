/* ut_sha256: SHA-256 (FIPS 180-4) and the double SHA-256 forms Bitcoin
 * hashes all day: any length, a 64-byte merkle node, an 80-byte block
 * header, and a header from a midstate (its first 64 bytes hashed once).
 *
 * Two implementations of the compression function sit behind these calls:
 * the CPU's SHA extensions (x86 SHA-NI) when CPUID says they are there,
 * else portable C. The choice is made once, at the first call; every
 * function is reentrant and thread-safe (no state besides that choice).
 * The fixed padding of the 64- and 80-byte cases is built in, so a 64-byte
 * sha256d costs three compressions of which one has a precomputed message
 * schedule, and a header from a midstate two. */
#ifndef UT_SHA256_H
#define UT_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void ut_sha256(const void *data, size_t len, uint8_t out[32]);
void ut_sha256d(const void *data, size_t len, uint8_t out[32]);
/* sha256d of exactly 64 bytes: a merkle node, sha256d(left || right). out
 * may be the first 32 bytes of in (the whole input is read first). */
void ut_sha256d_64(const uint8_t in[64], uint8_t out[32]);
/* sha256d of an 80-byte block header. */
void ut_header_hash(const uint8_t header[80], uint8_t out[32]);

/* Midstate: the SHA-256 state after the first 64 bytes of a header
 * (version, prevhash, 28 bytes of the merkle root): the eight state words.
 * Plain data, may be copied with memcpy or assignment. */
typedef struct ut_sha256_mid {
    uint32_t h[8];
} ut_sha256_mid;

void ut_header_midstate(const uint8_t first64[64], ut_sha256_mid *mid);
/* sha256d of the header whose first 64 bytes went into mid and whose last
 * 16 bytes (merkle root tail, ntime, nbits, nonce) are tail. Same result as
 * ut_header_hash on the whole header. */
void ut_header_hash_mid(const ut_sha256_mid *mid, const uint8_t tail[16], uint8_t out[32]);

/* "sha-ni" or "portable": the implementation the calls above use now. */
const char *ut_sha256_impl(void);
/* Whether this CPU has the SHA extensions (and SSSE3, SSE4.1). */
bool ut_sha256_cpu_has_ni(void);
/* For tests and benchmarks: true forces the portable C path, false goes
 * back to the best one available. Not to be called while another thread
 * hashes. */
void ut_sha256_force_portable(bool on);

#endif
