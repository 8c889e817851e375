/* test_hfm_work: hfminer's job -> header path. A mining.notify carrying
 * Bitcoin block 1 (its coinbase split around a made-up extranonce) must
 * hash to block 1's real hash; merkle roots built from a branch must equal
 * ut_merkle_root over all txids; the notify prevhash conversion, version
 * rolling, extranonce2 encoding, the cursor's walk order, and the share
 * target compare at fractional difficulties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tools/hfminer/hfm_stratum.h"
#include "tools/hfminer/hfm_work.h"
#include "utils/ut_hex.h"
#include "utils/ut_merkle.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"
#include "utils/ut_target.h"

#define GENESIS_HASH "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
#define BLOCK1_HASH "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048"
#define BLOCK1_ROOT "0e3e2357e806b6cdb1f70b54c3a3a17b6714ee1f0e68bebb44a74b1efd512098"
/* Block 1's coinbase, split: coinb1 | en1 "ffff001d" | en2 "0104" | coinb2. */
#define BLOCK1_COINB1 "01000000010000000000000000000000000000000000000000000000000000" \
    "000000000000ffffffff0704"
#define BLOCK1_COINB2 "ffffffff0100f2052a0100000043410496b538e853519c726a2c91e61ec1160" \
    "0ae1390813a627c66fb8be7947be63c52da7589379515d4e0a604f8141781e62294721166bf621e73a8" \
    "2cbf2342c858eeac00000000"
#define BLOCK1_NONCE 2573394689u

/* The notify form of a display-hex hash: its eight words in reverse order. */
static void notify_form(const char *display, char out[65])
{
    for (int w = 0; w < 8; w++)
        memcpy(out + 8 * w, display + 8 * (7 - w), 8);
    out[64] = '\0';
}

static hfm_job *block1_job(const char *branch_json)
{
    char prev[65];
    notify_form(GENESIS_HASH, prev);
    char *text = NULL;
    int n = asprintf(&text, "[\"b1\",\"%s\",\"%s\",\"%s\",%s,\"00000001\",\"1d00ffff\","
                     "\"4966bc61\",true]", prev, BLOCK1_COINB1, BLOCK1_COINB2, branch_json);
    assert_true(n > 0);
    json_t *params = json_loads(text, 0, NULL);
    free(text);
    assert_non_null(params);
    hfm_job *job = hfm_parse_notify(params);
    json_decref(params);
    return job;
}

static void test_block1_from_notify(void **state)
{
    hfm_job *job = block1_job("[]");
    assert_non_null(job);
    assert_string_equal(job->id, "b1");
    assert_int_equal(job->version, 1);
    assert_int_equal(job->nbits, 0x1d00ffff);
    assert_int_equal(job->ntime, 0x4966bc61);
    assert_true(job->clean);
    const uint8_t en1[4] = {0xff, 0xff, 0x00, 0x1d};
    const uint8_t en2[2] = {0x01, 0x04};
    hfm_work w;
    memset(&w, 0, sizeof(w));
    assert_int_equal(hfm_work_set(&w, job, en1, 4, en2, 2, 0, 0, false), 0);
    assert_int_equal(job->refs, 2);

    /* The merkle root of a one-transaction block is the coinbase txid. */
    uint8_t root[32];
    assert_int_equal(ut_hash_from_hex(BLOCK1_ROOT, root), 0);
    assert_memory_equal(w.header + 36, root, 32);
    /* prevhash lands in internal order: the display hash reversed. */
    uint8_t prev[32];
    assert_int_equal(ut_hash_from_hex(GENESIS_HASH, prev), 0);
    assert_memory_equal(w.header + 4, prev, 32);
    /* Integers little-endian. */
    const uint8_t le_time[4] = {0x61, 0xbc, 0x66, 0x49};
    const uint8_t le_bits[4] = {0xff, 0xff, 0x00, 0x1d};
    assert_memory_equal(w.header + 68, le_time, 4);
    assert_memory_equal(w.header + 72, le_bits, 4);
    assert_int_equal(ut_le32_get(w.header), 1);

    uint8_t hash[32];
    char hex[65];
    assert_true(hfm_hash_nonce(w.header, BLOCK1_NONCE, job->net_target, hash));
    ut_hash_to_hex(hash, hex);
    assert_string_equal(hex, BLOCK1_HASH);
    /* The midstate path gives the same hash; the nonce before does not meet. */
    uint8_t tail[16], hash2[32];
    memcpy(tail, w.header + 64, 16);
    assert_true(hfm_hash_tail(&w.mid, tail, BLOCK1_NONCE, job->net_target, hash2));
    assert_memory_equal(hash, hash2, 32);
    assert_false(hfm_hash_tail(&w.mid, tail, BLOCK1_NONCE - 1, job->net_target, hash2));

    hfm_work_clear(&w);
    assert_int_equal(job->refs, 1);
    hfm_job_unref(job);
}

