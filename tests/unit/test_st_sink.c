/* Unit tests of what the Stratum library reports through its sink, on a
 * bare server (stratum/ alone, no gateway): shares accepted and rejected
 * with worker, difficulty, goal and code (none for submits without an
 * authorized worker), worker names with first_seen, closed connections,
 * sync before every write, the strike decision (closed by default, kept
 * when the sink says so), a full extranonce1 space, and the statistics a
 * server keeps in its own struct when the user gives none. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "stratum/st_server.h"
#include "stratum/st_sink.h"
#include "st_testkit.h"

#define OK_REPLY "{\"id\":9,\"result\":true,\"error\":null}\n"

/* What the sink heard, in order: one letter per event (s share, b block,
 * w worker, c closed, y sync, o send, x strike_out) and the details of the
 * last share and worker. */
typedef struct heard {
    char log[256];
    size_t n;
    st_share_ev share;
    char share_worker[2 * ST_NAME_MAX + 2];
    char worker[2 * ST_NAME_MAX + 2];
    bool first_seen;
    size_t closed_names;  /* active names of the closed connection */
    bool keep_open;       /* strike_out answers false */
} heard;

static heard H;

static void note(char ch)
{
    if (H.n + 1 < sizeof(H.log))
        H.log[H.n++] = ch;
    H.log[H.n] = '\0';
}

static void on_share(void *arg, const st_share_ev *ev)
{
    (void)arg;
    note('s');
    H.share = *ev;
    snprintf(H.share_worker, sizeof(H.share_worker), "%s", ev->worker->full);
}

static void on_worker(void *arg, const st_conn *c, const st_wname *w, bool first_seen)
{
    (void)arg;
    (void)c;
    note('w');
    snprintf(H.worker, sizeof(H.worker), "%s", w->full);
    H.first_seen = first_seen;
}

static void on_closed(void *arg, const st_conn *c)
{
    (void)arg;
    note('c');
    H.closed_names = 0;
    for (size_t i = 0; i < c->nnames; i++)
        H.closed_names += c->names[i].active;
}

static bool on_strike_out(void *arg, st_conn *c)
{
    (void)arg;
    (void)c;
    note('x');
    return !H.keep_open;
}

static void on_sync(void *arg)
{
    (void)arg;
    note('y');
}

static void on_send(void *arg, st_conn *c, const void *data, size_t len)
{
    note('o');
    gt_send(arg, c, data, len);
}

static const st_sink sink = {
    .share = on_share, .worker = on_worker, .closed = on_closed, .strike_out = on_strike_out,
    .sync = on_sync, .send = on_send,
};

static int setup(void **state)
{
    gt_bare *b = gt_bare_new(4, 8, &sink);
    json_t *j = gt_genesis_json("00000000000000c1", 1);

    assert_non_null(b);
    assert_int_equal(st_server_on_job(&b->srv, j), 0);
    json_decref(j);
    memset(&H, 0, sizeof(H));
    *state = b;
    return 0;
}

static int teardown(void **state)
{
    gt_bare_free(*state);
    return 0;
}

static st_conn *authorized(gt_bare *b, const char *name)
{
    st_conn *c = st_conn_new(&b->srv, NULL, NULL);
    char line[128];

    assert_non_null(c);
    gt_line(c, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}");
    snprintf(line, sizeof(line), "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"%s\"]}",
             name);
    gt_line(c, line);
    return c;
}

static const char *submit(st_conn *c, const char *worker, const char *job, uint32_t nonce)
{
    return gt_submit(c, worker, job, "0000000000000000", nonce);
}

