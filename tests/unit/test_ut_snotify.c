/* test_ut_snotify: another pool's mining.notify decoded: the BIP34 height
 * from coinb1 for pushes of 1..4 bytes and OP_1..OP_16 (as Bitcoin Core
 * encodes them, ut_bip34_height), Stratum's word-swapped prevhash against
 * a known block (block 1's prev, the genesis hash), and every bounds check
 * on coinb1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include "utils/ut_hex.h"
#include "utils/ut_script.h"
#include "utils/ut_snotify.h"

#define GENESIS "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
/* the genesis hash as a pool's notify for block 1 carries it */
#define GENESIS_STRATUM "0a8ce26f72b3f1b646a2a6c14ff763ae65831e939c085ae10019d66800000000"

/* coinb1: version, one input, null outpoint, scriptSig length slen, the
 * given script bytes (the height push and what follows before en1). */
static size_t make_cb1(uint8_t *out, size_t slen, const uint8_t *script, size_t n)
{
    size_t pos = 0;
    static const uint8_t head[] = {0x01, 0x00, 0x00, 0x00, 0x01};
    memcpy(out, head, sizeof(head));
    pos += sizeof(head);
    memset(out + pos, 0, 32);
    pos += 32;
    memset(out + pos, 0xff, 4);
    pos += 4;
    out[pos++] = (uint8_t)slen;
    memcpy(out + pos, script, n);
    return pos + n;
}

static uint32_t height_of(const uint8_t *script, size_t n, int *rc)
{
    uint8_t cb1[128];
    uint32_t h = 0xdeadbeef;
    char err[128];
    size_t len = make_cb1(cb1, n + 8 + 4, script, n);   /* room for en1+en2 after */
    *rc = ut_snotify_height(cb1, len, &h, err, sizeof(err));
    return h;
}

static void expect_height(const uint8_t *script, size_t n, uint32_t want)
{
    int rc;
    uint32_t h = height_of(script, n, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(h, want);
}

static void test_small_heights_op_n(void **state)
{
    for (uint32_t h = 1; h <= 16; h++) {
        uint8_t s[9];
        assert_int_equal(ut_bip34_height(h, s), 1);
        assert_int_equal(s[0], 0x50 + h);            /* OP_1..OP_16 */
        expect_height(s, 1, h);
    }
    static const uint8_t op0[] = {0x00};
    expect_height(op0, 1, 0);
}

static void test_push_heights(void **state)
{
    static const uint8_t h17[] = {0x01, 0x11};
    static const uint8_t h128[] = {0x02, 0x80, 0x00};        /* sign byte */
    static const uint8_t h500000[] = {0x03, 0x20, 0xa1, 0x07};
    static const uint8_t h8388608[] = {0x04, 0x00, 0x00, 0x80, 0x00};
    static const uint8_t hmax[] = {0x04, 0xff, 0xff, 0xff, 0x7f};
    expect_height(h17, sizeof(h17), 17);
    expect_height(h128, sizeof(h128), 128);
    expect_height(h500000, sizeof(h500000), 500000);
    expect_height(h8388608, sizeof(h8388608), 8388608);
    expect_height(hmax, sizeof(hmax), 0x7fffffff);
    /* round trip through Core's encoding at every push size boundary */
    static const uint32_t hs[] = {17, 127, 128, 255, 256, 32767, 32768, 8388607, 8388608,
                                  16777216, 2147483647u};
    for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
        uint8_t s[9];
        size_t n = ut_bip34_height(hs[i], s);
        expect_height(s, n, hs[i]);
    }
}

