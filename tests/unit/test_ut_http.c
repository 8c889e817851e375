/* Tests of ut_http over real loopback sockets: the server's loop runs in a
 * thread, the test speaks raw HTTP with blocking sockets. GET and POST,
 * query strings, headers, keep-alive (sequential and pipelined), bodies
 * arriving in pieces, and the refusals: 413, 411, 414, 431 and 400. The
 * limits: 10,000 pipelined GET /metrics never read (queued bytes stay
 * bounded, the server stays responsive, every reply arrives once the
 * client reads), the session cap (with its rate-limited log line), slow
 * and silent requests closed after request_timeout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "utils/ut_http.h"
#include "utils/ut_log.h"

#define BIG_REPLY (8u * 1024 * 1024)
#define METRICS_REPLY 4000            /* ~110x a 36-byte request */
#define PIPELINED 10000
#define SLOW_TIMEOUT 0.4              /* request_timeout of the limits setup */
#define SESSION_CAP 4

static char log_path[] = "/tmp/test_ut_http.XXXXXX";

typedef struct server {
    struct ev_loop *loop;
    ev_async stop;
    pthread_t thread;
    ut_http_svr *svr;
    int port;
    atomic_int metrics_calls;
} server;

static void on_stop(struct ev_loop *loop, ev_async *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

static void *loop_thread(void *arg)
{
    server *s = arg;
    ev_run(s->loop, 0);
    return NULL;
}

static void handler(const ut_http_req *req, ut_http_resp *resp, void *udata)
{
    server *s = udata;
    const char *xt = ut_http_req_header(req, "x-test");

    if (strcmp(req->path, "/metrics") == 0) {
        atomic_fetch_add(&s->metrics_calls, 1);
        resp->body_len = METRICS_REPLY;
        resp->body = malloc(METRICS_REPLY);
        memset(resp->body, 'm', METRICS_REPLY);
        resp->content_type = "text/plain";
        return;
    }
    if (strcmp(req->path, "/queued") == 0) {   /* runs on the loop thread */
        ut_http_resp_json(resp, 200, json_pack("{s:I, s:i}", "queued",
                                               (json_int_t)ut_http_svr_queued(s->svr), "metrics",
                                               atomic_load(&s->metrics_calls)));
        return;
    }
    if (strcmp(req->path, "/big") == 0) {
        resp->body_len = BIG_REPLY;
        resp->body = malloc(BIG_REPLY);
        for (size_t i = 0; i < BIG_REPLY; i++)
            resp->body[i] = (char)('a' + i % 26);
        resp->content_type = "application/octet-stream";
        return;
    }
    if (strcmp(req->path, "/text") == 0) {
        ut_http_resp_text(resp, 404, "text/plain", "no such thing\n");
        return;
    }
    ut_http_resp_json(resp, 200,
                      json_pack("{s:s, s:s, s:s, s:s%, s:s, s:i}", "method", req->method,
                                "path", req->path, "query", req->query, "body", req->body,
                                req->body_len, "xtest", xt ? xt : "(none)", "headers",
                                (int)req->header_count));
}

static int setup_cfg(void **state, const ut_http_cfg *cfg)
{
    server *s = calloc(1, sizeof(*s));

    s->loop = ev_loop_new(EVFLAG_AUTO);
    s->svr = ut_http_svr_create(s->loop, cfg, handler, s);
    if (!s->svr || ut_http_svr_start(s->svr) != 0)
        return -1;
    s->port = ut_http_svr_port(s->svr);
    if (s->port <= 0)
        return -1;
    ev_async_init(&s->stop, on_stop);
    ev_async_start(s->loop, &s->stop);
    pthread_create(&s->thread, NULL, loop_thread, s);
    *state = s;
    return 0;
}

static int setup(void **state)
{
    ut_http_cfg cfg = {.bind = "tcp@127.0.0.1:0", .max_body = 1000};
    return setup_cfg(state, &cfg);
}

/* Small limits: SESSION_CAP sessions, SLOW_TIMEOUT per request. */
static int setup_limits(void **state)
{
    ut_http_cfg cfg = {.bind = "tcp@127.0.0.1:0", .max_sessions = SESSION_CAP,
                       .request_timeout = SLOW_TIMEOUT};
    return setup_cfg(state, &cfg);
}

static int teardown(void **state)
{
    server *s = *state;

    ev_async_send(s->loop, &s->stop);
    pthread_join(s->thread, NULL);
    ut_http_svr_free(s->svr);
    ev_loop_destroy(s->loop);
    free(s);
    return 0;
}

static int connect_to(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = 5};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        data += n;
        len -= (size_t)n;
    }
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

