/* Tests of ut_meta, the sending side of the accounting path: per-minute,
 * per-user and per-worker aggregation and the exact batch body, splitting
 * into batches of max_batch_records, spooling when there is no upstream,
 * replay of an earlier process's spool with the original identity (and a
 * new epoch for the new process), retry after "retry later", quarantine
 * after "bad", and refusing new batches past max_spool_bytes. The
 * upstream is a real ut_rpc server on loopback in the same loop. The share
 * journal: a child process counts, syncs and is killed with SIGKILL; the
 * next ut_meta on the same spool rebuilds the batch with the journal's
 * identity, drops a torn tail, and discards a journal whose batch is
 * already spooled. max_spool_bytes counts each batch once (link up or
 * down). A batch that cannot be spooled keeps its journal, is spooled by
 * the tick once writes work again (or rebuilt by the next process).
 * Hostile numbers: an accepted share with a NaN, infinite, negative or
 * huge diff or goal (or one that would take a minute's sum past 1e60) is
 * refused and counted in ut_meta_refused, the batch holds exactly the good
 * shares and passes ut_meta_body_check; a journal whose records carry
 * corrupt numbers (non-finite or out-of-range doubles, minutes and times
 * that are not sane) is replayed without them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "dir_testkit.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utils/ut_cmd.h"
#include "utils/ut_crc32c.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"
#include "utils/ut_meta_check.h"
#include "utils/ut_rpc_link.h"
#include "utils/ut_spool.h"

#define M0 1795321680      /* a unix minute */

static double fake_now;

static double fake_clock(void *arg)
{
    return fake_now;
}

static char *make_dir(void)
{
    return dirk_make("meta");
}

static void remove_dir(char *d)
{
    dirk_remove(d);
}

static int count_files(const char *d, const char *suffix)
{
    DIR *dir = opendir(d);
    struct dirent *e;
    int n = 0;
    while (dir && (e = readdir(dir)) != NULL) {
        size_t l = strlen(e->d_name), s = strlen(suffix);
        if (l > s && strcmp(e->d_name + l - s, suffix) == 0)
            n++;
    }
    if (dir)
        closedir(dir);
    return n;
}

static int find_journal(const char *d, char *path, size_t n);

/* True when the journal of the batch seq 1 of source "src" is in d. */
static bool journal1_present(const char *d)
{
    DIR *dir = opendir(d);
    struct dirent *e;
    bool found = false;
    while (dir && (e = readdir(dir)) != NULL) {
        size_t l = strlen(e->d_name);
        found = found || (strncmp(e->d_name, "mj-src.", 7) == 0 && l > 11 &&
                          strcmp(e->d_name + l - 11, ".0000000001") == 0);
    }
    if (dir)
        closedir(dir);
    return found;
}

/* The spooled batch bodies of source "src", sorted by name. */
static json_t *read_spool(const char *dir)
{
    ut_spool *s = ut_spool_open(dir, "mb-src.", 0);
    assert_non_null(s);
    size_t n = 0;
    char **names = ut_spool_list(s, &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        char *data;
        size_t len;
        assert_int_equal(ut_spool_get(s, names[i], &data, &len), 0);
        json_t *b = json_loadb(data, len, 0, NULL);
        assert_non_null(b);
        json_array_append_new(arr, b);
        free(data);
        free(names[i]);
    }
    free(names);
    ut_spool_close(s);
    return arr;
}

static ut_meta_cfg base_cfg(const char *dir, const char *upstream)
{
    ut_meta_cfg c = {.coin = "btc", .host = "gw-a", .source_id = "src", .upstream = upstream,
                     .spool_dir = dir, .flush_interval = 3600, .clock = fake_clock};
    return c;
}

static void assert_int_field(json_t *o, const char *k, json_int_t v)
{
    json_t *x = json_object_get(o, k);
    assert_true(json_is_integer(x));
    assert_int_equal(json_integer_value(x), v);
}

static void assert_real_field(json_t *o, const char *k, double v)
{
    json_t *x = json_object_get(o, k);
    assert_true(json_is_number(x));
    assert_true(json_number_value(x) == v);
}

static void assert_str_field(json_t *o, const char *k, const char *v)
{
    assert_string_equal(json_string_value(json_object_get(o, k)), v);
}

static void check_share(json_t *r, json_int_t t, const char *u, const char *w, json_int_t s,
                        double p, double g, json_int_t rej)
{
    assert_int_field(r, "t", t);
    assert_str_field(r, "user", u);
    assert_str_field(r, "worker", w);
    if (s) {
        assert_int_field(r, "s", s);
        assert_real_field(r, "p", p);
        assert_real_field(r, "g", g);
    } else {
        assert_null(json_object_get(r, "s"));
    }
    if (rej)
        assert_int_field(r, "r", rej);
    else
        assert_null(json_object_get(r, "r"));
}

/* ---- aggregation and the batch body ---- */