static void test_bounds(void **state)
{
    uint8_t cb1[128];
    uint32_t h;
    char err[128];
    static const uint8_t push3[] = {0x03, 0x20, 0xa1, 0x07};
    size_t len = make_cb1(cb1, 20, push3, sizeof(push3));
    /* coinb1 cut inside the push */
    assert_int_equal(ut_snotify_height(cb1, len - 1, &h, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "BIP34"));
    /* scriptSig length shorter than the push it starts with */
    len = make_cb1(cb1, 2, push3, sizeof(push3));
    assert_int_equal(ut_snotify_height(cb1, len, &h, err, sizeof(err)), -1);
    /* scriptSig length 0 and above 100 */
    len = make_cb1(cb1, 0, push3, sizeof(push3));
    assert_int_equal(ut_snotify_height(cb1, len, &h, err, sizeof(err)), -1);
    len = make_cb1(cb1, 101, push3, sizeof(push3));
    assert_int_equal(ut_snotify_height(cb1, len, &h, err, sizeof(err)), -1);
    /* ends before the scriptSig length, or within the outpoint */
    len = make_cb1(cb1, 20, push3, sizeof(push3));
    assert_int_equal(ut_snotify_height(cb1, 41, &h, err, sizeof(err)), -1);
    assert_int_equal(ut_snotify_height(cb1, 20, &h, err, sizeof(err)), -1);
    /* not a coinbase: outpoint not null */
    cb1[10] = 1;
    assert_int_equal(ut_snotify_height(cb1, len, &h, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "outpoint"));
    cb1[10] = 0;
    /* two inputs */
    cb1[4] = 2;
    assert_int_equal(ut_snotify_height(cb1, len, &h, err, sizeof(err)), -1);
    cb1[4] = 1;
    /* negative number push (sign bit) */
    static const uint8_t neg[] = {0x01, 0x81};
    len = make_cb1(cb1, 20, neg, sizeof(neg));
    assert_int_equal(ut_snotify_height(cb1, len, &h, err, sizeof(err)), -1);
    /* a push of 6 bytes is no height */
    static const uint8_t six[] = {0x06, 1, 2, 3, 4, 5, 6};
    len = make_cb1(cb1, 20, six, sizeof(six));
    assert_int_equal(ut_snotify_height(cb1, len, &h, err, sizeof(err)), -1);
}

static void test_segwit_marker(void **state)
{
    uint8_t cb1[128], sw[130];
    uint32_t h = 0;
    char err[128];
    static const uint8_t push[] = {0x02, 0x00, 0x01};
    size_t len = make_cb1(cb1, 20, push, sizeof(push));
    memcpy(sw, cb1, 4);
    sw[4] = 0x00;
    sw[5] = 0x01;
    memcpy(sw + 6, cb1 + 4, len - 4);
    assert_int_equal(ut_snotify_height(sw, len + 2, &h, err, sizeof(err)), 0);
    assert_int_equal(h, 256);
}

static void test_prevhash_known_block(void **state)
{
    uint8_t prev[32], want[32];
    char hex[65];
    assert_int_equal(ut_snotify_prevhash(GENESIS_STRATUM, prev), 0);
    assert_int_equal(ut_hash_from_hex(GENESIS, want), 0);
    assert_memory_equal(prev, want, 32);
    ut_hash_to_hex(prev, hex);
    assert_string_equal(hex, GENESIS);
    assert_int_equal(ut_snotify_prevhash("0a8ce26f", prev), -1);
    assert_int_equal(ut_snotify_prevhash(NULL, prev), -1);
}

static json_t *notify_params(const char *prevhash, const char *cb1hex)
{
    return json_pack("[s, s, s, s, [s], s, s, s, b]", "job1", prevhash, cb1hex,
                     "ffffffff01", "aa00000000000000000000000000000000000000000000000000000000000000",
                     "20000000", "207fffff", "5f5e1000", 1);
}

static void test_parse_whole(void **state)
{
    uint8_t cb1[128];
    char hex[300];
    static const uint8_t push[] = {0x03, 0x20, 0xa1, 0x07, 0xde, 0xad};
    size_t len = make_cb1(cb1, 30, push, sizeof(push));
    ut_hex_encode(cb1, len, hex);
    json_t *p = notify_params(GENESIS_STRATUM, hex);
    ut_snotify n;
    char err[128];
    assert_int_equal(ut_snotify_parse(p, &n, err, sizeof(err)), 0);
    assert_string_equal(n.job_id, "job1");
    assert_string_equal(n.prev_hex, GENESIS);
    assert_int_equal(n.height, 500000);
    assert_int_equal(n.version, 0x20000000);
    assert_int_equal(n.nbits, 0x207fffff);
    assert_int_equal(n.ntime, 0x5f5e1000);
    assert_int_equal(n.branch_count, 1);
    assert_true(n.clean);
    json_decref(p);
    /* bad fields name themselves */
    p = notify_params("xyz", hex);
    assert_int_equal(ut_snotify_parse(p, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "prevhash"));
    json_decref(p);
    p = notify_params(GENESIS_STRATUM, "0100");
    assert_int_equal(ut_snotify_parse(p, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "coinb1"));
    json_decref(p);
    p = json_pack("[s]", "job1");
    assert_int_equal(ut_snotify_parse(p, &n, err, sizeof(err)), -1);
    json_decref(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_heights_op_n),
        cmocka_unit_test(test_push_heights),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_segwit_marker),
        cmocka_unit_test(test_prevhash_known_block),
        cmocka_unit_test(test_parse_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
