/* Tests of ut_rpc_link over loopback on one libev loop: request/reply and
 * push, request timeouts (and a late reply being dropped), "link down" for
 * pending requests, heartbeat timeouts against raw silent peers on both
 * sides, healthy idle links staying up, reconnect after a server restart,
 * a corrupted frame closing the link with a log line, the allow-list, and
 * the sequence-gap warning.
 *
 * Over TLS (real OpenSSL, certificates made at test time by
 * nw_tls_testkit.h): request/reply/push, 1 MiB bodies both ways, an
 * untrusted server certificate, a wrong host name, plaintext to TLS and
 * TLS to plaintext, client certificates (missing, given), reconnect after
 * a restart. Agent authentication: ok (on_up only after it, the id on
 * both sides), unknown agent and bad secret (log lines on both sides,
 * backoff), frames before authentication, the auth deadline, mismatched
 * configurations, and no secret in any log line. */
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
#include "tests/unit/nw_tls_testkit.h"
#include "utils/ut_log.h"
#include "utils/ut_rpc_link.h"

static char logpath[64];
#define K tls_kit_k

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
    /* TLS and agent authentication for start_server / start_client */
    const nw_tls_cfg *svr_tls, *clt_tls;
    nw_tls_cfg st, ct;         /* what use_tls points them at */
    const ut_auth_agent *agents;
    const char *agent_id, *agent_secret;
    double auth_timeout;
    bool echo;                 /* the server answers with the request's own body */
    size_t reply_len, push_len;
    uint32_t reply_sum, push_sum;
    char svr_agent[80], clt_agent[80];
} ctx;

/* FNV-1a, to compare large bodies. */
static uint32_t fnv(const void *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 16777619u;
    return h;
}

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
    if (msg->type == UT_RPC_REQUEST && c->echo) {
        assert_int_equal(ut_rpc_reply(link, msg, 0, msg->body, msg->body_len), 0);
        return;
    }
    if (msg->type == UT_RPC_REQUEST && c->svr_replies) {
        int n = snprintf(out, sizeof(out), "pong:%.*s", (int)msg->body_len,
                         (const char *)msg->body);
        assert_int_equal(ut_rpc_reply(link, msg, 7, out, (size_t)n), 0);
    }
}

static void svr_on_up(ut_rpc_link *link, void *udata)
{
    ctx *c = udata;
    const char *agent = ut_rpc_link_agent(link);
    c->svr_up++;
    c->svr_link = link;
    snprintf(c->svr_agent, sizeof(c->svr_agent), "%s", agent ? agent : "");
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
    c->push_len = msg->body_len;
    c->push_sum = fnv(msg->body, msg->body_len);
    snprintf(c->clt_push_body, sizeof(c->clt_push_body), "%.*s", (int)msg->body_len,
             (const char *)msg->body);
}

static void clt_on_up(ut_rpc_link *link, void *udata)
{
    ctx *c = udata;
    const char *agent = ut_rpc_link_agent(link);
    c->clt_up++;
    snprintf(c->clt_agent, sizeof(c->clt_agent), "%s", agent ? agent : "");
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
    c->reply_len = msg->body_len;
    c->reply_sum = fnv(msg->body, msg->body_len);
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
    ut_rpc_cfg cfg = {.addr = addr, .heartbeat = hb, .allow = allow, .tls = c->svr_tls,
                      .agents = c->agents, .auth_timeout = c->auth_timeout};
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
    ut_rpc_cfg cfg = {.addr = addr, .heartbeat = hb, .request_timeout = timeout,
                      .tls = c->clt_tls, .agent_id = c->agent_id,
                      .agent_secret = c->agent_secret, .auth_timeout = c->auth_timeout};
    c->clt = ut_rpc_clt_create(c->loop, &cfg, &clt_h, c);
    assert_non_null(c->clt);
    assert_int_equal(ut_rpc_clt_start(c->clt), 0);
}

