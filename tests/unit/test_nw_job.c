/* Tests of nw_job: results computed by several worker threads come back
 * to the loop thread (on_finish then on_cleanup, once per job), per-thread
 * contexts are created and released in their threads, max_pending limits
 * the queue, and nw_job_free joins the threads and cleans up jobs that
 * never started with a NULL reply. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "network/nw_job.h"

#define NJOBS 200
#define NTHREADS 4

typedef struct thread_ctx {
    pthread_t self;
    int jobs;
} thread_ctx;

typedef struct job_state {
    pthread_t loop_thread;
    atomic_int inits;
    atomic_int frees;
    atomic_int started;
    thread_ctx *ctxs[NTHREADS];
    atomic_int nctx;
    int finished;
    int cleaned;
    int cleaned_null;
    bool seen[NJOBS];
    bool cleanup_before_finish;
    bool wrong_thread;
    bool bad_result;
    int sleep_us;
    atomic_bool release;   /* blocks workers until set, when block is set */
    bool block;
} job_state;

static job_state S;

static void *init_thread(void *udata)
{
    thread_ctx *c = calloc(1, sizeof(*c));
    c->self = pthread_self();
    atomic_fetch_add(&S.inits, 1);
    int i = atomic_fetch_add(&S.nctx, 1);
    if (i < NTHREADS)
        S.ctxs[i] = c;
    return c;
}

static void free_thread(void *ctx, void *udata)
{
    thread_ctx *c = ctx;
    if (!pthread_equal(c->self, pthread_self()))
        S.wrong_thread = true;
    atomic_fetch_add(&S.frees, 1);
    /* ctxs[] keeps the pointer for the checks; freed in the test. */
}

static void on_job(nw_job_entry *e, void *ctx)
{
    thread_ctx *c = ctx;
    if (pthread_equal(pthread_self(), S.loop_thread))
        S.wrong_thread = true;
    atomic_fetch_add(&S.started, 1);
    while (S.block && !atomic_load(&S.release)) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    c->jobs++;
    int *req = e->request;
    int *rep = malloc(sizeof(*rep));
    *rep = *req * *req;
    e->reply = rep;
    if (S.sleep_us) {
        struct timespec ts = { 0, S.sleep_us * 1000L };
        nanosleep(&ts, NULL);
    }
}

static void on_finish(nw_job_entry *e, void *udata)
{
    if (!pthread_equal(pthread_self(), S.loop_thread))
        S.wrong_thread = true;
    int *req = e->request;
    int *rep = e->reply;
    if (!rep || *rep != *req * *req || e->id != (uint64_t)*req + 1000 || e->privdata != &S)
        S.bad_result = true;
    if (*req >= 0 && *req < NJOBS) {
        if (S.seen[*req])
            S.bad_result = true;
        S.seen[*req] = true;
    }
    S.finished++;
}

static void on_cleanup(nw_job_entry *e, void *udata)
{
    if (!pthread_equal(pthread_self(), S.loop_thread))
        S.wrong_thread = true;
    int *req = e->request;
    if (!e->reply)
        S.cleaned_null++;
    else if (*req >= 0 && *req < NJOBS && !S.seen[*req])
        S.cleanup_before_finish = true;     /* on_finish must come first */
    free(e->request);
    free(e->reply);
    S.cleaned++;
}

static const nw_job_handlers handlers = {
    .on_job = on_job,
    .on_finish = on_finish,
    .on_cleanup = on_cleanup,
    .init_thread = init_thread,
    .free_thread = free_thread,
};

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
}

static bool run_until_finished(struct ev_loop *loop, int n, double timeout)
{
    ev_timer tick;
    ev_timer_init(&tick, tick_cb, 0.005, 0.005);
    ev_timer_start(loop, &tick);
    double end = ev_time() + timeout;
    while (S.finished < n && ev_time() < end)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &tick);
    return S.finished >= n;
}

static int *new_req(int v)
{
    int *p = malloc(sizeof(*p));
    *p = v;
    return p;
}

