/* Tests of ut_status over real loopback sockets, on one thread: the test
 * sends raw HTTP requests and runs the server's loop until the reply came. GET /status and GET /metrics
 * answer the callbacks' documents, a failed metrics page is a 500, other
 * paths 404, other methods 405; a port in use gives NULL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "utils/ut_status.h"
#include "utils/ut_version.h"

typedef struct server {
    struct ev_loop *loop;
    ut_status *status;
    int port;
    int status_calls;
    int metrics_calls;
    int metrics_fail;          /* metrics returns NULL */
    int status_nan;            /* status packs a NaN, which jansson refuses */
    int status_anon;           /* status has no "module" */
} server;

static json_t *status_cb(void *arg)
{
    server *s = arg;
    s->status_calls++;
    if (s->status_anon)
        return json_pack("{s:i}", "calls", s->status_calls);
    if (s->status_nan)
        return json_pack("{s:s, s:f}", "module", "test", "rate", NAN);
    return json_pack("{s:s, s:i}", "module", "test", "calls", s->status_calls);
}

static char *metrics_cb(void *arg)
{
    server *s = arg;
    s->metrics_calls++;
    if (s->metrics_fail)
        return NULL;
    return strdup("# HELP test_requests_total Requests.\n# TYPE test_requests_total counter\n"
                  "test_requests_total 5\n");
}

static int setup(void **state)
{
    server *s = calloc(1, sizeof(*s));

    s->loop = ev_loop_new(EVFLAG_AUTO);
    s->status = ut_status_start(s->loop, "tcp@127.0.0.1:0", NULL, status_cb, metrics_cb, s);
    if (!s->status)
        return -1;
    s->port = ut_status_port(s->status);
    *state = s;
    return s->port > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    server *s = *state;

    ut_status_free(s->status);
    ev_loop_destroy(s->loop);
    free(s);
    return 0;
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
    *(bool *)w->data = true;
}

static void on_late(struct ev_loop *loop, ev_timer *w, int revents)
{
    *(bool *)w->data = true;
}

/* Runs the server's loop (this thread) until fd has bytes or EOF to read.
 * Returns false after 5 seconds without. */
static bool wait_readable(server *s, int fd)
{
    bool ready = false, late = false;
    ev_io io;
    ev_timer t;

    ev_io_init(&io, on_readable, fd, EV_READ);
    io.data = &ready;
    ev_timer_init(&t, on_late, 5.0, 0.);
    t.data = &late;
    ev_io_start(s->loop, &io);
    ev_timer_start(s->loop, &t);
    while (!ready && !late)
        ev_run(s->loop, EVRUN_ONCE);
    ev_io_stop(s->loop, &io);
    ev_timer_stop(s->loop, &t);
    return ready;
}

typedef struct reply {
    int status;
    char head[2048];
    char body[2048];
} reply;

/* True once buf holds the headers and Content-Length bytes of body. */
static bool reply_complete(const char *buf, size_t len)
{
    const char *end = strstr(buf, "\r\n\r\n");
    const char *cl = strcasestr(buf, "Content-Length: ");

    return end && cl && len >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10);
}

/* Sends one request on a new connection and reads the whole reply, the
 * server answering from the same loop in between. */
static void request(server *s, const char *text, reply *r)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
    char buf[4096];
    size_t len = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
    buf[0] = '\0';
    while (!reply_complete(buf, len)) {
        assert_true(wait_readable(s, fd));
        ssize_t n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
        assert_true(n > 0);
        len += (size_t)n;
        buf[len] = '\0';
    }
    close(fd);
    memset(r, 0, sizeof(*r));
    const char *end = strstr(buf, "\r\n\r\n") + 4;
    memcpy(r->head, buf, (size_t)(end - buf));
    snprintf(r->body, sizeof(r->body), "%s", end);
    assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
}

static void test_status_page(void **state)
{
    server *s = *state;
    reply r;

    request(s, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strcasestr(r.head, "Content-Type: application/json"));
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "module")), "test");
    assert_int_equal(json_integer_value(json_object_get(j, "calls")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "version")), HF_VERSION);
    assert_int_equal(json_integer_value(json_object_get(j, "pid")), getpid());
    assert_true(json_is_integer(json_object_get(j, "uptime")));
    assert_in_range(json_integer_value(json_object_get(j, "uptime")), 0, 1);
    json_decref(j);
}

/* A module without its own identity gets the program's name, renamed by
 * ut_status_set_module to a metric-safe one. */
