/* Tests of ut_rpc_link over loopback on one libev loop: request/reply and
 * push, request timeouts (and a late reply being dropped), "link down" for
 * pending requests, heartbeat timeouts against raw silent peers on both
 * sides, healthy idle links staying up, reconnect after a server restart,
 * a corrupted frame closing the link with a log line, the allow-list, and
 * the sequence-gap warning. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "network/nw_timer.h"
#include "utils/ut_log.h"
#include "utils/ut_rpc_link.h"

static char logpath[64];

typedef struct ctx {
    struct ev_loop *loop;
    ut_rpc_svr *svr;
    ut_rpc_clt *clt;
    int port;
    bool svr_replies;          /* the server answers requests */
    int svr_up, svr_down, clt_up, clt_down;
    char svr_reason[128], clt_reason[128];
    int svr_msgs, clt_pushes;
    char clt_push_body[128];
    int replies, errors;
    char error[64];
    ut_rpc_msg reply;          /* copy of the last reply's header fields */
    char reply_body[128];
    ut_rpc_link *svr_link;
} ctx;

/* ---- helpers ---- */

static void tick(struct ev_loop *loop, ev_timer *w, int revents)
{
}

/* Runs the loop until pred(c) or secs pass; returns pred(c). */
static bool wait_for(ctx *c, bool (*pred)(ctx *), double secs)
{
    ev_timer t;
    double end = ev_time() + secs;

    ev_timer_init(&t, tick, 0.005, 0.005);
    ev_timer_start(c->loop, &t);
    while (!pred(c) && ev_time() < end)
        ev_run(c->loop, EVRUN_ONCE);
    ev_timer_stop(c->loop, &t);
    return pred(c);
}

static bool never(ctx *c)
{
    return false;
}

static void run_for(ctx *c, double secs)
{
    wait_for(c, never, secs);
}

static char *slurp_log(void)
{
    FILE *fp = fopen(logpath, "r");
    static char buf[1 << 16];
    size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = '\0';
    return buf;
}

static void log_reset(void)
{
    ut_log_cfg lc = {.path = logpath, .level = UT_LOG_INFO};
    unlink(logpath);
    assert_int_equal(ut_log_init(&lc), 0);
}

/* ---- handlers ---- */

static void svr_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    ctx *c = udata;
    char out[160];

    c->svr_msgs++;
    if (msg->type == UT_RPC_REQUEST && c->svr_replies) {
        int n = snprintf(out, sizeof(out), "pong:%.*s", (int)msg->body_len,
                         (const char *)msg->body);
        assert_int_equal(ut_rpc_reply(link, msg, 7, out, (size_t)n), 0);
    }
}

static void svr_on_up(ut_rpc_link *link, void *udata)
{
    ctx *c = udata;
    c->svr_up++;
    c->svr_link = link;
}

static void svr_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    ctx *c = udata;
    c->svr_down++;
    snprintf(c->svr_reason, sizeof(c->svr_reason), "%s", reason);
    if (c->svr_link == link)
        c->svr_link = NULL;
}

static void clt_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    ctx *c = udata;
    assert_int_equal(msg->type, UT_RPC_PUSH);
    c->clt_pushes++;
    snprintf(c->clt_push_body, sizeof(c->clt_push_body), "%.*s", (int)msg->body_len,
             (const char *)msg->body);
}

static void clt_on_up(ut_rpc_link *link, void *udata)
{
    ((ctx *)udata)->clt_up++;
}

static void clt_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    ctx *c = udata;
    c->clt_down++;
    snprintf(c->clt_reason, sizeof(c->clt_reason), "%s", reason);
}

static const ut_rpc_handlers svr_h = {svr_on_msg, svr_on_up, svr_on_down};
static const ut_rpc_handlers clt_h = {clt_on_msg, clt_on_up, clt_on_down};

static void on_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    ctx *c = arg;
    if (!msg) {
        c->errors++;
        snprintf(c->error, sizeof(c->error), "%s", error);
        return;
    }
    assert_null(error);
    c->replies++;
    c->reply = *msg;
    snprintf(c->reply_body, sizeof(c->reply_body), "%.*s", (int)msg->body_len,
             (const char *)msg->body);
    c->reply.body = NULL;
}

