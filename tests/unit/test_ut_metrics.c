/* Tests of ut_metrics: the exact Prometheus text of a sample with and
 * without HELP, TYPE, labels and prefix, number formatting, an empty page,
 * and a page much larger than the first allocation. */
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
    ut_metrics m = {.prefix = "jobmaster_"};
    char *text;

    ut_metrics_add(&m, "blocks_total", "counter", "Blocks found.", NULL, 3);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# HELP jobmaster_blocks_total Blocks found.\n"
                              "# TYPE jobmaster_blocks_total counter\n"
                              "jobmaster_blocks_total 3\n");
    free(text);
    assert_null(m.text.data);
    assert_int_equal(nw_buf_len(&m.text), 0);
}

static void test_labels_no_prefix(void **state)
{
    ut_metrics m = {.prefix = NULL};
    char *text;

    ut_metrics_add(&m, "hf_gateway_rejected_total", "counter", NULL,
                   "gateway=\"1\",process=\"0\",code=\"21\"", 7);
    ut_metrics_add(&m, "plain", NULL, NULL, NULL, 0.25);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# TYPE hf_gateway_rejected_total counter\n"
                              "hf_gateway_rejected_total{gateway=\"1\",process=\"0\",code=\"21\"}"
                              " 7\n"
                              "plain 0.25\n");
    free(text);
}

static void test_numbers(void **state)
{
    ut_metrics m = {.prefix = "x_"};
    char *text;

    ut_metrics_add(&m, "big", NULL, NULL, NULL, 9007199254740992.0);   /* 2^53 */
    ut_metrics_add(&m, "zero", NULL, NULL, NULL, 0);
    ut_metrics_add(&m, "neg", NULL, NULL, NULL, -2);
    ut_metrics_add(&m, "tenth", NULL, NULL, NULL, 0.1);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "x_big 9007199254740992\n"
                              "x_zero 0\n"
                              "x_neg -2\n"
                              "x_tenth 0.1\n");
    free(text);
}

/* A non-finite value is never written: the sample is left out and
 * counted, the rest of the page is intact. */
static void test_non_finite_refused(void **state)
{
    ut_metrics m = {.prefix = "x_"};
    char *text;

    ut_metrics_add(&m, "a", "gauge", NULL, NULL, 1);
    ut_metrics_add(&m, "nan", NULL, NULL, NULL, NAN);
    ut_metrics_add(&m, "inf", NULL, NULL, "k=\"v\"", INFINITY);
    ut_metrics_add(&m, "ninf", NULL, NULL, NULL, -INFINITY);
    ut_metrics_add(&m, "b", NULL, NULL, NULL, 2);
    assert_int_equal(m.dropped, 3);
    text = ut_metrics_end(&m);
    assert_string_equal(text, "# TYPE x_a gauge\nx_a 1\nx_b 2\n");
    assert_int_equal(m.dropped, 0);
    free(text);
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
    ut_metrics m = {.prefix = "metarelay_"};
    char name[32], want[96];
    char *text, *line;
    size_t lines = 0;

    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "sample_%d", i);
        ut_metrics_add(&m, name, "gauge", NULL, NULL, i);
    }
    text = ut_metrics_end(&m);
    assert_non_null(text);
    assert_true(strlen(text) > 4096 * 8);
    line = text;
    for (int i = 0; i < 2000; i++) {
        snprintf(want, sizeof(want), "# TYPE metarelay_sample_%d gauge\nmetarelay_sample_%d %d\n",
                 i, i, i);
        assert_int_equal(strncmp(line, want, strlen(want)), 0);
        line += strlen(want);
        lines += 2;
    }
    assert_string_equal(line, "");
    assert_int_equal(lines, 4000);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_sample),
        cmocka_unit_test(test_labels_no_prefix),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_non_finite_refused),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