static void test_status_module_name(void **state)
{
    server *s = *state;
    reply r;

    s->status_anon = 1;
    request(s, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "module")), "test_ut_status");
    json_decref(j);
    ut_status_set_module(s->status, "Stats-API");
    request(s, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    j = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "module")), "stats_api");
    json_decref(j);
    request(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_non_null(strstr(r.body, "\nhf_build_info{module=\"stats_api\",version=\""));
    assert_non_null(strstr(r.body, "\nhf_stats_api_uptime_seconds "));
}

/* A /status body that cannot be built (a NaN in it: jansson refuses it)
 * is a 500 with a JSON error, never an empty or non-JSON 200. */
static void test_status_not_finite(void **state)
{
    server *s = *state;
    reply r;

    s->status_nan = 1;
    request(s, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_int_equal(r.status, 500);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_non_null(json_string_value(json_object_get(j, "error")));
    json_decref(j);
}

static void test_metrics_page(void **state)
{
    server *s = *state;
    reply r;

    request(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strcasestr(r.head, "Content-Type: text/plain; version=0.0.4"));
    /* the module's families, then the build and uptime every page has
     * (a fresh server: uptime 0 or 1 s) */
    const char *head = "# HELP test_requests_total Requests.\n"
                       "# TYPE test_requests_total counter\n"
                       "test_requests_total 5\n"
                       "# HELP hf_build_info Always 1; the labels name the module and its "
                       "version.\n"
                       "# TYPE hf_build_info gauge\n"
                       "hf_build_info{module=\"test_ut_status\",version=\"" HF_VERSION "\"} 1\n"
                       "# HELP hf_test_ut_status_uptime_seconds Seconds since the process "
                       "started.\n"
                       "# TYPE hf_test_ut_status_uptime_seconds gauge\n"
                       "hf_test_ut_status_uptime_seconds ";
    const char *alerts = "# HELP hf_test_ut_status_alerts_total ERROR/FATAL log lines for "
                         "alertcenter, by what became of them.\n"
                         "# TYPE hf_test_ut_status_alerts_total counter\n"
                         "hf_test_ut_status_alerts_total{result=\"sent\"} 0\n"
                         "hf_test_ut_status_alerts_total{result=\"limited\"} 0\n"
                         "hf_test_ut_status_alerts_total{result=\"failed\"} 0\n";
    const char *up = r.body + strlen(head);
    assert_memory_equal(r.body, head, strlen(head));
    assert_true(strncmp(up, "0\n", 2) == 0 || strncmp(up, "1\n", 2) == 0);
    assert_string_equal(up + 2, alerts);   /* no alert sender here: all zero */
    assert_int_equal(s->metrics_calls, 1);

    s->metrics_fail = 1;
    request(s, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "out of memory\n");
}

static void test_refusals(void **state)
{
    server *s = *state;
    reply r;

    request(s, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    request(s, "POST /status HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", &r);
    assert_int_equal(r.status, 405);
    assert_int_equal(s->status_calls, 0);
    assert_int_equal(s->metrics_calls, 0);
}

static void test_port_in_use(void **state)
{
    server *s = *state;
    char bind[64];
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

    snprintf(bind, sizeof(bind), "tcp@127.0.0.1:%d", s->port);
    assert_null(ut_status_start(loop, bind, NULL, status_cb, metrics_cb, s));
    assert_null(ut_status_start(loop, "not an address", NULL, status_cb, metrics_cb, s));
    ut_status_free(NULL);
    ev_loop_destroy(loop);
}

/* http.allow: a peer not in the list is closed before any byte of reply;
 * one in it is served. */
static void test_allow(void **state)
{
    server *s = *state;
    static const char *const others[] = {"10.9.8.7", NULL};
    static const char *const local[] = {"10.9.8.7", "127.0.0.1", NULL};
    const char *get = "GET /status HTTP/1.1\r\nHost: x\r\n\r\n";
    struct sockaddr_in a = {.sin_family = AF_INET};
    char buf[64];
    reply r;

    ut_status_free(s->status);
    s->status = ut_status_start(s->loop, "tcp@127.0.0.1:0", others, status_cb, metrics_cb, s);
    assert_non_null(s->status);
    s->port = ut_status_port(s->status);
    a.sin_port = htons((uint16_t)s->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    send(fd, get, strlen(get), MSG_NOSIGNAL);
    assert_true(wait_readable(s, fd));
    assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0);    /* EOF or reset */
    close(fd);
    assert_int_equal(s->status_calls, 0);

    ut_status_free(s->status);
    s->status = ut_status_start(s->loop, "tcp@127.0.0.1:0", local, status_cb, metrics_cb, s);
    assert_non_null(s->status);
    s->port = ut_status_port(s->status);
    request(s, get, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(s->status_calls, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_not_finite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_module_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allow, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
