/* ut_sha256_impl: what ut_sha256.c (the public calls, the dispatch) needs
 * from an implementation of the compression function: ut_sha256_c.c
 * (portable C) and ut_sha256_ni.c (x86 SHA extensions). Internal to
 * utils/ut_sha256*. State words h[0..7] are a..h of FIPS 180-4. */
#ifndef UT_SHA256_IMPL_H
#define UT_SHA256_IMPL_H

#include <stddef.h>
#include <stdint.h>

typedef struct ut_sha256_ops {
    const char *name;
    /* Compresses n 64-byte blocks at p into h. */
    void (*blocks)(uint32_t h[8], const uint8_t *p, size_t n);
    /* sha256d of 64 bytes. */
    void (*d64)(const uint8_t in[64], uint8_t out[32]);
    /* sha256d of an 80-byte message whose first block left the state mid
     * and whose last 16 bytes are tail. */
    void (*tail80)(const uint32_t mid[8], const uint8_t tail[16], uint8_t out[32]);
    /* SHA-256 of the 32-byte digest whose big-endian words are h. */
    void (*outer)(const uint32_t h[8], uint8_t out[32]);
} ut_sha256_ops;

extern const uint32_t ut_sha256_k[64];
extern const uint32_t ut_sha256_iv[8];
/* W[t] + K[t] of the padding block that follows a 64-byte message
 * (0x80, zeros, bit length 512): the same for every such message. */
extern const uint32_t ut_sha256_pad64_wk[64];

extern const ut_sha256_ops ut_sha256_portable_ops;
/* The SHA-NI implementation, or NULL when the CPU lacks the extensions or
 * the build is not for x86. */
const ut_sha256_ops *ut_sha256_ni_ops(void);

#endif
