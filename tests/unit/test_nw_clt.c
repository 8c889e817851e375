/* Tests of nw_clt against real nw_svr servers on loopback: TCP echo,
 * reconnect after the server is stopped and started again, exponential
 * backoff and its reset after a connect, connect timeout, stop, UDP and
 * Unix-socket round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network/nw_clt.h"
#include "network/nw_svr.h"

#define MAX_EVENTS 64

typedef struct ctx {
    struct ev_loop *loop;
    nw_svr *svr;
    nw_clt *clt;
    int up;                          /* on_connect(true) */
    int failed;                      /* on_connect(false) */
    double fail_at[MAX_EVENTS];
    int closed;                      /* client on_close */
    double closed_at;
    char close_reason[64];           /* a copy: the text dies with the session */
    int got;                         /* client messages */
    char last[256];
    int svr_msgs;
    int svr_closed;
    nw_addr udp_peer;                /* sender seen by the UDP server */
    const char *greeting;            /* sent by the client on connect */
} ctx;

static ctx C;

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
}

static bool run_until(bool (*cond)(void *), void *arg, double timeout)
{
    ev_timer tick;
    ev_timer_init(&tick, tick_cb, 0.002, 0.002);
    ev_timer_start(C.loop, &tick);
    double end = ev_time() + timeout;
    bool ok;
    while (!(ok = cond(arg)) && ev_time() < end)
        ev_run(C.loop, EVRUN_ONCE);
    ev_timer_stop(C.loop, &tick);
    return ok;
}

static bool never(void *arg)
{
    return false;
}

static bool int_at_least(void *arg)
{
    const int *p = ((const int **)arg)[0];
    int n = *((const int **)arg)[1];
    return *p >= n;
}

static void wait_count(int *counter, int n, double timeout)
{
    const int *args[2] = { counter, &n };
    assert_true(run_until(int_at_least, args, timeout));
}

static int line_decode(nw_ses *ses, const void *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    return nl ? (int)(nl - (const char *)data + 1) : 0;
}

/* ---- server side: echo ---- */

static void svr_on_message(nw_ses *ses, const void *msg, size_t len)
{
    C.svr_msgs++;
    if (ses->proto == NW_UDP) {
        C.udp_peer = ses->peer;
        assert_int_equal(nw_ses_sendto(ses, msg, len, &ses->peer), 0);
    } else {
        assert_int_equal(nw_ses_send(ses, msg, len), 0);
    }
}

static void svr_on_close(nw_ses *ses, const char *reason)
{
    C.svr_closed++;
}

static const nw_handlers svr_handlers = {
    .decode = line_decode,
    .on_message = svr_on_message,
    .on_close = svr_on_close,
};

static const nw_handlers udp_svr_handlers = {
    .on_message = svr_on_message,
    .on_close = svr_on_close,
};

static nw_svr *new_server(const char *bind, const nw_handlers *h)
{
    nw_svr_cfg cfg = { .bind = bind };
    nw_svr *svr = nw_svr_create(C.loop, &cfg, h, NULL);
    assert_non_null(svr);
    assert_int_equal(nw_svr_start(svr), 0);
    return svr;
}

static int server_port(nw_svr *svr)
{
    nw_addr a;
    assert_int_equal(nw_svr_local_addr(svr, &a), 0);
    return ntohs(a.u.in4.sin_port);
}

/* ---- client side ---- */

static void clt_on_connect(nw_ses *ses, bool ok)
{
    assert_ptr_equal(nw_ses_clt(ses), C.clt);
    assert_null(nw_ses_svr(ses));
    if (!ok) {
        if (C.failed < MAX_EVENTS)
            C.fail_at[C.failed] = ev_time();
        C.failed++;
        assert_false(nw_clt_connected(C.clt));
        assert_non_null(nw_clt_last_error(C.clt));
        return;
    }
    C.up++;
    assert_true(nw_clt_connected(C.clt));
    assert_ptr_equal(nw_clt_ses(C.clt), ses);
    if (C.greeting)
        assert_int_equal(nw_clt_send(C.clt, C.greeting, strlen(C.greeting)), 0);
}

static void clt_on_message(nw_ses *ses, const void *msg, size_t len)
{
    if (len >= sizeof(C.last))
        len = sizeof(C.last) - 1;
    memcpy(C.last, msg, len);
    C.last[len] = '\0';
    C.got++;
}

static void clt_on_close(nw_ses *ses, const char *reason)
{
    C.closed++;
    C.closed_at = ev_time();
    snprintf(C.close_reason, sizeof(C.close_reason), "%s", reason);
}

static const nw_handlers clt_handlers = {
    .decode = line_decode,
    .on_message = clt_on_message,
    .on_connect = clt_on_connect,
    .on_close = clt_on_close,
};

static const nw_handlers udp_clt_handlers = {
    .on_message = clt_on_message,
    .on_connect = clt_on_connect,
    .on_close = clt_on_close,
};