static void test_shares(void **state)
{
    gt_bare *b = *state;
    st_conn *c = authorized(b, "alice.rig1");

    H.n = 0;
    /* A rejected share of a name with no accepted share yet: answered,
     * counted by the server, held (no accounting for names that never work). */
    submit(c, "alice.rig1", "ffff", 7);
    assert_string_equal(H.log, "yo");
    assert_int_equal(c->names[0].held_rejects, 1);
    H.n = 0;
    assert_string_equal(submit(c, "alice.rig1", "00000000000000c1", 1), OK_REPLY);
    /* The worker becomes active, its held reject is reported, then the
     * share, then sync, then the write. */
    assert_string_equal(H.log, "wssyo");
    assert_int_equal(c->names[0].held_rejects, 0);
    assert_true(H.share.accepted);
    assert_int_equal(H.share.code, ST_OK);
    assert_string_equal(H.share_worker, "alice.rig1");
    assert_true(H.share.diff == c->diff);
    assert_true(H.share.goal == c->diff / H.share.job->network_diff);
    /* Unknown job: reported rejected, at the connection's difficulty, no goal. */
    submit(c, "alice.rig1", "ffff", 2);
    assert_false(H.share.accepted);
    assert_int_equal(H.share.code, ST_ERR_JOB);
    assert_null(H.share.job);
    assert_true(H.share.goal == 0);
    /* Duplicate: rejected with its code. */
    submit(c, "alice.rig1", "00000000000000c1", 1);
    assert_int_equal(H.share.code, ST_ERR_DUP);
    /* No authorized worker: answered, not reported. */
    H.n = 0;
    assert_string_equal(submit(c, "bob", "00000000000000c1", 3),
                        "{\"id\":9,\"result\":null,\"error\":[24,\"Unauthorized worker\",null]}\n");
    assert_string_equal(H.log, "yo");
    assert_int_equal(st_stat_get(&b->srv.own_stats.accepted), 1);
    assert_int_equal(st_stat_get(&b->srv.own_stats.rejected[ST_ERR_JOB - ST_ERR_OTHER]), 2);
    assert_int_equal(st_stat_get(&b->srv.own_stats.rejected[ST_ERR_DUP - ST_ERR_OTHER]), 1);
    assert_int_equal(st_stat_get(&b->srv.own_stats.rejected[ST_ERR_UNAUTH - ST_ERR_OTHER]), 1);
    assert_int_equal(st_stat_get(&b->srv.own_stats.jobs), 1);
}

static void test_workers_and_close(void **state)
{
    gt_bare *b = *state;
    st_conn *c1 = authorized(b, "alice.rig1"), *c2;

    /* Authorizing costs no event: the name is active at its first accepted share. */
    assert_string_equal(H.log, "yoyo");
    assert_string_equal(H.worker, "");
    submit(c1, "alice.rig1", "00000000000000c1", 1);
    assert_string_equal(H.worker, "alice.rig1");
    assert_true(H.first_seen);
    c2 = authorized(b, "alice.rig1");
    submit(c2, "alice.rig1", "00000000000000c1", 1);
    assert_false(H.first_seen);   /* seen before on this server */
    gt_line(c2, "{\"id\":4,\"method\":\"mining.authorize\",\"params\":[\"alice.rig2\"]}");
    submit(c2, "alice.rig2", "00000000000000c1", 2);
    assert_string_equal(H.worker, "alice.rig2");
    assert_true(H.first_seen);
    /* A third name that never gets a share: not reported at close. */
    gt_line(c2, "{\"id\":5,\"method\":\"mining.authorize\",\"params\":[\"alice.idle\"]}");
    assert_int_equal(st_stat_get(&b->srv.own_stats.workers), 4);
    assert_int_equal(st_stat_get(&b->srv.own_stats.connections), 2);
    st_conn_close(c2, "bye");
    assert_int_equal(gt_closed, 1);
    assert_string_equal(gt_close_reason, "bye");
    H.n = 0;
    st_conn_free(c2);
    assert_string_equal(H.log, "c");
    assert_int_equal(H.closed_names, 2);
    assert_int_equal(st_stat_get(&b->srv.own_stats.workers), 1);
    assert_int_equal(st_stat_get(&b->srv.own_stats.connections), 1);
}

static void test_strike_out(void **state)
{
    gt_bare *b = *state;
    st_conn *c = authorized(b, "alice.rig1");

    b->cfg.strikes.junk_lines = 2;
    H.keep_open = true;
    gt_line(c, "junk");
    H.n = 0;
    gt_line(c, "junk");
    assert_string_equal(H.log, "xyo");   /* asked, kept open, answered */
    assert_false(c->closing);
    H.keep_open = false;
    gt_line(c, "junk");
    assert_true(c->closing);
    assert_string_equal(gt_close_reason, "banned");
    assert_int_equal(st_stat_get(&b->srv.own_stats.parse_errors), 3);
}

