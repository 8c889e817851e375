/* Unit tests for utils/ut_sha256: FIPS 180 vectors, double SHA-256, and
 * real block headers (genesis, mainnet block 100000), including the
 * midstate path against the plain one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_hex.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_fips),
        cmocka_unit_test(test_sha256d),
        cmocka_unit_test(test_genesis_header),
        cmocka_unit_test(test_block_100000_header),
        cmocka_unit_test(test_header_hash_agrees),
        cmocka_unit_test(test_midstate_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