static nw_clt *new_client(const char *addr, const nw_handlers *h, double rmin, double rmax)
{
    nw_clt_cfg cfg = { .addr = addr, .reconnect_min = rmin, .reconnect_max = rmax };
    nw_clt *clt = nw_clt_create(C.loop, &cfg, h, &C);
    assert_non_null(clt);
    assert_ptr_equal(nw_clt_udata(clt), &C);
    return clt;
}

static int setup(void **state)
{
    memset(&C, 0, sizeof(C));
    C.loop = ev_loop_new(EVFLAG_AUTO);
    return C.loop ? 0 : -1;
}

static int teardown(void **state)
{
    nw_clt_free(C.clt);
    nw_svr_free(C.svr);
    ev_loop_destroy(C.loop);
    memset(&C, 0, sizeof(C));
    return 0;
}

/* A port nobody listens on (bound once, then released). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* ---- tests ---- */

static void test_bad_specs(void **state)
{
    nw_clt_cfg ccfg = { .addr = "tcp@localhost:1" };
    assert_null(nw_clt_create(C.loop, &ccfg, &clt_handlers, NULL));
    nw_svr_cfg scfg = { .bind = "tcp@1.2.3.4" };
    assert_null(nw_svr_create(C.loop, &scfg, &svr_handlers, NULL));
    nw_handlers no_msg = { .decode = line_decode };
    scfg.bind = "tcp@127.0.0.1:0";
    assert_null(nw_svr_create(C.loop, &scfg, &no_msg, NULL));
}

static void test_echo_and_reconnect(void **state)
{
    char addr[64];
    C.svr = new_server("tcp@127.0.0.1:0", &svr_handlers);
    int port = server_port(C.svr);
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    C.greeting = "hello\n";
    C.clt = new_client(addr, &clt_handlers, 0.02, 0.2);
    assert_false(nw_clt_connected(C.clt));
    assert_int_equal(nw_clt_send(C.clt, "x\n", 2), -1);
    assert_int_equal(nw_clt_start(C.clt), 0);
    assert_int_equal(C.up, 0);                /* never inside start */
    wait_count(&C.got, 1, 5.0);
    assert_int_equal(C.up, 1);
    assert_string_equal(C.last, "hello\n");

    /* The server goes away: the client sees it and keeps trying. */
    nw_svr_free(C.svr);
    C.svr = NULL;
    wait_count(&C.closed, 1, 5.0);
    assert_string_equal(C.close_reason, "peer closed");
    assert_false(nw_clt_connected(C.clt));
    assert_null(nw_clt_ses(C.clt));
    wait_count(&C.failed, 2, 5.0);
    assert_string_equal(nw_clt_last_error(C.clt), "Connection refused");

    /* It comes back on the same port: the client reconnects by itself. */
    C.svr = new_server(addr, &svr_handlers);
    C.greeting = "again\n";
    wait_count(&C.got, 2, 5.0);
    assert_int_equal(C.up, 2);
    assert_string_equal(C.last, "again\n");
    assert_int_equal(nw_clt_send(C.clt, "more\n", 5), 0);
    wait_count(&C.got, 3, 5.0);
    assert_string_equal(C.last, "more\n");
    assert_null(nw_clt_last_error(C.clt));
}

/* Failed attempts are spaced reconnect_min, 2x, 4x ... up to reconnect_max. */
static void test_backoff(void **state)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", free_port());
    C.clt = new_client(addr, &clt_handlers, 0.02, 0.08);
    nw_clt_start(C.clt);
    wait_count(&C.failed, 8, 5.0);
    /* Doubling: each gap at least the planned delay (timers never fire
     * early; a loaded machine may make them late). */
    double want[] = { 0.02, 0.04, 0.08, 0.08, 0.08, 0.08, 0.08 };
    for (int i = 0; i < 7; i++) {
        double gap = C.fail_at[i + 1] - C.fail_at[i];
        if (gap < want[i] * 0.9)
            fail_msg("gap %d is %.3f s, expected at least %.3f s", i, gap, want[i]);
    }
    /* Capped at reconnect_max: the last four gaps take 0.32 s, where
     * doubling on would take 0.16+0.32+0.64+1.28 s. */
    double tail = C.fail_at[7] - C.fail_at[3];
    if (tail > 1.0)
        fail_msg("last four gaps took %.3f s, expected about 0.32 s", tail);
    assert_int_equal(C.up, 0);
    assert_int_equal(C.closed, 0);               /* failed attempts: no on_close */
}

