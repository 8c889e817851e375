/* Unit tests for utils/ut_target: difficulty -> target (exact values
 * computed with Python's Fraction: floor(0xFFFF * 2^208 / Fraction(d))),
 * nBits -> target as Bitcoin Core's SetCompact, nBits -> difficulty against
 * published mainnet values, and hash-vs-target with real block hashes. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_hex.h"
#include "utils/ut_target.h"

typedef struct diff_case {
    double diff;
    const char *target_le;   /* 32 bytes, little-endian hex */
} diff_case;

static const diff_case diffs[] = {
    { 1.0, "0000000000000000000000000000000000000000000000000000ffff00000000" },
    { 0.5, "0000000000000000000000000000000000000000000000000000feff01000000" },
    { 2.0, "0000000000000000000000000000000000000000000000000080ff7f00000000" },
    { 3.0, "0000000000000000000000000000000000000000000000000000555500000000" },
    { 1024.5, "df07c1f741f07d107c1f04df07c1f741f07d107c1f04df07c1f73f0000000000" },
    { 65536.0, "000000000000000000000000000000000000000000000000ffff000000000000" },
    { 123456.789, "45febcf352e6f0cd818f2b8b30e4787e9a48efc650de5eb4e487000000000000" },
    { 1e15, "54f3f445cb260d5f7a0ab213623114b9dcde6c760e4800000000000000000000" },
    { 1e-6, "07f6f1c963f0623b0211fe620c60553ca200d0b96e14c1310000c0bd30420f00" },
    { 1e-9, "b7fd5549c1a4bacffc363f7e9de0191679b0518108feb581f4feff35658e9a3b" },
    { 4.6565423739069247e-10,
      "c0fbeab97673e7273dd9f4488db825e8fd07f607f607fe03fefffffffffeff7f" },
    { 0x1p-32, "000000000000000000000000000000000000000000000000000000000000ffff" },
};

static void test_target_from_diff(void **state)
{
    for (size_t i = 0; i < sizeof(diffs) / sizeof(diffs[0]); i++) {
        uint8_t t[32];
        char hex[65];
        assert_int_equal(ut_target_from_diff(diffs[i].diff, t), 0);
        ut_hex_encode(t, 32, hex);
        if (strcmp(hex, diffs[i].target_le) != 0)
            fail_msg("diff %.17g: got %s want %s", diffs[i].diff, hex, diffs[i].target_le);
        /* Back to a difficulty (capped targets excepted). */
        if (diffs[i].diff >= 1e-9)
            assert_float_equal(ut_target_to_diff(t) / diffs[i].diff, 1.0, 1e-12);
    }
}

static void test_target_from_diff_edges(void **state)
{
    uint8_t t[32], ones[32], zeros[32];
    memset(ones, 0xff, 32);
    memset(zeros, 0, 32);
    /* Nothing outside [UT_DIFF_MIN, UT_DIFF_MAX] becomes a target: the
     * zero target, which no hash meets. */
    static const double bad[] = {0.0, -5.0, NAN, INFINITY, -INFINITY, 1e300, 1e-12, 1e-310};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(t, 0x55, 32);
        assert_int_equal(ut_target_from_diff(bad[i], t), -1);
        assert_memory_equal(t, zeros, 32);
    }
    assert_int_equal(ut_target_from_diff(0x1p128, t), 0);
    assert_false(ut_hash_meets(ones, t));

    /* Monotonic across the range used by pools: a bigger difficulty never
     * gives a bigger target. */
    uint8_t prev[32];
    ut_target_from_diff(1e-9, prev);
    for (double d = 2e-9; d < 1e15; d *= 1.7) {
        ut_target_from_diff(d, t);
        assert_true(ut_hash_meets(t, prev));
        assert_false(ut_hash_meets(prev, t));
        memcpy(prev, t, 32);
    }
}

typedef struct nbits_case {
    uint32_t nbits;
    const char *target_be;   /* big-endian hex, as Core's GetHex shows it */
} nbits_case;

static const nbits_case nbits_ok[] = {
    { 0x1d00ffff, "00000000ffff0000000000000000000000000000000000000000000000000000" },
    { 0x207fffff, "7fffff0000000000000000000000000000000000000000000000000000000000" },
    { 0x1b04864c, "0000000000" "04864c" "000000000000000000000000000000000000000000000000" },
    { 0x01123456, "0000000000000000000000000000000000000000000000000000000000000012" },
    { 0x02123456, "0000000000000000000000000000000000000000000000000000000000001234" },
    { 0x03123456, "0000000000000000000000000000000000000000000000000000000000123456" },
    { 0x04123456, "0000000000000000000000000000000000000000000000000000000012345600" },
    { 0x05009234, "0000000000000000000000000000000000000000000000000000000092340000" },
    { 0x20123456, "1234560000000000000000000000000000000000000000000000000000000000" },
    { 0x22000001, "0100000000000000000000000000000000000000000000000000000000000000" },
};

