/* Tests of metawriter against a real redis-server that the test starts on
 * a free loopback port with its own directory (and stops by pid):
 *  - the apply script: a batch applied twice counts once; seqs applied out
 *    of order are each applied once (watermark + gaps set); a write Redis
 *    refuses is reported and the batch still counts once;
 *  - the whole sending path in one loop, ut_meta -> mw_server -> Redis,
 *    with Redis killed and restarted while batches are queued: every key
 *    and field ends up exactly equal to what was counted;
 *  - the retention sweep (full, then incremental). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "metawriter/mw_ops.h"
#include "metawriter/mw_redis.h"
#include "metawriter/mw_retention.h"
#include "metawriter/mw_server.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

#define M0 1795321680

typedef struct rig {
    char dir[64];
    int port;
    pid_t pid;
    redisContext *c;          /* a plain connection for checking */
    struct ev_loop *loop;
    mw_redis *redis;
} rig;

static rig R;

/* ---- helpers ---- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static redisContext *redis_connect_wait(int port)
{
    for (int i = 0; i < 200; i++) {
        redisContext *c = redisConnect("127.0.0.1", port);
        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            bool ok = r && r->type == REDIS_REPLY_STATUS;
            freeReplyObject(r);
            if (ok)
                return c;
        }
        redisFree(c);
        usleep(25000);
    }
    return NULL;
}

static void redis_start(void)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", R.port);
    R.pid = fork();
    if (R.pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir",
               R.dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", NULL);
        _exit(127);
    }
    assert_true(R.pid > 0);
    R.c = redis_connect_wait(R.port);
    assert_non_null(R.c);
}

static void redis_kill(void)
{
    redisFree(R.c);
    R.c = NULL;
    kill(R.pid, SIGKILL);
    waitpid(R.pid, NULL, 0);
}

static void rm_rf(const char *d)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static void noop(struct ev_loop *loop, ev_timer *w, int revents)
{
}

static bool run_until(bool (*pred)(void *), void *arg, double secs)
{
    ev_timer t;
    ev_timer_init(&t, noop, 0.01, 0.01);
    ev_timer_start(R.loop, &t);
    double end = ev_time() + secs;
    while (!pred(arg) && ev_time() < end)
        ev_run(R.loop, EVRUN_ONCE);
    ev_timer_stop(R.loop, &t);
    return pred(arg);
}

static bool redis_is_ready(void *arg)
{
    return mw_redis_ready(R.redis);
}

static int setup(void **state)
{
    snprintf(R.dir, sizeof(R.dir), "/tmp/hf-test-mw-XXXXXX");
    assert_non_null(mkdtemp(R.dir));
    R.port = free_port();
    redis_start();
    R.loop = ev_loop_new(0);
    mw_redis_cfg rc = {.port = R.port, .timeout = 5};
    R.redis = mw_redis_create(R.loop, &rc);
    mw_redis_start(R.redis);
    assert_true(run_until(redis_is_ready, NULL, 10));
    return 0;
}

static int teardown(void **state)
{
    mw_redis_free(R.redis);
    ev_loop_destroy(R.loop);
    redisFree(R.c);
    kill(R.pid, SIGTERM);
    waitpid(R.pid, NULL, 0);
    rm_rf(R.dir);
    return 0;
}

static void flushall(void)
{
    freeReplyObject(redisCommand(R.c, "FLUSHALL"));
}

/* HGET key field as a string ("" when missing). */
static const char *hget(const char *key, long field)
{
    static char out[128];
    redisReply *r = redisCommand(R.c, "HGET %s %ld", key, field);
    snprintf(out, sizeof(out), "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return out;
}

static long long rcount(const char *fmt, const char *key)
{
    redisReply *r = redisCommand(R.c, fmt, key);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

static const char *lindex(const char *key, long i)
{
    static char out[512];
    redisReply *r = redisCommand(R.c, "LINDEX %s %ld", key, i);
    snprintf(out, sizeof(out), "%s", r && r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return out;
}

/* ---- applying ops directly ---- */

typedef struct applied {
    bool done;
    mw_apply_result res;
    long long errors;
} applied;

static void on_applied(mw_apply_result res, long long errors, const char *first, void *arg)
{
    applied *a = arg;
    a->done = true;
    a->res = res;
    a->errors = errors;
}

static bool is_done(void *arg)
{
    return ((applied *)arg)->done;
}

static mw_ops *body_ops(const char *epoch, int seq, const char *rest)
{
    char body[2048], err[256];
    snprintf(body, sizeof(body),
             "{\"v\":1,\"source\":\"gw1\",\"epoch\":\"%s\",\"seq\":%d,\"coin\":\"btc\","
             "\"coin_name\":\"BTC\",\"host\":\"gw-a\",\"time\":1%s}", epoch, seq, rest);
    mw_ops *o = mw_ops_from_body(body, strlen(body), "btc", NULL, err, sizeof(err));
    assert_non_null(o);
    return o;
}

static applied apply(mw_ops *o)
{
    applied a = {0};
    assert_int_equal(mw_redis_apply(R.redis, o, 3600, on_applied, &a), 0);
    assert_true(run_until(is_done, &a, 10));
    return a;
}

#define SHARES ",\"shares\":[{\"t\":1795321680,\"user\":\"alice\",\"worker\":\"rig1\"," \
               "\"s\":3,\"p\":6.5,\"g\":0.75,\"r\":1}],\"system\":[{\"t\":1795321680," \
               "\"pow\":6.5,\"share\":3,\"reject\":1}],\"events\":[{\"type\":\"newblock\"," \
               "\"user\":\"alice\",\"worker\":\"rig1\",\"hash\":\"00ab\"}]"

static void test_apply_once(void **state)
{
    flushall();
    mw_ops *o = body_ops("00000000000000a1", 1, SHARES);
    applied a = apply(o);
    assert_int_equal(a.res, MW_APPLY_APPLIED);
    assert_int_equal(a.errors, 0);
    a = apply(o);
    assert_int_equal(a.res, MW_APPLY_DUPLICATE);
    mw_ops_free(o);

    assert_string_equal(hget("btc:s:alice", M0), "3");
    assert_string_equal(hget("btc:p:alice", M0), "6.5");
    assert_string_equal(hget("btc:g:alice", M0), "0.75");
    assert_string_equal(hget("btc:s:alice:reject", M0), "1");
    assert_string_equal(hget("btc:s:alice:rig1", M0), "3");
    assert_string_equal(hget("btc:p:alice:rig1", M0), "6.5");
    assert_string_equal(hget("btc:g:alice:rig1", M0), "0.75");
    assert_string_equal(hget("btc:s:alice:rig1:reject", M0), "1");
    assert_string_equal(hget("btc:m:pow", M0), "6.5");
    assert_string_equal(hget("btc:mh:gw-a:pow", M0), "6.5");
    assert_string_equal(hget("btc:m:share", M0), "3");
    assert_string_equal(hget("btc:m:reject", M0), "1");
    assert_int_equal(rcount("LLEN %s", "newblock"), 1);
    assert_string_equal(lindex("newblock", 0),
                        "{\"name\": \"BTC\", \"hash\": \"00ab\", \"user\": \"alice\", "
                        "\"worker\": \"rig1\"}");
    assert_int_equal(rcount("SCARD %s", "monitor:keys"), 3);
    assert_int_equal(rcount("SISMEMBER monitor:keys %s", "btc:m:pow"), 1);
    assert_int_equal(rcount("SISMEMBER btc:mk:pow %s", "gw-a"), 1);
    long long ttl = rcount("TTL %s", "mw:applied:gw1:00000000000000a1");
    assert_true(ttl > 3500 && ttl <= 3600);
}

static void test_out_of_order(void **state)
{
    flushall();
    const char *ep = "00000000000000b2";
    int order[] = {3, 3, 1, 2, 2, 1, 4};
    mw_apply_result want[] = {MW_APPLY_APPLIED, MW_APPLY_DUPLICATE, MW_APPLY_APPLIED,
                              MW_APPLY_APPLIED, MW_APPLY_DUPLICATE, MW_APPLY_DUPLICATE,
                              MW_APPLY_APPLIED};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        mw_ops *o = body_ops(ep, order[i], SHARES);
        applied a = apply(o);
        assert_int_equal(a.res, want[i]);
        mw_ops_free(o);
        if (i == 0) {
            assert_int_equal(rcount("EXISTS %s", "mw:applied:gw1:00000000000000b2"), 0);
            assert_int_equal(rcount("SCARD %s", "mw:gaps:gw1:00000000000000b2"), 1);
        }
    }
    assert_string_equal(hget("btc:s:alice", M0), "12");      /* 4 batches of 3 */
    assert_string_equal(hget("btc:p:alice:rig1", M0), "26");
    assert_int_equal(rcount("LLEN %s", "newblock"), 4);
    redisReply *r = redisCommand(R.c, "GET mw:applied:gw1:00000000000000b2");
    assert_string_equal(r->str, "4");
    freeReplyObject(r);
    assert_int_equal(rcount("EXISTS %s", "mw:gaps:gw1:00000000000000b2"), 0);
}

static void test_refused_write_counts_once(void **state)
{
    flushall();
    freeReplyObject(redisCommand(R.c, "SET btc:s:alice:rig1 not-a-hash"));
    mw_ops *o = body_ops("00000000000000c3", 1, SHARES);
    applied a = apply(o);
    assert_int_equal(a.res, MW_APPLY_APPLIED);
    assert_int_equal(a.errors, 1);
    a = apply(o);
    assert_int_equal(a.res, MW_APPLY_DUPLICATE);
    mw_ops_free(o);
    assert_string_equal(hget("btc:s:alice", M0), "3");
    assert_string_equal(hget("btc:p:alice:rig1", M0), "6.5");
}

/* Float sums are the double sums a reader computes, in full precision,
 * even for tiny values (HINCRBYFLOAT would keep 17 digits after the point). */
static void test_float_sums(void **state)
{
    flushall();
    for (int seq = 1; seq <= 3; seq++) {
        mw_ops *o = body_ops("00000000000000d4", seq,
                             ",\"shares\":[{\"t\":1795321680,\"user\":\"f\",\"worker\":\"\","
                             "\"s\":1,\"p\":9.5367431640625e-07,\"g\":0.1}]");
        assert_int_equal(apply(o).res, MW_APPLY_APPLIED);
        mw_ops_free(o);
    }
    assert_string_equal(hget("btc:p:f", M0), "2.86102294921875e-06");   /* 3 * 2^-20 */
    assert_string_equal(hget("btc:g:f", M0), "0.30000000000000004");    /* 0.1+0.1+0.1 */
    assert_string_equal(hget("btc:s:f", M0), "3");
    freeReplyObject(redisCommand(R.c, "HSET btc:p:f %ld junk", (long)M0));
    mw_ops *o = body_ops("00000000000000d4", 4,
                         ",\"shares\":[{\"t\":1795321680,\"user\":\"f\",\"worker\":\"\","
                         "\"s\":1,\"p\":1,\"g\":1}]");
    applied a = apply(o);
    mw_ops_free(o);
    assert_int_equal(a.res, MW_APPLY_APPLIED);
    assert_int_equal(a.errors, 1);                 /* the junk field is reported */
    assert_string_equal(hget("btc:p:f", M0), "junk");
    assert_string_equal(hget("btc:s:f", M0), "4");
}

/* ---- the whole path: ut_meta -> mw_server -> Redis ---- */

static double fake_now;

static double fake_clock(void *arg)
{
    return fake_now;
}

static bool never(void *arg)
{
    return false;
}

static bool meta_drained(void *arg)
{
    return ut_meta_pending(arg) == 0;
}

static void test_meta_to_redis_with_restart(void **state)
{
    flushall();
    int port = free_port();
    char addr[64], spool[96];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    snprintf(spool, sizeof(spool), "%s/spool", R.dir);
    mw_server_cfg sc = {.listen = addr, .coin = "btc", .dedup_ttl = 3600, .pipeline = 4};
    mw_server *srv = mw_server_create(R.loop, &sc, R.redis);
    assert_non_null(srv);
    assert_int_equal(mw_server_start(srv), 0);
    ut_meta_cfg mc = {.coin = "btc", .host = "gw-a", .source_id = "gw1-p0", .upstream = addr,
                      .spool_dir = spool, .flush_interval = 3600, .request_timeout = 2,
                      .clock = fake_clock};
    fake_now = M0 + 30;
    ut_meta *m = ut_meta_create(R.loop, &mc);
    assert_int_equal(ut_meta_start(m), 0);

    /* 100 accepted shares (diff 0.5) and 7 rejects per worker, 2 workers,
     * over two minutes, in 4 batches; Redis dies after the second. */
    for (int b = 0; b < 4; b++) {
        fake_now = M0 + 30 + b * 20;          /* b=0,1 in M0; b=2,3 in M0+60 */
        for (int i = 0; i < 25; i++) {
            ut_meta_share(m, "alice", "rig1", 0.5, 0.5 / 1024, true);
            ut_meta_share(m, "alice", "rig2", 0.5, 0.5 / 1024, true);
        }
        for (int i = 0; i < 7; i++)
            ut_meta_share(m, "alice", "rig1", 0.5, 0.5 / 1024, false);
        for (int i = 0; i < 3; i++)           /* stale rejects: a part of the rejects */
            ut_meta_stale(m, "alice", "rig2");
        if (b == 0)
            ut_meta_new_worker(m, "alice", "rig1");
        ut_meta_flush(m);
        if (b == 1) {
            assert_true(run_until(meta_drained, m, 10));
            redis_kill();
        }
    }
    /* Batches 3 and 4 wait (metawriter does not acknowledge them). */
    assert_false(run_until(never, NULL, 1.0));
    assert_int_equal(ut_meta_pending(m), 2);
    redis_start();
    assert_true(run_until(meta_drained, m, 20));

    const long m1 = M0 + 60;
    assert_string_equal(hget("btc:s:alice:rig1", M0), "50");
    assert_string_equal(hget("btc:s:alice:rig1", m1), "50");
    assert_string_equal(hget("btc:s:alice:rig2", M0), "50");
    assert_string_equal(hget("btc:s:alice", M0), "100");
    assert_string_equal(hget("btc:s:alice", m1), "100");
    assert_string_equal(hget("btc:p:alice", M0), "50");
    assert_string_equal(hget("btc:p:alice:rig2", m1), "25");
    assert_string_equal(hget("btc:g:alice", M0), "0.048828125");   /* 100 * 0.5 / 1024 */
    assert_string_equal(hget("btc:s:alice:rig1:reject", M0), "14");
    assert_string_equal(hget("btc:s:alice:rig2:reject", M0), "6");
    assert_string_equal(hget("btc:s:alice:reject", m1), "20");
    assert_string_equal(hget("btc:st:alice:rig2", M0), "6");
    assert_string_equal(hget("btc:st:alice:rig2", m1), "6");
    assert_string_equal(hget("btc:st:alice", m1), "6");
    assert_int_equal(rcount("EXISTS %s", "btc:st:alice:rig1"), 0);
    assert_string_equal(hget("btc:m:stale", M0), "6");
    assert_string_equal(hget("btc:mh:gw-a:stale", m1), "6");
    assert_string_equal(hget("btc:m:share", M0), "100");
    assert_string_equal(hget("btc:mh:gw-a:reject", m1), "20");
    assert_string_equal(hget("btc:m:pow", m1), "50");
    assert_int_equal(rcount("LLEN %s", "newworker"), 1);
    assert_string_equal(lindex("newworker", 0),
                        "{\"user\": \"alice\", \"worker\": \"rig1\", \"coin\": \"BTC\"}");
    mw_server_stats st;
    mw_server_get_stats(srv, &st);
    assert_int_equal(st.applied, 4);
    ut_meta_free(m);
    mw_server_free(srv);
}

/* ---- retention ---- */

typedef struct sweep_wait {
    mw_retention *t;
    uint64_t want;
} sweep_wait;

static bool sweeps_done(void *arg)
{
    sweep_wait *w = arg;
    return !mw_retention_busy(w->t) && mw_retention_sweeps(w->t) >= w->want;
}

static long now_minute(void)
{
    long t = (long)time(NULL);
    return t - t % 60;
}

static void test_retention(void **state)
{
    flushall();
    long now = now_minute(), cut = now - 86400;   /* retention 1 day */
    freeReplyObject(redisCommand(R.c, "HSET btc:s:alice %ld 1 %ld 2 %ld 3", cut - 7200,
                                 cut - 60, now));
    freeReplyObject(redisCommand(R.c, "HSET btc:p:old %ld 1", cut - 600));
    freeReplyObject(redisCommand(R.c, "SADD btc:mk:pow gw-a"));
    freeReplyObject(redisCommand(R.c, "HSET other:s:x %ld 1", cut - 600));
    mw_retention *t = mw_retention_create(R.loop, R.redis, "btc", 1, 3600);
    sweep_wait w = {t, 1};
    mw_retention_start(t, 0);
    assert_true(run_until(sweeps_done, &w, 10));
    assert_int_equal(mw_retention_sweeps(t), 1);           /* the first sweep is full */
    assert_string_equal(hget("btc:s:alice", cut - 7200), "");
    assert_string_equal(hget("btc:s:alice", cut - 60), "");
    assert_string_equal(hget("btc:s:alice", now), "3");
    assert_int_equal(rcount("EXISTS %s", "btc:p:old"), 0);  /* last field gone: key gone */
    assert_int_equal(rcount("SCARD %s", "btc:mk:pow"), 1);  /* sets are not touched */
    assert_int_equal(rcount("EXISTS %s", "other:s:x"), 1);  /* another coin's keys neither */

    /* Incremental: only the minutes since the last cutoff are deleted. */
    freeReplyObject(redisCommand(R.c, "SET mw:retention:btc %ld", cut - 3600));
    freeReplyObject(redisCommand(R.c, "HSET btc:s:alice %ld 4 %ld 5", cut - 1800, cut - 7200));
    w.want = 2;
    mw_retention_start(t, 0);
    assert_true(run_until(sweeps_done, &w, 10));
    assert_int_equal(mw_retention_sweeps(t), 2);
    assert_string_equal(hget("btc:s:alice", cut - 1800), "");
    assert_string_equal(hget("btc:s:alice", cut - 7200), "5");   /* before the window */
    assert_string_equal(hget("btc:s:alice", now), "3");
    mw_retention_free(t);
}

int main(void)
{
    ut_log_set_level(UT_LOG_ERROR);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_once),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_refused_write_counts_once),
        cmocka_unit_test(test_float_sums),
        cmocka_unit_test(test_meta_to_redis_with_restart),
        cmocka_unit_test(test_retention),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
