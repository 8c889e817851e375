/* Tests of nw_timer: one-shot and repeating timers fire at the right
 * times and the right number of times; stop, restart, remaining, a
 * callback that re-arms or stops its own timer, and the set/start/stop
 * contract of nw_timer.h (set starts; start and stop on a zero-filled
 * timer do nothing). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "network/nw_timer.h"

typedef struct fired {
    int count;
    double at[16];
    int stop_after;        /* stop own timer after this many; 0 = never */
    bool restart_once;     /* a one-shot that restarts itself once */
} fired;

static void on_fire(nw_timer *t, void *privdata)
{
    fired *f = privdata;
    if (f->count < 16)
        f->at[f->count] = ev_time();
    f->count++;
    if (f->stop_after && f->count >= f->stop_after)
        nw_timer_stop(t);
    if (f->restart_once && f->count == 1)
        nw_timer_start(t);
}

static void run_for(struct ev_loop *loop, double seconds)
{
    double end = ev_time() + seconds;
    while (ev_time() < end) {
        ev_now_update(loop);
        ev_run(loop, EVRUN_NOWAIT);
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
}

static void test_one_shot(void **state)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_timer t;
    memset(&t, 0, sizeof(t));
    fired f = { 0 };
    assert_false(nw_timer_active(&t));
    /* Timers count from the loop's time, which may lag the clock. */
    double t0 = ev_now(loop);
    nw_timer_set(&t, loop, 0.1, false, on_fire, &f);
    assert_true(nw_timer_active(&t));
    double rem = nw_timer_remaining(&t);
    assert_true(rem > 0.05 && rem <= 0.1 + 1e-6);
    run_for(loop, 0.3);
    assert_int_equal(f.count, 1);
    assert_true(f.at[0] - t0 >= 0.095 && f.at[0] - t0 < 0.2);
    assert_false(nw_timer_active(&t));
    assert_true(nw_timer_remaining(&t) == 0.0);

    /* start runs it again, a full interval from now. */
    t0 = ev_now(loop);
    nw_timer_start(&t);
    run_for(loop, 0.2);
    assert_int_equal(f.count, 2);
    assert_true(f.at[1] - t0 >= 0.095);
    ev_loop_destroy(loop);
}

static void test_repeat_and_stop(void **state)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_timer t = { 0 };
    fired f = { 0 };
    nw_timer_set(&t, loop, 0.03, true, on_fire, &f);
    run_for(loop, 0.2);
    /* About 6 in 0.2 s (a late firing is followed by an early one, so
     * only the count is checked); shared CPUs may lose some. */
    assert_true(f.count >= 3 && f.count <= 7);
    nw_timer_stop(&t);
    assert_false(nw_timer_active(&t));
    int n = f.count;
    run_for(loop, 0.1);
    assert_int_equal(f.count, n);

    /* set again while running replaces the interval. */
    nw_timer_set(&t, loop, 1.0, true, on_fire, &f);
    nw_timer_set(&t, loop, 0.02, true, on_fire, &f);
    run_for(loop, 0.1);
    assert_true(f.count - n >= 3);
    nw_timer_stop(&t);
    ev_loop_destroy(loop);
}

static void test_stop_from_callback(void **state)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_timer t = { 0 };
    fired f = { .stop_after = 3 };
    nw_timer_set(&t, loop, 0.01, true, on_fire, &f);
    run_for(loop, 0.15);
    assert_int_equal(f.count, 3);
    assert_false(nw_timer_active(&t));

    nw_timer u = { 0 };
    fired g = { .restart_once = true };
    nw_timer_set(&u, loop, 0.02, false, on_fire, &g);
    run_for(loop, 0.15);
    assert_int_equal(g.count, 2);
    assert_true(g.at[1] - g.at[0] >= 0.018);
    ev_loop_destroy(loop);
}

/* A restart pushes the deadline back (a heartbeat pattern). */
static void test_restart_pushes_back(void **state)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_timer t = { 0 };
    fired f = { 0 };
    nw_timer_set(&t, loop, 0.2, false, on_fire, &f);
    for (int i = 0; i < 5; i++) {
        run_for(loop, 0.05);
        nw_timer_start(&t);
    }
    assert_int_equal(f.count, 0);      /* 0.25 s passed, more than 0.2 */
    run_for(loop, 0.35);
    assert_int_equal(f.count, 1);
    ev_loop_destroy(loop);
}

/* The contract callers rely on: set starts the timer; set then stop
 * configures it without running it; start runs it with the last set's
 * settings; start and stop on a zero-filled timer do nothing. */
static void test_set_start_stop_contract(void **state)
{
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_timer t = { 0 };
    fired f = { 0 };
    nw_timer_start(&t);
    nw_timer_stop(&t);
    assert_false(nw_timer_active(&t));
    nw_timer_set(&t, loop, 0.02, false, on_fire, &f);
    assert_true(nw_timer_active(&t));
    nw_timer_stop(&t);
    assert_false(nw_timer_active(&t));
    run_for(loop, 0.06);
    assert_int_equal(f.count, 0);
    nw_timer_start(&t);
    assert_true(nw_timer_active(&t));
    run_for(loop, 0.06);
    assert_int_equal(f.count, 1);
    assert_false(nw_timer_active(&t));
    ev_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_shot),
        cmocka_unit_test(test_repeat_and_stop),
        cmocka_unit_test(test_stop_from_callback),
        cmocka_unit_test(test_restart_pushes_back),
        cmocka_unit_test(test_set_start_stop_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
