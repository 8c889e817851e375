/* test_jm_submit: the found-block submit state machine (jm_submit over
 * jm_node and its nw_job pools) against a fake node: threads in this test
 * that answer JSON-RPC over HTTP on loopback, slowly when asked to.
 * Checks: one submitblock per block even when the node is slower than the
 * retry delay, retries while the node refuses connections or answers
 * HTTP 503 (transport errors), no retry after the node's error object or
 * rejection string (final), giving up after the last attempt, and a block
 * that goes through at once while slow template polls fill the routine
 * lane past its limit; with several nodes: every node gets the block at
 * once (not failover), the first acceptance is the verdict, and each
 * node's outcome is counted. */
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
    const char *submit_error;       /* JSON text of an error object: HTTP 500 with it */
    int submit_fail_first;          /* the first this many submits get HTTP 503 */
    int gbt_delay_ms;
    atomic_int submits;
    atomic_int bests;
    atomic_int active;              /* connections being served */
    atomic_bool stop;
    pthread_t thread;
} fake_node;

static void fake_send(int c, const char *status, const char *body)
{
    char resp[512];
    snprintf(resp, sizeof(resp), "HTTP/1.1 %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", status, strlen(body),
             body);
    ssize_t n = write(c, resp, strlen(resp));
    (void)n;
}

static void fake_reply(int c, const char *result)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"result\":%s,\"error\":null,\"id\":1}", result);
    fake_send(c, "200 OK", body);
}

static void fake_submit(fake_node *f, int c)
{
    int n = atomic_fetch_add(&f->submits, 1);
    char body[256];
    usleep((useconds_t)f->submit_delay_ms * 1000);
    if (n < f->submit_fail_first) {
        fake_send(c, "503 Service Unavailable", "");
    } else if (f->submit_error) {
        snprintf(body, sizeof(body), "{\"result\":null,\"error\":%s,\"id\":1}",
                 f->submit_error);
        fake_send(c, "500 Internal Server Error", body);
    } else {
        fake_reply(c, f->submit_result);
    }
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
        fake_submit(f, c);
    } else if (strstr(buf, "\"getblocktemplate\"")) {
        usleep((useconds_t)f->gbt_delay_ms * 1000);
        fake_reply(c, "{}");
    } else if (strstr(buf, "\"getbestblockhash\"")) {
        atomic_fetch_add(&f->bests, 1);
        fake_reply(c, "\"" HASH "\"");
    } else {
        fake_reply(c, "null");
    }
}

typedef struct fake_conn {
    fake_node *f;
    int c;
} fake_conn;

static void *fake_conn_main(void *arg)
{
    fake_conn *fc = arg;
    fake_serve(fc->f, fc->c);
    close(fc->c);
    atomic_fetch_sub(&fc->f->active, 1);
    free(fc);
    return NULL;
}

/* One thread per connection, so a slow call does not hold up the others
 * (a real node serves several RPC calls at once). */
static void *fake_main(void *arg)
{
    fake_node *f = arg;
    while (!atomic_load(&f->stop)) {
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            continue;
        fake_conn *fc = malloc(sizeof(*fc));
        pthread_t t;
        if (atomic_load(&f->stop) || !fc) {
            free(fc);
            close(c);
            continue;
        }
        fc->f = f;
        fc->c = c;
        atomic_fetch_add(&f->active, 1);
        if (pthread_create(&t, NULL, fake_conn_main, fc) != 0) {
            atomic_fetch_sub(&f->active, 1);
            free(fc);
            close(c);
            continue;
        }
        pthread_detach(t);
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
    for (int i = 0; i < 10000 && atomic_load(&f->active) > 0; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&f->active), 0);
    close(f->fd);
}

/* ---- the loop side ---- */

typedef struct outcome {
    int calls;
    jm_found_verdict v;
    struct ev_loop *loop;
    double submitted;               /* ev_time() at jm_submit_block */
    double took;                    /* seconds from there to the verdict */
    int refused;                    /* routine calls the full queue refused */
    int routine_done;
} outcome;

