/* test_jm_block: found-block assembly with and without a witness
 * commitment (parsed back byte by byte), the proof-of-work check, the
 * BLOCK_FOUND body decoding, and how node answers are judged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jobmaster/jm_block.h"
#include "jobmaster/jm_found.h"
#include "jobmaster/jm_submit.h"
#include "utils/ut_hex.h"
#include "utils/ut_merkle.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"

#define PREV_DISPLAY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define COMMITMENT_HEX \
    "6a24aa21a9edabababababababababababababababababababababababababababababababab"

static jm_payout g_pay;
static const uint8_t g_en[12] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8};

static int setup(void **state)
{
    memset(&g_pay, 0, sizeof(g_pay));
    ut_hex_decode("00141111111111111111111111111111111111111111", g_pay.script, 22);
    g_pay.script_len = 22;
    g_pay.weight = 1;
    return 0;
}

/* Template with two transactions "aabbcc" and "ddeeff00" (txids made up). */
static jm_job *make_job(bool commitment)
{
    char err[256];
    json_t *txs = json_pack("[{s:s, s:s}, {s:s, s:s}]",
                            "data", "aabbcc", "txid",
                            "0101010101010101010101010101010101010101010101010101010101010101",
                            "data", "ddeeff00", "txid",
                            "0202020202020202020202020202020202020202020202020202020202020202");
    json_t *gbt = json_pack("{s:i, s:I, s:s, s:s, s:I, s:I, s:o, s:[s]}", "height", 451,
                            "version", (json_int_t)0x20000000, "previousblockhash",
                            PREV_DISPLAY, "bits", "207fffff", "curtime",
                            (json_int_t)0x6740a1b2, "coinbasevalue", (json_int_t)625000000,
                            "transactions", txs, "rules", "!segwit");
    if (commitment)
        json_object_set_new(gbt, "default_witness_commitment", json_string(COMMITMENT_HEX));
    jm_template *t = jm_template_parse(gbt, err, sizeof(err));
    json_decref(gbt);
    assert_non_null(t);
    jm_coinbase_params p = {
        .version = 1, .payouts = &g_pay, .payout_count = 1, .tag = "/hf/",
        .extranonce_size = 12,
    };
    jm_job *job = jm_job_new(42, t, &p, true, 0, err, sizeof(err));
    assert_non_null(job);
    return job;
}

static jm_found make_found(uint32_t nonce)
{
    jm_found f;
    memset(&f, 0, sizeof(f));
    memcpy(f.extranonce, g_en, 12);
    f.extranonce_len = 12;
    f.version = 0x20002000;
    f.ntime = 0x6740a1b5;
    f.nonce = nonce;
    return f;
}

/* The txid preimage: coinb1 || en || coinb2. */
static void plain_coinbase(const jm_job *job, ut_bytes *out)
{
    ut_bytes_init(out);
    ut_bytes_put(out, job->cb.coinb1, job->cb.coinb1_len);
    ut_bytes_put(out, g_en, 12);
    ut_bytes_put(out, job->cb.coinb2, job->cb.coinb2_len);
}

static void check_header(const jm_job *job, const jm_block *b, const ut_bytes *plain)
{
    uint8_t txid[32], root[32], hash[32];
    ut_sha256d(plain->data, plain->len, txid);
    assert_memory_equal(b->coinbase_txid, txid, 32);
    uint8_t leaves[3][32];
    memcpy(leaves[0], txid, 32);
    memcpy(leaves[1], job->tmpl->txs[0].txid, 32);
    memcpy(leaves[2], job->tmpl->txs[1].txid, 32);
    ut_merkle_root((const uint8_t (*)[32])leaves, 3, root);
    assert_int_equal(ut_le32_get(b->header), 0x20002000);
    assert_memory_equal(b->header + 4, job->tmpl->prev, 32);
    assert_memory_equal(b->header + 36, root, 32);
    assert_int_equal(ut_le32_get(b->header + 68), 0x6740a1b5);
    assert_int_equal(ut_le32_get(b->header + 72), 0x207fffff);
    assert_int_equal(ut_le32_get(b->header + 76), 0x1a2b3c4d);
    ut_sha256d(b->header, 80, hash);
    assert_memory_equal(b->hash, hash, 32);
    char hex[65];
    ut_hash_to_hex(hash, hex);
    assert_string_equal(b->hash_hex, hex);
}

static void test_block_with_witness(void **state)
{
    jm_job *job = make_job(true);
    jm_found f = make_found(0x1a2b3c4d);
    jm_block b;
    char err[128];
    assert_int_equal(jm_block_build(job, &f, &b, err, sizeof(err)), 0);
    ut_bytes plain;
    plain_coinbase(job, &plain);
    check_header(job, &b, &plain);

    const uint8_t *p = b.raw.data;
    size_t cb_len = plain.len + 2 + 1 + 1 + 32;    /* marker, flag, count, len, 32 zeros */
    assert_int_equal(b.raw.len, 80 + 1 + cb_len + 3 + 4);
    assert_int_equal(p[80], 3);                     /* coinbase + 2 */
    const uint8_t *cb = p + 81;
    assert_memory_equal(cb, plain.data, 4);         /* version */
    assert_int_equal(cb[4], 0x00);                  /* marker */
    assert_int_equal(cb[5], 0x01);                  /* flag */
    assert_memory_equal(cb + 6, plain.data + 4, plain.len - 8);   /* inputs, outputs */
    const uint8_t *wit = cb + 6 + plain.len - 8;
    assert_int_equal(wit[0], 1);                    /* one stack item */
    assert_int_equal(wit[1], 32);                   /* of 32 bytes */
    for (int i = 0; i < 32; i++)
        assert_int_equal(wit[2 + i], 0);
    assert_memory_equal(wit + 34, plain.data + plain.len - 4, 4);  /* locktime */
    static const uint8_t tx1[] = {0xaa, 0xbb, 0xcc}, tx2[] = {0xdd, 0xee, 0xff, 0x00};
    assert_memory_equal(cb + cb_len, tx1, 3);
    assert_memory_equal(cb + cb_len + 3, tx2, 4);
    ut_bytes_free(&plain);
    jm_block_free(&b);
    jm_job_free(job);
}