static bool both_up(ctx *c) { return c->svr_up >= 1 && ut_rpc_clt_up(c->clt); }
static bool got_reply(ctx *c) { return c->replies > 0; }
static bool got_error(ctx *c) { return c->errors > 0; }
static bool got_push(ctx *c) { return c->clt_pushes > 0; }
static bool clt_is_down(ctx *c) { return c->clt_down > 0; }
static bool svr_is_down(ctx *c) { return c->svr_down > 0; }
static bool clt_up_twice(ctx *c) { return c->clt_up >= 2 && ut_rpc_clt_up(c->clt); }

/* ---- fixtures ---- */

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof(*c));
    c->loop = ev_loop_new(EVFLAG_AUTO);
    c->svr_replies = true;
    *state = c;
    log_reset();
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;
    ut_rpc_clt_free(c->clt);
    ut_rpc_svr_free(c->svr);
    ev_loop_destroy(c->loop);
    free(c);
    ut_log_close();
    unlink(logpath);
    return 0;
}

static void start_server(ctx *c, int port, double hb, const char **allow)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    ut_rpc_cfg cfg = {.addr = addr, .heartbeat = hb, .allow = allow};
    c->svr = ut_rpc_svr_create(c->loop, &cfg, &svr_h, c);
    assert_non_null(c->svr);
    assert_int_equal(ut_rpc_svr_start(c->svr), 0);
    c->port = ut_rpc_svr_port(c->svr);
    assert_true(c->port > 0);
}

static void start_client(ctx *c, int port, double hb, double timeout)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    ut_rpc_cfg cfg = {.addr = addr, .heartbeat = hb, .request_timeout = timeout};
    c->clt = ut_rpc_clt_create(c->loop, &cfg, &clt_h, c);
    assert_non_null(c->clt);
    assert_int_equal(ut_rpc_clt_start(c->clt), 0);
}

static int raw_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static int raw_listen(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

static size_t raw_frame(uint8_t *buf, uint8_t type, uint32_t seq, uint64_t id,
                        const char *body)
{
    ut_rpc_msg m = {.type = type, .command = 0x0101, .sequence = seq, .request_id = id,
                    .body_len = (uint32_t)strlen(body), .body = body};
    return ut_rpc_pack(&m, buf);
}

/* ---- tests ---- */

static void test_request_reply_push(void **state)
{
    ctx *c = *state;
    const char *allow[] = {"10.1.2.3", "127.0.0.1", NULL};
    char peer[64];

    start_server(c, 0, 1, allow);
    start_client(c, c->port, 1, 5);
    assert_true(wait_for(c, both_up, 3));
    assert_int_equal(ut_rpc_svr_count(c->svr), 1);
    snprintf(peer, sizeof(peer), "127.0.0.1:%d", c->port);
    assert_string_equal(ut_rpc_link_peer(ut_rpc_clt_link(c->clt)), peer);

    for (uint64_t i = 1; i <= 3; i++) {
        c->replies = 0;
        assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 0x0101, "ping", 4, on_reply,
                                        c), 0);
        assert_true(wait_for(c, got_reply, 3));
        assert_int_equal(c->reply.type, UT_RPC_REPLY);
        assert_int_equal(c->reply.command, 0x0101);
        assert_int_equal(c->reply.status, 7);
        assert_true(c->reply.request_id == i);      /* ids increase per link */
        assert_string_equal(c->reply_body, "pong:ping");
    }
    assert_int_equal(c->errors, 0);

    assert_non_null(c->svr_link);
    assert_int_equal(ut_rpc_push(c->svr_link, 0x0102, "job-1", 5), 0);
    assert_true(wait_for(c, got_push, 3));
    assert_string_equal(c->clt_push_body, "job-1");

    ut_rpc_link_set_data(c->svr_link, c);
    assert_ptr_equal(ut_rpc_link_data(c->svr_link), c);
    assert_int_equal(c->clt_down + c->svr_down, 0);
}

static void test_request_timeout(void **state)
{
    ctx *c = *state;
    double t0;

    c->svr_replies = false;
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 0.3);
    assert_true(wait_for(c, both_up, 3));
    t0 = ev_time();
    assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 0x0101, "x", 1, on_reply, c), 0);
    assert_true(wait_for(c, got_error, 3));
    assert_true(ev_time() - t0 >= 0.29);
    assert_string_equal(c->error, "timeout");
    assert_int_equal(c->svr_msgs, 1);
    /* A reply arriving after the timeout is dropped: no second callback. */
    ut_rpc_msg req = {.type = UT_RPC_REQUEST, .command = 0x0101, .request_id = 1};
    assert_int_equal(ut_rpc_reply(c->svr_link, &req, 0, "late", 4), 0);
    run_for(c, 0.2);
    assert_int_equal(c->errors, 1);
    assert_int_equal(c->replies, 0);
    assert_true(ut_rpc_clt_up(c->clt));
    assert_non_null(strstr(slurp_log(), "reply to unknown request 1"));
}