static void on_verdict(const jm_found_verdict *v, void *arg)
{
    outcome *o = arg;
    o->calls++;
    o->v = *v;
    o->took = ev_time() - o->submitted;
    ev_break(o->loop, EVBREAK_ALL);
}

static void on_routine(json_t *result, const char *err, void *arg)
{
    ((outcome *)arg)->routine_done++;
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
 * open_after > 0: the node starts listening only that many seconds later.
 * busy: routine getblocktemplate calls queued just before the block. */
static outcome run_submit(fake_node *f, int attempts, double retry_delay, double open_after,
                          int busy)
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
    for (int i = 0; i < busy; i++) {
        json_t *params = json_pack("[{s:[s]}]", "rules", "segwit");
        if (jm_node_call(node, "getblocktemplate", params, on_routine, &o) < 0)
            o.refused++;
    }
    o.submitted = ev_time();
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
    outcome o = run_submit(&f, 5, 0.1, 0, 0);   /* node 8x slower than the retry delay */
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
    outcome o = run_submit(&f, 50, 0.1, 0.5, 0);
    fake_stop(&f, true);
    assert_int_equal(o.calls, 1);
    assert_int_equal(atomic_load(&f.submits), 1);
    assert_true(o.v.accepted);
}

static void test_node_rejects(void **state)
{
    fake_node f = { .submit_result = "\"rejected: bad-txnmrklroot\"" };
    fake_bind(&f);
    outcome o = run_submit(&f, 5, 0.1, 0, 0);
    fake_stop(&f, true);
    assert_int_equal(o.calls, 1);
    assert_int_equal(atomic_load(&f.submits), 1);
    assert_false(o.v.accepted);
    assert_true(o.v.is_tip);          /* the fake's tip is HASH: a rejection still wins */
    assert_string_equal(o.v.reason, "rejected: bad-txnmrklroot");
}

static void test_gives_up(void **state)
{
    fake_node f = { .submit_result = "null" };
    fake_bind(&f);
    outcome o = run_submit(&f, 3, 0.05, 30, 0); /* never listens during the test */
    fake_stop(&f, false);
    assert_int_equal(o.calls, 1);
    assert_false(o.v.accepted);
    assert_non_null(strstr(o.v.reason, "node unreachable"));
}

/* The node took the call and answered with an error object: final, no
 * second submitblock however many attempts are left. */
static void test_node_error_is_final(void **state)
{
    fake_node f = { .submit_error = "{\"code\":-22,\"message\":\"Block decode failed\"}" };
    fake_bind(&f);
    outcome o = run_submit(&f, 5, 0.05, 0, 0);
    fake_stop(&f, true);
    assert_int_equal(o.calls, 1);
    assert_int_equal(atomic_load(&f.submits), 1);
    assert_int_equal(atomic_load(&f.bests), 1);
    assert_false(o.v.accepted);
    assert_non_null(strstr(o.v.reason, "-22: Block decode failed"));
    assert_null(strstr(o.v.reason, "unreachable"));
}

/* HTTP 503 without a JSON-RPC body is a transport error: retried until
 * the node takes the block. */
static void test_transport_error_is_retried(void **state)
{
    fake_node f = { .submit_result = "null", .submit_fail_first = 2 };
    fake_bind(&f);
    outcome o = run_submit(&f, 5, 0.05, 0, 0);
    fake_stop(&f, true);
    assert_int_equal(o.calls, 1);
    assert_int_equal(atomic_load(&f.submits), 3);
    assert_true(o.v.accepted);
    assert_true(o.v.is_tip);
}

/* Slow template polls fill the routine lane (2 threads busy for 1.5 s per
 * call, more calls than its queue holds): the block goes on the urgent
 * lane and gets its verdict at once. */
static void test_not_behind_polls(void **state)
{
    fake_node f = { .submit_result = "null", .gbt_delay_ms = 1500 };
    fake_bind(&f);
    outcome o = run_submit(&f, 5, 0.1, 0, JM_NODE_MAX_PENDING + 10);
    fake_stop(&f, true);
    assert_int_equal(o.refused, 10);
    assert_int_equal(o.calls, 1);
    assert_true(o.v.accepted);
    assert_int_equal(atomic_load(&f.submits), 1);
    assert_true(o.took < 1.0);
}