static int raw_connect(int port)
{
    int fd = tls_kit_raw_connect(port);
    assert_true(fd >= 0);
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

/* The server goes away and comes back on the same port: the client is up
 * again by itself, with a new link (request ids start again). */
static void reconnect_after_restart(ctx *c)
{
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

static void test_reconnect_after_restart(void **state)
{
    reconnect_after_restart(*state);
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

/* ---- TLS ---- */

static const char *log_want, *log_want2;

/* The log holds log_want (and log_want2 when set). */
static bool log_has(ctx *c)
{
    const char *log = slurp_log();
    return strstr(log, log_want) && (!log_want2 || strstr(log, log_want2));
}

static bool wait_log(ctx *c, const char *want, const char *want2, double secs)
{
    log_want = want;
    log_want2 = want2;
    bool ok = wait_for(c, log_has, secs);
    if (!ok)
        fprintf(stderr, "log lacks '%s' / '%s':\n%s\n", want, want2 ? want2 : "", slurp_log());
    return ok;
}

/* TLS on both sides: the test CA's server certificate, verified by the
 * client; a test may change c->st / c->ct before starting. */
static void use_tls(ctx *c)
{
    c->st = (nw_tls_cfg){.cert_file = K.srv, .key_file = K.srv_key};
    c->ct = (nw_tls_cfg){.ca_file = K.ca};
    c->svr_tls = &c->st;
    c->clt_tls = &c->ct;
}

static void test_tls_request_reply_push(void **state)
{
    ctx *c = *state;
    char want[128];

    use_tls(c);
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 5);
    assert_true(wait_for(c, both_up, 5));
    assert_string_equal(ut_rpc_link_tls(ut_rpc_clt_link(c->clt)), "TLSv1.3");
    assert_string_equal(ut_rpc_link_tls(c->svr_link), "TLSv1.3");
    assert_null(ut_rpc_link_agent(c->svr_link));
    assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 0x0101, "ping", 4, on_reply, c), 0);
    assert_true(wait_for(c, got_reply, 3));
    assert_int_equal(c->reply.status, 7);
    assert_string_equal(c->reply_body, "pong:ping");
    assert_int_equal(ut_rpc_push(c->svr_link, 0x0102, "job-1", 5), 0);
    assert_true(wait_for(c, got_push, 3));
    assert_string_equal(c->clt_push_body, "job-1");
    snprintf(want, sizeof(want), "rpc link 127.0.0.1:%d: up (TLSv1.3)", c->port);
    assert_non_null(strstr(slurp_log(), want));
}

static bool got_big_push(ctx *c) { return c->push_len > 0; }

/* 1 MiB request, 1 MiB reply, 1 MiB push. */
static void test_tls_big_bodies(void **state)
{
    ctx *c = *state;
    size_t n = 1024 * 1024;
    char *big = malloc(n);

    for (size_t i = 0; i < n; i++)
        big[i] = (char)(i * 7 + (i >> 10));
    c->echo = true;
    use_tls(c);
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 10);
    assert_true(wait_for(c, both_up, 5));
    assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 0x0201, big, n, on_reply, c), 0);
    assert_int_equal(ut_rpc_push(c->svr_link, 0x0102, big, n), 0);
    assert_true(wait_for(c, got_reply, 10));
    assert_true(wait_for(c, got_big_push, 10));
    assert_int_equal(c->reply.status, 0);
    assert_int_equal(c->reply_len, n);
    assert_int_equal(c->reply_sum, fnv(big, n));
    assert_int_equal(c->push_len, n);
    assert_int_equal(c->push_sum, fnv(big, n));
    assert_int_equal(c->clt_down + c->svr_down, 0);
    free(big);
}

static void test_tls_untrusted_server_cert(void **state)
{
    ctx *c = *state;
    char want[200];

    use_tls(c);
    c->st = (nw_tls_cfg){.cert_file = K.rogue, .key_file = K.rogue_key};
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 5);
    snprintf(want, sizeof(want), "rpc client tcp@127.0.0.1:%d: tls handshake with 127.0.0.1:%d "
             "failed: certificate verify failed (self-signed certificate)", c->port, c->port);
    assert_true(wait_log(c, want, "rpc server tcp@127.0.0.1:0: tls handshake with 127.0.0.1:",
                         5));
    assert_non_null(strstr(slurp_log(), "failed: tlsv1 alert unknown ca"));
    run_for(c, 0.3);                  /* more attempts: logged once while the same */
    const char *log = slurp_log();
    assert_null(strstr(strstr(log, want) + 1, want));
    assert_int_equal(c->clt_up + c->svr_up, 0);
}

