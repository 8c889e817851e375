/* test_ut_alert: the alert datagram (exact bytes, the cut of a long line,
 * escapes, the parser's refusals), the "alert" config section, and the
 * sender: a log_error reaches a UDP socket as one datagram with the
 * record's file:line key; the token bucket sends burst datagrams, counts
 * the rest and the next datagram says how many; a dead alertcenter costs
 * no time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "utils/ut_alert.h"
#include "utils/ut_log.h"
#include "cfg_testkit.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_format_exact(void **state)
{
    ut_alert_rec r = {.module = "gateway", .host = "pool1", .pid = 4242, .level = UT_LOG_FATAL,
                      .time = 1767323045.125, .key = "gw_server.c:120", .dropped = 3};
    char buf[UT_ALERT_DGRAM_MAX + 8], err[200];
    ut_alert_rec back;

    snprintf(r.line, sizeof(r.line), "a \"quoted\"\tline\\ caf\xc3\xa9");
    size_t n = ut_alert_format(buf, sizeof(buf), &r);
    const char *want = "{\"v\":1,\"module\":\"gateway\",\"host\":\"pool1\",\"pid\":4242,"
                       "\"level\":\"FATAL\",\"time\":1767323045.125,\"key\":\"gw_server.c:120\","
                       "\"dropped\":3,\"line\":\"a \\\"quoted\\\"\\u0009line\\\\ caf??\"}";
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
    assert_int_equal(ut_alert_parse(buf, n, &back, err, sizeof(err)), 0);
    assert_string_equal(back.module, "gateway");
    assert_string_equal(back.host, "pool1");
    assert_int_equal(back.pid, 4242);
    assert_int_equal(back.level, UT_LOG_FATAL);
    assert_true(back.time == 1767323045.125);
    assert_string_equal(back.key, "gw_server.c:120");
    assert_int_equal(back.dropped, 3);
    assert_string_equal(back.line, "a \"quoted\"\tline\\ caf??");
}

static void test_long_line_cut(void **state)
{
    ut_alert_rec r = {.module = "jobmaster", .host = "h", .pid = 1, .level = UT_LOG_ERROR,
                      .time = 1e9, .key = "jm_node.c:7"};
    char buf[UT_ALERT_DGRAM_MAX + 8], err[200];
    ut_alert_rec back;

    memset(r.line, '"', sizeof(r.line) - 1);      /* every byte escapes to two */
    size_t n = ut_alert_format(buf, sizeof(buf), &r);
    assert_true(n <= UT_ALERT_DGRAM_MAX);
    assert_true(n >= UT_ALERT_DGRAM_MAX - 2);
    assert_memory_equal(buf + n - 5, "...\"}", 5);
    assert_int_equal(ut_alert_parse(buf, n, &back, err, sizeof(err)), 0);
    assert_memory_equal(back.line + strlen(back.line) - 4, "\"...", 4);
}

static void expect_refused(const char *text, const char *needle)
{
    ut_alert_rec back;
    char err[200] = "";

    assert_int_equal(ut_alert_parse(text, strlen(text), &back, err, sizeof(err)), -1);
    if (!strstr(err, needle))
        fail_msg("'%s': error '%s' lacks '%s'", text, err, needle);
}

#define OK_TAIL "\"host\":\"h\",\"pid\":1,\"level\":\"ERROR\",\"time\":5,\"key\":\"k\",\"line\":\"x\"}"

