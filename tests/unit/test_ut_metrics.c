/* Tests of ut_metrics: the exact Prometheus text of families and samples
 * (HELP and TYPE once per family, labels, prefix), the bugs it refuses (a
 * family declared twice, a family without HELP or TYPE, a sample without
 * a family: left out and counted, the page stays valid), number
 * formatting, label escaping, an empty page, and a page much larger than
 * the first allocation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_metrics.h"

static void test_one_sample(void **state)
{
    ut_metrics m = {.prefix = "hf_jobmaster_"};
    char *text;

    ut_metrics_add(&m, "blocks_total", "counter", "Blocks found.", NULL, 3);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# HELP hf_jobmaster_blocks_total Blocks found.\n"
                              "# TYPE hf_jobmaster_blocks_total counter\n"
                              "hf_jobmaster_blocks_total 3\n");
    free(text);
    assert_null(m.text.data);
    assert_int_equal(nw_buf_len(&m.text), 0);
}

/* One family, many labelled samples: HELP and TYPE once. */
static void test_family_labels(void **state)
{
    ut_metrics m = {.prefix = "hf_gateway_"};
    static const char *reasons[] = {"stale", "duplicate", "low_difficulty"};
    char labels[64], *text;

    assert_int_equal(ut_metrics_family(&m, "shares_rejected_total", "counter",
                                       "Rejected shares by reason."), 0);
    for (int i = 0; i < 3; i++) {
        snprintf(labels, sizeof(labels), "gateway=\"1\",reason=\"%s\"", reasons[i]);
        ut_metrics_sample(&m, labels, i + 1);
    }
    ut_metrics_add(&m, "up", "gauge", "Up.", NULL, 1);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# HELP hf_gateway_shares_rejected_total Rejected shares by reason.\n"
                              "# TYPE hf_gateway_shares_rejected_total counter\n"
                              "hf_gateway_shares_rejected_total{gateway=\"1\",reason=\"stale\"} 1\n"
                              "hf_gateway_shares_rejected_total{gateway=\"1\",reason=\"duplicate\"} 2\n"
                              "hf_gateway_shares_rejected_total{gateway=\"1\",reason=\"low_difficulty\"}"
                              " 3\n"
                              "# HELP hf_gateway_up Up.\n# TYPE hf_gateway_up gauge\nhf_gateway_up 1\n");
    free(text);
}

/* ut_metrics_add of the current family adds only the sample (the old
 * loop shape); of a family declared earlier on the page, nothing. */
static void test_add_same_family_and_twice(void **state)
{
    ut_metrics m = {.prefix = NULL};
    char *text;

    ut_metrics_add(&m, "a_total", "counter", "A.", "k=\"1\"", 1);
    ut_metrics_add(&m, "a_total", NULL, NULL, "k=\"2\"", 2);
    ut_metrics_add(&m, "b", "gauge", "B.", NULL, 5);
    ut_metrics_add(&m, "a_total", "counter", "A.", "k=\"3\"", 3);   /* a bug: left out */
    assert_int_equal(ut_metrics_family(&m, "b", "gauge", "B."), -1);
    ut_metrics_sample(&m, NULL, 6);                                  /* no family: left out */
    assert_int_equal(m.dropped, 2);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# HELP a_total A.\n# TYPE a_total counter\n"
                              "a_total{k=\"1\"} 1\na_total{k=\"2\"} 2\n"
                              "# HELP b B.\n# TYPE b gauge\nb 5\n");
    free(text);
}

/* A family without HELP or TYPE is a bug: left out, never half written. */
static void test_missing_help_type(void **state)
{
    ut_metrics m = {.prefix = "x_"};
    char *text;

    ut_metrics_add(&m, "nohelp", "gauge", NULL, NULL, 1);
    ut_metrics_add(&m, "notype", NULL, "No type.", NULL, 2);
    ut_metrics_add(&m, "ok", "gauge", "Ok.", NULL, 3);
    assert_int_equal(m.dropped, 2);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# HELP x_ok Ok.\n# TYPE x_ok gauge\nx_ok 3\n");
    free(text);
}

static void test_numbers(void **state)
{
    ut_metrics m = {.prefix = "x_"};
    char *text;

    ut_metrics_family(&m, "v", "gauge", "Values.");
    ut_metrics_sample(&m, "n=\"big\"", 9007199254740992.0);   /* 2^53 */
    ut_metrics_sample(&m, "n=\"zero\"", 0);
    ut_metrics_sample(&m, "n=\"neg\"", -2);
    ut_metrics_sample(&m, "n=\"tenth\"", 0.1);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# HELP x_v Values.\n# TYPE x_v gauge\n"
                              "x_v{n=\"big\"} 9007199254740992\n"
                              "x_v{n=\"zero\"} 0\n"
                              "x_v{n=\"neg\"} -2\n"
                              "x_v{n=\"tenth\"} 0.1\n");
    free(text);
}

/* A non-finite value is never written: the sample is left out and
 * counted, the rest of the page is intact. */
static void test_non_finite_refused(void **state)
{
    ut_metrics m = {.prefix = "x_"};
    char *text;

    ut_metrics_family(&m, "a", "gauge", "A.");
    ut_metrics_sample(&m, NULL, 1);
    ut_metrics_sample(&m, "k=\"nan\"", NAN);
    ut_metrics_sample(&m, "k=\"inf\"", INFINITY);
    ut_metrics_sample(&m, "k=\"ninf\"", -INFINITY);
    ut_metrics_sample(&m, "k=\"two\"", 2);
    assert_int_equal(m.dropped, 3);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# HELP x_a A.\n# TYPE x_a gauge\nx_a 1\nx_a{k=\"two\"} 2\n");
    assert_int_equal(m.dropped, 0);
    free(text);
}

static void test_escape(void **state)
{
    char out[32];

    assert_string_equal(ut_metrics_escape("a\"b\\c\nd", out, sizeof(out)), "a\\\"b\\\\c\\nd");
    assert_string_equal(ut_metrics_escape(NULL, out, sizeof(out)), "");
    /* cut, never in the middle of an escape */
    assert_string_equal(ut_metrics_escape("ab\"", out, 4), "ab");
}

static void test_empty(void **state)
{
    ut_metrics m = {.prefix = "x_"};
    char *text = ut_metrics_end(&m);

    assert_non_null(text);
    assert_string_equal(text, "");
    free(text);
}

static void test_large(void **state)
{
    ut_metrics m = {.prefix = "hf_metarelay_"};
    char name[32], want[160];
    char *text, *line;

    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "sample_%d", i);
        ut_metrics_add(&m, name, "gauge", "S.", NULL, i);
    }
    text = ut_metrics_end(&m);
    assert_non_null(text);
    assert_true(strlen(text) > 4096 * 8);
    line = text;
    for (int i = 0; i < 2000; i++) {
        snprintf(want, sizeof(want), "# HELP hf_metarelay_sample_%d S.\n"
                 "# TYPE hf_metarelay_sample_%d gauge\nhf_metarelay_sample_%d %d\n", i, i, i, i);
        assert_int_equal(strncmp(line, want, strlen(want)), 0);
        line += strlen(want);
    }
    assert_string_equal(line, "");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_sample),
        cmocka_unit_test(test_family_labels),
        cmocka_unit_test(test_add_same_family_and_twice),
        cmocka_unit_test(test_missing_help_type),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_non_finite_refused),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