static void test_merkle_branch_matches_root(void **state)
{
    uint8_t txids[5][32], branch[32][32];
    for (int i = 1; i < 5; i++)
        for (int b = 0; b < 32; b++)
            txids[i][b] = (uint8_t)(i * 37 + b * 11);
    size_t steps = ut_merkle_branch((const uint8_t (*)[32])&txids[1], 4, branch, 32);
    assert_int_equal(steps, 3);
    char json[400] = "[";
    for (size_t i = 0; i < steps; i++) {
        char hex[65];
        ut_hex_encode(branch[i], 32, hex);
        strcat(json, i ? ",\"" : "\"");
        strcat(json, hex);
        strcat(json, "\"");
    }
    strcat(json, "]");
    hfm_job *job = block1_job(json);
    assert_non_null(job);
    assert_int_equal(job->branch_len, 3);

    const uint8_t en1[4] = {1, 2, 3, 4};
    const uint8_t en2[2] = {5, 6};
    /* txid of coinb1 || en1 || en2 || coinb2, computed independently. */
    uint8_t cb[300];
    size_t l1, l2;
    assert_int_equal(ut_hex_decode_any(BLOCK1_COINB1, strlen(BLOCK1_COINB1), cb, sizeof(cb), &l1), 0);
    memcpy(cb + l1, en1, 4);
    memcpy(cb + l1 + 4, en2, 2);
    assert_int_equal(ut_hex_decode_any(BLOCK1_COINB2, strlen(BLOCK1_COINB2), cb + l1 + 6,
                                       sizeof(cb) - l1 - 6, &l2), 0);
    ut_sha256d(cb, l1 + 6 + l2, txids[0]);
    uint8_t txid[32];
    assert_int_equal(hfm_coinbase_txid(job, en1, 4, en2, 2, txid), 0);
    assert_memory_equal(txid, txids[0], 32);

    uint8_t want[32];
    ut_merkle_root((const uint8_t (*)[32])txids, 5, want);
    hfm_work w;
    memset(&w, 0, sizeof(w));
    assert_int_equal(hfm_work_set(&w, job, en1, 4, en2, 2, 0, 0, false), 0);
    assert_memory_equal(w.header + 36, want, 32);
    /* A different extranonce2 gives a different root. */
    const uint8_t en2b[2] = {5, 7};
    assert_int_equal(hfm_work_set(&w, job, en1, 4, en2b, 2, 0, 0, false), 0);
    assert_memory_not_equal(w.header + 36, want, 32);
    hfm_work_clear(&w);
    hfm_job_unref(job);
}