static void test_parse_refusals(void **state)
{
    ut_alert_rec back;
    char err[200];
    const char *ok = "{\"v\":1,\"module\":\"m\"," OK_TAIL;

    assert_int_equal(ut_alert_parse(ok, strlen(ok), &back, err, sizeof(err)), 0);
    assert_int_equal(back.dropped, 0);                /* optional */
    expect_refused("[1]", "not a JSON object");
    expect_refused("{\"v\":1,", "not a JSON object");
    expect_refused("{\"v\":2,\"module\":\"m\"," OK_TAIL, "\"v\"");
    expect_refused("{\"v\":1," OK_TAIL, "\"module\"");
    expect_refused("{\"v\":1,\"module\":\"\"," OK_TAIL, "must not be empty");
    expect_refused("{\"v\":1,\"module\":\"m\",\"host\":\"h\",\"pid\":1,\"level\":\"BAD\","
                   "\"time\":5,\"key\":\"k\",\"line\":\"x\"}", "level");
    expect_refused("{\"v\":1,\"module\":\"m\",\"host\":\"h\",\"pid\":-1,\"level\":\"ERROR\","
                   "\"time\":5,\"key\":\"k\",\"line\":\"x\"}", "pid");
    expect_refused("{\"v\":1,\"module\":\"m\",\"host\":\"h\",\"pid\":1,\"level\":\"ERROR\","
                   "\"time\":0,\"key\":\"k\",\"line\":\"x\"}", "time");
    expect_refused("{\"v\":1,\"module\":\"m\",\"host\":\"h\",\"pid\":1,\"level\":\"ERROR\","
                   "\"time\":5,\"key\":\"k\",\"line\":\"x\",\"dropped\":-2}", "dropped");
    expect_refused("{\"v\":1,\"module\":\"m\\u0000x\"," OK_TAIL, "not allowed");
    expect_refused("{\"v\":1,\"module\":\"0123456789012345678901234567890123456789\","
                   OK_TAIL, "module");
    expect_refused("{\"v\":1,\"module\":\"j\u0492m\"," OK_TAIL, "printable ASCII");
}

/* ---- the config section ---- */

static int alert_parse(ut_cfg *c, void *out)
{
    return ut_cfg_alert(c, out);
}

static int alert_load(const char *path, char *err, size_t errlen)
{
    ut_alert_cfg a;
    int rc = ut_cfg_read(path, alert_parse, &a, err, errlen);
    ut_alert_cfg_free(&a);
    return rc;
}

static void test_config(void **state)
{
    ut_alert_cfg a;
    char err[600];
    const char *path = cfgk_write("alertcfg", "{\"alert\": {\"addr\": [\"udp@127.0.0.1:7700\", "
                                  "\"udp@[::1]:7700\"], \"rate\": 5}}");

    assert_int_equal(ut_cfg_read(path, alert_parse, &a, err, sizeof(err)), 0);
    unlink(path);
    assert_int_equal(a.n, 2);
    assert_string_equal(a.addr[1], "udp@[::1]:7700");
    assert_true(a.rate == 5 && a.burst == 100);
    ut_alert_cfg_free(&a);
    path = cfgk_write("alertcfg", "{}");
    assert_int_equal(ut_cfg_read(path, alert_parse, &a, err, sizeof(err)), 0);
    unlink(path);
    assert_int_equal(a.n, 0);
    assert_null(a.addr);
    cfgk_expect_error(alert_load, "alertcfg", "{\"alert\": {\"addr\": [\"tcp@127.0.0.1:7700\"]}}",
                      "key 'alert.addr'", "udp@127.0.0.1:7700", NULL);
    cfgk_expect_error(alert_load, "alertcfg", "{\"alert\": {}}", "key 'alert.addr'", "missing",
                      NULL);
}

/* ---- the sender ---- */