static void test_target_from_nbits(void **state)
{
    for (size_t i = 0; i < sizeof(nbits_ok) / sizeof(nbits_ok[0]); i++) {
        uint8_t t[32];
        char hex[65];
        assert_int_equal(ut_target_from_nbits(nbits_ok[i].nbits, t), 0);
        ut_hash_to_hex(t, hex);   /* byte-reversed: big-endian */
        if (strcmp(hex, nbits_ok[i].target_be) != 0)
            fail_msg("nbits %08x: got %s want %s", nbits_ok[i].nbits, hex, nbits_ok[i].target_be);
    }
    uint8_t t[32];
    assert_int_equal(ut_target_from_nbits(0x04923456, t), -1);   /* negative */
    assert_int_equal(ut_target_from_nbits(0x01803456, t), -1);   /* negative */
    assert_int_equal(ut_target_from_nbits(0x00123456, t), -1);   /* zero */
    assert_int_equal(ut_target_from_nbits(0x01003456, t), -1);   /* zero */
    assert_int_equal(ut_target_from_nbits(0x1d000000, t), -1);   /* zero */
    assert_int_equal(ut_target_from_nbits(0xff123456, t), -1);   /* overflow */
    assert_int_equal(ut_target_from_nbits(0x23000001, t), -1);   /* overflow */
    assert_int_equal(ut_target_from_nbits(0x22000100, t), -1);   /* overflow */
    assert_int_equal(ut_target_from_nbits(0x21010000, t), -1);   /* overflow */
}

static void test_nbits_to_diff(void **state)
{
    assert_true(ut_nbits_to_diff(0x1d00ffff) == 1.0);
    assert_float_equal(ut_nbits_to_diff(0x207fffff) / 4.6565423739069247e-10, 1.0, 1e-15);
    /* Mainnet block 100000 (published difficulty 14484.1623612254). */
    assert_float_equal(ut_nbits_to_diff(0x1b04864c) / 14484.162361225399, 1.0, 1e-15);
    /* Mainnet early 2024 (published difficulty 86,388,558,925,171.02). */
    assert_float_equal(ut_nbits_to_diff(0x17034219) / 86388558925171.02, 1.0, 1e-15);
    assert_true(ut_nbits_to_diff(0x04923456) == 0.0);
}

static void test_hash_meets(void **state)
{
    uint8_t genesis[32], b100000[32], t[32];
    assert_int_equal(ut_hash_from_hex(
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", genesis), 0);
    assert_int_equal(ut_hash_from_hex(
        "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506", b100000), 0);

    assert_int_equal(ut_target_from_nbits(0x1d00ffff, t), 0);
    assert_true(ut_hash_meets(genesis, t));
    assert_true(ut_hash_meets(b100000, t));
    assert_int_equal(ut_target_from_nbits(0x1b04864c, t), 0);
    assert_true(ut_hash_meets(b100000, t));
    assert_false(ut_hash_meets(genesis, t));

    /* Difficulty the hashes achieve (diff1 / hash, Python Fraction). */
    assert_float_equal(ut_hash_to_diff(genesis) / 2536.4262984453103, 1.0, 1e-14);
    assert_float_equal(ut_hash_to_diff(b100000) / 17583.056276040857, 1.0, 1e-14);
    assert_true(ut_hash_to_diff(genesis) < 2600);
    ut_target_from_diff(2536.0, t);
    assert_true(ut_hash_meets(genesis, t));
    ut_target_from_diff(2537.0, t);
    assert_false(ut_hash_meets(genesis, t));

    /* Equal is enough; one more is not; the top byte decides first. */
    uint8_t h[32];
    assert_int_equal(ut_target_from_nbits(0x1d00ffff, t), 0);
    memcpy(h, t, 32);
    assert_true(ut_hash_meets(h, t));
    h[0] = 1;
    assert_false(ut_hash_meets(h, t));
    memset(h, 0xff, 32);
    h[27] = 0xfe;
    h[28] = h[29] = h[30] = h[31] = 0;
    assert_true(ut_hash_meets(h, t));
    h[28] = 1;
    assert_false(ut_hash_meets(h, t));
    uint8_t zero[32] = { 0 };
    assert_true(isinf(ut_hash_to_diff(zero)));
    assert_true(ut_hash_meets(zero, zero));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_from_diff),
        cmocka_unit_test(test_target_from_diff_edges),
        cmocka_unit_test(test_target_from_nbits),
        cmocka_unit_test(test_nbits_to_diff),
        cmocka_unit_test(test_hash_meets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