static void test_tls_wrong_host(void **state)
{
    ctx *c = *state;

    use_tls(c);
    c->ct.host = "gateway.example.org";
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 5);
    assert_true(wait_log(c, "failed: certificate verify failed (hostname mismatch)", NULL, 5));
    assert_int_equal(c->clt_up + c->svr_up, 0);
}

static void test_plaintext_client_to_tls_server(void **state)
{
    ctx *c = *state;
    use_tls(c);
    c->clt_tls = NULL;
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 0.1, 5);       /* its first heartbeat is plaintext */
    assert_true(wait_log(c, "rpc server tcp@127.0.0.1:0: tls handshake with 127.0.0.1:",
                         "failed: the peer is not speaking TLS (it sent a plaintext HFM1 frame)",
                         3));
    assert_true(wait_for(c, clt_is_down, 3));
    assert_int_equal(c->svr_up, 0);
}

static void test_tls_client_to_plaintext_server(void **state)
{
    ctx *c = *state;
    char want[200];

    use_tls(c);
    c->svr_tls = NULL;
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 5);
    snprintf(want, sizeof(want), "tls handshake with 127.0.0.1:%d failed: peer closed the "
             "connection during the handshake (not a TLS port?)", c->port);
    assert_true(wait_log(c, want, "bad frame: bad magic", 3));
    assert_int_equal(c->clt_up, 0);
    assert_true(wait_for(c, svr_is_down, 3));
    assert_string_equal(c->svr_reason, "bad frame: bad magic");
}

static void test_tls_client_cert(void **state)
{
    ctx *c = *state;

    use_tls(c);
    c->st.ca_file = K.ca;
    c->st.require_client_cert = true;
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 5);
    /* TLS 1.3: the client learns it on its first read, right after connecting. */
    assert_true(wait_log(c, "failed: peer did not return a certificate",
                         "down: tls: tlsv13 alert certificate required", 5));
    assert_true(wait_for(c, clt_is_down, 3));
    assert_string_equal(c->clt_reason, "tls: tlsv13 alert certificate required");
    assert_int_equal(c->svr_up, 0);
    ut_rpc_clt_free(c->clt);
    c->clt_up = c->clt_down = 0;

    c->ct.cert_file = K.cli;
    c->ct.key_file = K.cli_key;
    start_client(c, c->port, 1, 5);
    assert_true(wait_for(c, both_up, 5));
    assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 1, "cert", 4, on_reply, c), 0);
    assert_true(wait_for(c, got_reply, 3));
    assert_string_equal(c->reply_body, "pong:cert");
}

static void test_tls_reconnect_after_restart(void **state)
{
    use_tls(*state);
    reconnect_after_restart(*state);
}

/* ---- agent authentication ---- */

#define SECRET1 "s3cret-of-farm1-0123456789"
#define SECRET2 "s3cret-of-farm2-abcdefghij"
static const ut_auth_agent farm_agents[] = {
    {"farm1", SECRET1}, {"farm2", SECRET2}, {NULL, NULL},
};

static void assert_no_secret_logged(void)
{
    const char *log = slurp_log();
    assert_null(strstr(log, SECRET1));
    assert_null(strstr(log, SECRET2));
    assert_null(strstr(log, "s3cret"));
}

static void test_auth_ok(void **state)
{
    ctx *c = *state;
    char want[128];

    use_tls(c);
    c->agents = farm_agents;
    c->agent_id = "farm2";
    c->agent_secret = SECRET2;
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 5);
    assert_true(wait_for(c, both_up, 5));
    assert_string_equal(c->svr_agent, "farm2");        /* seen in on_up already */
    assert_string_equal(c->clt_agent, "farm2");
    assert_string_equal(ut_rpc_link_agent(c->svr_link), "farm2");
    assert_int_equal(ut_rpc_svr_count(c->svr), 1);
    assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), 0x0101, "hi", 2, on_reply, c), 0);
    assert_true(wait_for(c, got_reply, 3));
    assert_string_equal(c->reply_body, "pong:hi");
    assert_int_equal(c->svr_msgs, 1);                  /* the exchange never reached on_msg */
    snprintf(want, sizeof(want), "rpc link 127.0.0.1:%d: up (TLSv1.3, agent 'farm2')", c->port);
    assert_non_null(strstr(slurp_log(), want));
    assert_no_secret_logged();
}