static void test_link_down_fails_pending(void **state)
{
    ctx *c = *state;

    c->svr_replies = false;
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 10);
    assert_true(wait_for(c, both_up, 3));
    for (int i = 0; i < 3; i++)
        assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 1, "x", 1, on_reply, c), 0);
    run_for(c, 0.05);
    ut_rpc_svr_free(c->svr);
    c->svr = NULL;
    assert_true(wait_for(c, clt_is_down, 3));
    assert_int_equal(c->errors, 3);
    assert_string_equal(c->error, "link down");
    assert_int_equal(c->replies, 0);
    assert_null(ut_rpc_clt_link(c->clt));
    assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 1, "x", 1, on_reply, c), -1);
    run_for(c, 0.1);
    assert_int_equal(c->errors, 3);
}

static void test_heartbeat_timeout_server(void **state)
{
    ctx *c = *state;
    uint8_t buf[4096];
    size_t len = 0;
    ssize_t n;
    double t0;

    start_server(c, 0, 0.1, NULL);
    int fd = raw_connect(c->port);
    t0 = ev_time();
    assert_true(wait_for(c, svr_is_down, 3));
    double took = ev_time() - t0;
    assert_true(took >= 0.25 && took < 1.0);
    assert_string_equal(c->svr_reason, "heartbeat timeout");
    assert_int_equal(ut_rpc_svr_count(c->svr), 0);
    /* The silent peer got heartbeats (type 4, sequence 1, 2, ...), then EOF. */
    while ((n = recv(fd, buf + len, sizeof(buf) - len, 0)) > 0)
        len += (size_t)n;
    assert_int_equal(n, 0);
    assert_true(len >= 2 * UT_RPC_HEADER_SIZE);
    for (size_t off = 0, seq = 1; off < len; seq++) {
        ut_rpc_msg m;
        int r = ut_rpc_decode(buf + off, len - off, 0);
        assert_int_equal(r, UT_RPC_HEADER_SIZE);
        assert_int_equal(ut_rpc_parse(buf + off, (size_t)r, &m), 0);
        assert_int_equal(m.type, UT_RPC_HEARTBEAT);
        assert_int_equal(m.sequence, seq);
        off += (size_t)r;
    }
    close(fd);
    assert_non_null(strstr(slurp_log(), "heartbeat timeout"));
}

static void test_heartbeat_timeout_client_reconnects(void **state)
{
    ctx *c = *state;
    int port;
    int lfd = raw_listen(&port);     /* accepts (kernel backlog) and stays silent */

    start_client(c, port, 0.1, 5);
    double t0 = ev_time();
    assert_true(wait_for(c, clt_is_down, 3));
    double took = ev_time() - t0;
    assert_true(took >= 0.25 && took < 1.0);
    assert_int_equal(c->clt_up, 1);
    assert_string_equal(c->clt_reason, "heartbeat timeout");
    assert_true(wait_for(c, clt_up_twice, 3));
    close(lfd);
}

static void test_idle_link_stays_up(void **state)
{
    ctx *c = *state;

    start_server(c, 0, 0.05, NULL);
    start_client(c, c->port, 0.05, 5);
    assert_true(wait_for(c, both_up, 3));
    run_for(c, 0.6);                 /* 12 intervals without user traffic */
    assert_int_equal(c->svr_down, 0);
    assert_int_equal(c->clt_down, 0);
    assert_int_equal(c->clt_up, 1);
}

static void test_reconnect_after_restart(void **state)
{
    ctx *c = *state;

    start_server(c, 0, 1, NULL);
    int port = c->port;
    start_client(c, port, 1, 5);
    assert_true(wait_for(c, both_up, 3));
    ut_rpc_svr_free(c->svr);
    c->svr = NULL;
    assert_true(wait_for(c, clt_is_down, 3));
    assert_false(ut_rpc_clt_up(c->clt));
    run_for(c, 0.3);                 /* a few failed attempts */
    start_server(c, port, 1, NULL);
    assert_true(wait_for(c, clt_up_twice, 5));
    assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 5, "again", 5, on_reply, c), 0);
    assert_true(wait_for(c, got_reply, 3));
    assert_string_equal(c->reply_body, "pong:again");
    assert_true(c->reply.request_id == 1);      /* a new link starts its ids again */
}

