/* Scale test: 10,000 concurrent loopback TCP connections, each made by an
 * nw_clt in this process and echoed by an nw_svr in a forked child (one
 * process could not hold both ends under the 20,000 descriptor limit).
 * Every client must get its own line back, and the server must have held
 * all 10,000 sessions at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/nw_clt.h"
#include "network/nw_svr.h"
#include "network/nw_timer.h"

#define NCLIENTS 10000
#define MAX_IN_FLIGHT 1000   /* connects started but not finished */
#define START_PER_TICK 250

typedef struct child_report {
    size_t peak;             /* most sessions held at once */
    size_t accepted;
    size_t echoed;
    long rss_before_kb;
    long rss_peak_kb;
} child_report;

/* ---- the server child ---- */

static child_report R;

static long rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static int line_decode(nw_ses *ses, const void *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    return nl ? (int)(nl - (const char *)data + 1) : 0;
}

static void echo_on_message(nw_ses *ses, const void *msg, size_t len)
{
    if (nw_ses_send(ses, msg, len) == 0)
        R.echoed++;
}

static void echo_on_accept(nw_ses *ses)
{
    R.accepted++;
    size_t n = nw_svr_count(nw_ses_svr(ses));
    if (n > R.peak) {
        R.peak = n;
        R.rss_peak_kb = rss_kb();
    }
}

static void child_ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

static void run_child(int port_fd, int ctl_fd)
{
    static const nw_handlers h = {
        .decode = line_decode,
        .on_message = echo_on_message,
        .on_accept = echo_on_accept,
    };
    alarm(60);
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_svr_cfg cfg = { .bind = "tcp@127.0.0.1:0", .backlog = 4096 };
    nw_svr *svr = nw_svr_create(loop, &cfg, &h, NULL);
    int port = -1;
    nw_addr a;
    if (svr && nw_svr_start(svr) == 0 && nw_svr_local_addr(svr, &a) == 0)
        port = ntohs(a.u.in4.sin_port);
    R.rss_before_kb = rss_kb();
    if (write(port_fd, &port, sizeof(port)) != sizeof(port) || port < 0)
        _exit(1);
    ev_io ctl;
    ev_io_init(&ctl, child_ctl_cb, ctl_fd, EV_READ);
    ev_io_start(loop, &ctl);
    ev_run(loop, 0);
    ev_io_stop(loop, &ctl);
    if (write(port_fd, &R, sizeof(R)) != sizeof(R))
        _exit(1);
    nw_svr_free(svr);
    ev_loop_destroy(loop);
    _exit(0);
}

/* ---- the clients, in this process ---- */

typedef struct client {
    nw_clt *clt;
    int index;
    bool echoed;
} client;

typedef struct clients {
    struct ev_loop *loop;
    client *c;
    int started;
    int connected;
    int failed;
    int echoed;
    int wrong;
    int closed;
    char addr[64];
    nw_timer starter;
} clients;

static clients K;

static void clt_on_connect(nw_ses *ses, bool ok)
{
    client *c = nw_clt_udata(nw_ses_clt(ses));
    if (!ok) {
        K.failed++;
        return;
    }
    K.connected++;
    char line[32];
    int n = snprintf(line, sizeof(line), "hello %d\n", c->index);
    nw_ses_send(ses, line, (size_t)n);
}

static void clt_on_message(nw_ses *ses, const void *msg, size_t len)
{
    client *c = nw_clt_udata(nw_ses_clt(ses));
    char want[32];
    int n = snprintf(want, sizeof(want), "hello %d\n", c->index);
    if ((size_t)n != len || memcmp(msg, want, len) != 0 || c->echoed) {
        K.wrong++;
        return;
    }
    c->echoed = true;
    K.echoed++;
}

static void clt_on_close(nw_ses *ses, const char *reason)
{
    K.closed++;
}