static void test_aggregation_body(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    fake_now = M0 + 10;
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_non_null(m);
    ut_meta_connections(m, 5);
    for (int i = 0; i < 3; i++)
        ut_meta_share(m, "alice", "rig1", 2.0, 2.0 / 1024, true);
    ut_meta_share(m, "alice", "rig1", 2.0, 2.0 / 1024, false);
    ut_meta_stale(m, "alice", "rig1");
    ut_meta_stale(m, "alice", "rig1");
    ut_meta_share(m, "alice", "rig2", 0.5, 0.5 / 1024, true);
    ut_meta_share(m, "alice", "rig2", 0.5, 0.5 / 1024, true);
    ut_meta_share(m, "bob", "", 4.0, 4.0 / 1024, true);
    ut_meta_new_worker(m, "alice", "rig1");
    ut_meta_event(m, "alice", "rig1", "10.0.0.1", "connected");
    ut_meta_block(m, "alice", "rig1", "00ff");
    ut_meta_block_info(m, "bob", "", "00ee", 101, 5000001234);
    ut_meta_block_info(m, "bob", "", "00dd", -1, 2100000000000001);  /* neither known */
    fake_now = M0 + 65;                       /* the next minute */
    ut_meta_share(m, "alice", "rig1", 2.0, 2.0 / 1024, true);
    ut_meta_connections(m, 7);
    ut_meta_flush(m);
    assert_int_equal(ut_meta_pending(m), 1);
    assert_true(ut_meta_spooled_bytes(m) > 0);   /* no upstream: spooled at once */

    json_t *batches = read_spool(dir);
    assert_int_equal(json_array_size(batches), 1);
    json_t *b = json_array_get(batches, 0);
    assert_int_field(b, "v", 1);
    assert_str_field(b, "source", "src");
    assert_str_field(b, "epoch", ut_meta_epoch(m));
    assert_int_field(b, "seq", 1);
    assert_str_field(b, "coin", "btc");
    assert_str_field(b, "coin_name", "BTC");
    assert_str_field(b, "host", "gw-a");
    json_t *sh = json_object_get(b, "shares");
    assert_int_equal(json_array_size(sh), 4);
    check_share(json_array_get(sh, 0), M0, "alice", "rig1", 3, 6.0, 6.0 / 1024, 3);
    assert_int_field(json_array_get(sh, 0), "st", 2);  /* stale: 2 of the 3 rejects */
    check_share(json_array_get(sh, 1), M0, "alice", "rig2", 2, 1.0, 1.0 / 1024, 0);
    assert_null(json_object_get(json_array_get(sh, 1), "st"));
    check_share(json_array_get(sh, 2), M0, "bob", "", 1, 4.0, 4.0 / 1024, 0);
    check_share(json_array_get(sh, 3), M0 + 60, "alice", "rig1", 1, 2.0, 2.0 / 1024, 0);

    json_t *sys = json_object_get(b, "system");
    assert_int_equal(json_array_size(sys), 2);
    json_t *s0 = json_array_get(sys, 0), *s1 = json_array_get(sys, 1);
    assert_int_field(s0, "t", M0);
    assert_real_field(s0, "pow", 11.0);
    assert_int_field(s0, "share", 6);
    assert_int_field(s0, "reject", 3);
    assert_int_field(s0, "stale", 2);
    assert_int_field(s0, "block", 3);
    assert_int_field(s0, "connections", 5);   /* the count held when M0 ended */
    assert_int_field(s1, "t", M0 + 60);
    assert_real_field(s1, "pow", 2.0);
    assert_int_field(s1, "share", 1);
    assert_null(json_object_get(s1, "connections"));  /* M0+60 has not ended */
    assert_null(json_object_get(s1, "reject"));
    assert_null(json_object_get(s1, "stale"));
    char err[200];
    assert_int_equal(ut_meta_body_check(b, err, sizeof(err)), 0);

    json_t *ev = json_object_get(b, "events");
    assert_int_equal(json_array_size(ev), 5);
    assert_str_field(json_array_get(ev, 0), "type", "newworker");
    assert_str_field(json_array_get(ev, 1), "type", "newevent");
    assert_str_field(json_array_get(ev, 1), "peer", "10.0.0.1");
    assert_str_field(json_array_get(ev, 1), "event", "connected");
    assert_str_field(json_array_get(ev, 2), "type", "newblock");
    assert_str_field(json_array_get(ev, 2), "hash", "00ff");
    assert_null(json_object_get(json_array_get(ev, 2), "height"));
    assert_str_field(json_array_get(ev, 3), "hash", "00ee");
    assert_int_field(json_array_get(ev, 3), "height", 101);
    assert_int_field(json_array_get(ev, 3), "reward", 5000001234);
    assert_str_field(json_array_get(ev, 4), "hash", "00dd");
    assert_null(json_object_get(json_array_get(ev, 4), "height"));
    assert_null(json_object_get(json_array_get(ev, 4), "reward"));
    json_decref(batches);

    /* Nothing new counted: a flush makes no batch and uses no seq. */
    ut_meta_flush(m);
    assert_int_equal(ut_meta_pending(m), 1);
    /* After M0+60 ends, its connection count (7) goes out, in batch 2. */
    fake_now = M0 + 125;
    ut_meta_flush(m);
    assert_int_equal(ut_meta_pending(m), 2);
    batches = read_spool(dir);
    b = json_array_get(batches, 1);
    assert_int_field(b, "seq", 2);
    sys = json_object_get(b, "system");
    assert_int_equal(json_array_size(sys), 1);
    assert_int_field(json_array_get(sys, 0), "t", M0 + 60);
    assert_int_field(json_array_get(sys, 0), "connections", 7);
    assert_int_equal(json_array_size(json_object_get(b, "shares")), 0);
    json_decref(batches);

    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

static void test_split_batches(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    cfg.max_batch_records = 2;
    fake_now = M0 + 1;
    ut_meta *m = ut_meta_create(loop, &cfg);
    ut_meta_share(m, "u1", "w", 1.0, 0.5, true);
    ut_meta_share(m, "u2", "w", 1.0, 0.5, true);
    ut_meta_share(m, "u3", "w", 1.0, 0.5, true);
    ut_meta_new_worker(m, "u3", "w");
    ut_meta_flush(m);                 /* 1 system + 3 shares + 1 event = 5 records */
    json_t *batches = read_spool(dir);
    assert_int_equal(json_array_size(batches), 3);
    size_t shares = 0, sys = 0, evs = 0;
    for (size_t i = 0; i < 3; i++) {
        json_t *b = json_array_get(batches, i);
        assert_int_field(b, "seq", (json_int_t)i + 1);
        size_t n = json_array_size(json_object_get(b, "shares")) +
                   json_array_size(json_object_get(b, "system")) +
                   json_array_size(json_object_get(b, "events"));
        assert_true(n >= 1 && n <= 2);
        shares += json_array_size(json_object_get(b, "shares"));
        sys += json_array_size(json_object_get(b, "system"));
        evs += json_array_size(json_object_get(b, "events"));
    }
    assert_int_equal(shares, 3);
    assert_int_equal(sys, 1);
    assert_int_equal(evs, 1);
    json_decref(batches);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* ---- a fake upstream ---- */

typedef struct upstream {
    struct ev_loop *loop;
    ut_rpc_svr *svr;
    int port;
    uint32_t answers[8];      /* status of the n-th request; later ones: OK */
    int nreq;
    char epochs[16][17];
    uint64_t seqs[16];
} upstream;

static void up_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    upstream *u = udata;
    assert_int_equal(msg->command, CMD_MW_BATCH);
    json_t *b = json_loadb(msg->body, msg->body_len, 0, NULL);
    ut_meta_ident id;
    assert_int_equal(ut_meta_ident_parse(b, &id), 0);
    json_decref(b);
    int i = u->nreq++;
    if (i < 16) {
        snprintf(u->epochs[i], sizeof(u->epochs[i]), "%s", id.epoch);
        u->seqs[i] = id.seq;
    }
    uint32_t st = i < 8 ? u->answers[i] : 0;
    const char *body = st == 0 ? "{\"v\":1,\"result\":\"applied\"}" : "{\"v\":1,\"error\":\"x\"}";
    ut_rpc_reply(link, msg, st, body, strlen(body));
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

static void upstream_start(upstream *u, struct ev_loop *loop, int port)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    u->loop = loop;
    u->port = port;
    ut_rpc_cfg c = {.addr = addr};
    ut_rpc_handlers h = {.on_msg = up_on_msg};
    u->svr = ut_rpc_svr_create(loop, &c, &h, u);
    assert_non_null(u->svr);
    assert_int_equal(ut_rpc_svr_start(u->svr), 0);
}

static void noop(struct ev_loop *loop, ev_timer *w, int revents)
{
}

static bool run_until(struct ev_loop *loop, ut_meta *m, size_t pending, double secs)
{
    ev_timer t;
    ev_timer_init(&t, noop, 0.01, 0.01);
    ev_timer_start(loop, &t);
    double end = ev_time() + secs;
    while (ut_meta_pending(m) != pending && ev_time() < end)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &t);
    return ut_meta_pending(m) == pending;
}

