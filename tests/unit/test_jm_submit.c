/* test_jm_submit: the found-block submit state machine (jm_submit over
 * jm_node and the nw_job pool) against a fake node: a thread in this test
 * that answers JSON-RPC over HTTP on loopback, slowly when asked to.
 * Checks: one submitblock per block even when the node is slower than the
 * retry delay, retries while the node refuses connections, the node's
 * rejection reason, and giving up after the last attempt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "jobmaster/jm_submit.h"
#include "network/nw_timer.h"

#define HASH "00000000000000000000000000000000000000000000000000000000000000aa"

/* ---- the fake node ---- */

typedef struct fake_node {
    int fd;
    int port;
    int submit_delay_ms;
    const char *submit_result;      /* JSON text of submitblock's result */
    atomic_int submits;
    atomic_int bests;
    atomic_bool stop;
    pthread_t thread;
} fake_node;

static void fake_reply(int c, const char *result)
{
    char body[256], resp[512];
    snprintf(body, sizeof(body), "{\"result\":%s,\"error\":null,\"id\":1}", result);
    snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(body), body);
    ssize_t n = write(c, resp, strlen(resp));
    (void)n;
}

/* Reads one request (headers and Content-Length bytes of body). */
static void fake_read_request(int c, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (;;) {
        ssize_t n = read(c, buf + len, cap - 1 - len);
        if (n <= 0)
            return;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        char *cl = strcasestr(buf, "Content-Length:");
        if (end && cl && len >= (size_t)(end + 4 - buf) + (size_t)atoi(cl + 15))
            return;
        if (len + 1 >= cap)
            return;
    }
}

static void fake_serve(fake_node *f, int c)
{
    char buf[8192];
    fake_read_request(c, buf, sizeof(buf));
    if (strstr(buf, "\"submitblock\"")) {
        atomic_fetch_add(&f->submits, 1);
        usleep((useconds_t)f->submit_delay_ms * 1000);
        fake_reply(c, f->submit_result);
    } else if (strstr(buf, "\"getbestblockhash\"")) {
        atomic_fetch_add(&f->bests, 1);
        fake_reply(c, "\"" HASH "\"");
    } else {
        fake_reply(c, "null");
    }
}

static void *fake_main(void *arg)
{
    fake_node *f = arg;
    while (!atomic_load(&f->stop)) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        if (!atomic_load(&f->stop))
            fake_serve(f, c);
        close(c);
    }
    return NULL;
}

/* Binds a port; the node listens (and serves) only after fake_listen. */
static void fake_bind(fake_node *f)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->fd >= 0);
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &alen), 0);
    f->port = ntohs(a.sin_port);
}

static void fake_listen(fake_node *f)
{
    assert_int_equal(listen(f->fd, 16), 0);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

/* Wakes accept() with a last connection and joins the thread. */
static void fake_stop(fake_node *f, bool listening)
{
    atomic_store(&f->stop, true);
    if (listening) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)f->port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
        close(c);
        pthread_join(f->thread, NULL);
    }
    close(f->fd);
}

/* ---- the loop side ---- */

typedef struct outcome {
    int calls;
    jm_found_verdict v;
    struct ev_loop *loop;
} outcome;

static void on_verdict(const jm_found_verdict *v, void *arg)
{
    outcome *o = arg;
    o->calls++;
    o->v = *v;
    ev_break(o->loop, EVBREAK_ALL);
}

static void on_safety(nw_timer *t, void *privdata)
{
    fail_msg("no verdict within 10 s");
}

static void on_open(nw_timer *t, void *privdata)
{
    fake_listen(privdata);
}

/* Submits one block to the fake node and runs the loop until the verdict.
 * open_after > 0: the node starts listening only that many seconds later. */
static outcome run_submit(fake_node *f, int attempts, double retry_delay, double open_after)
{
    static const uint8_t raw[] = {0x01, 0x02, 0x03};
    outcome o = { .loop = ev_loop_new(0) };
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", f->port);
    ut_node_url nu = { .url = url, .user = "x", .password = "p" };
    ut_node_cfg cfg = { .nodes = &nu, .count = 1, .timeout = 5, .connect_timeout = 1 };
    jm_node *node = jm_node_create(o.loop, &cfg, 2);
    jm_submit *s = jm_submit_create(o.loop, node, attempts, retry_delay, 20);
    nw_timer safety, opener;
    memset(&safety, 0, sizeof(safety));   /* nw_timer_set looks at t->loop */
    memset(&opener, 0, sizeof(opener));
    nw_timer_set(&safety, o.loop, 10, false, on_safety, NULL);
    if (open_after > 0)
        nw_timer_set(&opener, o.loop, open_after, false, on_open, f);
    else
        fake_listen(f);
    assert_int_equal(jm_submit_block(s, HASH, 451, raw, sizeof(raw), on_verdict, &o), 0);
    if (o.calls == 0)
        ev_run(o.loop, 0);
    nw_timer_stop(&safety);
    if (open_after > 0)
        nw_timer_stop(&opener);
    jm_node_free(node);
    jm_submit_free(s);
    ev_loop_destroy(o.loop);
    return o;
}

static void test_slow_node_single_submit(void **state)
{
    fake_node f = { .submit_delay_ms = 800, .submit_result = "null" };
    fake_bind(&f);
    outcome o = run_submit(&f, 5, 0.1, 0);      /* node 8x slower than the retry delay */
    fake_stop(&f, true);
    assert_int_equal(o.calls, 1);
    assert_int_equal(atomic_load(&f.submits), 1);
    assert_int_equal(atomic_load(&f.bests), 1);
    assert_true(o.v.accepted);
    assert_true(o.v.is_tip);
    assert_string_equal(o.v.hash, HASH);
    assert_int_equal(o.v.height, 451);
}

static void test_retry_until_node_listens(void **state)
{
    fake_node f = { .submit_result = "null" };
    fake_bind(&f);
    outcome o = run_submit(&f, 50, 0.1, 0.5);
    fake_stop(&f, true);
    assert_int_equal(o.calls, 1);
    assert_int_equal(atomic_load(&f.submits), 1);
    assert_true(o.v.accepted);
}

static void test_node_rejects(void **state)
{
    fake_node f = { .submit_result = "\"rejected: bad-txnmrklroot\"" };
    fake_bind(&f);
    outcome o = run_submit(&f, 5, 0.1, 0);
    fake_stop(&f, true);
    assert_int_equal(o.calls, 1);
    assert_false(o.v.accepted);
    assert_true(o.v.is_tip);          /* the fake's tip is HASH: a rejection still wins */
    assert_string_equal(o.v.reason, "rejected: bad-txnmrklroot");
}

static void test_gives_up(void **state)
{
    fake_node f = { .submit_result = "null" };
    fake_bind(&f);
    outcome o = run_submit(&f, 3, 0.05, 30);    /* never listens during the test */
    fake_stop(&f, false);
    assert_int_equal(o.calls, 1);
    assert_false(o.v.accepted);
    assert_non_null(strstr(o.v.reason, "node unreachable"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_node_single_submit),
        cmocka_unit_test(test_retry_until_node_listens),
        cmocka_unit_test(test_node_rejects),
        cmocka_unit_test(test_gives_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