static int count_in_log(const char *what)
{
    int n = 0;
    for (const char *p = slurp_log(); (p = strstr(p, what)); p++)
        n++;
    return n;
}

/* Refused on both sides with the reason; the client backs off. */
static void auth_refused(ctx *c, const char *id, const char *secret, const char *why)
{
    char svr_line[160], clt_line[160];

    use_tls(c);
    c->agents = farm_agents;
    c->agent_id = id;
    c->agent_secret = secret;
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 5);
    snprintf(svr_line, sizeof(svr_line), ": agent auth refused: %s", why);
    snprintf(clt_line, sizeof(clt_line), "agent auth refused by 127.0.0.1:%d: %s", c->port, why);
    double t0 = ev_time();
    assert_true(wait_log(c, svr_line, clt_line, 5));
    assert_true(wait_for(c, never, 1.5 - (ev_time() - t0)) || true);
    /* Attempts at 0, 0.1, 0.3, 0.7, 1.5 s: without the backoff, one every 0.1 s. */
    int tries = count_in_log(clt_line);
    assert_true(tries >= 2 && tries <= 6);
    assert_int_equal(c->clt_up + c->svr_up, 0);
    assert_int_equal(c->svr_msgs, 0);
    assert_int_equal(ut_rpc_svr_count(c->svr), 0);
    assert_null(ut_rpc_clt_link(c->clt));
    assert_non_null(strstr(slurp_log(), "down: agent auth refused: "));
    assert_no_secret_logged();
}

static void test_auth_unknown_agent(void **state)
{
    auth_refused(*state, "farm9", SECRET1, "unknown agent 'farm9'");
}

static void test_auth_bad_secret(void **state)
{
    auth_refused(*state, "farm1", "s3cret-but-the-wrong-one", "bad secret");
}

/* Reads frames from a raw socket until EOF; returns how many. */
static int raw_read_frames(ctx *c, int fd, ut_rpc_msg *out, int max, uint8_t *buf, size_t cap)
{
    size_t len = 0;
    int n = 0;
    double end = ev_time() + 3;

    while (ev_time() < end) {
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r == 0)
            break;
        if (r > 0)
            len += (size_t)r;
        else
            run_for(c, 0.01);
    }
    for (size_t off = 0; off < len && n < max;) {
        int f = ut_rpc_decode(buf + off, len - off, 4096);
        assert_true(f > 0);
        assert_int_equal(ut_rpc_parse(buf + off, (size_t)f, &out[n++]), 0);
        off += (size_t)f;
    }
    return n;
}

/* A request before authenticating: the challenge came first, then the
 * refusal with status "authentication required", then EOF. */
static void test_auth_frame_before_auth(void **state)
{
    ctx *c = *state;
    uint8_t buf[4096], in[8192];
    ut_rpc_msg m[8];

    c->agents = farm_agents;
    start_server(c, 0, 1, NULL);
    int fd = raw_connect(c->port);
    size_t n = raw_frame(buf, UT_RPC_REQUEST, 1, 1, "early");
    assert_int_equal(send(fd, buf, n, 0), (ssize_t)n);
    int got = raw_read_frames(c, fd, m, 8, in, sizeof(in));
    assert_true(got >= 2);
    assert_int_equal(m[0].type, UT_RPC_PUSH);
    assert_int_equal(m[0].command, CMD_LINK_AUTH_CHALLENGE);
    int r = m[1].type == UT_RPC_HEARTBEAT ? 2 : 1;
    assert_int_equal(m[r].type, UT_RPC_REPLY);
    assert_int_equal(m[r].status, UT_AUTH_ERR_REQUIRED);
    assert_true(m[r].request_id == 1);
    assert_memory_equal(m[r].body, "{\"v\":1,\"error\":\"authentication required\"}",
                        m[r].body_len);
    close(fd);
    assert_non_null(strstr(slurp_log(),
                           "request (command 0x0101) before agent authentication, closing"));
    assert_int_equal(c->svr_msgs + c->svr_up, 0);

    fd = raw_connect(c->port);
    n = raw_frame(buf, UT_RPC_PUSH, 1, 0, "early");
    assert_int_equal(send(fd, buf, n, 0), (ssize_t)n);
    got = raw_read_frames(c, fd, m, 8, in, sizeof(in));
    assert_true(got >= 1);                    /* the challenge, then EOF */
    close(fd);
    assert_non_null(strstr(slurp_log(),
                           "push (command 0x0101) before agent authentication, closing"));
    assert_int_equal(c->svr_msgs + c->svr_up, 0);
}