static void test_corrupted_frame_closes(void **state)
{
    ctx *c = *state;
    uint8_t buf[128];
    char want[128];

    start_server(c, 0, 1, NULL);
    int fd = raw_connect(c->port);
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    getsockname(fd, (struct sockaddr *)&me, &len);
    size_t n = raw_frame(buf, UT_RPC_REQUEST, 1, 1, "hello");
    buf[n - 1] ^= 0x20;
    assert_int_equal(send(fd, buf, n, 0), (ssize_t)n);
    assert_true(wait_for(c, svr_is_down, 3));
    assert_string_equal(c->svr_reason, "bad frame: CRC mismatch");
    assert_int_equal(c->svr_msgs, 0);
    snprintf(want, sizeof(want), "rpc link 127.0.0.1:%d: bad frame: CRC mismatch",
             ntohs(me.sin_port));
    assert_non_null(strstr(slurp_log(), want));
    close(fd);
}

static void test_allow_list(void **state)
{
    ctx *c = *state;
    const char *allow[] = {"10.9.9.9", NULL};

    start_server(c, 0, 1, allow);
    int fd = raw_connect(c->port);
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    getsockname(fd, (struct sockaddr *)&me, &len);
    run_for(c, 0.2);
    assert_int_equal(c->svr_up, 0);
    assert_int_equal(ut_rpc_svr_count(c->svr), 0);
    char b;
    assert_int_equal(recv(fd, &b, 1, 0), 0);     /* closed at accept */
    char want[128];
    snprintf(want, sizeof(want), "peer 127.0.0.1:%d is not in the allow list",
             ntohs(me.sin_port));
    assert_non_null(strstr(slurp_log(), want));
    close(fd);
}

static void test_sequence_gap_and_raw_request(void **state)
{
    ctx *c = *state;
    uint8_t buf[256], in[256];
    size_t n;
    ssize_t got = -1;

    start_server(c, 0, 1, NULL);
    int fd = raw_connect(c->port);
    n = raw_frame(buf, UT_RPC_PUSH, 1, 0, "a");
    n += raw_frame(buf + n, UT_RPC_REQUEST, 3, 42, "b");
    assert_int_equal(send(fd, buf, n, 0), (ssize_t)n);
    run_for(c, 0.1);
    assert_int_equal(c->svr_msgs, 2);
    assert_int_equal(c->svr_down, 0);
    assert_non_null(strstr(slurp_log(), "sequence gap: expected 2, got 3"));
    /* The request was answered with its id echoed. */
    for (int i = 0; i < 100 && got <= 0; i++) {
        got = recv(fd, in, sizeof(in), 0);
        if (got < 0 && errno == EAGAIN)
            run_for(c, 0.01);
    }
    assert_true(got >= UT_RPC_HEADER_SIZE);
    ut_rpc_msg m;
    int r = ut_rpc_decode(in, (size_t)got, 1024);
    assert_true(r > 0);
    assert_int_equal(ut_rpc_parse(in, (size_t)r, &m), 0);
    assert_int_equal(m.type, UT_RPC_REPLY);
    assert_true(m.request_id == 42);
    assert_int_equal(m.sequence, 1);
    assert_int_equal(m.body_len, 6);
    assert_memory_equal(m.body, "pong:b", 6);
    close(fd);
}

static void test_bad_addresses(void **state)
{
    ctx *c = *state;
    ut_rpc_cfg cfg = {.addr = "nonsense"};
    assert_null(ut_rpc_svr_create(c->loop, &cfg, &svr_h, c));
    assert_null(ut_rpc_clt_create(c->loop, &cfg, &clt_h, c));
}

int main(void)
{
    snprintf(logpath, sizeof(logpath), "/tmp/hf-test-rpclink-%d.log", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_reply_push, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_down_fails_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_timeout_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_timeout_client_reconnects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idle_link_stays_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconnect_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_frame_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allow_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequence_gap_and_raw_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_addresses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