typedef struct reply {
    int status;
    char head[2048];
    char body[4096];
    size_t body_len;
} reply;

/* Reads one whole response (headers, then Content-Length bytes). Leftover
 * bytes of a following response stay in *carry. Returns 0, -1 on EOF. */
static int read_reply(int fd, reply *r, char *carry, size_t *carry_len)
{
    char buf[8192];
    size_t len = *carry_len;
    char *end;

    memcpy(buf, carry, len);
    memset(r, 0, sizeof(*r));
    while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
    }
    size_t hlen = (size_t)(end - buf) + 4;
    assert_true(hlen < sizeof(r->head));
    memcpy(r->head, buf, hlen);
    assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
    const char *cl = strstr(r->head, "Content-Length: ");
    assert_non_null(cl);
    r->body_len = strtoul(cl + 16, NULL, 10);
    assert_true(r->body_len < sizeof(r->body));
    while (len < hlen + r->body_len) {
        ssize_t n = recv(fd, buf + len, sizeof(buf) - len, 0);
        if (n <= 0)
            return -1;
        len += (size_t)n;
    }
    memcpy(r->body, buf + hlen, r->body_len);
    *carry_len = len - hlen - r->body_len;
    memcpy(carry, buf + hlen + r->body_len, *carry_len);
    return 0;
}

static json_t *body_json(const reply *r)
{
    json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
    assert_non_null(j);
    return j;
}

static void assert_field(json_t *j, const char *key, const char *want)
{
    json_t *v = json_object_get(j, key);
    assert_non_null(v);
    assert_string_equal(json_string_value(v), want);
}

/* The server closed the connection: recv sees EOF (or a reset). */
static void assert_closed(int fd)
{
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    assert_true(n <= 0);
}

static void test_get(void **state)
{
    server *s = *state;
    char carry[8192];
    size_t carry_len = 0;
    reply r;
    int fd = connect_to(s->port);

    send_str(fd, "GET /status?verbose=1&x=2 HTTP/1.1\r\nHost: x\r\nX-Test: hello\r\n\r\n");
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(r.head, "Connection: keep-alive\r\n"));
    json_t *j = body_json(&r);
    assert_field(j, "method", "GET");
    assert_field(j, "path", "/status");
    assert_field(j, "query", "verbose=1&x=2");
    assert_field(j, "body", "");
    assert_field(j, "xtest", "hello");
    assert_int_equal(json_integer_value(json_object_get(j, "headers")), 2);
    json_decref(j);
    close(fd);
}

