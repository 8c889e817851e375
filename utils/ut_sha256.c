/* ut_sha256: SHA-256, double SHA-256 and block-header hashing.
 *
 * Uses OpenSSL's low-level SHA256_* API: in OpenSSL 3 the EVP and one-shot
 * paths look the digest up and allocate per call, which costs several times
 * the hash itself for 80-byte inputs. The low-level API is deprecated in
 * OpenSSL 3 but still present; OPENSSL_API_COMPAT below keeps its
 * declarations free of deprecation warnings in this file only.
 *
 * Header hashing goes one step further and drives the compression function
 * (SHA256_Transform) directly with pre-padded blocks: an 80-byte header is
 * two blocks, the 32-byte inner digest one more, so a header costs exactly
 * three compressions and no buffering. */
#define OPENSSL_API_COMPAT 0x10100000L
#include <openssl/sha.h>
#include <string.h>

#include "utils/ut_sha256.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(ut_sha256_mid), "ut_sha256_mid too small");

void ut_sha256(const void *data, size_t len, uint8_t out[32])
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, data, len);
    SHA256_Final(out, &ctx);
}

void ut_sha256d(const void *data, size_t len, uint8_t out[32])
{
    uint8_t inner[32];
    ut_sha256(data, len, inner);
    ut_sha256(inner, sizeof(inner), out);
}

/* Writes the eight state words of ctx as the big-endian digest. */
static void state_to_digest(const SHA256_CTX *ctx, uint8_t out[32])
{
    for (int i = 0; i < 8; i++) {
        uint32_t w = ctx->h[i];
        out[4 * i] = (uint8_t)(w >> 24);
        out[4 * i + 1] = (uint8_t)(w >> 16);
        out[4 * i + 2] = (uint8_t)(w >> 8);
        out[4 * i + 3] = (uint8_t)w;
    }
}

/* Finishes a header hash: ctx holds the state after the first 64 bytes
 * (it is consumed); tail is the last 16 bytes of the header. */
static void header_finish(SHA256_CTX *ctx, const uint8_t tail[16], uint8_t out[32])
{
    /* Second block of the header: 16 bytes, 0x80, zeros, bit length 640. */
    uint8_t block[64] = { 0 };
    memcpy(block, tail, 16);
    block[16] = 0x80;
    block[62] = 0x02;
    block[63] = 0x80;
    SHA256_Transform(ctx, block);

    /* Outer hash: the 32-byte digest, 0x80, zeros, bit length 256. */
    memset(block, 0, sizeof(block));
    state_to_digest(ctx, block);
    block[32] = 0x80;
    block[62] = 0x01;
    block[63] = 0x00;
    SHA256_Init(ctx);
    SHA256_Transform(ctx, block);
    state_to_digest(ctx, out);
}

void ut_header_midstate(const uint8_t first64[64], ut_sha256_mid *mid)
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Transform(&ctx, first64);
    memset(mid, 0, sizeof(*mid));
    memcpy(mid, &ctx, sizeof(ctx));
}

void ut_header_hash_mid(const ut_sha256_mid *mid, const uint8_t tail[16], uint8_t out[32])
{
    SHA256_CTX ctx;
    memcpy(&ctx, mid, sizeof(ctx));
    header_finish(&ctx, tail, out);
}

void ut_header_hash(const uint8_t header[80], uint8_t out[32])
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Transform(&ctx, header);
    header_finish(&ctx, header + 64, out);
}
