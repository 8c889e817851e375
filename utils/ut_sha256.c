/* ut_sha256: the public SHA-256 calls (see ut_sha256.h) on the
 * implementation picked once at the first call: SHA-NI when CPUID has it
 * (ut_sha256_ni.c), else portable C (ut_sha256_c.c). Messages of any length
 * are hashed straight from the caller's buffer, block by block; only the
 * last one or two (padded) blocks are copied. */
#include <stdatomic.h>
#include <string.h>

#include "utils/ut_sha256.h"
#include "utils/ut_sha256_impl.h"

/* The implementation in use; NULL until the first call. Two threads may
 * both pick at once: they store the same pointer. */
static _Atomic(const ut_sha256_ops *) sha_ops;

static const ut_sha256_ops *sha_best(void)
{
    const ut_sha256_ops *ni = ut_sha256_ni_ops();

    return ni != NULL ? ni : &ut_sha256_portable_ops;
}

static inline const ut_sha256_ops *ops(void)
{
    const ut_sha256_ops *o = atomic_load_explicit(&sha_ops, memory_order_relaxed);

    if (o == NULL) {
        o = sha_best();
        atomic_store_explicit(&sha_ops, o, memory_order_relaxed);
    }
    return o;
}

const char *ut_sha256_impl(void)
{
    return ops()->name;
}

bool ut_sha256_cpu_has_ni(void)
{
    return ut_sha256_ni_ops() != NULL;
}

void ut_sha256_force_portable(bool on)
{
    atomic_store_explicit(&sha_ops, on ? &ut_sha256_portable_ops : sha_best(),
                          memory_order_relaxed);
}

/* SHA-256 state words of data (no output conversion). */
static void sha256_words(const ut_sha256_ops *o, const void *data, size_t len, uint32_t h[8])
{
    const uint8_t *p = data;
    size_t full = len / 64, rest = len % 64;
    uint8_t last[128] = { 0 };
    size_t nlast = rest < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;

    memcpy(h, ut_sha256_iv, sizeof(ut_sha256_iv));
    if (full > 0)
        o->blocks(h, p, full);
    if (rest > 0)
        memcpy(last, p + 64 * full, rest);
    last[rest] = 0x80;
    for (int i = 0; i < 8; i++)
        last[nlast - 1 - i] = (uint8_t)(bits >> (8 * i));
    o->blocks(h, last, nlast / 64);
}

void ut_sha256(const void *data, size_t len, uint8_t out[32])
{
    uint32_t h[8];

    sha256_words(ops(), data, len, h);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

void ut_sha256d(const void *data, size_t len, uint8_t out[32])
{
    const ut_sha256_ops *o = ops();
    uint32_t h[8];

    if (len == 64) {
        o->d64(data, out);
        return;
    }
    sha256_words(o, data, len, h);
    o->outer(h, out);
}

void ut_sha256d_64(const uint8_t in[64], uint8_t out[32])
{
    ops()->d64(in, out);
}

void ut_header_midstate(const uint8_t first64[64], ut_sha256_mid *mid)
{
    memcpy(mid->h, ut_sha256_iv, sizeof(ut_sha256_iv));
    ops()->blocks(mid->h, first64, 1);
}

void ut_header_hash_mid(const ut_sha256_mid *mid, const uint8_t tail[16], uint8_t out[32])
{
    ops()->tail80(mid->h, tail, out);
}

void ut_header_hash(const uint8_t header[80], uint8_t out[32])
{
    const ut_sha256_ops *o = ops();
    uint32_t h[8];

    memcpy(h, ut_sha256_iv, sizeof(ut_sha256_iv));
    o->blocks(h, header, 1);
    o->tail80(h, header + 64, out);
}