static int bound_socket(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* The next datagram within 2 s, parsed; -1 when none came. */
static int recv_alert(int fd, ut_alert_rec *out, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char buf[UT_ALERT_DGRAM_MAX + 1], err[200];

    if (poll(&p, 1, timeout_ms) != 1)
        return -1;
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    assert_true(n > 0);
    if (ut_alert_parse(buf, (size_t)n, out, err, sizeof(err)) != 0)
        fail_msg("unparsable datagram: %s", err);
    return 0;
}

static void start_sender(int port, double rate, double burst)
{
    char addr[64], *list[2] = {addr, NULL};
    snprintf(addr, sizeof(addr), "udp@127.0.0.1:%d", port);
    ut_alert_cfg cfg = {.addr = list, .n = 1, .rate = rate, .burst = burst};
    assert_int_equal(ut_alert_start("testmod", &cfg), 0);
}

static void test_log_hook(void **state)
{
    ut_log_cfg lc = {.path = "/dev/null", .level = UT_LOG_INFO};
    ut_alert_rec r;
    char host[64];
    int port, fd = bound_socket(&port);

    assert_int_equal(ut_log_init(&lc), 0);
    start_sender(port, 100, 100);
    log_warn("a warning is no alert");
    int line = __LINE__ + 1;
    log_error("worker %d lost its node: %s", 3, "connection refused");
    assert_int_equal(recv_alert(fd, &r, 2000), 0);
    assert_string_equal(r.module, "testmod");
    gethostname(host, sizeof(host));
    host[sizeof(host) - 1] = '\0';
    assert_string_equal(r.host, host);
    assert_int_equal(r.pid, getpid());
    assert_int_equal(r.level, UT_LOG_ERROR);
    char key[64];
    snprintf(key, sizeof(key), "test_ut_alert.c:%d", line);
    assert_string_equal(r.key, key);
    assert_non_null(strstr(r.line, " ERROR test_ut_alert.c:"));
    assert_non_null(strstr(r.line, "worker 3 lost its node: connection refused"));
    assert_true(r.time > 1.7e9);
    log_fatal("the end");
    assert_int_equal(recv_alert(fd, &r, 2000), 0);
    assert_int_equal(r.level, UT_LOG_FATAL);
    assert_int_equal(recv_alert(fd, &r, 100), -1);    /* the warning sent nothing */
    ut_alert_stop();
    log_error("after stop");
    assert_int_equal(recv_alert(fd, &r, 100), -1);
    ut_log_close();
    close(fd);
}

static void test_rate_limit(void **state)
{
    ut_alert_stats s0, s1;
    ut_alert_rec r;
    int port, fd = bound_socket(&port);

    ut_alert_stats_get(&s0);
    start_sender(port, 2, 3);             /* 3 at once, then 2 a second */
    int sent = 0;
    for (int i = 0; i < 10; i++)
        sent += ut_alert_send(UT_LOG_FATAL, "x.c", 1, "storm");
    assert_int_equal(sent, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(recv_alert(fd, &r, 2000), 0);
        assert_int_equal(r.dropped, 0);
    }
    assert_int_equal(recv_alert(fd, &r, 100), -1);
    ut_alert_stats_get(&s1);
    assert_int_equal(s1.sent - s0.sent, 3);
    assert_int_equal(s1.limited - s0.limited, 7);
    usleep(600 * 1000);                   /* one token back */
    assert_true(ut_alert_send(UT_LOG_FATAL, "x.c", 1, "after"));
    assert_int_equal(recv_alert(fd, &r, 2000), 0);
    assert_int_equal(r.dropped, 7);       /* the storm's left-outs, said once */
    assert_string_equal(r.key, "x.c:1");
    ut_alert_stop();
    close(fd);
}

/* No alertcenter on the port: 100,000 alerts cost no waiting. */
static void test_dead_alertcenter(void **state)
{
    int port, fd = bound_socket(&port);
    close(fd);                            /* nobody listens there now */
    start_sender(port, 1e6, 1e6);
    double t0 = mono();
    for (int i = 0; i < 100000; i++)
        ut_alert_send(UT_LOG_ERROR, "y.c", 2, "nobody hears this");
    double dt = mono() - t0;
    ut_alert_stop();
    print_message("100000 alerts to a dead port: %.3f s\n", dt);
    assert_true(dt < 5.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_long_line_cut),
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_log_hook),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_dead_alertcenter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
