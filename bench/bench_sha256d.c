/* bench_sha256d: double SHA-256 per second on one core, for the inputs the
 * share path hashes:
 *   64-byte sha256d (a merkle node)   ut_sha256d_64 on SHA-NI, on portable C,
 *                                     and OpenSSL (SHA256_Init/Update/Final,
 *                                     twice; its fastest general path)
 *   80-byte header                    ut_header_hash on the same two paths,
 *                                     and OpenSSL
 *   header from a midstate            ut_header_hash_mid, both paths
 * Each runs for about 0.5 s with a changing input. The SHA-NI rows say
 * "n/a" on a CPU without the extensions. */
#define OPENSSL_API_COMPAT 0x10100000L
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"

#define BENCH_SECONDS 0.5
#define BATCH 20000

static ut_sha256_mid mid;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void openssl_d(const uint8_t *in, size_t n, uint8_t out[32])
{
    SHA256_CTX ctx;
    uint8_t inner[32];
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, in, n);
    SHA256_Final(inner, &ctx);
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, inner, 32);
    SHA256_Final(out, &ctx);
}

static void node_ut(const uint8_t *in, uint8_t *out)
{
    ut_sha256d_64(in, out);
}

static void node_openssl(const uint8_t *in, uint8_t *out)
{
    openssl_d(in, 64, out);
}

static void header_ut(const uint8_t *in, uint8_t *out)
{
    ut_header_hash(in, out);
}

static void header_openssl(const uint8_t *in, uint8_t *out)
{
    openssl_d(in, 80, out);
}

static void header_mid(const uint8_t *in, uint8_t *out)
{
    ut_header_hash_mid(&mid, in + 64, out);
}

/* Runs fn for about BENCH_SECONDS, bytes 60..63 of the input counting up
 * (the nonce of a header, a word of a node); returns hashes per second.
 * *check gets a byte of every hash so nothing is optimized away. */
static double run(void (*fn)(const uint8_t *, uint8_t *), uint8_t *check)
{
    uint8_t in[80], out[32];
    for (int i = 0; i < 80; i++)
        in[i] = (uint8_t)(i * 7);
    uint32_t n = 0;
    uint64_t count = 0;
    double start = now(), elapsed;
    do {
        for (int i = 0; i < BATCH; i++) {
            ut_le32_put(in + 60, n);
            ut_le32_put(in + 76, n++);
            fn(in, out);
            *check ^= out[31];
        }
        count += BATCH;
        elapsed = now() - start;
    } while (elapsed < BENCH_SECONDS);
    return (double)count / elapsed;
}

typedef struct path {
    const char *name;
    void (*fn)(const uint8_t *, uint8_t *);
    int impl;   /* 1 SHA-NI, 0 portable, -1 OpenSSL */
} path;

int main(void)
{
    uint8_t hdr[80], check = 0;
    for (int i = 0; i < 80; i++)
        hdr[i] = (uint8_t)(i * 7);
    ut_header_midstate(hdr, &mid);

    static const path paths[] = {
        { "64-byte sha256d, SHA-NI", node_ut, 1 },
        { "64-byte sha256d, portable", node_ut, 0 },
        { "64-byte sha256d, OpenSSL", node_openssl, -1 },
        { "80-byte header, SHA-NI", header_ut, 1 },
        { "80-byte header, portable", header_ut, 0 },
        { "80-byte header, OpenSSL", header_openssl, -1 },
        { "header from midstate, SHA-NI", header_mid, 1 },
        { "header from midstate, portable", header_mid, 0 },
    };
    bool ni = ut_sha256_cpu_has_ni();
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        const path *p = &paths[i];
        if (p->impl == 1 && !ni) {
            printf("  %-34s    n/a (no SHA extensions)\n", p->name);
            continue;
        }
        ut_sha256_force_portable(p->impl == 0);
        ut_header_midstate(hdr, &mid);
        double rate = run(p->fn, &check);
        printf("  %-34s %6.2f M hashes/s (1 core)\n", p->name, rate / 1e6);
        fflush(stdout);
    }
    ut_sha256_force_portable(false);
    printf("  (check byte %02x)\n", check);
    return 0;
}