static void test_post_and_text(void **state)
{
    server *s = *state;
    char carry[8192];
    size_t carry_len = 0;
    reply r;
    int fd = connect_to(s->port);

    send_str(fd, "POST /rpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Content-Length: 26\r\n\r\n{\"method\":\"ping\",\"id\":1}..");
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_field(j, "method", "POST");
    assert_field(j, "path", "/rpc");
    assert_field(j, "query", "");
    assert_field(j, "body", "{\"method\":\"ping\",\"id\":1}..");
    assert_field(j, "xtest", "(none)");
    json_decref(j);

    /* same connection: a text reply with a non-200 status */
    send_str(fd, "GET /text HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.head, "HTTP/1.1 404 Not Found\r\n"));
    assert_non_null(strstr(r.head, "Content-Type: text/plain\r\n"));
    assert_int_equal(r.body_len, 14);
    assert_memory_equal(r.body, "no such thing\n", 14);
    close(fd);
}

static void test_keep_alive_pipelined(void **state)
{
    server *s = *state;
    char carry[8192];
    size_t carry_len = 0;
    reply r;
    int fd = connect_to(s->port);

    send_str(fd, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                 "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                 "GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const char *paths[] = {"/one", "/two", "/three"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
        assert_int_equal(r.status, 200);
        json_t *j = body_json(&r);
        assert_field(j, "path", paths[i]);
        if (i == 1)
            assert_field(j, "body", "abc");
        json_decref(j);
    }
    assert_non_null(strstr(r.head, "Connection: close\r\n"));
    assert_int_equal(carry_len, 0);
    assert_closed(fd);
    close(fd);
}

static void test_body_in_pieces(void **state)
{
    server *s = *state;
    char carry[8192];
    size_t carry_len = 0;
    reply r;
    int fd = connect_to(s->port);

    send_str(fd, "POST /p HTTP/1.1\r\nHo");
    usleep(20000);
    send_str(fd, "st: x\r\nX-Te");
    usleep(20000);
    send_str(fd, "st: split\r\nContent-Length: 10\r\n\r\n01234");
    usleep(20000);
    send_str(fd, "56789");
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    json_t *j = body_json(&r);
    assert_field(j, "body", "0123456789");
    assert_field(j, "xtest", "split");
    json_decref(j);
    close(fd);
}

static void test_http10_closes(void **state)
{
    server *s = *state;
    char buf[1024];
    size_t len = 0;
    ssize_t n;
    int fd = connect_to(s->port);

    send_str(fd, "GET /old HTTP/1.0\r\n\r\n");
    while ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    assert_non_null(strstr(buf, "\"path\":\"/old\""));
    close(fd);
}

/* A reply far larger than the socket buffers, on a connection the client
 * asked to close: every byte arrives before the server closes. */
static void test_big_reply_then_close(void **state)
{
    server *s = *state;
    size_t cap = BIG_REPLY + 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    int fd = connect_to(s->port);

    send_str(fd, "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    usleep(300000);              /* let the server fill the socket and queue the rest */
    while ((n = recv(fd, buf + len, cap - len, 0)) > 0)
        len += (size_t)n;
    assert_int_equal(n, 0);      /* orderly close after the last byte */
    char *end = memmem(buf, len, "\r\n\r\n", 4);
    assert_non_null(end);
    size_t hlen = (size_t)(end - buf) + 4;
    assert_non_null(memmem(buf, hlen, "Content-Length: 8388608\r\n", 25));
    assert_int_equal(len - hlen, BIG_REPLY);
    for (size_t i = 0; i < BIG_REPLY; i += 4099)
        assert_int_equal(buf[hlen + i], (char)('a' + i % 26));
    assert_int_equal(buf[len - 1], (char)('a' + (BIG_REPLY - 1) % 26));
    free(buf);
    close(fd);
}

/* Sends req and expects status with Connection: close and the socket closed. */
static void expect_refusal(server *s, const char *req, int status)
{
    char carry[8192];
    size_t carry_len = 0;
    reply r;
    int fd = connect_to(s->port);

    send_str(fd, req);
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    assert_int_equal(r.status, status);
    assert_non_null(strstr(r.head, "Connection: close\r\n"));
    assert_closed(fd);
    close(fd);
}

static void test_too_large(void **state)
{
    /* Refused from the Content-Length alone, before any body byte. */
    expect_refusal(*state, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n",
                   413);
}

static void test_chunked_refused(void **state)
{
    expect_refusal(*state, "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nabc\r\n0\r\n\r\n", 411);
}

static void test_malformed(void **state)
{
    expect_refusal(*state, "THIS IS NOT HTTP\r\n\r\n", 400);
    expect_refusal(*state, "GET / HTTP/1.1\r\nBad Header Line\r\n\r\n", 400);
    expect_refusal(*state, "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400);
}

static void test_header_cap(void **state)
{
    size_t n = 20000;
    char *req = malloc(n + 100);

    strcpy(req, "GET / HTTP/1.1\r\nX-Big: ");
    size_t off = strlen(req);
    memset(req + off, 'a', n);
    strcpy(req + off + n, "\r\n\r\n");
    expect_refusal(*state, req, 431);
    free(req);
}

static void test_after_refusal_server_ok(void **state)
{
    server *s = *state;
    char carry[8192];
    size_t carry_len = 0;
    reply r;

    expect_refusal(s, "NOPE\r\n\r\n", 400);
    int fd = connect_to(s->port);
    send_str(fd, "GET /fine HTTP/1.1\r\nHost: x\r\nEmpty:\r\nX-Test: v\r\n\r\n");
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    assert_field(j, "xtest", "v");
    assert_int_equal(json_integer_value(json_object_get(j, "headers")), 3);
    json_decref(j);
    close(fd);
}


static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Occurrences of needle in the log file so far. */
static int log_count(const char *needle)
{
    FILE *f = fopen(log_path, "r");
    char line[4096];
    int n = 0;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

/* GET /queued on a new connection: the server's queued bytes and the
 * /metrics calls so far, and how long the answer took. */
static void ask_queued(server *s, long long *queued, int *metrics, double *took)
{
    char carry[8192];
    size_t carry_len = 0;
    reply r;
    double t0 = now_s();
    int fd = connect_to(s->port);

    send_str(fd, "GET /queued HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    *took = now_s() - t0;
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r);
    *queued = json_integer_value(json_object_get(j, "queued"));
    *metrics = (int)json_integer_value(json_object_get(j, "metrics"));
    json_decref(j);
    close(fd);
}

typedef struct sender {
    int fd;
    const char *data;
    size_t len;
} sender;

static void *send_thread(void *arg)
{
    sender *sd = arg;
    send_all(sd->fd, sd->data, sd->len);
    return NULL;
}

/* 10,000 pipelined GET /metrics (4,000-byte replies, 40 MB in all) from a
 * client that does not read: the server answers what the kernel buffers
 * take plus max_pending, then stops reading that socket; its queued bytes
 * stay under max_pending + one reply + one read held, another client is
 * answered at once, and once the client reads, all 10,000 replies arrive
 * in order. */
static void test_pipelined_flood_bounded(void **state)
{
    server *s = *state;
    static const char one[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    size_t one_len = sizeof(one) - 1, total = one_len * PIPELINED;
    char *reqs = malloc(total);
    for (int i = 0; i < PIPELINED; i++)
        memcpy(reqs + (size_t)i * one_len, one, one_len);
    int fd = connect_to(s->port);
    sender sd = {.fd = fd, .data = reqs, .len = total};
    pthread_t th;
    pthread_create(&th, NULL, send_thread, &sd);

    long long queued;
    int m1, m2;
    double took;
    usleep(500000);
    ask_queued(s, &queued, &m1, &took);
    usleep(300000);
    ask_queued(s, &queued, &m2, &took);
    printf("# flood: %d of %d answered while not reading, %lld bytes queued, other client "
           "answered in %.1f ms\n", m2, PIPELINED, queued, took * 1e3);
    assert_true(m2 > 0);
    assert_true(m2 < PIPELINED / 2);             /* 40 MB never fit in socket buffers */
    assert_int_equal(m1, m2);                    /* paused: nothing more is answered */
    assert_true(queued <= 256 * 1024 + METRICS_REPLY + 200 + 64 * 1024);
    assert_true(took < 1.0);

    /* now read: every reply arrives, in order, intact */
    char carry[8192];
    size_t carry_len = 0;
    reply r;
    for (int i = 0; i < PIPELINED; i++) {
        assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, METRICS_REPLY);
        assert_int_equal(r.body[0], 'm');
        assert_int_equal(r.body[METRICS_REPLY - 1], 'm');
    }
    pthread_join(th, NULL);
    assert_int_equal(carry_len, 0);
    assert_int_equal(atomic_load(&s->metrics_calls), PIPELINED);
    close(fd);
    free(reqs);
}

/* SESSION_CAP connections are served; the next ones are closed at accept
 * with one WARN line per 10 s; once one leaves, a new one is served. */
static void test_session_cap(void **state)
{
    server *s = *state;
    char carry[8192];
    size_t carry_len;
    reply r;
    int fds[SESSION_CAP];
    int before = log_count("session limit 4 reached");

    for (int i = 0; i < SESSION_CAP; i++) {
        fds[i] = connect_to(s->port);
        send_str(fds[i], "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
        carry_len = 0;
        assert_int_equal(read_reply(fds[i], &r, carry, &carry_len), 0);
        assert_int_equal(r.status, 200);
    }
    for (int k = 0; k < 3; k++) {
        int fd = connect_to(s->port);
        assert_closed(fd);
        close(fd);
    }
    assert_int_equal(log_count("session limit 4 reached"), before + 1);
    assert_int_equal(log_count("session limit 4 reached: refused 1 connection(s) since the "
                               "last such line, the latest from 127.0.0.1:"), before + 1);
    close(fds[0]);
    usleep(100000);
    int fd = connect_to(s->port);
    send_str(fd, "GET /y HTTP/1.1\r\nHost: x\r\n\r\n");
    carry_len = 0;
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    assert_int_equal(r.status, 200);
    close(fd);
    for (int i = 1; i < SESSION_CAP; i++)
        close(fds[i]);
}

/* Reads until EOF; returns the bytes and the seconds it took. */
static size_t read_to_eof(int fd, char *buf, size_t cap, double *took)
{
    double t0 = now_s();
    size_t len = 0;
    ssize_t n;

    while (len < cap - 1 && (n = recv(fd, buf + len, cap - 1 - len, 0)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    *took = now_s() - t0;
    return len;
}

/* Slowloris: a header byte every 100 ms never completes the request; it
 * is answered 408 and closed after request_timeout, not kept alive by its
 * trickle. */
static void test_slow_request_closed(void **state)
{
    server *s = *state;
    char buf[1024];
    double took;
    int fd = connect_to(s->port);
    double t0 = now_s();

    send_str(fd, "GET /slow HTTP/1.1\r\n");
    for (int i = 0; i < 30 && now_s() - t0 < SLOW_TIMEOUT + 0.5; i++) {
        if (send(fd, "X", 1, MSG_NOSIGNAL) != 1)
            break;
        usleep(100000);
    }
    read_to_eof(fd, buf, sizeof(buf), &took);
    took = now_s() - t0;
    assert_non_null(strstr(buf, "HTTP/1.1 408 Request Timeout\r\n"));
    assert_non_null(strstr(buf, "Connection: close\r\n"));
    assert_true(took >= SLOW_TIMEOUT - 0.05 && took < SLOW_TIMEOUT + 1.0);
    assert_true(log_count("not complete after 0.4 s, closing") >= 1);
    close(fd);
}

/* A connection that sends nothing has request_timeout for its first
 * request; between keep-alive requests the deadline is off. */
static void test_silent_connection_closed(void **state)
{
    server *s = *state;
    char buf[1024];
    double took;
    int fd = connect_to(s->port);

    read_to_eof(fd, buf, sizeof(buf), &took);
    assert_non_null(strstr(buf, "HTTP/1.1 408 "));
    assert_true(took >= SLOW_TIMEOUT - 0.05 && took < SLOW_TIMEOUT + 1.0);
    close(fd);

    char carry[8192];
    size_t carry_len = 0;
    reply r;
    fd = connect_to(s->port);
    send_str(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    usleep((useconds_t)(SLOW_TIMEOUT * 2 * 1e6));   /* idle, not in a request */
    send_str(fd, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);
    assert_int_equal(r.status, 200);
    close(fd);
}

/* Caps on the request head: a long URL is 414, too many headers 431. */
static void test_head_caps(void **state)
{
    size_t n = 9000;
    char *req = malloc(n + 100);

    strcpy(req, "GET /");
    memset(req + 5, 'u', n);
    strcpy(req + 5 + n, " HTTP/1.1\r\n\r\n");
    expect_refusal(*state, req, 414);
    free(req);

    char many[4096];
    size_t off = (size_t)sprintf(many, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 33; i++)
        off += (size_t)sprintf(many + off, "X-H%d: v\r\n", i);
    strcpy(many + off, "\r\n");
    expect_refusal(*state, many, 431);
}

/* HEAD: the reply says the body's length and carries no body. */
static void test_head_method(void **state)
{
    server *s = *state;
    char carry[8192];
    size_t carry_len = 0;
    reply r;
    int fd = connect_to(s->port);

    send_str(fd, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    char buf[512];
    size_t len = 0;
    while (!memmem(buf, len, "\r\n\r\n", 4)) {
        ssize_t k = recv(fd, buf + len, sizeof(buf) - len, 0);
        assert_true(k > 0);
        len += (size_t)k;
    }
    assert_non_null(memmem(buf, len, "Content-Length: 4000\r\n", 22));
    char *end = memmem(buf, len, "\r\n\r\n", 4);
    carry_len = len - (size_t)(end + 4 - buf);
    memcpy(carry, end + 4, carry_len);
    assert_int_equal(read_reply(fd, &r, carry, &carry_len), 0);   /* next is a reply head */
    json_t *j = body_json(&r);
    assert_field(j, "path", "/after");
    json_decref(j);
    close(fd);
}

int main(void)
{
    int lfd = mkstemp(log_path);
    if (lfd < 0)
        return 1;
    close(lfd);
    ut_log_cfg lc = {.path = log_path, .level = UT_LOG_INFO};
    ut_log_init(&lc);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_and_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive_pipelined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_body_in_pieces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http10_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_reply_then_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunked_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_after_refusal_server_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_head_method, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_flood_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_cap, setup_limits, teardown),
        cmocka_unit_test_setup_teardown(test_slow_request_closed, setup_limits, teardown),
        cmocka_unit_test_setup_teardown(test_silent_connection_closed, setup_limits, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ut_log_close();
    unlink(log_path);
    return rc;
}
