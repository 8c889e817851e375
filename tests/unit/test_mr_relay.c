/* Tests of metarelay's core on one loop, with a real ut_meta sender and a
 * fake metawriter (a ut_rpc server answering status 0): batches are
 * forwarded byte for byte and acknowledged only after the upstream did;
 * with the upstream down they are held, joined when resent, spooled, and
 * forwarded by a new relay process (same spool dir) after a restart; a
 * sender outside the allow-list is refused. A body that fails the batch
 * check (a number out of range, NaN text, no identity) is answered status
 * 2 with the reason and never held, spooled or forwarded; a bad body
 * found in the relay's spool at start is quarantined, not forwarded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metarelay/mr_relay.h"
#include "utils/ut_cmd.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"
#include "utils/ut_rpc_link.h"
#include "utils/ut_spool.h"

#define M0 1795321680

typedef struct fake_mw {
    ut_rpc_svr *svr;
    int nreq;
    char ids[32][128];         /* identities seen, in order */
    char last_body[4096];
} fake_mw;

static struct ev_loop *loop;
static double fake_now = M0 + 1;

static double fake_clock(void *arg)
{
    return fake_now;
}

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

static void fake_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    fake_mw *f = udata;
    json_t *b = json_loadb(msg->body, msg->body_len, 0, NULL);
    ut_meta_ident id;
    assert_int_equal(ut_meta_ident_parse(b, &id), 0);
    json_decref(b);
    if (f->nreq < 32)
        ut_meta_ident_str(&id, f->ids[f->nreq], sizeof(f->ids[0]));
    f->nreq++;
    snprintf(f->last_body, sizeof(f->last_body), "%.*s", (int)msg->body_len,
             (const char *)msg->body);
    const char *ok = "{\"v\":1,\"result\":\"applied\"}";
    ut_rpc_reply(link, msg, UT_META_ST_OK, ok, strlen(ok));
}

static void fake_start(fake_mw *f, const char *addr)
{
    ut_rpc_cfg c = {.addr = addr};
    ut_rpc_handlers h = {.on_msg = fake_on_msg};
    f->svr = ut_rpc_svr_create(loop, &c, &h, f);
    assert_non_null(f->svr);
    assert_int_equal(ut_rpc_svr_start(f->svr), 0);
}

static void noop(struct ev_loop *l, ev_timer *w, int revents)
{
}

static bool run_until(bool (*pred)(void *), void *arg, double secs)
{
    ev_timer t;
    ev_timer_init(&t, noop, 0.01, 0.01);
    ev_timer_start(loop, &t);
    double end = ev_time() + secs;
    while (!pred(arg) && ev_time() < end)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &t);
    return pred(arg);
}

static bool never(void *arg)
{
    return false;
}

static bool drained(void *arg)
{
    return ut_meta_pending(arg) == 0;
}

static bool relay_held(void *arg)
{
    mr_relay_stats st;
    mr_relay_get_stats(arg, &st);
    return st.held > 0 && st.spool_bytes > 0 && st.joined > 0;
}

typedef struct env {
    char spool[64], meta_spool[96];
    char relay_addr[64], mw_addr[64];
} env;

static void env_init(env *e)
{
    snprintf(e->spool, sizeof(e->spool), "/tmp/hf-test-mr-XXXXXX");
    assert_non_null(mkdtemp(e->spool));
    snprintf(e->meta_spool, sizeof(e->meta_spool), "%s/meta", e->spool);
    snprintf(e->relay_addr, sizeof(e->relay_addr), "tcp@127.0.0.1:%d", free_port());
    snprintf(e->mw_addr, sizeof(e->mw_addr), "tcp@127.0.0.1:%d", free_port());
}

static void env_free(env *e)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->spool);
    assert_int_equal(system(cmd), 0);
}