/* ---- a lent link (mineragent: no upstream address of its own) ---- */

typedef struct lender {
    ut_meta *m;
    int ups, downs;
} lender;

static void lend_up(ut_rpc_link *link, void *udata)
{
    lender *l = udata;
    l->ups++;
    ut_meta_link_up(l->m, link);
}

static void lend_down(ut_rpc_link *link, const char *reason, void *udata)
{
    lender *l = udata;
    l->downs++;
    ut_meta_link_down(l->m, reason);
}

static void lend_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
}

/* Batches wait while no link is lent, go out on the lent link, wait again
 * when it goes away, and go out once more when another is lent. */
static void test_lent_link(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    int port = free_port();
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);

    ut_meta_cfg cfg = base_cfg(dir, NULL);
    fake_now = M0 + 5;
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_non_null(m);
    assert_int_equal(ut_meta_start(m), 0);
    ut_meta_share(m, "alice", "rig1", 1.0, 0.25, true);
    ut_meta_flush(m);
    assert_int_equal(ut_meta_pending(m), 1);

    upstream u = {.answers = {0}};
    upstream_start(&u, loop, port);
    lender l = {.m = m};
    ut_rpc_cfg cc = {.addr = addr};
    ut_rpc_handlers h = {.on_msg = lend_msg, .on_up = lend_up, .on_down = lend_down};
    ut_rpc_clt *clt = ut_rpc_clt_create(loop, &cc, &h, &l);
    assert_non_null(clt);
    assert_int_equal(ut_rpc_clt_start(clt), 0);
    assert_true(run_until(loop, m, 0, 10.0));
    assert_int_equal(l.ups, 1);
    assert_int_equal(u.nreq, 1);
    assert_int_equal(ut_meta_acked(m), 1);

    /* The owner takes the link back: counts wait (spooled), then go out on
     * the next link lent. */
    ut_rpc_clt_free(clt);
    ut_meta_link_down(m, "test");
    ut_meta_share(m, "alice", "rig1", 1.0, 0.25, true);
    ut_meta_flush(m);
    assert_false(run_until(loop, m, 0, 0.3));
    assert_int_equal(u.nreq, 1);
    clt = ut_rpc_clt_create(loop, &cc, &h, &l);
    assert_int_equal(ut_rpc_clt_start(clt), 0);
    assert_true(run_until(loop, m, 0, 10.0));
    assert_int_equal(u.nreq, 2);
    assert_int_equal(ut_meta_acked(m), 2);

    ut_rpc_clt_free(clt);       /* the lender's on_down still talks to m */
    ut_meta_free(m);
    ut_rpc_svr_free(u.svr);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* ---- spool and replay ---- */

static void test_replay_after_restart(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    int port = free_port();
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);

    /* First process: upstream down the whole time; free spools. */
    ut_meta_cfg cfg = base_cfg(dir, addr);
    fake_now = M0 + 5;
    ut_meta *m1 = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_start(m1), 0);
    ut_meta_share(m1, "alice", "rig1", 1.0, 0.25, true);
    ut_meta_flush(m1);
    ut_meta_share(m1, "alice", "rig1", 1.0, 0.25, true);   /* flushed by free */
    char epoch1[17];
    snprintf(epoch1, sizeof(epoch1), "%s", ut_meta_epoch(m1));
    ut_meta_free(m1);
    assert_int_equal(count_files(dir, ".batch"), 2);

    /* Second process: finds both, resends them with their identity; the
     * upstream answers "retry later" once, then OK. */
    upstream u = {.answers = {UT_META_ST_RETRY}};
    upstream_start(&u, loop, port);
    ut_meta *m2 = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_pending(m2), 2);
    assert_string_not_equal(ut_meta_epoch(m2), epoch1);
    assert_int_equal(ut_meta_start(m2), 0);
    assert_true(run_until(loop, m2, 0, 10.0));
    assert_int_equal(u.nreq, 3);            /* seq 1 twice (retry), seq 2 once */
    int seen1 = 0, seen2 = 0;
    for (int i = 0; i < u.nreq; i++) {
        assert_string_equal(u.epochs[i], epoch1);
        seen1 += u.seqs[i] == 1;
        seen2 += u.seqs[i] == 2;
    }
    assert_int_equal(seen1, 2);
    assert_int_equal(seen2, 1);
    assert_int_equal(ut_meta_acked(m2), 2);
    assert_int_equal(ut_meta_spooled_bytes(m2), 0);
    assert_int_equal(count_files(dir, ".batch"), 0);

    /* New counts of the second process carry its own epoch, seq 1. */
    ut_meta_share(m2, "bob", "", 1.0, 0.25, true);
    ut_meta_flush(m2);
    assert_true(run_until(loop, m2, 0, 10.0));
    assert_int_equal(u.nreq, 4);
    assert_string_equal(u.epochs[3], ut_meta_epoch(m2));
    assert_int_equal(u.seqs[3], 1);
    ut_meta_free(m2);
    ut_rpc_svr_free(u.svr);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

