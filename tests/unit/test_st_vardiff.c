/* Unit tests of vardiff stepping (stratum/st_vardiff.c): window and burst
 * retargets, the x4 step limit, bounds, hysteresis and rounding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stratum/st_vardiff.h"

static const st_vardiff_cfg cfg = { .start = 16, .min = 1, .max = 4096, .target = 10,
                                    .retarget = 60 };

static void test_steady_no_change(void **state)
{
    st_vardiff v;
    double now = 0, d = 16;

    (void)state;
    st_vardiff_reset(&v, now);
    /* One share every 10 s: at the 60 s mark the rate is right, no change. */
    for (int i = 0; i < 6; i++) {
        now += 10;
        assert_true(st_vardiff_share(&v, &cfg, now, d) == 0);
    }
    assert_int_equal(v.shares, 0);   /* the window was evaluated and restarted */
}

static void test_fast_miner_steps_up(void **state)
{
    st_vardiff v;
    double now = 0, d = 16, nd = 0;

    (void)state;
    st_vardiff_reset(&v, now);
    /* One share a second: 10x too fast. After 60 s: x4 (step limit). */
    for (int i = 0; i < 60 && nd == 0; i++) {
        now += 1;
        nd = st_vardiff_share(&v, &cfg, now, d);
    }
    assert_true(nd == 64);
    /* Twice too fast: x2 exactly. */
    d = nd;
    nd = 0;
    st_vardiff_reset(&v, now);
    for (int i = 0; i < 100 && nd == 0; i++) {
        now += 5;
        nd = st_vardiff_share(&v, &cfg, now, d);
    }
    assert_true(nd == 128);
}

static void test_burst(void **state)
{
    st_vardiff v;
    double nd = 0;
    int i;

    (void)state;
    st_vardiff_reset(&v, 0);
    for (i = 1; i <= 32 && nd == 0; i++)
        nd = st_vardiff_share(&v, &cfg, i * 0.1, 16);
    assert_int_equal(i - 1, ST_VARDIFF_BURST);   /* retarget at the 32nd share */
    assert_true(nd == 64);
}

static void test_quiet_steps_down_to_min(void **state)
{
    st_vardiff v;
    double d = 16, nd;

    (void)state;
    st_vardiff_reset(&v, 0);
    assert_true(st_vardiff_tick(&v, &cfg, 59, d) == 0);
    nd = st_vardiff_tick(&v, &cfg, 60, d);
    assert_true(nd == 4);   /* no share in 60 s: /4 */
    nd = st_vardiff_tick(&v, &cfg, 120, nd);
    assert_true(nd == 1);   /* min */
    assert_true(st_vardiff_tick(&v, &cfg, 180, 1) == 0);   /* already at min */
}

static void test_max_bound(void **state)
{
    st_vardiff v;
    double nd = 0;

    (void)state;
    st_vardiff_reset(&v, 0);
    for (int i = 1; i <= 32 && nd == 0; i++)
        nd = st_vardiff_share(&v, &cfg, i * 0.001, 2000);
    assert_true(nd == 4096);
}

static void test_fractional(void **state)
{
    st_vardiff_cfg c = { .start = 1e-9, .min = 1e-9, .max = 1, .target = 10, .retarget = 60 };
    st_vardiff v;
    double nd = 0;

    (void)state;
    st_vardiff_reset(&v, 0);
    for (int i = 1; i <= 32 && nd == 0; i++)
        nd = st_vardiff_share(&v, &c, i * 0.01, 1e-9);
    assert_true(nd == 4e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_no_change),
        cmocka_unit_test(test_fast_miner_steps_up),
        cmocka_unit_test(test_burst),
        cmocka_unit_test(test_quiet_steps_down_to_min),
        cmocka_unit_test(test_max_bound),
        cmocka_unit_test(test_fractional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