static mr_relay *relay_new(env *e, const char **allow)
{
    char dir[96];
    snprintf(dir, sizeof(dir), "%s/relay", e->spool);
    mr_relay_cfg rc = {.listen = e->relay_addr, .allow = allow, .upstream = e->mw_addr,
                       .spool_dir = dir, .max_spool_bytes = 1 << 20, .spool_after = 0.2,
                       .request_timeout = 1};
    mr_relay *r = mr_relay_create(loop, &rc);
    assert_non_null(r);
    assert_int_equal(mr_relay_start(r), 0);
    return r;
}

static ut_meta *meta_new(env *e)
{
    ut_meta_cfg mc = {.coin = "btc", .host = "gw-a", .source_id = "gw1-p0",
                      .upstream = e->relay_addr, .spool_dir = e->meta_spool,
                      .flush_interval = 3600, .request_timeout = 1, .clock = fake_clock};
    ut_meta *m = ut_meta_create(loop, &mc);
    assert_non_null(m);
    assert_int_equal(ut_meta_start(m), 0);
    return m;
}

static void test_forward(void **state)
{
    env e;
    env_init(&e);
    fake_mw f = {0};
    fake_start(&f, e.mw_addr);
    mr_relay *r = relay_new(&e, NULL);
    ut_meta *m = meta_new(&e);
    assert_false(run_until(never, NULL, 0.3));     /* links up */
    ut_meta_share(m, "alice", "rig1", 1.0, 0.5, true);
    ut_meta_flush(m);
    assert_true(run_until(drained, m, 5));
    assert_int_equal(f.nreq, 1);
    char want[128];
    snprintf(want, sizeof(want), "gw1-p0/%s/1", ut_meta_epoch(m));
    assert_string_equal(f.ids[0], want);
    assert_non_null(strstr(f.last_body, "\"user\":\"alice\""));
    mr_relay_stats st;
    mr_relay_get_stats(r, &st);
    assert_int_equal(st.acked, 1);
    assert_int_equal(st.held, 0);
    assert_int_equal(ut_meta_acked(m), 1);
    ut_meta_free(m);
    mr_relay_free(r);
    ut_rpc_svr_free(f.svr);
    env_free(&e);
}

static void test_hold_spool_restart(void **state)
{
    env e;
    env_init(&e);
    mr_relay *r = relay_new(&e, NULL);
    ut_meta *m = meta_new(&e);
    assert_false(run_until(never, NULL, 0.3));
    for (int i = 0; i < 3; i++) {
        ut_meta_share(m, "alice", "rig1", 1.0, 0.5, true);
        ut_meta_flush(m);
    }
    /* metawriter is down: held, spooled, and the sender's resends join. */
    assert_true(run_until(relay_held, r, 10));
    assert_int_equal(ut_meta_pending(m), 3);
    assert_false(run_until(never, NULL, 0.5));
    mr_relay_stats st;
    mr_relay_get_stats(r, &st);
    assert_int_equal(st.held, 3);
    assert_int_equal(st.acked, 0);
    mr_relay_free(r);                               /* a relay restart */

    fake_mw f = {0};
    fake_start(&f, e.mw_addr);
    r = relay_new(&e, NULL);
    mr_relay_get_stats(r, &st);
    assert_int_equal(st.held, 3);                   /* from its spool */
    assert_true(run_until(drained, m, 20));
    mr_relay_get_stats(r, &st);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.spool_bytes, 0);
    /* Upstream saw exactly the sender's three identities (some maybe twice,
     * which metawriter would filter), nothing else. */
    int seen[4] = {0};
    for (int i = 0; i < f.nreq && i < 32; i++) {
        char want[128];
        bool known = false;
        for (int s = 1; s <= 3; s++) {
            snprintf(want, sizeof(want), "gw1-p0/%s/%d", ut_meta_epoch(m), s);
            if (strcmp(f.ids[i], want) == 0) {
                seen[s]++;
                known = true;
            }
        }
        assert_true(known);
    }
    assert_true(seen[1] >= 1 && seen[2] >= 1 && seen[3] >= 1);
    assert_int_equal(ut_meta_acked(m), 3);
    ut_meta_free(m);
    mr_relay_free(r);
    ut_rpc_svr_free(f.svr);
    env_free(&e);
}