/* A block that reached the node first through bitpeer: bcoin answers
 * "rejected: duplicate"; as the tip that is accepted, elsewhere not. */
static void test_judge_duplicate(void **state)
{
    jm_found_verdict v = {0};
    jm_submit_judge("rejected: duplicate", true, &v);
    assert_true(v.accepted);
    jm_submit_judge("rejected: duplicate", false, &v);
    assert_false(v.accepted);
    jm_submit_judge("duplicate", true, &v);
    assert_true(v.accepted);
    jm_submit_judge("rejected: bad-txnmrklroot", true, &v);
    assert_false(v.accepted);
    jm_submit_judge(NULL, false, &v);
    assert_true(v.accepted);
}

/* ---- several nodes: every block goes to all of them at once ---- */

typedef struct multi {
    int calls;
    jm_found_verdict v;
    struct ev_loop *loop;
    double submitted, took;
} multi;

static void on_multi(const jm_found_verdict *v, void *arg)
{
    multi *m = arg;
    m->calls++;
    m->v = *v;
    m->took = ev_time() - m->submitted;
}

static void on_stop(nw_timer *t, void *privdata)
{
    ev_break(privdata, EVBREAK_ALL);
}

/* Submits one block to the fake nodes (one jm_node each) and runs the loop
 * until every node has its verdict (jm_submit_inflight 0) or 10 s pass. */
static multi run_multi(fake_node *f, size_t n, jm_submit_node_stats *stats)
{
    static const uint8_t raw[] = {0x01, 0x02, 0x03};
    multi m = { .loop = ev_loop_new(0) };
    char url[4][64];
    ut_node_url nu[4];
    ut_node_cfg cfg[4];
    jm_node *node[4];
    jm_submit *s = jm_submit_create(m.loop, NULL, 3, 0.05, 20);
    for (size_t i = 0; i < n; i++) {
        snprintf(url[i], sizeof(url[i]), "http://127.0.0.1:%d/", f[i].port);
        nu[i] = (ut_node_url){ .url = url[i], .user = "x", .password = "p" };
        cfg[i] = (ut_node_cfg){ .nodes = &nu[i], .count = 1, .timeout = 5,
                                .connect_timeout = 1 };
        node[i] = jm_node_create(m.loop, &cfg[i], 0);
        assert_non_null(node[i]);
        char label[32];
        snprintf(label, sizeof(label), "n%u", (unsigned)(i & 0xff));
        assert_int_equal(jm_submit_add_node(s, node[i], label), 0);
    }
    assert_int_equal(jm_node_call(node[0], "getblocktemplate", NULL, NULL, NULL), -1);
    nw_timer poll;
    memset(&poll, 0, sizeof(poll));
    nw_timer_set(&poll, m.loop, 0.02, true, on_stop, m.loop);
    m.submitted = ev_time();
    assert_int_equal(jm_submit_block(s, HASH, 451, raw, sizeof(raw), on_multi, &m), 0);
    while (jm_submit_inflight(s) > 0 && ev_time() - m.submitted < 10)
        ev_run(m.loop, 0);
    nw_timer_stop(&poll);
    assert_int_equal(jm_submit_inflight(s), 0);
    assert_int_equal(jm_submit_node_count(s), n);
    for (size_t i = 0; i < n; i++) {
        stats[i] = *jm_submit_node_stats_get(s, i);
        jm_node_free(node[i]);
    }
    jm_submit_free(s);
    ev_loop_destroy(m.loop);
    return m;
}

/* Two nodes, both accept: each gets exactly one submitblock, the verdict
 * comes once, and each node's count says accepted. */