static const nw_handlers clt_handlers = {
    .decode = line_decode,
    .on_message = clt_on_message,
    .on_connect = clt_on_connect,
    .on_close = clt_on_close,
};

/* Starts clients in steps so the listen backlog never overflows. */
static void start_more(nw_timer *t, void *privdata)
{
    for (int i = 0; i < START_PER_TICK && K.started < NCLIENTS; i++) {
        if (K.started - K.connected - K.failed >= MAX_IN_FLIGHT)
            break;
        client *c = &K.c[K.started];
        nw_clt_cfg cfg = { .addr = K.addr, .reconnect_min = 0.05, .reconnect_max = 0.5 };
        c->index = K.started;
        c->clt = nw_clt_create(K.loop, &cfg, &clt_handlers, c);
        assert_non_null(c->clt);
        assert_int_equal(nw_clt_start(c->clt), 0);
        K.started++;
    }
    if (K.started == NCLIENTS)
        nw_timer_stop(t);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = rl.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < NCLIENTS + 100)
        fail_msg("RLIMIT_NOFILE hard limit %lu is below %d", (unsigned long)rl.rlim_cur,
                 NCLIENTS + 100);
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
}

static void test_10k_connections(void **state)
{
    raise_fd_limit();
    int to_parent[2], to_child[2];
    assert_int_equal(pipe(to_parent), 0);
    assert_int_equal(pipe(to_child), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(to_parent[0]);
        close(to_child[1]);
        run_child(to_parent[1], to_child[0]);
    }
    close(to_parent[1]);
    close(to_child[0]);
    int port = -1;
    assert_int_equal(read(to_parent[0], &port, sizeof(port)), sizeof(port));
    assert_true(port > 0);

    memset(&K, 0, sizeof(K));
    K.loop = ev_loop_new(EVFLAG_AUTO);
    K.c = calloc(NCLIENTS, sizeof(*K.c));
    snprintf(K.addr, sizeof(K.addr), "tcp@127.0.0.1:%d", port);
    nw_timer_set(&K.starter, K.loop, 0.001, true, start_more, NULL);
    ev_timer tick;
    ev_timer_init(&tick, tick_cb, 0.01, 0.01);
    ev_timer_start(K.loop, &tick);
    double t0 = ev_time();
    while (K.echoed < NCLIENTS && ev_time() - t0 < 25.0)
        ev_run(K.loop, EVRUN_ONCE);
    double took = ev_time() - t0;
    ev_timer_stop(K.loop, &tick);
    nw_timer_stop(&K.starter);

    /* All still connected at the same time. */
    int up = 0;
    for (int i = 0; i < K.started; i++)
        up += nw_clt_connected(K.c[i].clt);

    assert_int_equal(write(to_child[1], "x", 1), 1);
    child_report rep;
    memset(&rep, 0, sizeof(rep));
    assert_int_equal(read(to_parent[0], &rep, sizeof(rep)), sizeof(rep));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    print_message("10k: %.2f s, %d connect failures, server peak %zu sessions, "
                  "server RSS +%ld KiB (%.0f B/connection incl. kernel-side user pages)\n",
                  took, K.failed, rep.peak, rep.rss_peak_kb - rep.rss_before_kb,
                  (double)(rep.rss_peak_kb - rep.rss_before_kb) * 1024.0 / NCLIENTS);

    for (int i = 0; i < K.started; i++)
        nw_clt_free(K.c[i].clt);
    free(K.c);
    ev_loop_destroy(K.loop);
    close(to_parent[0]);
    close(to_child[1]);

    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(K.wrong, 0);
    assert_int_equal(K.echoed, NCLIENTS);
    assert_int_equal(up, NCLIENTS);
    assert_int_equal(rep.peak, NCLIENTS);
    assert_int_equal(rep.echoed, NCLIENTS);
    assert_int_equal(K.closed, NCLIENTS);     /* every one closed by nw_clt_free */
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_10k_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
