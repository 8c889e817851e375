/* ut_sha256_ni: the compression function on the x86 SHA extensions
 * (SHA256RNDS2, SHA256MSG1, SHA256MSG2; Intel SDM vol. 2), see
 * ut_sha256_impl.h. Each function is compiled for "sha,sse4.1,ssse3" by an
 * attribute, so the rest of the build needs no -m flags; they are only
 * reached after CPUID said the CPU has these (ut_sha256_ni_ops).
 *
 * Register layout (SDM, SHA256RNDS2): the state lives in two registers,
 * ABEF = {A, B, E, F} and CDGH = {C, D, G, H}, first named in the highest
 * dword. SHA256RNDS2 dst=CDGH, src=ABEF, XMM0 = {W+K of round t in bits
 * 31:0, of round t+1 in 63:32} does two rounds and returns the new ABEF; the
 * old ABEF is then the CDGH of the next two rounds. A message group m is
 * four words W[t..t+3] with W[t] in the lowest dword. */
#include "utils/ut_sha256_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

#define NI __attribute__((target("sha,sse4.1,ssse3")))
#define NI_INLINE NI __attribute__((always_inline)) static inline

/* Four rounds with the W+K group wk. */
#define RND4(abef, cdgh, wk)                                                  \
    do {                                                                      \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                         \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E)); \
    } while (0)

/* m0 = W[t..t+3] from m0 = W[t-16..], m1 = W[t-12..], m2 = W[t-8..],
 * m3 = W[t-4..]: MSG1 adds sigma0(W[t-15..]) to W[t-16..], the aligned pair
 * gives W[t-7..], MSG2 adds sigma1 of W[t-2], W[t-1] and then of the new
 * words themselves. */
#define SCHED(m0, m1, m2, m3)                                                 \
    m0 = _mm_sha256msg2_epu32(                                                \
        _mm_add_epi32(_mm_sha256msg1_epu32(m0, m1), _mm_alignr_epi8(m3, m2, 4)), m3)

#define KGROUP(i) _mm_loadu_si128((const __m128i *)(ut_sha256_k + 4 * (i)))

/* Big-endian bytes to words, within each dword. */
NI_INLINE __m128i bswap_mask(void)
{
    return _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
}

/* h[0..7] -> ABEF, CDGH. */
NI_INLINE void load_state(const uint32_t h[8], __m128i *abef, __m128i *cdgh)
{
    __m128i abcd = _mm_loadu_si128((const __m128i *)h);
    __m128i efgh = _mm_loadu_si128((const __m128i *)(h + 4));

    /* Dwords listed lowest first. */
    abcd = _mm_shuffle_epi32(abcd, 0xB1);       /* B A D C */
    efgh = _mm_shuffle_epi32(efgh, 0x1B);       /* H G F E */
    *abef = _mm_alignr_epi8(abcd, efgh, 8);     /* F E B A: ABEF */
    *cdgh = _mm_blend_epi16(efgh, abcd, 0xF0);  /* H G D C: CDGH */
}

/* ABEF, CDGH -> {A, B, C, D} and {E, F, G, H}, A in the lowest dword (the
 * layout of h[0..7] in memory and of a message group). */
NI_INLINE void unpack_state(__m128i abef, __m128i cdgh, __m128i *abcd, __m128i *efgh)
{
    /* Dwords listed lowest first. */
    __m128i abef_r = _mm_shuffle_epi32(abef, 0x1B);   /* A B E F */
    __m128i ghcd = _mm_shuffle_epi32(cdgh, 0xB1);   /* G H C D */

    *abcd = _mm_blend_epi16(abef_r, ghcd, 0xF0);      /* A B C D */
    *efgh = _mm_alignr_epi8(ghcd, abef_r, 8);         /* E F G H */
}

/* 64 rounds on message groups m0..m3 (words, not bytes); adds into the state. */
NI_INLINE void compress(__m128i *abef, __m128i *cdgh, __m128i m0, __m128i m1, __m128i m2,
                               __m128i m3)
{
    __m128i s0 = *abef, s1 = *cdgh, a = *abef, c = *cdgh;

    RND4(a, c, _mm_add_epi32(m0, KGROUP(0)));
    RND4(a, c, _mm_add_epi32(m1, KGROUP(1)));
    RND4(a, c, _mm_add_epi32(m2, KGROUP(2)));
    RND4(a, c, _mm_add_epi32(m3, KGROUP(3)));
    for (int i = 4; i < 16; i += 4) {
        SCHED(m0, m1, m2, m3);
        RND4(a, c, _mm_add_epi32(m0, KGROUP(i)));
        SCHED(m1, m2, m3, m0);
        RND4(a, c, _mm_add_epi32(m1, KGROUP(i + 1)));
        SCHED(m2, m3, m0, m1);
        RND4(a, c, _mm_add_epi32(m2, KGROUP(i + 2)));
        SCHED(m3, m0, m1, m2);
        RND4(a, c, _mm_add_epi32(m3, KGROUP(i + 3)));
    }
    *abef = _mm_add_epi32(a, s0);
    *cdgh = _mm_add_epi32(c, s1);
}