static void test_bad_is_quarantined(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    int port = free_port();
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    upstream u = {.answers = {UT_META_ST_BAD}};
    upstream_start(&u, loop, port);
    ut_meta_cfg cfg = base_cfg(dir, addr);
    fake_now = M0;
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_start(m), 0);
    ut_meta_share(m, "alice", "rig1", 1.0, 0.25, true);
    ut_meta_flush(m);
    assert_true(run_until(loop, m, 0, 10.0));
    assert_int_equal(u.nreq, 1);
    assert_int_equal(ut_meta_acked(m), 0);
    assert_int_equal(count_files(dir, ".bad"), 1);
    assert_int_equal(count_files(dir, ".batch"), 0);
    ut_meta_free(m);
    ut_rpc_svr_free(u.svr);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

static void test_spool_limit(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    cfg.max_spool_bytes = 500;
    fake_now = M0;
    ut_meta *m = ut_meta_create(loop, &cfg);
    ut_meta_share(m, "alice", "rig1", 1.0, 0.25, true);
    ut_meta_flush(m);
    assert_int_equal(ut_meta_pending(m), 1);
    uint64_t bytes = ut_meta_spooled_bytes(m);
    assert_true(bytes > 200 && bytes < 500);
    ut_meta_share(m, "alice", "rig1", 1.0, 0.25, true);
    ut_meta_flush(m);                      /* would pass 500 bytes: refused */
    assert_int_equal(ut_meta_pending(m), 1);
    assert_int_equal(ut_meta_spooled_bytes(m), bytes);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* The spooled size of one batch of a single share (alice.rig1 at M0+5). */
static uint64_t one_batch_bytes(void)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    fake_now = M0 + 5;
    ut_meta *m = ut_meta_create(loop, &cfg);
    ut_meta_share(m, "alice", "rig1", 1.0, 0.25, true);
    ut_meta_flush(m);
    uint64_t bytes = ut_meta_spooled_bytes(m);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
    return bytes;
}

/* max_spool_bytes holds exactly N batches: N are kept, the N+1th refused.
 * up: the link is up and the batches are in flight (bodies in memory as
 * well as on disk: still counted once); else the upstream is down. */
static void spool_limit_n(bool up)
{
    enum { N = 4 };
    uint64_t one = one_batch_bytes();
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    int port = free_port();
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    upstream u = {.answers = {UT_META_ST_RETRY, UT_META_ST_RETRY, UT_META_ST_RETRY,
                              UT_META_ST_RETRY, UT_META_ST_RETRY}};
    if (up)
        upstream_start(&u, loop, port);
    ut_meta_cfg cfg = base_cfg(dir, addr);
    cfg.max_spool_bytes = N * one;
    fake_now = M0 + 5;
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_start(m), 0);
    run_until(loop, m, 99, 0.3);                 /* let the link come up (or not) */
    for (int i = 0; i < N + 1; i++) {
        ut_meta_share(m, "alice", "rig1", 1.0, 0.25, true);
        ut_meta_flush(m);
        assert_int_equal(ut_meta_pending(m), i < N ? (size_t)i + 1 : (size_t)N);
    }
    assert_int_equal(ut_meta_spooled_bytes(m), N * one);
    assert_int_equal(count_files(dir, ".batch"), N);
    ut_meta_free(m);
    if (up)
        ut_rpc_svr_free(u.svr);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

static void test_spool_limit_counts_once(void **state)
{
    spool_limit_n(false);
    spool_limit_n(true);
}

/* Spooling fails when a batch is closed: the journal stays, the batch is
 * held (not sent), and the tick spools it later with the same identity,
 * then removes the journal. No second batch appears on a restart. */
static void test_spool_failure_keeps_journal(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    fake_now = M0 + 5;
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_start(m), 0);
    ut_meta_share(m, "alice", "rig1", 2.0, 0.5, true);
    ut_meta_share(m, "alice", "rig1", 2.0, 0.5, true);
    ut_spool_test_fail_writes(1000);
    ut_meta_flush(m);
    assert_int_equal(ut_meta_pending(m), 1);
    assert_int_equal(count_files(dir, ".batch"), 0);
    assert_true(journal1_present(dir));
    run_until(loop, m, 99, 1.5);                 /* ticks: still failing */
    assert_int_equal(count_files(dir, ".batch"), 0);
    assert_true(journal1_present(dir));

    ut_spool_test_fail_writes(0);
    double end = ev_time() + 5.0;
    while (count_files(dir, ".batch") == 0 && ev_time() < end)
        run_until(loop, m, 99, 0.1);
    assert_int_equal(count_files(dir, ".batch"), 1);
    assert_false(journal1_present(dir));
    assert_int_equal(ut_meta_pending(m), 1);
    json_t *arr = read_spool(dir);
    assert_int_equal(json_array_size(arr), 1);
    json_t *b = json_array_get(arr, 0);
    assert_str_field(b, "epoch", ut_meta_epoch(m));
    assert_int_field(b, "seq", 1);
    check_share(json_array_get(json_object_get(b, "shares"), 0), M0, "alice", "rig1", 2, 4.0,
                1.0, 0);
    json_decref(arr);
    ut_meta_free(m);

    m = ut_meta_create(loop, &cfg);              /* a restart: still one batch */
    assert_int_equal(ut_meta_pending(m), 1);
    assert_int_equal(count_files(dir, ".batch"), 1);
    json_t *again = read_spool(dir);
    assert_int_equal(json_array_size(again), 1);
    assert_int_field(json_array_get(again, 0), "seq", 1);
    json_decref(again);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* The disk stays unwritable until the process ends: the next process
 * rebuilds the batch from the kept journal with its identity. */
