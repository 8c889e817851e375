/* ut_sha256: SHA-256 and double SHA-256 on OpenSSL's low-level SHA256_*
 * functions (the fastest path in OpenSSL 3; uses the CPU's SHA extensions),
 * plus a midstate form for hashing many 80-byte headers that share their
 * first 64 bytes. */
#ifndef UT_SHA256_H
#define UT_SHA256_H

#include <stddef.h>
#include <stdint.h>

void ut_sha256(const void *data, size_t len, uint8_t out[32]);
void ut_sha256d(const void *data, size_t len, uint8_t out[32]);
/* sha256d of an 80-byte block header. */
void ut_header_hash(const uint8_t header[80], uint8_t out[32]);

#endif