/* 64 rounds with every W+K given (a fixed block); adds into the state. */
NI_INLINE void compress_wk(__m128i *abef, __m128i *cdgh, const uint32_t wk[64])
{
    __m128i a = *abef, c = *cdgh;

    for (int i = 0; i < 16; i++)
        RND4(a, c, _mm_loadu_si128((const __m128i *)(wk + 4 * i)));
    *abef = _mm_add_epi32(a, *abef);
    *cdgh = _mm_add_epi32(c, *cdgh);
}

NI_INLINE __m128i load_be(const uint8_t *p)
{
    return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), bswap_mask());
}

NI_INLINE void compress_bytes(__m128i *abef, __m128i *cdgh, const uint8_t *p)
{
    compress(abef, cdgh, load_be(p), load_be(p + 16), load_be(p + 32), load_be(p + 48));
}

NI static void ni_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
    __m128i abef, cdgh, abcd, efgh;

    load_state(h, &abef, &cdgh);
    for (; n > 0; n--, p += 64)
        compress_bytes(&abef, &cdgh, p);
    unpack_state(abef, cdgh, &abcd, &efgh);
    _mm_storeu_si128((__m128i *)h, abcd);
    _mm_storeu_si128((__m128i *)(h + 4), efgh);
}

/* SHA-256 of the 32-byte message whose words are abcd, efgh (the digest
 * of the inner hash) into out, big-endian. */
NI_INLINE void outer_groups(__m128i abcd, __m128i efgh, uint8_t out[32])
{
    __m128i abef, cdgh;

    load_state(ut_sha256_iv, &abef, &cdgh);
    compress(&abef, &cdgh, abcd, efgh, _mm_set_epi32(0, 0, 0, (int)0x80000000),
             _mm_set_epi32(256, 0, 0, 0));
    unpack_state(abef, cdgh, &abcd, &efgh);
    _mm_storeu_si128((__m128i *)out, _mm_shuffle_epi8(abcd, bswap_mask()));
    _mm_storeu_si128((__m128i *)(out + 16), _mm_shuffle_epi8(efgh, bswap_mask()));
}

NI static void ni_outer(const uint32_t h[8], uint8_t out[32])
{
    outer_groups(_mm_loadu_si128((const __m128i *)h), _mm_loadu_si128((const __m128i *)(h + 4)),
                 out);
}

NI static void ni_d64(const uint8_t in[64], uint8_t out[32])
{
    __m128i abef, cdgh, abcd, efgh;

    load_state(ut_sha256_iv, &abef, &cdgh);
    compress_bytes(&abef, &cdgh, in);
    compress_wk(&abef, &cdgh, ut_sha256_pad64_wk);
    unpack_state(abef, cdgh, &abcd, &efgh);
    outer_groups(abcd, efgh, out);
}

NI static void ni_tail80(const uint32_t mid[8], const uint8_t tail[16], uint8_t out[32])
{
    __m128i abef, cdgh, abcd, efgh;

    load_state(mid, &abef, &cdgh);
    compress(&abef, &cdgh, load_be(tail), _mm_set_epi32(0, 0, 0, (int)0x80000000),
             _mm_setzero_si128(), _mm_set_epi32(640, 0, 0, 0));
    unpack_state(abef, cdgh, &abcd, &efgh);
    outer_groups(abcd, efgh, out);
}

static const ut_sha256_ops ni_ops = {
    .name = "sha-ni", .blocks = ni_blocks, .d64 = ni_d64, .tail80 = ni_tail80, .outer = ni_outer,
};

/* CPUID leaf 7 (subleaf 0) EBX bit 29: SHA; leaf 1 ECX bit 9: SSSE3,
 * bit 19: SSE4.1. */
const ut_sha256_ops *ut_sha256_ni_ops(void)
{
    unsigned a, b, c, d;

    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
        return NULL;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 29)))
        return NULL;
    return &ni_ops;
}

#else

const ut_sha256_ops *ut_sha256_ni_ops(void)
{
    return NULL;
}

#endif
