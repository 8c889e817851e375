/* test_jm_coinbase: the coinbase halves byte for byte (expected hex written
 * out by hand from the transaction format), payout splits, and the BIP34
 * height at the start of the scriptSig. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jobmaster/jm_coinbase.h"
#include "utils/ut_hex.h"

/* 32 bytes of 0xab: the commitment hash used below. */
#define AB32 "abababababababababababababababababababababababababababababababab"
#define COMMITMENT_HEX "6a24aa21a9ed" AB32

static jm_payout payout_hex(const char *hex, uint64_t weight)
{
    jm_payout p;
    memset(&p, 0, sizeof(p));
    size_t n = 0;
    assert_int_equal(ut_hex_decode_any(hex, strlen(hex), p.script, sizeof(p.script), &n), 0);
    p.script_len = n;
    p.weight = weight;
    snprintf(p.label, sizeof(p.label), "test");
    return p;
}

static void build_hex(const jm_coinbase_params *p, char **b1, char **b2)
{
    jm_coinbase cb;
    char err[128];
    assert_int_equal(jm_coinbase_build(p, &cb, err, sizeof(err)), 0);
    *b1 = malloc(cb.coinb1_len * 2 + 1);
    *b2 = malloc(cb.coinb2_len * 2 + 1);
    ut_hex_encode(cb.coinb1, cb.coinb1_len, *b1);
    ut_hex_encode(cb.coinb2, cb.coinb2_len, *b2);
    jm_coinbase_free(&cb);
}

static void check(const jm_coinbase_params *p, const char *want1, const char *want2)
{
    char *b1, *b2;
    build_hex(p, &b1, &b2);
    assert_string_equal(b1, want1);
    assert_string_equal(b2, want2);
    free(b1);
    free(b2);
}

/* coinb1 for height 500000, tag "/hf/", extranonce 12:
 * version 01000000, 1 input, null prevout, scriptSig length 0x16 (22 =
 * 4 height + 5 tag + 1 + 12), height push 03 20a107, tag push 04 2f68662f,
 * extranonce push opcode 0c. */
#define COINB1_500000 \
    "01000000" "01" "0000000000000000000000000000000000000000000000000000000000000000" \
    "ffffffff" "16" "0320a107" "042f68662f" "0c"

static void test_p2wpkh_with_commitment(void **state)
{
    jm_payout pay = payout_hex("00141111111111111111111111111111111111111111", 1);
    uint8_t commitment[38];
    ut_hex_decode(COMMITMENT_HEX, commitment, 38);
    jm_coinbase_params p = {
        .version = 1, .height = 500000, .value = 625000000, .payouts = &pay,
        .payout_count = 1, .tag = "/hf/", .extranonce_size = 12,
        .commitment = commitment, .commitment_len = 38,
    };
    check(&p, COINB1_500000,
          "ffffffff" "02"
          "40be402500000000" "16" "00141111111111111111111111111111111111111111"
          "0000000000000000" "26" COMMITMENT_HEX
          "00000000");
}

static void test_p2pkh_no_commitment(void **state)
{
    jm_payout pay = payout_hex("76a914222222222222222222222222222222222222222288ac", 5);
    jm_coinbase_params p = {
        .version = 1, .height = 500000, .value = 625000000, .payouts = &pay,
        .payout_count = 1, .tag = "/hf/", .extranonce_size = 12,
    };
    check(&p, COINB1_500000,
          "ffffffff" "01"
          "40be402500000000" "19" "76a914222222222222222222222222222222222222222288ac"
          "00000000");
}

static void test_p2tr_version2(void **state)
{
    jm_payout pay = payout_hex(
        "51203333333333333333333333333333333333333333333333333333333333333333", 1);
    jm_coinbase_params p = {
        .version = 2, .height = 500000, .value = 1, .payouts = &pay,
        .payout_count = 1, .tag = "", .extranonce_size = 8,
    };
    /* no tag push: scriptSig = 4 + 1 + 8 = 13 bytes */
    check(&p,
          "02000000" "01" "0000000000000000000000000000000000000000000000000000000000000000"
          "ffffffff" "0d" "0320a107" "08",
          "ffffffff" "01"
          "0100000000000000" "22"
          "51203333333333333333333333333333333333333333333333333333333333333333"
          "00000000");
}

/* 625000000 split 1:1:1 -> 208333333, 208333333, 208333334 (the last takes
 * the remainder), then the commitment. */