static void test_strike_out_default(void **state)
{
    gt_bare *b = *state;
    st_conn *c;

    b->srv.sink.strike_out = NULL;
    b->cfg.strikes.invalid_shares = 1;
    c = authorized(b, "alice.rig1");
    submit(c, "alice.rig1", "00000000000000c1", 1);
    assert_false(c->closing);
    submit(c, "alice.rig1", "00000000000000c1", 1);   /* duplicate: a strike */
    assert_true(c->closing);
    assert_string_equal(gt_close_reason, "banned");
}

static void test_server_full(void **state)
{
    gt_bare *b = *state;
    st_conn *c = st_conn_new(&b->srv, NULL, NULL);

    b->exhausted = 1;
    assert_string_equal(gt_line(c, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}"),
                        "{\"id\":1,\"result\":null,\"error\":[20,\"Server full\",null]}\n");
    assert_true(c->closing);
    assert_string_equal(gt_close_reason, "extranonce1 space exhausted");
    assert_false(c->has_en1);
}

/* A connection that floods valid shares fills only its own duplicate set:
 * its difficulty goes up at half, it is refused at full, and a clean job
 * (older jobs no longer live) frees the set. Another connection is never
 * touched. */
static void test_dups_bounded(void **state)
{
    gt_bare *b = *state;
    st_conn *c, *other;
    json_t *j;
    double start;
    char want[128];

    b->cfg.jobs_max_shares = 64;
    c = authorized(b, "alice.rig1");
    other = authorized(b, "bob.rig1");
    start = c->diff;
    for (uint32_t i = 0; i < 31; i++)
        assert_string_equal(submit(c, "alice.rig1", "00000000000000c1", i), OK_REPLY);
    assert_true(c->diff == start);
    /* 32 of 64: the answer, then the difficulty raised at once. */
    snprintf(want, sizeof(want), "%s{\"id\":null,\"method\":\"mining.set_difficulty\"", OK_REPLY);
    assert_memory_equal(submit(c, "alice.rig1", "00000000000000c1", 31), want, strlen(want));
    assert_true(c->diff == start * 4);
    assert_int_equal(c->dups.count, 32);
    /* The job was sent under the old difficulty: its shares still count at it. */
    for (uint32_t i = 32; i < 64; i++) {
        const char *got = submit(c, "alice.rig1", "00000000000000c1", i);
        if (strncmp(got, OK_REPLY, strlen(OK_REPLY)) != 0)   /* vardiff may follow */
            fail_msg("share %u: %s", i, got);
    }
    snprintf(want, sizeof(want),
             "{\"id\":9,\"result\":null,\"error\":[20,\"Too many shares on live jobs\",null]}\n");
    assert_string_equal(submit(c, "alice.rig1", "00000000000000c1", 64), want);
    /* A duplicate is still a duplicate, not "too many". */
    assert_non_null(strstr(submit(c, "alice.rig1", "00000000000000c1", 3), "[22,"));
    /* The other miner is not affected. */
    assert_string_equal(submit(other, "bob.rig1", "00000000000000c1", 64), OK_REPLY);
    assert_int_equal(other->dups.count, 1);
    /* A clean job: the old one is stale, the set is emptied at the next insert. */
    j = gt_genesis_json("00000000000000c2", 1);
    assert_int_equal(st_server_on_job(&b->srv, j), 0);
    json_decref(j);
    b->srv.fake_now += 2;
    assert_int_equal(b->srv.jobs.live_seq, 2);
    for (uint32_t n = 0, i = 0; n < 4; i++)   /* now at 4x: about 1 nonce in 4 passes */
        n += strcmp(submit(c, "alice.rig1", "00000000000000c2", i), OK_REPLY) == 0;
    assert_true(c->dups.count == 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shares, setup, teardown),
        cmocka_unit_test_setup_teardown(test_workers_and_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strike_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strike_out_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dups_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