static void test_allow_list(void **state)
{
    env e;
    env_init(&e);
    fake_mw f = {0};
    fake_start(&f, e.mw_addr);
    const char *allow[] = {"10.9.9.9", NULL};
    mr_relay *r = relay_new(&e, allow);
    ut_meta *m = meta_new(&e);
    ut_meta_share(m, "alice", "rig1", 1.0, 0.5, true);
    ut_meta_flush(m);
    assert_false(run_until(never, NULL, 1.0));
    mr_relay_stats st;
    mr_relay_get_stats(r, &st);
    assert_int_equal(st.received, 0);
    assert_int_equal(f.nreq, 0);
    assert_int_equal(ut_meta_pending(m), 1);
    ut_meta_free(m);
    mr_relay_free(r);
    ut_rpc_svr_free(f.svr);
    env_free(&e);
}

/* A plain ut_rpc client that sends raw bodies and keeps the replies. */
typedef struct raw_clt {
    ut_rpc_clt *clt;
    int nreply;
    uint32_t status[16];
    char body[16][512];
} raw_clt;

static void raw_on_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    raw_clt *c = arg;
    int i = c->nreply++;
    c->status[i] = msg ? msg->status : 999;
    snprintf(c->body[i], sizeof(c->body[i]), "%.*s", msg ? (int)msg->body_len : 0,
             msg ? (const char *)msg->body : "");
}

static bool raw_up(void *arg)
{
    return ut_rpc_clt_up(((raw_clt *)arg)->clt);
}

typedef struct raw_wait {
    raw_clt *c;
    int n;
} raw_wait;

static bool raw_replied(void *arg)
{
    raw_wait *w = arg;
    return w->c->nreply >= w->n;
}

static void raw_start(raw_clt *c, const char *addr)
{
    ut_rpc_cfg cfg = {.addr = addr, .request_timeout = 2};
    ut_rpc_handlers h = {0};
    c->clt = ut_rpc_clt_create(loop, &cfg, &h, c);
    assert_non_null(c->clt);
    assert_int_equal(ut_rpc_clt_start(c->clt), 0);
    assert_true(run_until(raw_up, c, 5));
}

static void raw_send(raw_clt *c, const char *body)
{
    int n = c->nreply + 1;
    assert_int_equal(ut_rpc_request(ut_rpc_clt_link(c->clt), CMD_MW_BATCH, body, strlen(body),
                                     raw_on_reply, c), 0);
    raw_wait w = {c, n};
    assert_true(run_until(raw_replied, &w, 5));
}

#define HEAD "{\"v\":1,\"source\":\"py\",\"epoch\":\"0123456789abcdef\",\"seq\":%d," \
             "\"coin\":\"btc\",\"host\":\"h\",\"shares\":[{\"t\":1795321680,\"user\":\"a\"," \
             "\"worker\":\"w\",\"s\":1,\"p\":1,\"g\":1}%s]}"
#define REC(f) ",{\"t\":1795321680,\"user\":\"a\",\"worker\":\"w\"," f "}"

static const char *bad_recs[][2] = {
    {REC("\"s\":1,\"p\":-5,\"g\":1"), "shares[1].p: -5 is not a finite number in [0, 1e60]"},
    {REC("\"s\":1,\"p\":\"1\",\"g\":1"), "shares[1].p: \\\"1\\\" is not a finite number"},
    {REC("\"s\":1.5,\"p\":1,\"g\":1"), "shares[1].s: 1.5 is not an integer"},
    {REC("\"s\":4611686018427387904,\"p\":1,\"g\":1") REC("\"s\":4611686018427387904"),
     "shares[1].s: 4611686018427387904 is not an integer"},
    {REC("\"s\":1,\"p\":1e308,\"g\":1") REC("\"s\":1,\"p\":1e308,\"g\":1"),
     "shares[1].p: 1e+308 is not a finite number"},
    {REC("\"s\":1,\"p\":NaN,\"g\":1"), "not JSON (line 1, column"},
};