static void free_ctxs(void)
{
    for (int i = 0; i < NTHREADS; i++)
        free(S.ctxs[i]);
}

static void test_results_on_loop(void **state)
{
    memset(&S, 0, sizeof(S));
    S.loop_thread = pthread_self();
    S.sleep_us = 500;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_job *job = nw_job_create(loop, NTHREADS, &handlers, NULL);
    assert_non_null(job);
    nw_job_set_max(job, 0);
    for (int i = 0; i < NJOBS; i++)
        assert_int_equal(nw_job_add(job, (uint64_t)i + 1000, new_req(i), &S), 0);
    assert_true(nw_job_pending(job) > 0);
    assert_true(run_until_finished(loop, NJOBS, 20.0));
    assert_int_equal(S.finished, NJOBS);
    assert_int_equal(S.cleaned, NJOBS);
    assert_int_equal(nw_job_pending(job), 0);
    for (int i = 0; i < NJOBS; i++)
        assert_true(S.seen[i]);
    assert_false(S.bad_result);
    assert_false(S.wrong_thread);
    assert_false(S.cleanup_before_finish);
    assert_int_equal(atomic_load(&S.inits), NTHREADS);
    /* The work was spread: more than one thread did jobs. */
    int busy = 0, total = 0;
    for (int i = 0; i < NTHREADS; i++) {
        total += S.ctxs[i]->jobs;
        busy += S.ctxs[i]->jobs > 0;
    }
    assert_int_equal(total, NJOBS);
    assert_true(busy >= 2);
    nw_job_free(job);
    assert_int_equal(atomic_load(&S.frees), NTHREADS);
    assert_false(S.wrong_thread);
    free_ctxs();
    ev_loop_destroy(loop);
}

static void test_max_pending(void **state)
{
    memset(&S, 0, sizeof(S));
    S.loop_thread = pthread_self();
    S.block = true;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_job *job = nw_job_create(loop, 2, &handlers, NULL);
    nw_job_set_max(job, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(nw_job_add(job, (uint64_t)i + 1000, new_req(i), &S), 0);
    int *extra = new_req(99);
    assert_int_equal(nw_job_add(job, 99, extra, &S), -1);   /* not taken: still ours */
    free(extra);
    assert_int_equal(nw_job_pending(job), 5);
    atomic_store(&S.release, true);
    assert_true(run_until_finished(loop, 5, 10.0));
    assert_int_equal(nw_job_pending(job), 0);
    assert_int_equal(nw_job_add(job, 1005, new_req(5), &S), 0);
    assert_true(run_until_finished(loop, 6, 10.0));
    assert_false(S.bad_result);
    nw_job_free(job);
    assert_int_equal(S.cleaned, 6);
    free_ctxs();
    ev_loop_destroy(loop);
}

/* Free while workers hold one job each and more are queued: the running
 * ones finish (on_finish + on_cleanup), the queued ones are cleaned up
 * with reply NULL, and every thread is joined. */
static void test_free_with_queue(void **state)
{
    memset(&S, 0, sizeof(S));
    S.loop_thread = pthread_self();
    S.block = true;
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_job *job = nw_job_create(loop, 2, &handlers, NULL);
    for (int i = 0; i < 10; i++)
        assert_int_equal(nw_job_add(job, (uint64_t)i + 1000, new_req(i), &S), 0);
    while (atomic_load(&S.started) < 2) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    /* Let the two running jobs go once free has told the threads to stop. */
    atomic_store(&S.release, true);
    nw_job_free(job);
    assert_int_equal(S.cleaned, 10);
    assert_true(S.finished >= 2);
    assert_int_equal(S.finished + S.cleaned_null, 10);
    assert_int_equal(atomic_load(&S.frees), 2);
    assert_false(S.bad_result);
    free_ctxs();
    ev_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_results_on_loop),
        cmocka_unit_test(test_max_pending),
        cmocka_unit_test(test_free_with_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
