/* bench_sha256d: 80-byte block header sha256d hashes per second on one
 * core, for the paths OpenSSL 3 offers:
 *   ut_header_hash      low-level SHA256_Transform on pre-padded blocks
 *   ut_header_hash_mid  the same from a midstate (first 64 bytes reused)
 *   ut_sha256d          low-level SHA256_Init/Update/Final
 *   EVP, reused ctx     EVP_DigestInit_ex/Update/Final_ex, digest fetched once
 *   one-shot SHA256()   what many pools call
 * Each runs for about 0.8 s with a changing nonce. */
#define OPENSSL_API_COMPAT 0x10100000L
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"

#define BENCH_SECONDS 0.8
#define BATCH 20000

static EVP_MD *evp_md;
static EVP_MD_CTX *evp_ctx;
static ut_sha256_mid mid;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hash_transform(const uint8_t hdr[80], uint8_t out[32])
{
    ut_header_hash(hdr, out);
}

static void hash_mid(const uint8_t hdr[80], uint8_t out[32])
{
    ut_header_hash_mid(&mid, hdr + 64, out);
}

static void hash_lowlevel(const uint8_t hdr[80], uint8_t out[32])
{
    ut_sha256d(hdr, 80, out);
}

static void hash_evp(const uint8_t hdr[80], uint8_t out[32])
{
    uint8_t inner[32];
    unsigned int n;
    EVP_DigestInit_ex(evp_ctx, evp_md, NULL);
    EVP_DigestUpdate(evp_ctx, hdr, 80);
    EVP_DigestFinal_ex(evp_ctx, inner, &n);
    EVP_DigestInit_ex(evp_ctx, evp_md, NULL);
    EVP_DigestUpdate(evp_ctx, inner, 32);
    EVP_DigestFinal_ex(evp_ctx, out, &n);
}

static void hash_oneshot(const uint8_t hdr[80], uint8_t out[32])
{
    uint8_t inner[32];
    SHA256(hdr, 80, inner);
    SHA256(inner, 32, out);
}

/* Runs fn over nonces for about BENCH_SECONDS; returns hashes per second.
 * *check gets a byte folded from every hash so nothing is optimized away. */
static double run(void (*fn)(const uint8_t *, uint8_t *), uint8_t *check)
{
    uint8_t hdr[80], out[32];
    for (int i = 0; i < 80; i++)
        hdr[i] = (uint8_t)(i * 7);
    uint32_t nonce = 0;
    uint64_t count = 0;
    double start = now(), elapsed;
    do {
        for (int i = 0; i < BATCH; i++) {
            ut_le32_put(hdr + 76, nonce++);
            fn(hdr, out);
            *check ^= out[31];
        }
        count += BATCH;
        elapsed = now() - start;
    } while (elapsed < BENCH_SECONDS);
    return (double)count / elapsed;
}

int main(void)
{
    uint8_t hdr[80], check = 0;
    for (int i = 0; i < 80; i++)
        hdr[i] = (uint8_t)(i * 7);
    ut_header_midstate(hdr, &mid);
    evp_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    evp_ctx = EVP_MD_CTX_new();
    if (evp_md == NULL || evp_ctx == NULL) {
        fprintf(stderr, "EVP setup failed\n");
        return 1;
    }

    struct {
        const char *name;
        void (*fn)(const uint8_t *, uint8_t *);
    } paths[] = {
        { "ut_header_hash (SHA256_Transform)", hash_transform },
        { "ut_header_hash_mid (midstate)", hash_mid },
        { "ut_sha256d (SHA256_Init/Update/Final)", hash_lowlevel },
        { "EVP, fetched MD, reused ctx", hash_evp },
        { "one-shot SHA256()", hash_oneshot },
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        double rate = run(paths[i].fn, &check);
        printf("  %-40s %6.2f M header hashes/s (1 core)\n", paths[i].name, rate / 1e6);
        fflush(stdout);
    }
    printf("  (check byte %02x)\n", check);
    EVP_MD_CTX_free(evp_ctx);
    EVP_MD_free(evp_md);
    return 0;
}
