/* test_jm_job: template decoding, the job body (every CMD_JM_JOB field),
 * merkle branch vs ut_merkle_root, job ids, and the recent-jobs store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jobmaster/jm_job.h"
#include "jobmaster/jm_jobs.h"
#include "jobmaster/jm_template.h"
#include "utils/ut_hex.h"
#include "utils/ut_merkle.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"

#define PREV_DISPLAY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define COMMITMENT_HEX \
    "6a24aa21a9edabababababababababababababababababababababababababababababababab"

static jm_payout g_pay;

static int setup(void **state)
{
    memset(&g_pay, 0, sizeof(g_pay));
    ut_hex_decode("00141111111111111111111111111111111111111111", g_pay.script, 22);
    g_pay.script_len = 22;
    g_pay.weight = 1;
    return 0;
}

/* A getblocktemplate result with n transactions whose txids are
 * sha256d(i) in display hex. */
static json_t *make_gbt(size_t n, bool segwit)
{
    json_t *txs = json_array();
    for (size_t i = 0; i < n; i++) {
        uint8_t seed = (uint8_t)i, txid[32];
        char txid_hex[65], data[32];
        ut_sha256d(&seed, 1, txid);
        ut_hash_to_hex(txid, txid_hex);
        snprintf(data, sizeof(data), "0100%02x", (unsigned)i);
        json_array_append_new(txs, json_pack("{s:s, s:s, s:s}", "data", data, "txid", txid_hex,
                                             "hash", txid_hex));
    }
    json_t *gbt = json_pack("{s:i, s:I, s:s, s:s, s:I, s:I, s:I, s:o, s:[s]}", "height", 451,
                            "version", (json_int_t)0x20000000, "previousblockhash",
                            PREV_DISPLAY, "bits", "207fffff", "curtime",
                            (json_int_t)0x6740a1b2, "mintime", (json_int_t)1732288900,
                            "coinbasevalue", (json_int_t)625000000, "transactions", txs,
                            "rules", segwit ? "!segwit" : "csv");
    json_object_set_new(gbt, "default_witness_commitment", json_string(COMMITMENT_HEX));
    return gbt;
}

static jm_job *make_job(size_t ntx, bool segwit, uint64_t id)
{
    char err[256];
    json_t *gbt = make_gbt(ntx, segwit);
    jm_template *t = jm_template_parse(gbt, err, sizeof(err));
    json_decref(gbt);
    assert_non_null(t);
    jm_coinbase_params p = {
        .version = 1, .payouts = &g_pay, .payout_count = 1, .tag = "/hf/",
        .extranonce_size = 12,
    };
    jm_job *job = jm_job_new(id, t, &p, true, 100.0, err, sizeof(err));
    assert_non_null(job);
    return job;
}

static void test_template_parse(void **state)
{
    char err[256];
    json_t *gbt = make_gbt(2, true);
    jm_template *t = jm_template_parse(gbt, err, sizeof(err));
    assert_non_null(t);
    assert_int_equal(t->height, 451);
    assert_int_equal(t->version, 0x20000000);
    assert_int_equal(t->bits, 0x207fffff);
    assert_int_equal(t->curtime, 0x6740a1b2);
    assert_int_equal(t->coinbase_value, 625000000);
    assert_string_equal(t->prev_hex, PREV_DISPLAY);
    assert_int_equal(t->prev[0], 0xff);       /* internal order is reversed */
    assert_int_equal(t->prev[31], 0x00);
    assert_int_equal(t->tx_count, 2);
    assert_int_equal(t->txs[1].len, 3);
    assert_int_equal(t->txs[1].data[2], 0x01);
    assert_int_equal(t->commitment_len, 38);
    jm_template_free(t);
    json_decref(gbt);

    /* commitment ignored when the rules do not name segwit */
    gbt = make_gbt(0, false);
    t = jm_template_parse(gbt, err, sizeof(err));
    assert_non_null(t);
    assert_null(t->commitment);
    jm_template_free(t);

    /* a broken field is named */
    json_object_set_new(gbt, "bits", json_string("zz"));
    assert_null(jm_template_parse(gbt, err, sizeof(err)));
    assert_non_null(strstr(err, "bits"));
    json_decref(gbt);
}

/* Every number a node sends is checked: a hostile or broken template is
 * refused with the field named, never turned into a job. */