static void test_block_without_witness(void **state)
{
    jm_job *job = make_job(false);
    jm_found f = make_found(0x1a2b3c4d);
    jm_block b;
    char err[128];
    assert_int_equal(jm_block_build(job, &f, &b, err, sizeof(err)), 0);
    ut_bytes plain;
    plain_coinbase(job, &plain);
    check_header(job, &b, &plain);
    assert_int_equal(b.raw.len, 80 + 1 + plain.len + 3 + 4);
    assert_memory_equal(b.raw.data + 81, plain.data, plain.len);
    assert_int_equal(b.raw.data[81 + 4], 0x01);     /* input count, no marker */
    ut_bytes_free(&plain);
    jm_block_free(&b);
    jm_job_free(job);
}

/* hash <= target as little-endian 256-bit numbers, written independently. */
static bool le_leq(const uint8_t *a, const uint8_t *b)
{
    for (int i = 31; i >= 0; i--)
        if (a[i] != b[i])
            return a[i] < b[i];
    return true;
}

static void test_pow_check(void **state)
{
    jm_job *job = make_job(true);
    uint8_t target[32] = {0};
    target[29] = 0xff;          /* 0x7fffff << (8 * (0x20 - 3)) */
    target[30] = 0xff;
    target[31] = 0x7f;
    int good = 0, bad = 0;
    for (uint32_t nonce = 0; nonce < 64; nonce++) {
        jm_found f = make_found(nonce);
        jm_block b;
        char err[128];
        assert_int_equal(jm_block_build(job, &f, &b, err, sizeof(err)), 0);
        assert_int_equal(b.meets_target, le_leq(b.hash, target));
        good += b.meets_target;
        bad += !b.meets_target;
        jm_block_free(&b);
    }
    assert_true(good > 0 && bad > 0);
    jm_found f = make_found(1);
    f.extranonce_len = 11;
    jm_block b;
    char err[128];
    assert_int_equal(jm_block_build(job, &f, &b, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "extranonce"));
    jm_job_free(job);
}

static void test_found_parse(void **state)
{
    json_t *body = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
                             "v", 1, "job_id", "6740a1b20000001a", "extranonce1", "deadbeef",
                             "extranonce2", "0102030405060708", "ntime", "6740a1b5", "nonce",
                             "1a2b3c4d", "version", "20002000", "hash", PREV_DISPLAY, "user",
                             "alice", "worker", "rig1", "gateway_id", 3, "peer",
                             "127.0.0.1:51234");
    jm_found_req r;
    char err[128];
    assert_int_equal(jm_found_parse(body, &r, err, sizeof(err)), 0);
    assert_string_equal(r.job_id, "6740a1b20000001a");
    assert_int_equal(r.found.extranonce_len, 12);
    assert_memory_equal(r.found.extranonce, g_en, 12);
    assert_int_equal(r.found.ntime, 0x6740a1b5);
    assert_int_equal(r.found.nonce, 0x1a2b3c4d);
    assert_int_equal(r.found.version, 0x20002000);
    assert_string_equal(r.user, "alice");
    assert_string_equal(r.worker, "rig1");
    assert_int_equal(r.gateway_id, 3);
    json_object_set_new(body, "nonce", json_string("1a2b3c"));
    assert_int_equal(jm_found_parse(body, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "nonce"));
    json_object_set_new(body, "nonce", json_string("1a2b3c4d"));
    json_object_set_new(body, "extranonce2", json_string("0g"));
    assert_int_equal(jm_found_parse(body, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "extranonce2"));
    json_decref(body);
}

static void test_judge(void **state)
{
    jm_found_verdict v;
    memset(&v, 0, sizeof(v));
    jm_submit_judge(NULL, true, &v);
    assert_true(v.accepted);
    assert_string_equal(v.reason, "");
    jm_submit_judge("rejected: bad-txnmrklroot", false, &v);
    assert_false(v.accepted);
    assert_string_equal(v.reason, "rejected: bad-txnmrklroot");
    jm_submit_judge("high-hash", false, &v);
    assert_false(v.accepted);
    jm_submit_judge("duplicate", true, &v);
    assert_true(v.accepted);
    jm_submit_judge("duplicate", false, &v);
    assert_false(v.accepted);
    jm_submit_judge("inconclusive", true, &v);
    assert_true(v.accepted);
    assert_true(v.is_tip);
}

static void test_result_json(void **state)
{
    jm_found_verdict v = { .accepted = true, .is_tip = true, .height = 451 };
    strcpy(v.hash, PREV_DISPLAY);
    jm_found_req r;
    memset(&r, 0, sizeof(r));
    strcpy(r.user, "alice");
    strcpy(r.worker, "rig1");
    r.gateway_id = 3;
    json_t *o = jm_found_result_json(&v, &r);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"accepted\":true,\"gateway_id\":3,\"hash\":\"" PREV_DISPLAY
                           "\",\"height\":451,\"is_tip\":true,\"job_id\":\"\",\"reason\":\"\","
                           "\"user\":\"alice\",\"v\":1,\"worker\":\"rig1\"}");
    free(s);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_with_witness),
        cmocka_unit_test(test_block_without_witness),
        cmocka_unit_test(test_pow_check),
        cmocka_unit_test(test_found_parse),
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_result_json),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
