/* Unit tests for utils/ut_thin: the thin form of a three-transaction block
 * written by bcoin 1.0.2 (coinbase, a segwit spend, a legacy spend; the
 * block of test_ut_p2p) is decoded into slots with the exact short ids
 * bcoin writes for nonce 0x0807060504030201, rebuilt from a "mempool" byte
 * for byte, rebuilt after filling what was missing, and refused on a
 * short-id collision, a wrong declared size, swapped transactions (merkle
 * root mismatch), a transaction that does not decode and a truncated payload. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_hex.h"
#include "utils/ut_p2p.h"
#include "utils/ut_thin.h"

static const char *blk3_hex =
    "00000020010101010101010101010101010101010101010101010101010101010101010137dcc5b503b53b"
    "ce2034f180cc3f46d40dbfd5ad1dc5b84e93c7ffbefa4b0dfb00f15365ffff7f2005000000030100000001"
    "0000000000000000000000000000000000000000000000000000000000000000ffffffff020151ffffffff"
    "0100f2052a010000000151000000000100000000010107070707070707070707070707070707070707070707"
    "070707070707070707070100000000ffffffff01e803000000000000160014111111111111111111111111"
    "11111111111111110202aabb01cc000000000100000001090909090909090909090909090909090909090909"
    "0909090909090909090909000000000100ffffffff01d007000000000000015200000000";

typedef struct fx {
    uint8_t *raw;
    size_t len;
    ut_p2p_block b;
    ut_bytes thin;
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->len = strlen(blk3_hex) / 2;
    f->raw = malloc(f->len);
    assert_int_equal(ut_hex_decode(blk3_hex, f->raw, f->len), 0);
    assert_int_equal(ut_p2p_block_parse(f->raw, f->len, &f->b), 0);
    ut_bytes_init(&f->thin);
    ut_p2p_cmpct_put(&f->thin, &f->b, 0x0807060504030201ull, 2);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    ut_bytes_free(&f->thin);
    ut_p2p_block_free(&f->b);
    free(f->raw);
    free(f);
    return 0;
}

static ut_thin_have have_of(const fx *f, size_t i)
{
    ut_thin_have h = {.raw = f->raw + f->b.txs[i].off, .len = f->b.txs[i].len};
    memcpy(h.wtxid, f->b.txs[i].wtxid, 32);
    return h;
}

static void assert_block(const fx *f, ut_thin *t)
{
    ut_bytes out;
    ut_bytes_init(&out);
    assert_int_equal(ut_thin_finish(t, f->len, &out), UT_THIN_OK);
    assert_int_equal(out.len, f->len);
    assert_memory_equal(out.data, f->raw, f->len);
    ut_bytes_free(&out);
}

static void test_decode_slots(void **state)
{
    fx *f = *state;
    ut_thin t;
    assert_int_equal(ut_thin_begin(&t, f->thin.data, f->thin.len), UT_THIN_OK);
    assert_int_equal(t.count, 3);
    assert_int_equal(t.missing, 2);
    assert_int_equal(t.nonce, 0x0807060504030201ull);
    assert_memory_equal(t.hash, f->b.header.hash, 32);
    assert_true(t.slots[0].prefilled);
    assert_int_equal(t.slots[0].len, f->b.txs[0].len);
    /* bcoin's bytes: 5d7e9a851e79 and dda3ec4ddc34, little-endian */
    assert_int_equal(t.slots[1].shortid, 0x791e859a7e5dull);
    assert_int_equal(t.slots[2].shortid, 0x34dc4deca3ddull);
    assert_int_equal(ut_thin_shortid(&t, f->b.txs[2].wtxid), 0x34dc4deca3ddull);
    uint32_t idx[4];
    assert_int_equal(ut_thin_missing(&t, idx, 4), 2);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 2);
    ut_thin_free(&t);
}

static void test_rebuild_from_mempool(void **state)
{
    fx *f = *state;
    ut_thin t;
    assert_int_equal(ut_thin_begin(&t, f->thin.data, f->thin.len), UT_THIN_OK);
    ut_thin_have pool[3] = {have_of(f, 2), have_of(f, 0), have_of(f, 1)};
    pool[1].wtxid[0] ^= 1;               /* a transaction that is not in the block */
    assert_int_equal(ut_thin_match(&t, pool, 3), 2);
    assert_int_equal(ut_thin_match(&t, pool, 3), 0);   /* offered again: nothing new */
    assert_int_equal(t.missing, 0);
    assert_block(f, &t);
    ut_thin_free(&t);
}