static void expect_refused(const char *key, json_t *value, const char *named)
{
    char err[256];
    json_t *gbt = make_gbt(1, true);
    if (value)
        json_object_set_new(gbt, key, value);
    else
        json_object_del(gbt, key);
    jm_template *t = jm_template_parse(gbt, err, sizeof(err));
    if (t)
        fail_msg("%s: a bad value was accepted", key);
    if (!strstr(err, named))
        fail_msg("%s: error '%s' does not name %s", key, err, named);
    json_decref(gbt);
}

static void test_template_hostile(void **state)
{
    expect_refused("height", json_integer(0), "height");
    expect_refused("height", json_integer(-1), "height");
    expect_refused("height", json_integer(0x80000000LL), "height");
    expect_refused("height", json_real(451.5), "height");
    expect_refused("height", json_string("451"), "height");
    expect_refused("height", NULL, "height");
    expect_refused("version", json_integer(-1), "version");
    expect_refused("version", json_integer(0x100000000LL), "version");
    expect_refused("curtime", json_real(1e300), "curtime");
    expect_refused("coinbasevalue", json_integer(-1), "coinbasevalue");
    expect_refused("coinbasevalue", json_integer(2100000000000001LL), "coinbasevalue");
    expect_refused("coinbasevalue", json_real(625000000.0), "coinbasevalue");
    expect_refused("coinbasevalue", json_string("625000000"), "coinbasevalue");
    expect_refused("bits", json_string("00000000"), "bits");      /* zero target */
    expect_refused("bits", json_string("04800000"), "bits");      /* negative */
    expect_refused("bits", json_string("ff7fffff"), "bits");      /* overflow */
    expect_refused("bits", json_string("207fffff00"), "bits");
    expect_refused("bits", json_integer(0x207fffff), "bits");
    expect_refused("previousblockhash", json_string("00"), "previousblockhash");
    expect_refused("default_witness_commitment",
                   json_string("6a24bb21a9ed" /* not the witness commitment header */
                               "0000000000000000000000000000000000000000000000000000000000000000"),
                   "default_witness_commitment");
    expect_refused("transactions", json_string("x"), "transactions");

    /* mintime after curtime (impossible from a sane node) falls back to curtime. */
    char err[256];
    json_t *gbt = make_gbt(0, false);
    json_object_set_new(gbt, "mintime", json_integer(0x6740a1b2 + 100));
    jm_template *t = jm_template_parse(gbt, err, sizeof(err));
    assert_non_null(t);
    assert_int_equal(t->mintime, t->curtime);
    jm_template_free(t);
    json_decref(gbt);
}

static void test_prevhash_form(void **state)
{
    uint8_t prev[32];
    char out[65];
    ut_hash_from_hex(PREV_DISPLAY, prev);
    jm_job_notify_prevhash(prev, out);
    /* the display hex in 8 words, word order reversed */
    assert_string_equal(out, "ccddeeff8899aabb4455667700112233"
                             "ccddeeff8899aabb4455667700112233");
}

static void test_job_json(void **state)
{
    jm_job *job = make_job(3, true, 0x6740a1b20000001aULL);
    json_error_t jerr;
    json_t *o = json_loads(job->body, 0, &jerr);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "v")), 1);
    assert_string_equal(json_string_value(json_object_get(o, "job_id")), "6740a1b20000001a");
    assert_int_equal(json_integer_value(json_object_get(o, "height")), 451);
    assert_string_equal(json_string_value(json_object_get(o, "prev_block")), PREV_DISPLAY);
    assert_string_equal(json_string_value(json_object_get(o, "prevhash")),
                        "ccddeeff8899aabb4455667700112233ccddeeff8899aabb4455667700112233");
    assert_string_equal(json_string_value(json_object_get(o, "version")), "20000000");
    assert_string_equal(json_string_value(json_object_get(o, "nbits")), "207fffff");
    assert_string_equal(json_string_value(json_object_get(o, "ntime")), "6740a1b2");
    assert_int_equal(json_integer_value(json_object_get(o, "min_time")), 1732288900);
    assert_int_equal(json_integer_value(json_object_get(o, "extranonce_size")), 12);
    assert_int_equal(json_integer_value(json_object_get(o, "coinbase_value")), 625000000);
    assert_int_equal(json_integer_value(json_object_get(o, "tx_count")), 3);
    assert_true(json_is_true(json_object_get(o, "clean")));
    assert_true(json_is_false(json_object_get(o, "empty")));
    double diff = json_real_value(json_object_get(o, "network_diff"));
    assert_true(diff > 4.65654237390692e-10 && diff < 4.65654237390693e-10);
    /* coinb1 ends with the extranonce push; coinb2 starts with the sequence */
    const char *c1 = json_string_value(json_object_get(o, "coinb1"));
    const char *c2 = json_string_value(json_object_get(o, "coinb2"));
    assert_string_equal(c1 + strlen(c1) - 2, "0c");
    assert_memory_equal(c2, "ffffffff02", 10);
    assert_int_equal(json_array_size(json_object_get(o, "merkle_branch")), 2);
    json_decref(o);
    jm_job_free(job);
}