static void test_prevhash_conversion(void **state)
{
    char notify[65], back[65];
    uint8_t internal[32], want[32];
    notify_form(GENESIS_HASH, notify);
    assert_string_equal(notify,
        "0a8ce26f72b3f1b646a2a6c14ff763ae65831e939c085ae10019d66800000000");
    assert_int_equal(hfm_prevhash_from_notify(notify, internal), 0);
    assert_int_equal(ut_hash_from_hex(GENESIS_HASH, want), 0);
    assert_memory_equal(internal, want, 32);
    hfm_prevhash_to_notify(internal, back);
    assert_string_equal(back, notify);
    /* Not 64 hex digits. */
    assert_int_equal(hfm_prevhash_from_notify(GENESIS_HASH "00", internal), -1);
    assert_int_equal(hfm_prevhash_from_notify("00", internal), -1);
    notify[10] = 'g';
    assert_int_equal(hfm_prevhash_from_notify(notify, internal), -1);
    assert_int_equal(hfm_prevhash_from_notify(NULL, internal), -1);
}

static void test_version_rolling(void **state)
{
    assert_int_equal(hfm_version_bits(0x1fffe000, 0), 0);
    assert_int_equal(hfm_version_bits(0x1fffe000, 1), 0x2000);
    assert_int_equal(hfm_version_bits(0x1fffe000, 3), 0x6000);
    assert_int_equal(hfm_version_bits(0x1fffe000, 0xffff), 0x1fffe000);
    assert_int_equal(hfm_version_bits(0x00f00f00, 0x1f), 0x00100f00);
    assert_int_equal(hfm_version_apply(0x20000000, 0x1fffe000, 0x2000), 0x20002000);
    assert_int_equal(hfm_version_apply(0x20000000, 0x1fffe000, 0xffffffff), 0x3fffe000);
    assert_int_equal(hfm_version_apply(0x3fffffff, 0x1fffe000, 0), 0x20001fff);
    assert_int_equal(hfm_popcount32(0x1fffe000), 16);
    assert_int_equal(hfm_popcount32(0), 0);
}

