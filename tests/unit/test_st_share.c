/* Unit tests of share validation (stratum/st_share.c, st_job.c,
 * st_job_store.c, st_dupset.c): the genesis block rebuilt from
 * coinb1/extranonce/coinb2 proves the header and byte order, then every
 * result code with a hand-built job. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "utils/ut_diff.h"
#include "stratum/st_dupset.h"
#include "stratum/st_job.h"
#include "stratum/st_job_store.h"
#include "stratum/st_share.h"
#include "utils/ut_hex.h"
#include "st_testkit.h"

static const uint8_t gen_en1[4] = { 0x54, 0x68, 0x65, 0x20 };
static st_dupset dups;   /* the session's duplicate set; emptied per job */

static st_job *job_from(json_t *j)
{
    char err[128];
    st_job *job = st_job_from_json(j, err, sizeof(err));

    json_decref(j);
    if (job == NULL)
        fail_msg("job refused: %s", err);
    st_dupset_free(&dups);
    st_dupset_init(&dups, 1000);
    job->seq = 1;
    return job;
}

/* Submit params from extranonce2 on. */
static int check(st_job *job, double diff, uint32_t vmask, const char *en2, const char *ntime,
                 const char *nonce, const char *vbits, st_share_res *r)
{
    st_share_sess s = { gen_en1, 4, 8, vmask, diff, &dups, 1 };
    st_jv p[4];
    const char *v[4] = { en2, ntime, nonce, vbits };
    size_t np = vbits ? 4 : 3;

    for (size_t i = 0; i < np; i++) {
        p[i].type = ST_JV_STRING;
        p[i].p = v[i];
        p[i].n = strlen(v[i]);
        p[i].json = NULL;
    }
    return st_share_check(job, &s, p, np, r);
}

static void test_genesis_block(void **state)
{
    st_job *job = job_from(gt_genesis_json("00000000000000a1", 1));
    st_share_res r;
    char hex[65];

    (void)state;
    assert_int_equal(check(job, 1.0, 0, GT_GEN_EN2, "495fab29", "7c2bac1d", NULL, &r), ST_OK);
    ut_hash_to_hex(r.hash, hex);
    assert_string_equal(hex, GT_GEN_HASH);
    assert_true(r.block);   /* meets nbits 1d00ffff */
    assert_int_equal(r.version, 1);
    assert_true(r.diff == 1.0);
    /* The same share again: duplicate. */
    assert_int_equal(check(job, 1.0, 0, GT_GEN_EN2, "495fab29", "7c2bac1d", NULL, &r), ST_ERR_DUP);
    assert_string_equal(r.msg, "Duplicate share");
    /* Uppercase hex is the same share. */
    assert_int_equal(check(job, 1.0, 0, "54696D6573203033", "495FAB29", "7C2BAC1D", NULL, &r),
                     ST_ERR_DUP);
    st_job_free(job);
}

static void test_notify_line(void **state)
{
    st_job *job = job_from(gt_genesis_json("00000000000000a1", 0));
    const char *want = "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"00000000000000a1\",\""
                       GT_ZERO64 "\",\"" GT_GEN_COINB1 "\",\"" GT_GEN_COINB2
                       "\",[],\"00000001\",\"1d00ffff\",\"495fab29\",false]}\n";

    (void)state;
    assert_int_equal(job->notify_len, strlen(want));
    assert_memory_equal(job->notify, want, job->notify_len);
    st_job_free(job);
}