/* After a successful connect the delay starts from reconnect_min again. */
static void test_backoff_reset(void **state)
{
    char addr[64];
    int port = free_port();
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    C.clt = new_client(addr, &clt_handlers, 0.02, 1.0);
    nw_clt_start(C.clt);
    wait_count(&C.failed, 5, 5.0);               /* delay is now 0.64 s */
    C.svr = new_server(addr, &svr_handlers);
    wait_count(&C.up, 1, 5.0);
    run_until(never, NULL, 0.05);
    nw_svr_free(C.svr);
    C.svr = NULL;
    wait_count(&C.closed, 1, 5.0);
    int before = C.failed;
    wait_count(&C.failed, before + 1, 5.0);
    double gap = C.fail_at[before] - C.closed_at;
    if (gap > 0.3)
        fail_msg("first retry after %.3f s, expected about 0.02 s", gap);
}

/* A listener whose accept queue is full drops SYNs: connect hangs. */
static void test_connect_timeout(void **state)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(lfd, 0), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
    int fill[4];
    for (int i = 0; i < 4; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fill[i], (struct sockaddr *)&sa, sizeof(sa));
    }
    usleep(50000);
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", ntohs(sa.sin_port));
    nw_clt_cfg cfg = { .addr = addr, .reconnect_min = 0.05, .reconnect_max = 0.05,
                       .connect_timeout = 0.2 };
    C.clt = nw_clt_create(C.loop, &cfg, &clt_handlers, &C);
    nw_clt_start(C.clt);
    double t0 = ev_time();
    wait_count(&C.failed, 1, 5.0);
    double took = ev_time() - t0;
    assert_string_equal(nw_clt_last_error(C.clt), "connect timeout");
    assert_true(took >= 0.18 && took < 1.0);
    assert_int_equal(C.up, 0);
    for (int i = 0; i < 4; i++)
        close(fill[i]);
    close(lfd);
}

static void test_stop(void **state)
{
    C.svr = new_server("tcp@127.0.0.1:0", &svr_handlers);
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", server_port(C.svr));
    C.clt = new_client(addr, &clt_handlers, 0.01, 0.01);
    nw_clt_start(C.clt);
    wait_count(&C.up, 1, 5.0);
    nw_clt_stop(C.clt);
    assert_int_equal(C.closed, 1);                /* outside callbacks: at once */
    assert_string_equal(C.close_reason, "closed");
    assert_false(nw_clt_connected(C.clt));
    run_until(never, NULL, 0.1);
    assert_int_equal(C.up, 1);                    /* no reconnect after stop */
    assert_int_equal(C.failed, 0);
    assert_int_equal(C.svr_closed, 1);
    /* Start again works. */
    nw_clt_start(C.clt);
    wait_count(&C.up, 2, 5.0);
}

static void test_udp_round_trip(void **state)
{
    C.svr = new_server("udp@127.0.0.1:0", &udp_svr_handlers);
    assert_int_equal(nw_svr_count(C.svr), 1);      /* the socket's session */
    assert_non_null(nw_svr_udp_ses(C.svr));
    char addr[64];
    snprintf(addr, sizeof(addr), "udp@127.0.0.1:%d", server_port(C.svr));
    C.greeting = "ping one";
    C.clt = new_client(addr, &udp_clt_handlers, 0.05, 0.05);
    nw_clt_start(C.clt);
    wait_count(&C.got, 1, 5.0);
    assert_string_equal(C.last, "ping one");
    assert_int_equal(nw_clt_send(C.clt, "ping two", 8), 0);
    wait_count(&C.got, 2, 5.0);
    assert_string_equal(C.last, "ping two");
    /* The server saw the client's own address as the sender. */
    nw_addr local;
    socklen_t len = sizeof(local.u);
    assert_int_equal(getsockname(nw_clt_ses(C.clt)->fd, &local.u.sa, &len), 0);
    assert_int_equal(C.udp_peer.u.in4.sin_port, local.u.in4.sin_port);
    assert_int_equal(C.udp_peer.proto, NW_UDP);
    /* nw_ses_send on the server socket replies to the last sender. */
    assert_int_equal(nw_ses_send(nw_svr_udp_ses(C.svr), "push", 4), 0);
    wait_count(&C.got, 3, 5.0);
    assert_string_equal(C.last, "push");
    assert_int_equal(C.svr_msgs, 2);
}

static void test_unix_round_trip(void **state)
{
    char path[128], addr[160];
    snprintf(path, sizeof(path), "/tmp/hf-nw-test-%d.sock", (int)getpid());
    snprintf(addr, sizeof(addr), "unix@%s", path);
    /* A stale file at the path is replaced. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    C.svr = new_server(addr, &svr_handlers);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    C.greeting = "over unix\n";
    C.clt = new_client(addr, &clt_handlers, 0.02, 0.02);
    nw_clt_start(C.clt);
    wait_count(&C.got, 1, 5.0);
    assert_string_equal(C.last, "over unix\n");
    nw_svr_free(C.svr);
    C.svr = NULL;
    assert_int_equal(stat(path, &st), -1);        /* unlinked */
    wait_count(&C.failed, 1, 5.0);
    assert_string_equal(nw_clt_last_error(C.clt), "No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_specs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_and_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unix_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