static void test_auth_deadline(void **state)
{
    ctx *c = *state;

    c->agents = farm_agents;
    c->auth_timeout = 0.1;                     /* the first heartbeat tick */
    start_server(c, 0, 0.1, NULL);
    int fd = raw_connect(c->port);             /* never answers */
    assert_true(wait_log(c, "agent auth timeout (no valid answer within 0.1 s), closing", NULL, 3));
    close(fd);
    assert_int_equal(c->svr_up, 0);
}

/* A client with an id against a server without authentication, and the
 * other way round: each says what is wrong. */
static void test_auth_mismatched_configs(void **state)
{
    ctx *c = *state;

    c->agent_id = "farm1";
    c->agent_secret = SECRET1;
    c->auth_timeout = 0.15;
    start_server(c, 0, 0.1, NULL);
    start_client(c, c->port, 0.1, 5);
    assert_true(wait_log(c, "no agent auth challenge from the server within 0.15 s", NULL, 3));
    assert_int_equal(c->clt_up, 0);
    ut_rpc_clt_free(c->clt);
    ut_rpc_svr_free(c->svr);
    c->clt = NULL;

    c->agents = farm_agents;
    c->agent_id = c->agent_secret = NULL;
    c->svr_up = 0;
    start_server(c, 0, 1, NULL);
    start_client(c, c->port, 1, 5);
    assert_true(wait_log(c, "the server asks for agent authentication but no "
                            "agent_id/agent_secret is configured, closing", NULL, 3));
    assert_int_equal(c->svr_up, 0);
    assert_no_secret_logged();
}

static void test_auth_bad_config(void **state)
{
    ctx *c = *state;
    ut_rpc_cfg cfg = {.addr = "tcp@127.0.0.1:1", .agent_id = "farm1", .agent_secret = "s3cret"};
    const ut_auth_agent shorty[] = {{"farm1", "s3cret-short"}, {NULL, NULL}};
    nw_tls_cfg no_ca = {0};

    assert_null(ut_rpc_clt_create(c->loop, &cfg, &clt_h, c));
    assert_non_null(strstr(slurp_log(), "agent auth: secret shorter than 16 characters"));
    cfg = (ut_rpc_cfg){.addr = "tcp@127.0.0.1:0", .agents = shorty};
    assert_null(ut_rpc_svr_create(c->loop, &cfg, &svr_h, c));
    assert_non_null(strstr(slurp_log(), "agents: agent 'farm1': secret shorter"));
    cfg = (ut_rpc_cfg){.addr = "tcp@127.0.0.1:1", .agent_id = "farm1"};
    assert_null(ut_rpc_clt_create(c->loop, &cfg, &clt_h, c));
    cfg = (ut_rpc_cfg){.addr = "tcp@127.0.0.1:1", .tls = &no_ca};
    assert_null(ut_rpc_clt_create(c->loop, &cfg, &clt_h, c));
    assert_non_null(strstr(slurp_log(), "tls: a TLS client needs ca_file"));
    assert_no_secret_logged();
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
        cmocka_unit_test_setup_teardown(test_tls_request_reply_push, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_big_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_untrusted_server_cert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_wrong_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plaintext_client_to_tls_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_client_to_plaintext_server, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_client_cert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_reconnect_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_unknown_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_bad_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_frame_before_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_mismatched_configs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_bad_config, setup, teardown),
    };
    return cmocka_run_group_tests(tests, tls_kit_group_setup, tls_kit_group_teardown);
}