static void test_fill_missing(void **state)
{
    fx *f = *state;
    ut_thin t;
    assert_int_equal(ut_thin_begin(&t, f->thin.data, f->thin.len), UT_THIN_OK);
    ut_thin_have h2 = have_of(f, 2);
    assert_int_equal(ut_thin_match(&t, &h2, 1), 1);
    uint32_t idx[4];
    assert_int_equal(ut_thin_missing(&t, idx, 4), 1);
    assert_int_equal(idx[0], 1);
    ut_bytes out;
    ut_bytes_init(&out);
    assert_int_equal(ut_thin_finish(&t, 0, &out), UT_THIN_INCOMPLETE);
    ut_bytes_free(&out);
    const uint8_t *tx1 = f->raw + f->b.txs[1].off;
    size_t l1 = f->b.txs[1].len;
    assert_int_equal(ut_thin_fill(&t, 1, tx1, l1 - 1), UT_THIN_BAD_TX);
    assert_int_equal(ut_thin_fill(&t, 3, tx1, l1), UT_THIN_MALFORMED);
    assert_int_equal(ut_thin_fill(&t, 2, tx1, l1), UT_THIN_MALFORMED);   /* already filled */
    assert_int_equal(ut_thin_fill(&t, 1, tx1, l1), UT_THIN_OK);
    assert_block(f, &t);
    ut_thin_free(&t);
}

static void test_merkle_and_size_checks(void **state)
{
    fx *f = *state;
    ut_thin t;
    assert_int_equal(ut_thin_begin(&t, f->thin.data, f->thin.len), UT_THIN_OK);
    const uint8_t *tx1 = f->raw + f->b.txs[1].off, *tx2 = f->raw + f->b.txs[2].off;
    assert_int_equal(ut_thin_fill(&t, 1, tx2, f->b.txs[2].len), UT_THIN_OK);   /* swapped */
    assert_int_equal(ut_thin_fill(&t, 2, tx1, f->b.txs[1].len), UT_THIN_OK);
    ut_bytes out;
    ut_bytes_init(&out);
    assert_int_equal(ut_thin_finish(&t, f->len, &out), UT_THIN_BAD_MERKLE);
    ut_bytes_free(&out);
    ut_thin_free(&t);

    assert_int_equal(ut_thin_begin(&t, f->thin.data, f->thin.len), UT_THIN_OK);
    ut_thin_have pool[2] = {have_of(f, 1), have_of(f, 2)};
    assert_int_equal(ut_thin_match(&t, pool, 2), 2);
    ut_bytes_init(&out);
    assert_int_equal(ut_thin_finish(&t, f->len + 1, &out), UT_THIN_BAD_SIZE);
    ut_bytes_free(&out);
    ut_thin_free(&t);

    assert_int_equal(ut_thin_check_block(f->raw, f->len), UT_THIN_OK);
    uint8_t *bad = malloc(f->len);
    memcpy(bad, f->raw, f->len);
    bad[36] ^= 1;                        /* a merkle root bit */
    assert_int_equal(ut_thin_check_block(bad, f->len), UT_THIN_BAD_MERKLE);
    assert_int_equal(ut_thin_check_block(bad, f->len - 1), UT_THIN_BAD_TX);
    free(bad);
}

static void test_collision_and_malformed(void **state)
{
    fx *f = *state;
    uint8_t *p = malloc(f->thin.len);
    memcpy(p, f->thin.data, f->thin.len);
    /* header 80 | nonce 8 | count 1 | id 6 | id 6: the second id := the first */
    memcpy(p + 95, p + 89, 6);
    ut_thin t;
    assert_int_equal(ut_thin_begin(&t, p, f->thin.len), UT_THIN_COLLISION);
    ut_thin_free(&t);
    assert_int_equal(ut_thin_begin(&t, f->thin.data, f->thin.len - 1), UT_THIN_MALFORMED);
    ut_thin_free(&t);
    assert_int_equal(ut_thin_begin(&t, f->thin.data, 88), UT_THIN_MALFORMED);
    ut_thin_free(&t);
    assert_string_equal(ut_thin_strerror(UT_THIN_COLLISION), "short id collision");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_decode_slots, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rebuild_from_mempool, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fill_missing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_merkle_and_size_checks, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_collision_and_malformed, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
