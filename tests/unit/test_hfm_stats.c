/* test_hfm_stats: hfminer's counts and its JSON summary: verdicts by
 * error code and by worker, credited difficulty, block candidates, lost
 * replies, and latency percentiles from the log-spaced histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/hfminer/hfm_stats.h"

static json_int_t jint(json_t *o, const char *path1, const char *path2)
{
    json_t *v = json_object_get(o, path1);
    if (path2)
        v = json_object_get(v, path2);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void test_counts_and_json(void **state)
{
    char *names[] = {"alice.rig1", "bob.rig2"};
    hfm_stats st;
    assert_int_equal(hfm_stats_init(&st, names, 2, 100.0), 0);
    for (int i = 0; i < 10; i++)
        hfm_stats_submitted(&st, i % 2, i < 3, 100.5);
    hfm_stats_submitted(&st, UINT32_MAX, false, 100.6);  /* an unauthorized name */
    /* alice: 4 accepted at 0.001 (2 of them blocks), 1 rejected 23. */
    for (int i = 0; i < 4; i++)
        hfm_stats_reply(&st, 0, true, 0, 0.001, i < 2, 0.002, 101.0);
    hfm_stats_reply(&st, 0, false, 23, 0.001, false, 0.002, 101.0);
    /* bob: 2 accepted at 2.5, 2 rejected 21, 1 rejected 22. */
    hfm_stats_reply(&st, 1, true, 0, 2.5, false, 0.002, 101.0);
    hfm_stats_reply(&st, 1, true, 0, 2.5, true, 0.002, 101.0);
    hfm_stats_reply(&st, 1, false, 21, 2.5, false, 0.002, 101.0);
    hfm_stats_reply(&st, 1, false, 21, 2.5, false, 0.002, 101.0);
    hfm_stats_reply(&st, 1, false, 22, 2.5, false, 0.002, 101.0);
    hfm_stats_reply(&st, UINT32_MAX, false, 24, 1, false, 0.002, 101.0);
    hfm_stats_no_reply(&st, 0);
    assert_int_equal(hfm_stats_rejected_code(&st, 21), 2);
    assert_int_equal(hfm_stats_rejected_code(&st, 20), 0);

    char *s = hfm_stats_json(&st, 102.0);
    assert_non_null(s);
    json_t *o = json_loads(s, 0, NULL);
    free(s);
    assert_non_null(o);
    assert_int_equal(jint(o, "submitted", NULL), 11);
    assert_int_equal(jint(o, "accepted", NULL), 6);
    assert_int_equal(jint(o, "rejected_total", NULL), 5);
    assert_int_equal(jint(o, "no_reply", NULL), 1);
    assert_int_equal(jint(o, "blocks_candidates", NULL), 3);
    assert_int_equal(jint(o, "blocks_accepted", NULL), 3);
    assert_int_equal(jint(o, "rejected", "21"), 2);
    assert_int_equal(jint(o, "rejected", "22"), 1);
    assert_int_equal(jint(o, "rejected", "23"), 1);
    assert_int_equal(jint(o, "rejected", "24"), 1);
    assert_int_equal(json_object_size(json_object_get(o, "rejected")), 4);
    json_t *pw = json_object_get(o, "per_worker");
    assert_int_equal(json_object_size(pw), 2);
    json_t *alice = json_object_get(pw, "alice.rig1");
    json_t *bob = json_object_get(pw, "bob.rig2");
    assert_int_equal(jint(alice, "accepted", NULL), 4);
    assert_int_equal(jint(alice, "rejected", NULL), 1);
    assert_int_equal(jint(alice, "submitted", NULL), 5);
    assert_true(fabs(json_real_value(json_object_get(alice, "diff_accepted")) - 0.004) < 1e-15);
    assert_int_equal(jint(bob, "accepted", NULL), 2);
    assert_int_equal(jint(bob, "rejected", NULL), 3);
    assert_true(json_real_value(json_object_get(bob, "diff_accepted")) == 5.0);
    assert_true(json_real_value(json_object_get(o, "elapsed_s")) == 2.0);
    /* 11 submits between the first submit (100.5) and the last reply (101). */
    assert_true(fabs(json_real_value(json_object_get(o, "rate")) - 22.0) < 1e-9);
    double p50 = json_real_value(json_object_get(json_object_get(o, "latency_ms"), "p50"));
    assert_true(p50 > 1.96 && p50 < 2.04);
    json_decref(o);
    hfm_stats_free(&st);
}

static void test_latency_percentiles(void **state)
{
    char *names[] = {"w"};
    hfm_stats st;
    assert_int_equal(hfm_stats_init(&st, names, 1, 0), 0);
    assert_true(hfm_stats_latency_ms(&st, 50) == 0);
    for (int i = 0; i < 980; i++)
        hfm_stats_reply(&st, 0, true, 0, 1, false, 0.001, 1);
    for (int i = 0; i < 20; i++)
        hfm_stats_reply(&st, 0, true, 0, 1, false, 0.250, 1);
    double p50 = hfm_stats_latency_ms(&st, 50);
    double p98 = hfm_stats_latency_ms(&st, 98);
    double p99 = hfm_stats_latency_ms(&st, 99);
    double max = hfm_stats_latency_ms(&st, 100);
    assert_true(p50 > 0.98 && p50 < 1.02);
    assert_true(p98 > 0.98 && p98 < 1.02);
    assert_true(p99 > 245 && p99 < 255);
    assert_true(max > 245 && max < 255);
    /* Sub-microsecond and absurdly long replies land in the end buckets. */
    hfm_stats_reply(&st, 0, true, 0, 1, false, 0, 1);
    hfm_stats_reply(&st, 0, true, 0, 1, false, 1e9, 1);
    assert_true(hfm_stats_latency_ms(&st, 100) > 1e5);
    assert_true(st.lat[0] == 1);
    hfm_stats_free(&st);
}

static void test_many_codes(void **state)
{
    char *names[] = {"w"};
    hfm_stats st;
    assert_int_equal(hfm_stats_init(&st, names, 1, 0), 0);
    for (int code = 1; code <= 100; code++)
        hfm_stats_reply(&st, 0, false, code, 1, false, 0.001, 1);
    uint64_t total = 0;
    for (size_t i = 0; i < st.n_rejects; i++)
        total += st.rejects[i].n;
    assert_int_equal(total, 100);
    assert_int_equal(st.n_rejects, HFM_REJECT_CODES);
    assert_int_equal(hfm_stats_rejected_code(&st, 5), 1);
    assert_int_equal(hfm_stats_rejected_code(&st, 31), 1);
    assert_int_equal(hfm_stats_rejected_code(&st, 32), 0);
    assert_int_equal(hfm_stats_rejected_code(&st, 0), 100 - 31);
    hfm_stats_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_json),
        cmocka_unit_test(test_latency_percentiles),
        cmocka_unit_test(test_many_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
