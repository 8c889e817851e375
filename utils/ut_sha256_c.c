/* ut_sha256_c: the portable C compression function (FIPS 180-4, 6.2.2)
 * and the fixed-padding double hashes built on it (see ut_sha256_impl.h). */
#include "utils/ut_sha256_impl.h"

const uint32_t ut_sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

const uint32_t ut_sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
    0x5be0cd19,
};

/* Computed offline as W[t] + K[t] for the block 0x80000000, 14 zero words,
 * 0x00000200 (the schedule of FIPS 180-4 6.2.2 step 1); the tests compare
 * every path that uses it with OpenSSL. */
const uint32_t ut_sha256_pad64_wk[64] = {
    0xc28a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf374, 0x649b69c1, 0xf0fe4786, 0x0fe1edc6, 0x240cf254, 0x4fe9346f,
    0x6cc984be, 0x61b9411e, 0x16f988fa, 0xf2c65152, 0xa88e5a6d, 0xb019fc65, 0xb9d99ec7,
    0x9a1231c3, 0xe70eeaa0, 0xfdb1232b, 0xc7353eb0, 0x3069bad5, 0xcb976d5f, 0x5a0f118f,
    0xdc1eeefd, 0x0a35b689, 0xde0b7a04, 0x58f4ca9d, 0xe15d5b16, 0x007f3e86, 0x37088980,
    0xa507ea32, 0x6fab9537, 0x17406110, 0x0d8cd6f1, 0xcdaa3b6d, 0xc0bbbe37, 0x83613bda,
    0xdb48a363, 0x0b02e931, 0x6fd15ca7, 0x521afaca, 0x31338431, 0x6ed41a95, 0x6d437890,
    0xc39c91f2, 0x9eccabbd, 0xb5c9a0e6, 0x532fb63c, 0xd2c741c6, 0x07237ea3, 0xa4954b68,
    0x4c191d76,
};

static inline uint32_t ror(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* One round (FIPS 180-4 6.2.2 step 3) with the letters renamed instead of
 * moved: the caller rotates the arguments. */
#define ROUND(a, b, c, d, e, f, g, h, wk)                                             \
    do {                                                                            \
        uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + \
                      (wk);                                                         \
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c)); \
        d += t1;                                                                    \
        h = t1 + t2;                                                                \
    } while (0)

/* The 64 rounds given every W[t] + K[t]; adds the result into h. */
static void rounds(uint32_t h[8], const uint32_t wk[64])
{
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];

    for (int t = 0; t < 64; t += 8) {
        ROUND(a, b, c, d, e, f, g, hh, wk[t]);
        ROUND(hh, a, b, c, d, e, f, g, wk[t + 1]);
        ROUND(g, hh, a, b, c, d, e, f, wk[t + 2]);
        ROUND(f, g, hh, a, b, c, d, e, wk[t + 3]);
        ROUND(e, f, g, hh, a, b, c, d, wk[t + 4]);
        ROUND(d, e, f, g, hh, a, b, c, wk[t + 5]);
        ROUND(c, d, e, f, g, hh, a, b, wk[t + 6]);
        ROUND(b, c, d, e, f, g, hh, a, wk[t + 7]);
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

/* One block given as 16 message words. */
static void compress_words(uint32_t h[8], const uint32_t m[16])
{
    uint32_t w[64];

    for (int t = 0; t < 16; t++)
        w[t] = m[t];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = ror(w[t - 15], 7) ^ ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = ror(w[t - 2], 17) ^ ror(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    for (int t = 0; t < 64; t++)
        w[t] += ut_sha256_k[t];
    rounds(h, w);
}

static void c_blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
    uint32_t m[16];

    for (; n > 0; n--, p += 64) {
        for (int i = 0; i < 16; i++)
            m[i] = be32(p + 4 * i);
        compress_words(h, m);
    }
}

static void digest_out(const uint32_t h[8], uint8_t out[32])
{
    for (int i = 0; i < 8; i++)
        put_be32(out + 4 * i, h[i]);
}

static void c_outer(const uint32_t in[8], uint8_t out[32])
{
    uint32_t m[16] = { 0 }, h[8];

    for (int i = 0; i < 8; i++) {
        m[i] = in[i];
        h[i] = ut_sha256_iv[i];
    }
    m[8] = 0x80000000;
    m[15] = 256;
    compress_words(h, m);
    digest_out(h, out);
}

static void c_d64(const uint8_t in[64], uint8_t out[32])
{
    uint32_t h[8];

    for (int i = 0; i < 8; i++)
        h[i] = ut_sha256_iv[i];
    c_blocks(h, in, 1);
    rounds(h, ut_sha256_pad64_wk);
    c_outer(h, out);
}

static void c_tail80(const uint32_t mid[8], const uint8_t tail[16], uint8_t out[32])
{
    uint32_t m[16] = { 0 }, h[8];

    for (int i = 0; i < 8; i++)
        h[i] = mid[i];
    for (int i = 0; i < 4; i++)
        m[i] = be32(tail + 4 * i);
    m[4] = 0x80000000;
    m[15] = 640;
    compress_words(h, m);
    c_outer(h, out);
}

const ut_sha256_ops ut_sha256_portable_ops = {
    .name = "portable", .blocks = c_blocks, .d64 = c_d64, .tail80 = c_tail80, .outer = c_outer,
};