static void test_low_difficulty(void **state)
{
    st_job *job = job_from(gt_genesis_json("00000000000000a2", 1));
    st_share_res r;

    (void)state;
    /* Genesis hash achieves ~2536 difficulty: a 1e6 share target misses, but
     * it is a block (nbits 1d00ffff), so it is taken and credited at network diff. */
    assert_int_equal(check(job, 1e6, 0, GT_GEN_EN2, "495fab29", "7c2bac1d", NULL, &r), ST_OK);
    assert_true(r.block);
    assert_true(r.diff == job->network_diff);
    /* Another nonce: neither share nor block. */
    assert_int_equal(check(job, 1e6, 0, GT_GEN_EN2, "495fab29", "00000000", NULL, &r),
                     ST_ERR_LOWDIFF);
    assert_string_equal(r.msg, "Low difficulty share");
    assert_false(r.block);
    /* Only the share that carried work is remembered: junk costs no memory,
     * and the same junk again is still "low difficulty", not "duplicate". */
    assert_int_equal(dups.count, 1);
    assert_int_equal(check(job, 1e6, 0, GT_GEN_EN2, "495fab29", "00000000", NULL, &r),
                     ST_ERR_LOWDIFF);
    assert_int_equal(dups.count, 1);
    st_job_free(job);
}

static void test_easy_share_not_block(void **state)
{
    st_job *job = job_from(gt_genesis_json("00000000000000a3", 1));
    st_share_res r;
    int ok = 0;
    char nonce[9];

    (void)state;
    /* Difficulty UT_DIFF_MIN: the largest target (0xFFFF * 2^240), nearly every hash passes. */
    for (int i = 0; i < 50; i++) {
        snprintf(nonce, sizeof(nonce), "%08x", i);
        assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, "495fab29", nonce, NULL, &r), ST_OK);
        ok += !r.block;
    }
    assert_int_equal(ok, 50);
    st_job_free(job);
}

static void test_malformed(void **state)
{
    st_job *job = job_from(gt_genesis_json("00000000000000a4", 1));
    st_share_res r;
    st_share_sess s = { gen_en1, 4, 8, 0, UT_DIFF_MIN, &dups, 1 };
    st_jv p[4] = { { ST_JV_STRING, GT_GEN_EN2, 16, NULL }, { ST_JV_NUMBER, "1", 1, NULL },
                   { ST_JV_STRING, "00000000", 8, NULL }, { ST_JV_STRING, "0", 1, NULL } };

    (void)state;
    assert_int_equal(st_share_check(job, &s, p, 3, &r), ST_ERR_OTHER);   /* ntime a number */
    assert_string_equal(r.msg, "Malformed params");
    assert_int_equal(st_share_check(job, &s, p, 2, &r), ST_ERR_OTHER);   /* too few */
    assert_string_equal(r.msg, "Malformed params");
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, "495fab2", "00000000", NULL, &r),
                     ST_ERR_OTHER);                                          /* 7 digits */
    assert_string_equal(r.msg, "Malformed params");
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, "495fab29", "0000000g", NULL, &r),
                     ST_ERR_OTHER);
    assert_string_equal(r.msg, "Malformed params");
    assert_int_equal(check(job, UT_DIFF_MIN, 0, "54696d65732030", "495fab29", "00000000", NULL, &r),
                     ST_ERR_OTHER);                                          /* 7 bytes */
    assert_string_equal(r.msg, "Invalid extranonce2 size");
    assert_int_equal(check(job, UT_DIFF_MIN, 0, "54696d657320303301", "495fab29", "00000000", NULL,
                           &r), ST_ERR_OTHER);                              /* 9 bytes */
    assert_string_equal(r.msg, "Invalid extranonce2 size");
    assert_int_equal(check(job, UT_DIFF_MIN, 0, "54696d65732030zz", "495fab29", "00000000", NULL, &r),
                     ST_ERR_OTHER);
    assert_string_equal(r.msg, "Malformed params");
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, "495fab29", "00000000", "xyz", &r),
                     ST_ERR_OTHER);
    assert_string_equal(r.msg, "Malformed params");
    st_job_free(job);
}

