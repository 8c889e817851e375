/* Unit tests for utils/ut_merkle: mainnet block 100000's merkle root from
 * its txids, a tree built by hand, and the coinbase branch folded back into
 * the root for 1..9 transactions (and some larger counts). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_hex.h"
#include "utils/ut_merkle.h"
#include "utils/ut_sha256.h"

static const char *b100000_txids[4] = {
    "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
    "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
    "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
    "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
};
static const char *b100000_root =
    "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766";

static void test_block_100000_root(void **state)
{
    uint8_t tx[4][32], root[32];
    char hex[65];
    for (int i = 0; i < 4; i++)
        assert_int_equal(ut_hash_from_hex(b100000_txids[i], tx[i]), 0);
    ut_merkle_root((const uint8_t (*)[32])tx, 4, root);
    ut_hash_to_hex(root, hex);
    assert_string_equal(hex, b100000_root);

    /* The branch of the three non-coinbase txids folds the coinbase txid
     * into the same root. */
    uint8_t branch[32][32];
    size_t steps = ut_merkle_branch((const uint8_t (*)[32])(tx + 1), 3, branch, 32);
    assert_int_equal(steps, 2);
    assert_memory_equal(branch[0], tx[1], 32);
    ut_merkle_fold(tx[0], (const uint8_t (*)[32])branch, steps, root);
    ut_hash_to_hex(root, hex);
    assert_string_equal(hex, b100000_root);

    /* Swapping two txids changes the root. */
    uint8_t swapped[4][32];
    memcpy(swapped[0], tx[1], 32);
    memcpy(swapped[1], tx[0], 32);
    memcpy(swapped[2], tx[2], 32);
    memcpy(swapped[3], tx[3], 32);
    ut_merkle_root((const uint8_t (*)[32])swapped, 4, root);
    ut_hash_to_hex(root, hex);
    assert_string_not_equal(hex, b100000_root);
}

static void pair(const uint8_t *l, const uint8_t *r, uint8_t out[32])
{
    uint8_t buf[64];
    memcpy(buf, l, 32);
    memcpy(buf + 32, r, 32);
    ut_sha256d(buf, 64, out);
}

/* Odd levels pair the last hash with itself: check 1, 3 and 5 leaves
 * against trees written out by hand. */
static void test_odd_levels_by_hand(void **state)
{
    uint8_t l[5][32], root[32], ab[32], cc[32], cd[32], ee[32], abcd[32], eeee[32], want[32];
    for (int i = 0; i < 5; i++)
        memset(l[i], 0x11 * (i + 1), 32);

    ut_merkle_root((const uint8_t (*)[32])l, 1, root);
    assert_memory_equal(root, l[0], 32);

    pair(l[0], l[1], ab);
    pair(l[2], l[2], cc);
    pair(ab, cc, want);
    ut_merkle_root((const uint8_t (*)[32])l, 3, root);
    assert_memory_equal(root, want, 32);

    pair(l[2], l[3], cd);
    pair(ab, cd, abcd);
    pair(l[4], l[4], ee);
    pair(ee, ee, eeee);
    pair(abcd, eeee, want);
    ut_merkle_root((const uint8_t (*)[32])l, 5, root);
    assert_memory_equal(root, want, 32);
}

static size_t expected_steps(size_t total)
{
    size_t steps = 0;
    while (total > 1) {
        total = (total + 1) / 2;
        steps++;
    }
    return steps;
}

/* For every tx count, root(coinbase + txids) == fold(coinbase, branch). */
static void test_branch_fold_matches_root(void **state)
{
    static uint8_t leaves[300][32];
    uint32_t x = 99;
    for (int i = 0; i < 300; i++)
        for (int j = 0; j < 32; j++) {
            x = x * 1664525u + 1013904223u;
            leaves[i][j] = (uint8_t)(x >> 24);
        }
    const size_t counts[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 31, 33, 100, 255, 256, 300 };
    for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        size_t total = counts[c];
        uint8_t root[32], folded[32], branch[32][32];
        ut_merkle_root((const uint8_t (*)[32])leaves, total, root);
        size_t steps = ut_merkle_branch((const uint8_t (*)[32])(leaves + 1), total - 1,
                                        branch, 32);
        assert_int_equal(steps, expected_steps(total));
        ut_merkle_fold(leaves[0], (const uint8_t (*)[32])branch, steps, folded);
        assert_memory_equal(root, folded, 32);

        /* A different coinbase gives a different root through the same branch. */
        uint8_t other[32];
        memcpy(other, leaves[0], 32);
        other[5] ^= 1;
        ut_merkle_fold(other, (const uint8_t (*)[32])branch, steps, folded);
        assert_memory_not_equal(root, folded, 32);
    }
}

static void test_branch_limits(void **state)
{
    uint8_t tx[8][32], branch[32][32];
    memset(tx, 7, sizeof(tx));
    /* No other transactions: no steps, root is the coinbase txid. */
    assert_int_equal(ut_merkle_branch((const uint8_t (*)[32])tx, 0, branch, 32), 0);
    uint8_t root[32];
    ut_merkle_fold(tx[0], (const uint8_t (*)[32])branch, 0, root);
    assert_memory_equal(root, tx[0], 32);
    /* 8 others (9 leaves) need 4 steps; max_steps 3 is too few. */
    assert_int_equal(ut_merkle_branch((const uint8_t (*)[32])tx, 8, branch, 3), SIZE_MAX);
    assert_int_equal(ut_merkle_branch((const uint8_t (*)[32])tx, 8, branch, 4), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_100000_root),
        cmocka_unit_test(test_odd_levels_by_hand),
        cmocka_unit_test(test_branch_fold_matches_root),
        cmocka_unit_test(test_branch_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