static void test_three_way_split(void **state)
{
    jm_payout pays[3] = {
        payout_hex("76a914222222222222222222222222222222222222222288ac", 1),
        payout_hex("00141111111111111111111111111111111111111111", 1),
        payout_hex("51203333333333333333333333333333333333333333333333333333333333333333", 1),
    };
    uint8_t commitment[38];
    ut_hex_decode(COMMITMENT_HEX, commitment, 38);
    jm_coinbase_params p = {
        .version = 1, .height = 500000, .value = 625000000, .payouts = pays,
        .payout_count = 3, .tag = "/hf/", .extranonce_size = 12,
        .commitment = commitment, .commitment_len = 38,
    };
    check(&p, COINB1_500000,
          "ffffffff" "04"
          "15ea6a0c00000000" "19" "76a914222222222222222222222222222222222222222288ac"
          "15ea6a0c00000000" "16" "00141111111111111111111111111111111111111111"
          "16ea6a0c00000000" "22"
          "51203333333333333333333333333333333333333333333333333333333333333333"
          "0000000000000000" "26" COMMITMENT_HEX
          "00000000");
}

static void test_split_weights(void **state)
{
    jm_payout pays[3];
    memset(pays, 0, sizeof(pays));
    pays[0].weight = 1;
    pays[1].weight = 2;
    pays[2].weight = 3;
    uint64_t a[3];
    jm_coinbase_split(625000000, pays, 3, a);
    assert_int_equal(a[0], 104166666);
    assert_int_equal(a[1], 208333333);
    assert_int_equal(a[2], 312500001);
    /* huge weights must not overflow */
    pays[0].weight = UINT64_MAX / 4;
    pays[1].weight = UINT64_MAX / 4;
    jm_coinbase_split(2100000000000000ULL, pays, 2, a);
    assert_int_equal(a[0], 1050000000000000ULL);
    assert_int_equal(a[1], 1050000000000000ULL);
}

/* The scriptSig begins right after the length byte at offset 41. */
static void check_height(uint32_t height, const char *want_prefix, unsigned want_len)
{
    jm_payout pay = payout_hex("00141111111111111111111111111111111111111111", 1);
    jm_coinbase_params p = {
        .version = 1, .height = height, .value = 50, .payouts = &pay,
        .payout_count = 1, .tag = "/hf/", .extranonce_size = 12,
    };
    char *b1, *b2;
    build_hex(&p, &b1, &b2);
    char len_hex[3];
    snprintf(len_hex, sizeof(len_hex), "%02x", want_len);
    assert_memory_equal(b1 + 82, len_hex, 2);
    assert_memory_equal(b1 + 84, want_prefix, strlen(want_prefix));
    assert_string_equal(b1 + 84 + strlen(want_prefix), "042f68662f0c");
    free(b1);
    free(b2);
}

static void test_heights(void **state)
{
    check_height(1, "51", 1 + 5 + 1 + 12);      /* OP_1 */
    check_height(16, "60", 1 + 5 + 1 + 12);     /* OP_16 */
    check_height(17, "0111", 2 + 5 + 1 + 12);   /* push 1 byte 0x11 */
    check_height(128, "028000", 3 + 5 + 1 + 12);  /* 0x80 needs a sign byte */
    check_height(500000, "0320a107", 4 + 5 + 1 + 12);
}

static void test_scriptsig_bounds(void **state)
{
    jm_payout pay = payout_hex("00141111111111111111111111111111111111111111", 1);
    char tag[JM_TAG_MAX + 8];
    size_t max = jm_config_tag_max(12);
    /* 100 - 6 (largest height push) - 13 (extranonce push) - 2 (OP_PUSHDATA1 n) */
    assert_int_equal(max, 79);
    memset(tag, 'x', max);
    tag[max] = '\0';
    jm_coinbase_params p = {
        .version = 1, .height = 0xffffffffu, .value = 50, .payouts = &pay,
        .payout_count = 1, .tag = tag, .extranonce_size = 12,
    };
    jm_coinbase cb;
    char err[128];
    assert_int_equal(jm_coinbase_build(&p, &cb, err, sizeof(err)), 0);
    assert_int_equal(cb.coinb1[41], 100);   /* exactly the limit */
    jm_coinbase_free(&cb);
    tag[max] = 'x';
    tag[max + 1] = '\0';
    assert_int_equal(jm_coinbase_build(&p, &cb, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "scriptSig"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_p2wpkh_with_commitment),
        cmocka_unit_test(test_p2pkh_no_commitment),
        cmocka_unit_test(test_p2tr_version2),
        cmocka_unit_test(test_three_way_split),
        cmocka_unit_test(test_split_weights),
        cmocka_unit_test(test_heights),
        cmocka_unit_test(test_scriptsig_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