static void test_ntime_window(void **state)
{
    st_job *job = job_from(gt_genesis_json("00000000000000a5", 1));
    st_share_res r;
    char t[9];

    (void)state;
    /* min_time is ntime - 600 (see gt_job_json); upper bound ntime + 7200. */
    snprintf(t, sizeof(t), "%08x", 0x495fab29 - 600);
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, t, "00000001", NULL, &r), ST_OK);
    snprintf(t, sizeof(t), "%08x", 0x495fab29 - 601);
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, t, "00000001", NULL, &r), ST_ERR_OTHER);
    assert_string_equal(r.msg, "ntime out of range");
    snprintf(t, sizeof(t), "%08x", 0x495fab29 + 7200);
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, t, "00000001", NULL, &r), ST_OK);
    snprintf(t, sizeof(t), "%08x", 0x495fab29 + 7201);
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, t, "00000001", NULL, &r), ST_ERR_OTHER);
    assert_string_equal(r.msg, "ntime out of range");
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, "ffffffff", "00000001", NULL, &r),
                     ST_ERR_OTHER);
    st_job_free(job);
}

static void test_version_bits(void **state)
{
    st_job *job = job_from(gt_genesis_json("00000000000000a6", 1));
    st_share_res r, r2;

    (void)state;
    /* No rolling negotiated: only zero bits pass. */
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, "495fab29", "00000001", "00002000", &r),
                     ST_ERR_OTHER);
    assert_string_equal(r.msg, "Invalid version bits");
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, "495fab29", "00000001", "00000000", &r),
                     ST_OK);
    /* Granted 1fffe000: bits inside roll the version, outside are refused. */
    assert_int_equal(check(job, UT_DIFF_MIN, 0x1fffe000, GT_GEN_EN2, "495fab29", "00000002",
                           "1fffe000", &r), ST_OK);
    assert_int_equal(r.version, 0x1fffe001);
    assert_int_equal(check(job, UT_DIFF_MIN, 0x1fffe000, GT_GEN_EN2, "495fab29", "00000002",
                           "20000000", &r), ST_ERR_OTHER);
    assert_string_equal(r.msg, "Invalid version bits");
    assert_int_equal(check(job, UT_DIFF_MIN, 0x1fffe000, GT_GEN_EN2, "495fab29", "00000002",
                           "00001000", &r), ST_ERR_OTHER);
    /* Different version bits make a different share (not a duplicate). */
    assert_int_equal(check(job, UT_DIFF_MIN, 0x1fffe000, GT_GEN_EN2, "495fab29", "00000002",
                           "2000", &r2), ST_OK);
    assert_int_equal(r2.version, 0x00002001);
    assert_memory_not_equal(r.hash, r2.hash, 32);
    st_job_free(job);
}

static void test_duplicate_other_en1(void **state)
{
    st_job *job = job_from(gt_genesis_json("00000000000000a7", 1));
    static const uint8_t other[4] = { 0x07, 0x30, 0x00, 0x01 };
    st_dupset other_dups;
    st_share_sess s = { other, 4, 8, 0, UT_DIFF_MIN, &other_dups, 1 };
    st_jv p[3] = { { ST_JV_STRING, GT_GEN_EN2, 16, NULL }, { ST_JV_STRING, "495fab29", 8, NULL },
                   { ST_JV_STRING, "7c2bac1d", 8, NULL } };
    st_share_res r;

    (void)state;
    st_dupset_init(&other_dups, 1000);
    assert_int_equal(check(job, UT_DIFF_MIN, 0, GT_GEN_EN2, "495fab29", "7c2bac1d", NULL, &r), ST_OK);
    /* The same en2/ntime/nonce from a session with another extranonce1 is new work. */
    assert_int_equal(st_share_check(job, &s, p, 3, &r), ST_OK);
    assert_int_equal(st_share_check(job, &s, p, 3, &r), ST_ERR_DUP);
    st_dupset_free(&other_dups);
    st_job_free(job);
}