static void test_spool_failure_until_restart(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    char jpath[512];
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    fake_now = M0 + 5;
    ut_meta *m = ut_meta_create(loop, &cfg);
    char epoch1[17];
    snprintf(epoch1, sizeof(epoch1), "%s", ut_meta_epoch(m));
    ut_meta_share(m, "bob", "", 8.0, 1.0, true);
    ut_spool_test_fail_writes(1000);
    ut_meta_flush(m);
    ut_meta_free(m);
    ut_spool_test_fail_writes(0);
    assert_int_equal(count_files(dir, ".batch"), 0);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 1);

    m = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_pending(m), 1);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 0);
    json_t *arr = read_spool(dir);
    assert_int_equal(json_array_size(arr), 1);
    json_t *b = json_array_get(arr, 0);
    assert_str_field(b, "epoch", epoch1);
    assert_int_field(b, "seq", 1);
    check_share(json_array_get(json_object_get(b, "shares"), 0), M0, "bob", "", 1, 8.0, 1.0,
                0);
    json_decref(arr);
    ut_meta_free(m);
    assert_int_equal(count_files(dir, ".batch"), 1);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* ut_spool: put/get/del with byte accounting, a corrupt record is moved
 * to .bad, another prefix's files are not ours, the limit is kept. */
static void test_spool(void **state)
{
    char *dir = make_dir();
    ut_spool *s = ut_spool_open(dir, "mb-a.", 100);
    assert_non_null(s);
    assert_int_equal(ut_spool_put(s, "mb-a.1", "hello", 5), 0);
    assert_int_equal(ut_spool_bytes(s), 12 + 5);
    assert_int_equal(ut_spool_put(s, "mb-a.2", "world!", 6), 0);
    assert_int_equal(ut_spool_put(s, "mb-a.3", "x", 90), -2);     /* past 100 bytes */
    assert_int_equal(ut_spool_put(s, "mb-a/../x", "x", 1), -1);   /* bad name */
    ut_spool *other = ut_spool_open(dir, "mb-b.", 0);
    assert_int_equal(ut_spool_put(other, "mb-b.1", "other", 5), 0);
    char *data;
    size_t len, n;
    assert_int_equal(ut_spool_get(s, "mb-a.2", &data, &len), 0);
    assert_int_equal(len, 6);
    assert_string_equal(data, "world!");
    free(data);
    /* a reopened spool counts the same bytes and lists only its records */
    ut_spool_close(s);
    s = ut_spool_open(dir, "mb-a.", 100);
    assert_int_equal(ut_spool_bytes(s), 12 + 5 + 12 + 6);
    char **names = ut_spool_list(s, &n);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "mb-a.1");
    assert_string_equal(names[1], "mb-a.2");
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    /* flip a body byte: the CRC catches it */
    char path[512];
    snprintf(path, sizeof(path), "%s/mb-a.1.batch", dir);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 13, SEEK_SET);
    fputc('X', f);
    fclose(f);
    assert_int_equal(ut_spool_get(s, "mb-a.1", &data, &len), -2);
    assert_int_equal(count_files(dir, ".bad"), 1);
    assert_int_equal(ut_spool_bytes(s), 12 + 6);
    assert_int_equal(ut_spool_del(s, "mb-a.2"), 0);
    assert_int_equal(ut_spool_del(s, "mb-a.2"), -1);
    assert_int_equal(ut_spool_bytes(s), 0);
    assert_int_equal(ut_spool_bytes(other), 12 + 5);
    ut_spool_close(s);
    ut_spool_close(other);
    remove_dir(dir);
}

/* An agent's source id: "ag-<id>", only for ids a source can carry. */
static void test_agent_source(void **state)
{
    char out[UT_META_SOURCE_MAX + 1];
    assert_true(ut_meta_agent_source("farm1", out, sizeof(out)));
    assert_string_equal(out, "ag-farm1");
    assert_true(ut_meta_agent_source("Farm_2-b", out, sizeof(out)));
    static const char *bad[] = {"", "farm.1", "farm:1", "farm 1", "f/../x", NULL,
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(ut_meta_agent_source(bad[i], out, sizeof(out)));
        assert_string_equal(out, "");
    }
}

static void test_ident(void **state)
{
    json_t *b = json_pack("{s:s, s:s, s:i}", "source", "gw1-p0", "epoch", "0123456789abcdef",
                          "seq", 7);
    ut_meta_ident id;
    assert_int_equal(ut_meta_ident_parse(b, &id), 0);
    char buf[128];
    assert_string_equal(ut_meta_ident_str(&id, buf, sizeof(buf)), "gw1-p0/0123456789abcdef/7");
    json_object_set_new(b, "epoch", json_string("0123456789ABCDEF"));
    assert_int_equal(ut_meta_ident_parse(b, &id), -1);
    json_object_set_new(b, "epoch", json_string("0123456789abcdef"));
    json_object_set_new(b, "source", json_string("a/b"));
    assert_int_equal(ut_meta_ident_parse(b, &id), -1);
    json_object_set_new(b, "source", json_string("ok"));
    json_object_set_new(b, "seq", json_integer(0));
    assert_int_equal(ut_meta_ident_parse(b, &id), -1);
    json_decref(b);
    assert_false(ut_meta_source_ok("gw.1"));
    assert_true(ut_meta_source_ok("gw:1_a-b"));
}

/* ---- share journal ---- */

/* Number of journals of source "src" in d; the last one's path in path. */
static int find_journal(const char *d, char *path, size_t n)
{
    DIR *dir = opendir(d);
    struct dirent *e;
    int cnt = 0;
    while (dir && (e = readdir(dir)) != NULL) {
        if (strncmp(e->d_name, "mj-src.", 7) != 0)
            continue;
        snprintf(path, n, "%s/%s", d, e->d_name);
        cnt++;
    }
    if (dir)
        closedir(dir);
    return cnt;
}

typedef void (*child_fn)(ut_meta *m);

