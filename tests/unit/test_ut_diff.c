/* Tests of ut_diff: every hostile difficulty (NaN, infinities, denormals,
 * zero, negatives, huge values) ends as a finite value inside [lo, hi];
 * the rounding set_difficulty uses; and ut_fmt_double never writes a
 * non-finite number. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_diff.h"
#include "utils/ut_target.h"

static const double hostile[] = {
    NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0, -1.0, -1e308, 1e-310, 5e-324, DBL_MIN,
    1e-300, 1e-12, 2e-10, 1e300, 1e308, DBL_MAX,
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static void test_clamp_hostile(void **state)
{
    (void)state;
    for (size_t i = 0; i < NHOSTILE; i++) {
        double d = ut_diff_clamp(hostile[i], 1e-8, 1e4);
        if (!(d >= 1e-8 && d <= 1e4) || !ut_diff_ok(d))
            fail_msg("input %g gave %g", hostile[i], d);
    }
    assert_true(ut_diff_clamp(NAN, 1e-8, 1e4) == 1e-8);
    assert_true(ut_diff_clamp(1e-310, 1e-8, 1e4) == 1e-8);
    assert_true(ut_diff_clamp(-1, 2, 8) == 2);
    assert_true(ut_diff_clamp(0, 2, 8) == 2);
    assert_true(ut_diff_clamp(INFINITY, 2, 8) == 8);
    assert_true(ut_diff_clamp(1e308, 2, 8) == 8);
}

/* Bounds that are themselves hostile are forced into the sane range. */
static void test_clamp_hostile_bounds(void **state)
{
    (void)state;
    for (size_t i = 0; i < NHOSTILE; i++)
        for (size_t j = 0; j < NHOSTILE; j++)
            for (size_t k = 0; k < NHOSTILE; k++) {
                double d = ut_diff_clamp(hostile[i], hostile[j], hostile[k]);
                if (!ut_diff_ok(d))
                    fail_msg("clamp(%g, %g, %g) = %g", hostile[i], hostile[j], hostile[k], d);
            }
    assert_true(ut_diff_clamp(1, 0, 0) == UT_DIFF_MIN);
    assert_true(ut_diff_clamp(1, 1e300, 1e300) == UT_DIFF_MAX);
    assert_true(ut_diff_clamp(5, 8, 2) == 8);   /* hi below lo: lo wins */
}

static void test_clamp_rounding(void **state)
{
    (void)state;
    assert_true(ut_diff_clamp(0.000123456, 1e-9, 1) == 0.000123);
    assert_true(ut_diff_clamp(1500.6, 1, 1e6) == 1501);
    assert_true(ut_diff_clamp(1500.4, 1, 1e6) == 1500);
    /* Rounding never leaves the range. */
    assert_true(ut_diff_clamp(0.0012344, 0.0012344, 1) == 0.0012344);
    assert_true(ut_diff_clamp(3e-10, 1e-12, 1) == 3e-10);
}

static void test_ok(void **state)
{
    (void)state;
    assert_true(ut_diff_ok(1));
    assert_true(ut_diff_ok(UT_DIFF_MIN));
    assert_true(ut_diff_ok(UT_DIFF_MAX));
    assert_true(ut_diff_ok(4.6565423739069247e-10));   /* regtest's network difficulty */
    assert_false(ut_diff_ok(NAN));
    assert_false(ut_diff_ok(INFINITY));
    assert_false(ut_diff_ok(0));
    assert_false(ut_diff_ok(-1));
    assert_false(ut_diff_ok(1e-310));
    assert_false(ut_diff_ok(UT_DIFF_MIN / 2));
    assert_false(ut_diff_ok(UT_DIFF_MAX * 2));
}

/* Whatever goes in, a target never exceeds that of UT_DIFF_MIN, and
 * anything ut_diff_ok refuses gives the zero target. */
static void test_target_never_above_max(void **state)
{
    uint8_t t[32], tmax[32], zero[32];

    (void)state;
    memset(zero, 0, 32);
    assert_int_equal(ut_target_from_diff(UT_DIFF_MIN, tmax), 0);
    assert_true(tmax[31] == 0xff && tmax[30] == 0xff && tmax[29] == 0);   /* 0xFFFF * 2^240 */
    for (size_t i = 0; i < NHOSTILE; i++) {
        int rc = ut_target_from_diff(hostile[i], t);
        assert_true(ut_hash_meets(t, tmax));
        if (!ut_diff_ok(hostile[i])) {
            assert_int_equal(rc, -1);
            assert_memory_equal(t, zero, 32);
        } else {
            assert_int_equal(rc, 0);
        }
    }
}

static void test_fmt_double(void **state)
{
    char b[40];

    (void)state;
    assert_int_equal(ut_fmt_double(1024, b, sizeof(b)), 4);
    assert_string_equal(b, "1024");
    ut_fmt_double(1000, b, sizeof(b));
    assert_string_equal(b, "1000");
    ut_fmt_double(-0.0, b, sizeof(b));
    assert_true(strtod(b, NULL) == 0);
    ut_fmt_double(1e16, b, sizeof(b));
    assert_string_equal(b, "10000000000000000");
    ut_fmt_double(1e-9, b, sizeof(b));
    assert_string_equal(b, "1e-09");
    ut_fmt_double(0.001, b, sizeof(b));
    assert_string_equal(b, "0.001");
    ut_fmt_double(123456789012.0, b, sizeof(b));
    assert_string_equal(b, "123456789012");
    ut_fmt_double(0.1 + 0.2, b, sizeof(b));
    assert_true(strtod(b, NULL) == 0.1 + 0.2);
    ut_fmt_double(4.6565423739069247e-10, b, sizeof(b));
    assert_string_equal(b, "4.6565423739069247e-10");
    ut_fmt_double(-DBL_MAX, b, sizeof(b));
    assert_true(strtod(b, NULL) == -DBL_MAX);
    ut_fmt_double(5e-324, b, sizeof(b));
    assert_true(strtod(b, NULL) == 5e-324);
}

static void test_fmt_refuses_non_finite(void **state)
{
    char b[40] = "junk";

    (void)state;
    assert_int_equal(ut_fmt_double(NAN, b, sizeof(b)), -1);
    assert_string_equal(b, "");
    assert_int_equal(ut_fmt_double(-NAN, b, sizeof(b)), -1);
    assert_int_equal(ut_fmt_double(INFINITY, b, sizeof(b)), -1);
    assert_int_equal(ut_fmt_double(-INFINITY, b, sizeof(b)), -1);
    assert_string_equal(b, "");
    assert_int_equal(ut_fmt_double(0.1 + 0.2, b, 4), -1);   /* too small a buffer */
    assert_string_equal(b, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clamp_hostile),
        cmocka_unit_test(test_clamp_hostile_bounds),
        cmocka_unit_test(test_clamp_rounding),
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_target_never_above_max),
        cmocka_unit_test(test_fmt_double),
        cmocka_unit_test(test_fmt_refuses_non_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