static void test_dupset(void **state)
{
    st_dupset d;

    (void)state;
    st_dupset_init(&d, 3000);
    assert_null(d.slots);   /* nothing allocated before the first share */
    for (uint64_t i = 0; i < 3000; i++)
        assert_int_equal(st_dupset_insert(&d, i * 0x9e3779b97f4a7c15ull, 7, 7), ST_DUP_NEW);
    for (uint64_t i = 0; i < 3000; i++)
        assert_int_equal(st_dupset_insert(&d, i * 0x9e3779b97f4a7c15ull, 7, 7), ST_DUP_SEEN);
    /* The same hash on another job is another share. */
    assert_int_equal(st_dupset_insert(&d, 0x9e3779b97f4a7c15ull, 8, 7), ST_DUP_FULL);
    assert_int_equal(d.count, 3000);
    /* Job 7 is no longer live (a clean job 8): its entries go, the set takes more. */
    assert_int_equal(st_dupset_insert(&d, 0x9e3779b97f4a7c15ull, 8, 8), ST_DUP_NEW);
    assert_int_equal(d.count, 1);
    assert_true(d.cap <= 512);   /* and shrank */
    assert_int_equal(st_dupset_insert(&d, 0x9e3779b97f4a7c15ull, 8, 8), ST_DUP_SEEN);
    st_dupset_free(&d);
}

static void test_job_refused(void **state)
{
    char err[128];
    json_t *j = gt_genesis_json("00000000000000a8", 1);

    (void)state;
    json_object_set_new(j, "prevhash", json_string("00000001" "00000000000000000000000000000000"
                                                   "000000000000000000000000"));
    assert_null(st_job_from_json(j, err, sizeof(err)));
    assert_non_null(strstr(err, "prevhash"));
    json_decref(j);
    j = gt_genesis_json("bad id!", 1);
    assert_null(st_job_from_json(j, err, sizeof(err)));
    assert_string_equal(err, "bad job_id");
    json_decref(j);
    j = gt_genesis_json("00000000000000a9", 1);
    json_object_set_new(j, "coinb1", json_string("abc"));
    assert_null(st_job_from_json(j, err, sizeof(err)));
    json_decref(j);
}

static void test_store(void **state)
{
    st_job_store s;
    char id[17];

    (void)state;
    assert_int_equal(st_job_store_init(&s, 4, 600), 0);
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof(id), "%016x", i);
        assert_int_equal(st_job_store_add(&s, job_from(gt_genesis_json(id, i == 3)), 100.0 + i),
                         0);
    }
    assert_int_equal(s.count, 4);
    assert_null(st_job_store_find(&s, "0000000000000001", 16));   /* dropped: keep 4 */
    assert_true(st_job_store_find(&s, "0000000000000002", 16)->stale);   /* before clean 3 */
    assert_false(st_job_store_find(&s, "0000000000000003", 16)->stale);
    assert_false(st_job_store_find(&s, "0000000000000005", 16)->stale);
    assert_int_equal(st_job_store_current(&s)->seq, 6);
    assert_int_equal(s.live_seq, 4);   /* the clean job "3" got seq 4 */
    /* Same id again: refused, the kept one stays. */
    assert_int_equal(st_job_store_add(&s, job_from(gt_genesis_json("0000000000000005", 0)), 200),
                     1);
    assert_int_equal(st_job_store_current(&s)->seq, 6);
    /* Expiry keeps the current job. */
    assert_int_equal(st_job_store_expire(&s, 2000.0), 3);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.live_seq, 6);
    st_job_store_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis_block),
        cmocka_unit_test(test_notify_line),
        cmocka_unit_test(test_low_difficulty),
        cmocka_unit_test(test_easy_share_not_block),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_ntime_window),
        cmocka_unit_test(test_version_bits),
        cmocka_unit_test(test_duplicate_other_en1),
        cmocka_unit_test(test_dupset),
        cmocka_unit_test(test_job_refused),
        cmocka_unit_test(test_store),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    st_dupset_free(&dups);
    return rc;
}