/* Runs fn on a fresh ut_meta in a child that is then killed with SIGKILL:
 * no ut_meta_free, no flush, just what the journal holds. */
static void crash_child(const char *dir, child_fn fn)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct ev_loop *loop = ev_loop_new(0);
        ut_meta_cfg cfg = base_cfg(dir, NULL);
        ut_meta *m = ut_meta_create(loop, &cfg);
        if (m)
            fn(m);
        raise(SIGKILL);
        _exit(3);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static void child_counts(ut_meta *m)
{
    fake_now = M0 + 5;
    ut_meta_share(m, "alice", "rig1", 4.0, 0.5, true);
    ut_meta_flush(m);                                   /* seq 1: spooled */
    ut_meta_share(m, "alice", "rig1", 2.0, 0.25, true);
    ut_meta_share(m, "alice", "rig1", 2.0, 0.25, true);
    ut_meta_sync(m);
    fake_now = M0 + 65;
    ut_meta_share(m, "bob", "", 8.0, 1.0, true);
    ut_meta_share(m, "bob", "", 1.0, 0.0, false);
    ut_meta_stale(m, "bob", "");
    ut_meta_new_worker(m, "bob", "x");
    ut_meta_block(m, "bob", "", "00ab");
    ut_meta_block_info(m, "bob", "", "00ac", 7, 625000000);   /* journal record 'K' */
    ut_meta_sync(m);
    ut_meta_share(m, "carol", "", 1.0, 0.0, true);     /* never synced: never answered */
}

static void test_journal_after_crash(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    char jpath[512];
    crash_child(dir, child_counts);
    assert_int_equal(count_files(dir, ".batch"), 1);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 1);

    ut_meta_cfg cfg = base_cfg(dir, NULL);
    fake_now = M0 + 200;
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_non_null(m);
    assert_int_equal(ut_meta_pending(m), 2);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 0);
    json_t *arr = read_spool(dir);
    assert_int_equal(json_array_size(arr), 2);
    json_t *b1 = json_array_get(arr, 0), *b2 = json_array_get(arr, 1);
    assert_str_field(b2, "epoch", json_string_value(json_object_get(b1, "epoch")));
    assert_string_not_equal(ut_meta_epoch(m), json_string_value(json_object_get(b1, "epoch")));
    assert_int_field(b1, "seq", 1);
    assert_int_field(b2, "seq", 2);
    json_t *sh = json_object_get(b2, "shares");
    assert_int_equal(json_array_size(sh), 2);
    check_share(json_array_get(sh, 0), M0, "alice", "rig1", 2, 4.0, 0.5, 0);
    check_share(json_array_get(sh, 1), M0 + 60, "bob", "", 1, 8.0, 1.0, 2);
    assert_null(json_object_get(json_array_get(sh, 0), "st"));
    assert_int_field(json_array_get(sh, 1), "st", 1);   /* the 'T' journal record */
    json_t *sys = json_object_get(b2, "system");
    assert_int_equal(json_array_size(sys), 2);
    assert_int_field(json_array_get(sys, 0), "share", 2);
    assert_null(json_object_get(json_array_get(sys, 0), "stale"));
    assert_int_field(json_array_get(sys, 1), "share", 1);
    assert_int_field(json_array_get(sys, 1), "reject", 2);
    assert_int_field(json_array_get(sys, 1), "stale", 1);
    assert_int_field(json_array_get(sys, 1), "block", 2);
    json_t *ev = json_object_get(b2, "events");
    assert_int_equal(json_array_size(ev), 3);
    assert_str_field(json_array_get(ev, 0), "type", "newworker");
    assert_str_field(json_array_get(ev, 1), "type", "newblock");
    assert_str_field(json_array_get(ev, 1), "hash", "00ab");
    assert_null(json_object_get(json_array_get(ev, 1), "height"));
    assert_str_field(json_array_get(ev, 2), "hash", "00ac");
    assert_int_field(json_array_get(ev, 2), "height", 7);
    assert_int_field(json_array_get(ev, 2), "reward", 625000000);
    json_decref(arr);
    ut_meta_free(m);
    assert_int_equal(count_files(dir, ".batch"), 2);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* Names longer than the cell key built on the stack (256 bytes). */
static char long_user[301], long_worker[301];

static void make_long_names(void)
{
    memset(long_user, 'u', 300);
    memset(long_worker, 'w', 300);
}

/* 1,000 workers (the cell table doubles several times) and one worker with
 * 300-byte names: one record each, in the order first counted. */
static void count_many(ut_meta *m)
{
    char w[16];
    fake_now = M0 + 5;
    make_long_names();
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 1000; i++) {
            snprintf(w, sizeof(w), "w%d", i);
            ut_meta_share(m, "dave", w, 1.0, 0.5, true);
        }
        ut_meta_share(m, long_user, long_worker, 2.0, 0.25, true);
    }
    ut_meta_sync(m);
}

static void check_many(json_t *b)
{
    char w[16];
    json_t *sh = json_object_get(b, "shares");
    assert_int_equal(json_array_size(sh), 1001);
    for (int i = 0; i < 1000; i++) {
        snprintf(w, sizeof(w), "w%d", i);
        check_share(json_array_get(sh, (size_t)i), M0, "dave", w, 2, 2.0, 1.0, 0);
    }
    check_share(json_array_get(sh, 1000), M0, long_user, long_worker, 2, 4.0, 0.5, 0);
}