static void test_all_nodes_get_the_block(void **state)
{
    fake_node f[2] = { { .submit_result = "null" }, { .submit_result = "null" } };
    jm_submit_node_stats st[2];
    fake_bind(&f[0]);
    fake_bind(&f[1]);
    fake_listen(&f[0]);
    fake_listen(&f[1]);
    multi m = run_multi(f, 2, st);
    fake_stop(&f[0], true);
    fake_stop(&f[1], true);
    assert_int_equal(m.calls, 1);
    assert_true(m.v.accepted);
    assert_int_equal(atomic_load(&f[0].submits), 1);
    assert_int_equal(atomic_load(&f[1].submits), 1);
    assert_string_equal(st[0].label, "n0");
    assert_int_equal(st[0].submitted, 1);
    assert_int_equal(st[0].accepted, 1);
    assert_int_equal(st[1].submitted, 1);
    assert_int_equal(st[1].accepted, 1);
}

/* Not failover: the first node is slow (0.8 s) and the second fast; the
 * block is accepted as soon as the fast one says so, and the slow one
 * still gets (and answers) its submitblock. */
static void test_parallel_not_failover(void **state)
{
    fake_node f[2] = { { .submit_result = "null", .submit_delay_ms = 800 },
                       { .submit_result = "null" } };
    jm_submit_node_stats st[2];
    fake_bind(&f[0]);
    fake_bind(&f[1]);
    fake_listen(&f[0]);
    fake_listen(&f[1]);
    multi m = run_multi(f, 2, st);
    fake_stop(&f[0], true);
    fake_stop(&f[1], true);
    assert_int_equal(m.calls, 1);
    assert_true(m.v.accepted);
    assert_true(m.took < 0.6);
    assert_int_equal(atomic_load(&f[0].submits), 1);
    assert_int_equal(atomic_load(&f[1].submits), 1);
    assert_int_equal(st[0].accepted, 1);
    assert_true(st[0].last_seconds >= 0.8);
    assert_int_equal(st[1].accepted, 1);
}

/* One node down, one rejecting, one accepting: accepted; each node's
 * outcome counted where it belongs. */
static void test_any_node_accepts(void **state)
{
    fake_node f[3] = { { .submit_result = "null" },
                       { .submit_result = "\"rejected: bad-txnmrklroot\"" },
                       { .submit_result = "null", .submit_delay_ms = 200 } };
    jm_submit_node_stats st[3];
    for (int i = 0; i < 3; i++)
        fake_bind(&f[i]);
    fake_listen(&f[1]);
    fake_listen(&f[2]);                 /* f[0] never listens: unreachable */
    multi m = run_multi(f, 3, st);
    fake_stop(&f[0], false);
    fake_stop(&f[1], true);
    fake_stop(&f[2], true);
    assert_int_equal(m.calls, 1);
    assert_true(m.v.accepted);
    assert_int_equal(st[0].unreachable, 1);
    assert_int_equal(st[0].accepted, 0);
    assert_int_equal(st[1].rejected, 1);
    assert_int_equal(st[2].accepted, 1);
}

/* No node accepts: one verdict naming every node's reason. */
static void test_no_node_accepts(void **state)
{
    fake_node f[2] = { { .submit_result = "\"rejected: bad-txnmrklroot\"" },
                       { .submit_result = "\"high-hash\"" } };
    jm_submit_node_stats st[2];
    fake_bind(&f[0]);
    fake_bind(&f[1]);
    fake_listen(&f[0]);
    fake_listen(&f[1]);
    multi m = run_multi(f, 2, st);
    fake_stop(&f[0], true);
    fake_stop(&f[1], true);
    assert_int_equal(m.calls, 1);
    assert_false(m.v.accepted);
    assert_string_equal(m.v.reason, "n0: rejected: bad-txnmrklroot; n1: high-hash");
    assert_int_equal(st[0].rejected, 1);
    assert_int_equal(st[1].rejected, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slow_node_single_submit),
        cmocka_unit_test(test_retry_until_node_listens),
        cmocka_unit_test(test_node_rejects),
        cmocka_unit_test(test_gives_up),
        cmocka_unit_test(test_node_error_is_final),
        cmocka_unit_test(test_transport_error_is_retried),
        cmocka_unit_test(test_not_behind_polls),
        cmocka_unit_test(test_judge_duplicate),
        cmocka_unit_test(test_all_nodes_get_the_block),
        cmocka_unit_test(test_parallel_not_failover),
        cmocka_unit_test(test_any_node_accepts),
        cmocka_unit_test(test_no_node_accepts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