/* For 0..9 template transactions, folding the coinbase txid with the
 * branch gives ut_merkle_root over [coinbase, txids...]. */
static void test_branch_matches_root(void **state)
{
    for (size_t n = 0; n < 10; n++) {
        jm_job *job = make_job(n, true, 1 + n);
        uint8_t en[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        ut_bytes cb;
        ut_bytes_init(&cb);
        ut_bytes_put(&cb, job->cb.coinb1, job->cb.coinb1_len);
        ut_bytes_put(&cb, en, 12);
        ut_bytes_put(&cb, job->cb.coinb2, job->cb.coinb2_len);
        uint8_t (*leaves)[32] = malloc((n + 1) * 32);
        ut_sha256d(cb.data, cb.len, leaves[0]);
        for (size_t i = 0; i < n; i++)
            memcpy(leaves[i + 1], job->tmpl->txs[i].txid, 32);
        uint8_t want[32], got[32];
        ut_merkle_root((const uint8_t (*)[32])leaves, n + 1, want);
        ut_merkle_fold(leaves[0], (const uint8_t (*)[32])job->branch, job->branch_len, got);
        assert_memory_equal(got, want, 32);
        free(leaves);
        ut_bytes_free(&cb);
        jm_job_free(job);
    }
}

static void test_job_ids(void **state)
{
    uint64_t a = jm_job_next_id(0, 1700000000.5);
    assert_int_equal(a >> 32, 1700000000u);
    assert_int_equal(a & 0xffffffffu, 500000u << 12);
    uint64_t b = jm_job_next_id(a, 1700000000.5);     /* same instant */
    assert_int_equal(b, a + 1);
    uint64_t c = jm_job_next_id(b, 1699999999.0);     /* clock stepped back */
    assert_int_equal(c, b + 1);
    uint64_t d = jm_job_next_id(c, 1700000001.0);     /* a restart one second later */
    assert_true(d > c);
    assert_int_equal(d >> 32, 1700000001u);
}

static void test_jobs_store(void **state)
{
    jm_jobs jobs;
    jm_jobs_init(&jobs, 2, 10.0);
    for (uint64_t i = 1; i <= 5; i++) {
        jm_job *job = make_job(0, false, i);
        job->created = (double)i;
        jm_jobs_add(&jobs, job, (double)i);
    }
    assert_int_equal(jm_jobs_count(&jobs), 5);        /* all younger than 10 s */
    assert_non_null(jm_jobs_find(&jobs, "0000000000000001"));
    jm_job *late = make_job(0, false, 6);
    late->created = 13.5;
    jm_jobs_add(&jobs, late, 13.5);                   /* jobs 1..3 are now too old */
    assert_int_equal(jm_jobs_count(&jobs), 3);
    assert_null(jm_jobs_find(&jobs, "0000000000000003"));
    assert_non_null(jm_jobs_find(&jobs, "0000000000000004"));
    assert_ptr_equal(jm_jobs_latest(&jobs), late);
    jm_job *later = make_job(0, false, 7);
    later->created = 100;
    jm_jobs_add(&jobs, later, 100);                   /* keeps the newest two */
    assert_int_equal(jm_jobs_count(&jobs), 2);
    assert_non_null(jm_jobs_find(&jobs, "0000000000000006"));
    assert_null(jm_jobs_find(&jobs, "0000000000000005"));
    jm_jobs_free(&jobs);
    assert_int_equal(jm_jobs_count(&jobs), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_parse),
        cmocka_unit_test(test_template_hostile),
        cmocka_unit_test(test_prevhash_form),
        cmocka_unit_test(test_job_json),
        cmocka_unit_test(test_branch_matches_root),
        cmocka_unit_test(test_job_ids),
        cmocka_unit_test(test_jobs_store),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