static void test_many_and_long_names(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_non_null(m);
    count_many(m);
    ut_meta_flush(m);
    json_t *arr = read_spool(dir);
    assert_int_equal(json_array_size(arr), 1);
    check_many(json_array_get(arr, 0));
    json_decref(arr);
    ut_meta_free(m);
    remove_dir(dir);

    /* The same rebuilt from the journal of a process that died. */
    dir = make_dir();
    crash_child(dir, count_many);
    cfg = base_cfg(dir, NULL);
    fake_now = M0 + 200;
    m = ut_meta_create(loop, &cfg);
    assert_non_null(m);
    arr = read_spool(dir);
    assert_int_equal(json_array_size(arr), 1);
    check_many(json_array_get(arr, 0));
    json_decref(arr);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

static void child_torn(ut_meta *m)
{
    fake_now = M0 + 5;
    for (int i = 0; i < 3; i++)
        ut_meta_share(m, "alice", "rig1", 1.0, 0.5, true);
    ut_meta_sync(m);
    for (int i = 0; i < 2; i++)
        ut_meta_share(m, "alice", "rig1", 1.0, 0.5, true);
    ut_meta_sync(m);
}

static void test_journal_torn_tail(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    char jpath[512];
    crash_child(dir, child_torn);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 1);
    FILE *f = fopen(jpath, "r+");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_int_equal(truncate(jpath, size - 5), 0);    /* a write cut short */

    ut_meta_cfg cfg = base_cfg(dir, NULL);
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_pending(m), 1);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 0);
    json_t *arr = read_spool(dir);
    json_t *b = json_array_get(arr, 0);
    assert_int_field(b, "seq", 1);
    json_t *sh = json_object_get(b, "shares");
    assert_int_equal(json_array_size(sh), 1);
    check_share(json_array_get(sh, 0), M0, "alice", "rig1", 3, 3.0, 1.5, 0);
    json_decref(arr);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

static void child_two(ut_meta *m)
{
    fake_now = M0 + 5;
    ut_meta_share(m, "alice", "rig1", 1.0, 0.5, true);
    ut_meta_share(m, "alice", "rig2", 1.0, 0.5, true);
    ut_meta_sync(m);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    *n = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

/* A crash after the batch was spooled but before its journal went: the
 * journal is discarded, no second batch appears. */
static void test_journal_already_spooled(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    char jpath[512];
    crash_child(dir, child_two);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 1);
    size_t jn;
    char *journal = slurp(jpath, &jn);

    ut_meta_cfg cfg = base_cfg(dir, NULL);
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_pending(m), 1);
    ut_meta_free(m);
    json_t *before = read_spool(dir);
    assert_int_equal(json_array_size(before), 1);

    spit(jpath, journal, jn);                            /* the journal is back */
    m = ut_meta_create(loop, &cfg);
    assert_int_equal(ut_meta_pending(m), 1);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 0);
    assert_int_equal(count_files(dir, ".batch"), 1);
    json_t *after = read_spool(dir);
    assert_true(json_equal(before, after));
    json_decref(before);
    json_decref(after);
    free(journal);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* ---- hostile numbers ---- */

static void assert_checked(json_t *body)
{
    char err[256] = "";
    if (ut_meta_body_check(body, err, sizeof(err)) != 0)
        fail_msg("the batch fails the receivers' check: %s", err);
}