static void test_en2_encode(void **state)
{
    uint8_t out[10];
    const uint8_t want4[4] = {0, 0, 1, 2};
    hfm_en2_encode(0x0102, out, 4);
    assert_memory_equal(out, want4, 4);
    const uint8_t want10[10] = {0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    hfm_en2_encode(0x1122334455667788ULL, out, 10);
    assert_memory_equal(out, want10, 10);
    const uint8_t want2[2] = {0x77, 0x88};
    hfm_en2_encode(0x1122334455667788ULL, out, 2);
    assert_memory_equal(out, want2, 2);
}

/* The cursor walks nonces, then the rolled version values, then en2. */
static void test_cursor_order(void **state)
{
    hfm_job *job = block1_job("[]");
    assert_non_null(job);
    const uint8_t en1[4] = {9, 9, 9, 9};
    hfm_cursor c;
    hfm_cursor_init(&c);
    assert_int_equal(hfm_cursor_start(&c, job, en1, 4, 1, 0x00002000), 0);
    uint32_t first, count;
    const hfm_work *w = hfm_cursor_take(&c, 1000, &first, &count);
    assert_non_null(w);
    assert_int_equal(first, 0);
    assert_int_equal(count, 1000);
    assert_int_equal(w->en2[0], 0);
    assert_true(w->rolled);
    assert_int_equal(w->vbits, 0x2000);          /* rolling starts at value 1 */
    assert_int_equal(ut_le32_get(w->header), 0x2001);
    w = hfm_cursor_take(&c, 0xffffffffu, &first, &count);
    assert_int_equal(first, 1000);
    assert_int_equal(count, 0xffffffffu - 999);
    w = hfm_cursor_take(&c, 5, &first, &count);   /* space used up: next roll */
    assert_int_equal(first, 0);
    assert_int_equal(w->vbits, 0);
    assert_int_equal(w->en2[0], 0);
    assert_int_equal(ut_le32_get(w->header), 1);
    /* Walk the rest: 2 rolls x 256 extranonce2 values, then nothing. */
    size_t templates = 2;
    uint8_t last_en2 = 0;
    while ((w = hfm_cursor_take(&c, 0xffffffffu, &first, &count)) != NULL) {
        if (first == 0) {
            templates++;
            last_en2 = w->en2[0];
        }
    }
    assert_int_equal(templates, 512);
    assert_int_equal(last_en2, 255);
    assert_false(c.active);
    assert_null(hfm_cursor_take(&c, 1, &first, &count));
    /* A new start keeps counting extranonce2 (it never repeats)... which is
     * used up here for 1 byte, so it fails. */
    assert_int_equal(hfm_cursor_start(&c, job, en1, 4, 1, 0), -1);
    assert_int_equal(hfm_cursor_start(&c, job, en1, 4, 2, 0), 0);
    w = hfm_cursor_take(&c, 1, &first, &count);
    assert_int_equal(w->en2[0], 1);
    assert_int_equal(w->en2[1], 0);
    assert_false(w->rolled);
    hfm_cursor_stop(&c);
    assert_int_equal(job->refs, 1);
    hfm_job_unref(job);
}

/* hash -> meets(target(diff)) flips exactly around the hash's difficulty. */
static void test_target_fractional(void **state)
{
    hfm_job *job = block1_job("[]");
    const uint8_t en1[4] = {1, 1, 1, 1};
    const uint8_t en2[2] = {2, 2};
    hfm_work w;
    memset(&w, 0, sizeof(w));
    assert_int_equal(hfm_work_set(&w, job, en1, 4, en2, 2, 0, 0, false), 0);
    int checked = 0;
    for (uint32_t nonce = 0; nonce < 64; nonce++) {
        uint8_t hash[32], target[32], dummy[32];
        uint8_t none[32];
        memset(none, 0, 32);
        hfm_hash_nonce(w.header, nonce, none, hash);
        double d = ut_hash_to_diff(hash);        /* ~1e-9 for a random hash */
        assert_true(d > 0);
        ut_target_from_diff(d * 0.999, target);
        assert_true(hfm_hash_nonce(w.header, nonce, target, dummy));
        ut_target_from_diff(d * 1.001, target);
        assert_false(hfm_hash_nonce(w.header, nonce, target, dummy));
        checked++;
    }
    assert_int_equal(checked, 64);
    /* Difficulty 0.5 is twice diff1: 0x1fffe << 208, little-endian. */
    uint8_t t[32], h[32];
    ut_target_from_diff(0.5, t);
    memset(h, 0, 32);
    h[26] = 0xfe, h[27] = 0xff, h[28] = 0x01;
    assert_memory_equal(t, h, 32);
    assert_true(ut_hash_meets(h, t));
    h[0] = 1;                                     /* target + 1 */
    assert_false(ut_hash_meets(h, t));
    h[0] = 0, h[26] = 0xfd;                       /* below */
    assert_true(ut_hash_meets(h, t));
    /* Byte 0 is least significant: a big low byte must not matter. */
    h[0] = 0xff;
    assert_true(ut_hash_meets(h, t));
    hfm_work_clear(&w);
    hfm_job_unref(job);
}

static void test_job_diff(void **state)
{
    hfm_job *job = hfm_job_new();
    assert_true(job->diff == 1.0);
    uint8_t t[32];
    ut_target_from_diff(1.0, t);
    assert_memory_equal(job->target, t, 32);
    hfm_job_set_diff(job, 1e-9);
    ut_target_from_diff(1e-9, t);
    assert_memory_equal(job->target, t, 32);
    hfm_job_unref(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block1_from_notify),
        cmocka_unit_test(test_merkle_branch_matches_root),
        cmocka_unit_test(test_prevhash_conversion),
        cmocka_unit_test(test_version_rolling),
        cmocka_unit_test(test_en2_encode),
        cmocka_unit_test(test_cursor_order),
        cmocka_unit_test(test_target_fractional),
        cmocka_unit_test(test_job_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
