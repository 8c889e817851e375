/* Unit tests for utils/ut_sha256: FIPS 180 vectors, double SHA-256, real
 * block headers (genesis, mainnet block 100000) and merkle nodes, the
 * midstate path against the plain one, and every call against OpenSSL's
 * SHA256 over many pseudo-random inputs. Every test runs twice: on the
 * SHA-NI path (when the CPU has it; on this project's machines it does,
 * and the test checks CPUID against /proc/cpuinfo) and forced portable. */
#include <openssl/sha.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_hex.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"
#include "utils/ut_sha256_impl.h"

static void assert_hex(const uint8_t *got, size_t n, const char *want)
{
    char hex[2 * 64 + 1];
    assert_true(n <= 64);
    ut_hex_encode(got, n, hex);
    assert_string_equal(hex, want);
}

static void test_sha256_fips(void **state)
{
    uint8_t h[32];
    ut_sha256("", 0, h);
    assert_hex(h, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ut_sha256("abc", 3, h);
    assert_hex(h, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ut_sha256(m, strlen(m), h);
    assert_hex(h, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");

    char *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    ut_sha256(a, 1000000, h);
    free(a);
    assert_hex(h, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256d(void **state)
{
    uint8_t h[32];
    ut_sha256d("abc", 3, h);
    assert_hex(h, 32, "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358");
    ut_sha256d("hello", 5, h);
    assert_hex(h, 32, "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
}

/* Builds an 80-byte header from its fields (hashes in display hex). */
static void make_header(uint8_t hdr[80], uint32_t version, const char *prev,
                        const char *merkle, uint32_t time, uint32_t bits, uint32_t nonce)
{
    ut_le32_put(hdr, version);
    assert_int_equal(ut_hash_from_hex(prev, hdr + 4), 0);
    assert_int_equal(ut_hash_from_hex(merkle, hdr + 36), 0);
    ut_le32_put(hdr + 68, time);
    ut_le32_put(hdr + 72, bits);
    ut_le32_put(hdr + 76, nonce);
}

static void check_header(const uint8_t hdr[80], const char *want)
{
    uint8_t h[32], h2[32], h3[32];
    char hex[65];
    ut_header_hash(hdr, h);
    ut_hash_to_hex(h, hex);
    assert_string_equal(hex, want);

    ut_sha256d(hdr, 80, h2);
    assert_memory_equal(h, h2, 32);

    ut_sha256_mid mid;
    ut_header_midstate(hdr, &mid);
    ut_header_hash_mid(&mid, hdr + 64, h3);
    assert_memory_equal(h, h3, 32);
}

static void test_genesis_header(void **state)
{
    uint8_t hdr[80];
    make_header(hdr, 1, "0000000000000000000000000000000000000000000000000000000000000000",
                "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
                1231006505, 0x1d00ffff, 2083236893);
    check_header(hdr, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");

    /* One nonce off is a different hash. */
    uint8_t h[32];
    char hex[65];
    ut_le32_put(hdr + 76, 2083236894);
    ut_header_hash(hdr, h);
    ut_hash_to_hex(h, hex);
    assert_string_not_equal(hex,
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
}

static void test_block_100000_header(void **state)
{
    uint8_t hdr[80];
    make_header(hdr, 1, "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250",
                "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766",
                1293623863, 0x1b04864c, 274148111);
    check_header(hdr, "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506");
}

static uint32_t lcg_state = 12345;

static void fill_random(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lcg_state = lcg_state * 1103515245u + 12345u;
        p[i] = (uint8_t)(lcg_state >> 16);
    }
}

/* The transform-based header path agrees with the plain sha256d on many
 * pseudo-random headers. */
static void test_header_hash_agrees(void **state)
{
    uint8_t hdr[80], a[32], b[32];
    for (int round = 0; round < 2000; round++) {
        fill_random(hdr, sizeof(hdr));
        ut_sha256d(hdr, 80, a);
        ut_header_hash(hdr, b);
        assert_memory_equal(a, b, 32);
    }
}

/* One midstate serves many tails (ntime/nonce rolling). */
static void test_midstate_reuse(void **state)
{
    uint8_t hdr[80], a[32], b[32];
    ut_sha256_mid mid;
    fill_random(hdr, 64);
    ut_header_midstate(hdr, &mid);
    for (int round = 0; round < 500; round++) {
        fill_random(hdr + 64, 16);
        ut_sha256d(hdr, 80, a);
        ut_header_hash_mid(&mid, hdr + 64, b);
        assert_memory_equal(a, b, 32);
    }
}

/* OpenSSL's sha256d, the reference. */
static void ref_sha256d(const uint8_t *p, size_t n, uint8_t out[32])
{
    uint8_t inner[32];
    SHA256(p, n, inner);
    SHA256(inner, 32, out);
}

/* Every length from 0 to 300 (all padding cases: rest < 56, 56..63, block
 * boundaries) and random ones up to 5000, against OpenSSL. */
static void test_any_length_vs_openssl(void **state)
{
    static uint8_t buf[5000];
    uint8_t a[32], b[32];
    for (size_t n = 0; n <= 300; n++) {
        fill_random(buf, n);
        ut_sha256(buf, n, a);
        SHA256(buf, n, b);
        assert_memory_equal(a, b, 32);
        ut_sha256d(buf, n, a);
        ref_sha256d(buf, n, b);
        assert_memory_equal(a, b, 32);
    }
    for (int round = 0; round < 300; round++) {
        fill_random((uint8_t *)&lcg_state, 0);
        size_t n = (lcg_state >> 4) % sizeof(buf);
        fill_random(buf, n);
        ut_sha256d(buf, n, a);
        ref_sha256d(buf, n, b);
        assert_memory_equal(a, b, 32);
    }
}

/* Merkle nodes: 20,000 random 64-byte inputs, plus the all-zero and
 * all-ones ones. */
static void test_d64_vs_openssl(void **state)
{
    uint8_t in[64], a[32], b[32], c[32];
    for (int round = 0; round < 20002; round++) {
        if (round < 2)
            memset(in, round ? 0xff : 0, sizeof(in));
        else
            fill_random(in, sizeof(in));
        ut_sha256d_64(in, a);
        ref_sha256d(in, 64, b);
        assert_memory_equal(a, b, 32);
        ut_sha256d(in, 64, c);
        assert_memory_equal(c, b, 32);
        uint8_t inplace[64];       /* out over the first half of in */
        memcpy(inplace, in, 64);
        ut_sha256d_64(inplace, inplace);
        assert_memory_equal(inplace, b, 32);
    }
}

/* Headers: 20,000 random ones, whole and from a midstate, against OpenSSL. */
static void test_header_vs_openssl(void **state)
{
    uint8_t hdr[80], a[32], b[32], c[32];
    ut_sha256_mid mid;
    for (int round = 0; round < 20000; round++) {
        fill_random(hdr, sizeof(hdr));
        ut_header_hash(hdr, a);
        ref_sha256d(hdr, 80, b);
        assert_memory_equal(a, b, 32);
        ut_header_midstate(hdr, &mid);
        ut_header_hash_mid(&mid, hdr + 64, c);
        assert_memory_equal(c, b, 32);
    }
}

/* Block 100000's merkle root from its four txids (display hex) with
 * ut_sha256d_64 alone. */
static void test_d64_block_100000_root(void **state)
{
    static const char *txids[4] = {
        "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
        "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
        "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
        "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
    };
    uint8_t pair[64], l[32], r[32], root[32];
    char hex[65];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ut_hash_from_hex(txids[2 * i], pair), 0);
        assert_int_equal(ut_hash_from_hex(txids[2 * i + 1], pair + 32), 0);
        ut_sha256d_64(pair, i ? r : l);
    }
    memcpy(pair, l, 32);
    memcpy(pair + 32, r, 32);
    ut_sha256d_64(pair, root);
    ut_hash_to_hex(root, hex);
    assert_string_equal(hex, "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766");
}

static uint32_t ror32(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

/* The built-in W+K table of the 64-byte padding block, derived again here. */
static void test_pad64_table(void **state)
{
    uint32_t w[64] = { 0x80000000 };
    w[15] = 512;
    for (int t = 16; t < 64; t++)
        w[t] = w[t - 16] + (ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^ (w[t - 15] >> 3)) +
               w[t - 7] + (ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^ (w[t - 2] >> 10));
    for (int t = 0; t < 64; t++)
        assert_int_equal(ut_sha256_pad64_wk[t], (uint32_t)(w[t] + ut_sha256_k[t]));
}

/* The implementation in use is the one the group asked for. */
static void test_impl_in_use(void **state)
{
    const char *want = *(const char **)*state;
    assert_string_equal(ut_sha256_impl(), want);
}

/* CPUID's answer agrees with the kernel's "sha_ni" cpu flag. */
static void test_cpuid_matches_cpuinfo(void **state)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[4096];
    bool flag = false;
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "flags", 5) == 0) {
            flag = strstr(line, " sha_ni") != NULL;
            break;
        }
    fclose(f);
    assert_int_equal(ut_sha256_cpu_has_ni(), flag);
}

static const char *impl_want;

static int setup_ni(void **state)
{
    ut_sha256_force_portable(false);
    impl_want = ut_sha256_cpu_has_ni() ? "sha-ni" : "portable";
    *state = &impl_want;
    return 0;
}

static int setup_portable(void **state)
{
    ut_sha256_force_portable(true);
    impl_want = "portable";
    *state = &impl_want;
    return 0;
}

#define SHA_TESTS(setup)                                                          \
    {                                                                             \
        cmocka_unit_test_setup(test_impl_in_use, setup),                          \
        cmocka_unit_test_setup(test_sha256_fips, setup),                          \
        cmocka_unit_test_setup(test_sha256d, setup),                              \
        cmocka_unit_test_setup(test_genesis_header, setup),                       \
        cmocka_unit_test_setup(test_block_100000_header, setup),                  \
        cmocka_unit_test_setup(test_header_hash_agrees, setup),                   \
        cmocka_unit_test_setup(test_midstate_reuse, setup),                       \
        cmocka_unit_test_setup(test_any_length_vs_openssl, setup),                \
        cmocka_unit_test_setup(test_d64_vs_openssl, setup),                       \
        cmocka_unit_test_setup(test_header_vs_openssl, setup),                    \
        cmocka_unit_test_setup(test_d64_block_100000_root, setup),                \
    }

int main(void)
{
    const struct CMUnitTest common[] = {
        cmocka_unit_test(test_pad64_table),
        cmocka_unit_test(test_cpuid_matches_cpuinfo),
    };
    const struct CMUnitTest ni[] = SHA_TESTS(setup_ni);
    const struct CMUnitTest portable[] = SHA_TESTS(setup_portable);
    int fails = cmocka_run_group_tests_name("sha256", common, NULL, NULL);
    fails += cmocka_run_group_tests_name("sha256 best path", ni, NULL, NULL);
    fails += cmocka_run_group_tests_name("sha256 portable", portable, NULL, NULL);
    return fails;
}