static void test_refuses_bad_batches(void **state)
{
    env e;
    env_init(&e);
    fake_mw f = {0};
    fake_start(&f, e.mw_addr);
    mr_relay *r = relay_new(&e, NULL);
    raw_clt c = {0};
    raw_start(&c, e.relay_addr);
    size_t n = sizeof(bad_recs) / sizeof(bad_recs[0]);
    char body[2048];
    for (size_t i = 0; i < n; i++) {
        snprintf(body, sizeof(body), HEAD, (int)i + 1, bad_recs[i][0]);
        raw_send(&c, body);
        assert_int_equal(c.status[i], UT_META_ST_BAD);
        if (!strstr(c.body[i], bad_recs[i][1]))
            fail_msg("reply '%s' does not say '%s'", c.body[i], bad_recs[i][1]);
    }
    raw_send(&c, "{\"v\":1,\"coin\":\"btc\"}");                 /* no identity */
    assert_int_equal(c.status[n], UT_META_ST_BAD);
    assert_non_null(strstr(c.body[n], "source/epoch/seq"));
    assert_false(run_until(never, NULL, 0.5));   /* a spool_after (0.2 s) passes */
    mr_relay_stats st;
    mr_relay_get_stats(r, &st);
    assert_int_equal(st.refused_bad, n + 1);
    assert_int_equal(st.held, 0);
    assert_int_equal(st.forwarded, 0);
    assert_int_equal(st.spool_bytes, 0);
    assert_int_equal(f.nreq, 0);
    /* A good batch still goes through, byte for byte. */
    snprintf(body, sizeof(body), HEAD, 99, "");
    raw_send(&c, body);
    assert_int_equal(c.status[n + 1], UT_META_ST_OK);
    assert_int_equal(f.nreq, 1);
    assert_string_equal(f.last_body, body);
    ut_rpc_clt_free(c.clt);
    mr_relay_free(r);
    ut_rpc_svr_free(f.svr);
    env_free(&e);
}

/* A spool written by an older relay may hold a batch the check refuses:
 * at start it is quarantined (.bad), not forwarded. */
static void test_spooled_bad_quarantined(void **state)
{
    env e;
    env_init(&e);
    char dir[96], body[2048], path[256];
    snprintf(dir, sizeof(dir), "%s/relay", e.spool);
    ut_spool *sp = ut_spool_open(dir, "mr-", 0);
    assert_non_null(sp);
    snprintf(body, sizeof(body), HEAD, 1, bad_recs[0][0]);
    assert_int_equal(ut_spool_put(sp, "mr-py.0123456789abcdef.0000000001", body, strlen(body)), 0);
    snprintf(body, sizeof(body), HEAD, 2, "");
    assert_int_equal(ut_spool_put(sp, "mr-py.0123456789abcdef.0000000002", body, strlen(body)), 0);
    ut_spool_close(sp);
    fake_mw f = {0};
    fake_start(&f, e.mw_addr);
    mr_relay *r = relay_new(&e, NULL);
    mr_relay_stats st;
    mr_relay_get_stats(r, &st);
    assert_int_equal(st.held, 1);
    snprintf(path, sizeof(path), "%s/mr-py.0123456789abcdef.0000000001.bad", dir);
    assert_int_equal(access(path, F_OK), 0);
    assert_false(run_until(never, NULL, 0.5));
    assert_int_equal(f.nreq, 1);
    assert_string_equal(f.ids[0], "py/0123456789abcdef/2");
    mr_relay_free(r);
    ut_rpc_svr_free(f.svr);
    env_free(&e);
}

int main(void)
{
    ut_log_set_level(UT_LOG_FATAL);
    loop = ev_loop_new(0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward),
        cmocka_unit_test(test_hold_spool_restart),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_refuses_bad_batches),
        cmocka_unit_test(test_spooled_bad_quarantined),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ev_loop_destroy(loop);
    return rc;
}