static void test_share_refuses_bad_numbers(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    fake_now = M0 + 10;
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_non_null(m);
    ut_meta_share(m, "alice", "rig1", 2.0, 0.5, true);
    ut_meta_share(m, "alice", "rig1", NAN, 0.5, true);
    ut_meta_share(m, "alice", "rig1", INFINITY, 0.5, true);
    ut_meta_share(m, "alice", "rig1", -1.0, 0.5, true);
    ut_meta_share(m, "alice", "rig1", 2e60, 0.5, true);
    ut_meta_share(m, "alice", "rig1", 2.0, NAN, true);
    ut_meta_share(m, "alice", "rig1", 2.0, -INFINITY, true);
    ut_meta_share(m, "alice", "rig1", 2.0, -0.25, true);
    ut_meta_share(m, "bob", "", 6e59, 1.0, true);
    ut_meta_share(m, "bob", "", 6e59, 1.0, true);       /* bob's p would pass 1e60 */
    ut_meta_share(m, "alice", "rig1", NAN, NAN, false); /* a reject counts no diff */
    ut_meta_share(m, "carol", "", NAN, 1.0, true);      /* no record for carol at all */
    ut_meta_share(m, "alice", "rig1", 0.5, 0.25, true);
    assert_int_equal(ut_meta_refused(m), 9);
    ut_meta_flush(m);

    json_t *batches = read_spool(dir);
    assert_int_equal(json_array_size(batches), 1);
    json_t *b = json_array_get(batches, 0);
    assert_checked(b);
    json_t *sh = json_object_get(b, "shares");
    assert_int_equal(json_array_size(sh), 2);
    check_share(json_array_get(sh, 0), M0, "alice", "rig1", 2, 2.5, 0.75, 1);
    check_share(json_array_get(sh, 1), M0, "bob", "", 1, 6e59, 1.0, 0);
    json_t *sys = json_object_get(b, "system");
    assert_int_equal(json_array_size(sys), 1);
    assert_real_field(json_array_get(sys, 0), "pow", 2.5 + 6e59);
    assert_int_field(json_array_get(sys, 0), "share", 3);
    assert_int_field(json_array_get(sys, 0), "reject", 1);
    json_decref(batches);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* A journal written by hand (the format of ut_meta.c): chunks of u32
 * length, u32 CRC32C of the rest, f64 time, then records. */
typedef struct jbuf {
    unsigned char b[4096];
    size_t n, chunk;          /* chunk: where the open chunk starts */
} jbuf;

static void jb_put(jbuf *j, const void *v, size_t n)
{
    assert_true(j->n + n <= sizeof(j->b));
    memcpy(j->b + j->n, v, n);
    j->n += n;
}

static void jb_chunk(jbuf *j, double t)
{
    j->chunk = j->n;
    unsigned char zero[8] = {0};
    jb_put(j, zero, 8);
    jb_put(j, &t, 8);
}

static void jb_end(jbuf *j)
{
    uint32_t len = (uint32_t)(j->n - j->chunk - 16);
    uint32_t crc = ut_crc32c(0, j->b + j->chunk + 8, len + 8u);
    memcpy(j->b + j->chunk, &len, 4);
    memcpy(j->b + j->chunk + 4, &crc, 4);
}

static void jb_type(jbuf *j, char type)
{
    jb_put(j, &type, 1);
}

static void jb_str(jbuf *j, const char *str)
{
    uint16_t n = (uint16_t)strlen(str);
    jb_put(j, &n, 2);
    jb_put(j, str, n);
}

static void jb_pair(jbuf *j, char type, const void *a, const void *b)
{
    jb_type(j, type);
    jb_put(j, a, 8);
    jb_put(j, b, 8);
}

static void jb_cell(jbuf *j, int64_t minute, const char *user, const char *worker)
{
    jb_type(j, 'C');
    jb_put(j, &minute, 8);
    jb_str(j, user);
    jb_str(j, worker);
}

static void jb_share(jbuf *j, uint32_t cell, double diff, double goal)
{
    jb_type(j, 'A');
    jb_put(j, &cell, 4);
    jb_put(j, &diff, 8);
    jb_put(j, &goal, 8);
}

static void jb_reject(jbuf *j, uint32_t cell)
{
    jb_type(j, 'R');
    jb_put(j, &cell, 4);
}

static void jb_stale(jbuf *j, uint32_t cell)
{
    jb_type(j, 'T');
    jb_put(j, &cell, 4);
}

static void jb_block(jbuf *j, int64_t minute, const char *hash)
{
    jb_type(j, 'B');
    jb_put(j, &minute, 8);
    jb_str(j, "bob");
    jb_str(j, "");
    jb_str(j, hash);
}

/* Every number of the corrupt records is one the replay must not use. */
static void write_corrupt_journal(const char *path)
{
    jbuf j = {.n = 0};
    int64_t conn = 2, next = M0, bad_minute = 12345, neg = -7;
    double nan = NAN, t30 = M0 + 30, close = M0 + 70;
    jb_chunk(&j, M0 + 5);
    jb_pair(&j, 'H', &conn, &next);
    jb_cell(&j, M0, "alice", "rig1");                   /* cell 0 */
    jb_share(&j, 0, 1.0, 0.5);
    jb_share(&j, 0, NAN, 0.5);                          /* skipped */
    jb_share(&j, 0, 1.0, -5.0);                         /* skipped */
    jb_share(&j, 0, 1e300, 1.0);                        /* skipped */
    jb_share(&j, 0, INFINITY, 1.0);                     /* skipped */
    jb_reject(&j, 0);
    jb_cell(&j, bad_minute, "bad", "x");                /* cell 1: skipped */
    jb_share(&j, 1, 1.0, 1.0);                          /* of cell 1: skipped */
    jb_reject(&j, 1);                                   /* of cell 1: skipped */
    jb_stale(&j, 1);                                    /* of cell 1: skipped */
    jb_cell(&j, M0, "bob", "");                         /* cell 2 */
    jb_share(&j, 2, 4.0, 1.0);
    jb_stale(&j, 2);
    jb_pair(&j, 'N', &nan, &conn);                      /* skipped */
    jb_pair(&j, 'N', &t30, &neg);                       /* skipped */
    jb_block(&j, bad_minute, "00ab");                   /* skipped */
    jb_block(&j, M0, "00cd");
    jb_end(&j);
    jb_chunk(&j, NAN);                                  /* its time is not used */
    jb_share(&j, 0, 2.0, 0.25);
    jb_end(&j);
    jb_chunk(&j, M0 + 69);
    jb_pair(&j, 'X', &close, &close);
    jb_end(&j);
    spit(path, (const char *)j.b, j.n);
}

static void test_journal_skips_corrupt(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    char jpath[512];
    snprintf(jpath, sizeof(jpath), "%s/mj-src.00000000000000e1.0000000001", dir);
    write_corrupt_journal(jpath);
    ut_meta_cfg cfg = base_cfg(dir, NULL);
    fake_now = M0 + 200;
    ut_meta *m = ut_meta_create(loop, &cfg);
    assert_non_null(m);
    assert_int_equal(ut_meta_pending(m), 1);
    assert_int_equal(find_journal(dir, jpath, sizeof(jpath)), 0);
    json_t *arr = read_spool(dir);
    assert_int_equal(json_array_size(arr), 1);
    json_t *b = json_array_get(arr, 0);
    assert_checked(b);
    assert_str_field(b, "epoch", "00000000000000e1");
    assert_int_field(b, "seq", 1);
    assert_int_field(b, "time", M0 + 70);
    json_t *sh = json_object_get(b, "shares");
    assert_int_equal(json_array_size(sh), 2);
    check_share(json_array_get(sh, 0), M0, "alice", "rig1", 2, 3.0, 0.75, 1);
    check_share(json_array_get(sh, 1), M0, "bob", "", 1, 4.0, 1.0, 1);
    assert_int_field(json_array_get(sh, 1), "st", 1);
    json_t *sys = json_object_get(b, "system");
    assert_int_equal(json_array_size(sys), 1);
    json_t *s0 = json_array_get(sys, 0);
    assert_int_field(s0, "t", M0);
    assert_real_field(s0, "pow", 7.0);
    assert_int_field(s0, "share", 3);
    assert_int_field(s0, "reject", 2);
    assert_int_field(s0, "stale", 1);
    assert_int_field(s0, "block", 1);
    assert_int_field(s0, "connections", 2);
    json_t *ev = json_object_get(b, "events");
    assert_int_equal(json_array_size(ev), 1);
    assert_str_field(json_array_get(ev, 0), "hash", "00cd");
    json_decref(arr);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

int main(void)
{
    ut_log_set_level(UT_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ident),
        cmocka_unit_test(test_agent_source),
        cmocka_unit_test(test_spool),
        cmocka_unit_test(test_aggregation_body),
        cmocka_unit_test(test_split_batches),
        cmocka_unit_test(test_replay_after_restart),
        cmocka_unit_test(test_lent_link),
        cmocka_unit_test(test_bad_is_quarantined),
        cmocka_unit_test(test_spool_limit),
        cmocka_unit_test(test_journal_after_crash),
        cmocka_unit_test(test_many_and_long_names),
        cmocka_unit_test(test_journal_torn_tail),
        cmocka_unit_test(test_journal_already_spooled),
        cmocka_unit_test(test_spool_limit_counts_once),
        cmocka_unit_test(test_spool_failure_keeps_journal),
        cmocka_unit_test(test_spool_failure_until_restart),
        cmocka_unit_test(test_share_refuses_bad_numbers),
        cmocka_unit_test(test_journal_skips_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
