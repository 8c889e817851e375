/* test_sa_store: the statistics service's computations: the windows
 * (1m/10m/1h/24h sums, spans and hashrate = diff * 2^32 / span), minute
 * values updated in place (no double count in the hour sums), the first
 * load's old minutes, last share / first seen / alive, the pool and user
 * JSON (pyasic names, reject and stale percent, blocks newest first,
 * expected time to a block), Redis key names split into user and worker,
 * URL decoding, series bucketing, the orphan check (which blocks are due,
 * the node's answers -> accepted / orphaned / unknown), and statsapi --help keys == the example
 * config's keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_testkit.h"
#include "statsapi/sa_config.h"
#include "statsapi/sa_http.h"
#include "statsapi/sa_redis.h"
#include "statsapi/sa_series.h"
#include "statsapi/sa_store.h"
#include "utils/ut_node.h"

#define T0 1700000000LL                   /* a unix time; T0 % 3600 == 800 */
#define CUR (T0 / 60 * 60)                /* its minute: 1699999980 */
#define TWO32 4294967296.0

static void test_windows(void **state)
{
    sa_ent e;
    sa_win w;
    int64_t now = CUR + 30;               /* 30 s into the current minute */

    memset(&e, 0, sizeof(e));
    /* 90 minutes of 2 accepted shares of diff 1.5 each, 1 reject every
     * minute, 1 stale every 10th minute (of the rejects) */
    for (int64_t t = CUR - 89 * 60; t <= CUR; t += 60)
        sa_ent_set(&e, t, 3.0, 2, 1, (t / 60) % 10 == 0);
    sa_ent_window(&e, 0, now, &w);        /* 1m: the minute before + this one */
    assert_true(w.seconds == 90);
    assert_true(w.diff == 6.0);
    assert_int_equal(w.accepted, 4);
    assert_int_equal(w.rejected, 2);
    assert_true(fabs(w.hashrate - 6.0 * TWO32 / 90) < 1e-3);
    sa_ent_window(&e, 1, now, &w);        /* 10m: 11 minutes of data */
    assert_true(w.seconds == 630);
    assert_true(w.diff == 33.0);
    assert_int_equal(w.accepted, 22);
    assert_int_equal(w.stale, 1);         /* minute 28333330 */
    sa_ent_window(&e, 2, now, &w);        /* 1h: 61 minutes */
    assert_true(w.seconds == 3630);
    assert_int_equal(w.accepted, 122);
    sa_ent_window(&e, 3, now, &w);        /* 24h: 23 h + the current hour so far */
    assert_true(w.seconds == 23 * 3600 + (now - now / 3600 * 3600));
    assert_int_equal(w.accepted, 180);    /* all 90 minutes */
    assert_int_equal(w.rejected, 90);
    assert_int_equal(w.stale, 9);
    assert_true(w.diff == 270.0);
    assert_true(fabs(w.hashrate - 270.0 * TWO32 / w.seconds) < 1e-3);
    assert_int_equal(e.last_share, CUR);
    assert_int_equal(e.first_seen, CUR - 89 * 60);
}

/* The same minute read again with bigger sums (a sender flushed more)
 * replaces it: the hour sum follows, nothing is counted twice. */
static void test_update_in_place(void **state)
{
    sa_ent e;
    sa_win w;

    memset(&e, 0, sizeof(e));
    sa_ent_set(&e, CUR, 1.0, 1, 0, 0);
    sa_ent_set(&e, CUR, 5.0, 4, 2, 1);
    sa_ent_set(&e, CUR, 5.0, 4, 2, 1);
    sa_ent_window(&e, 3, CUR + 10, &w);
    assert_true(w.diff == 5.0);
    assert_int_equal(w.accepted, 4);
    assert_int_equal(w.rejected, 2);
    assert_int_equal(w.stale, 1);
    sa_ent_window(&e, 0, CUR + 10, &w);
    assert_true(w.diff == 5.0);
}

/* The first load goes oldest first over a day: the ring keeps the last
 * 64 minutes, the older ones stay in their hours; a minute older than the
 * ring's slot (given after a newer one) goes to its hour only. Minutes
 * past the window are not counted. */
static void test_load_day(void **state)
{
    sa_ent e;
    sa_win w;
    int64_t now = CUR + 59;

    memset(&e, 0, sizeof(e));
    for (int64_t t = CUR - 25 * 3600; t <= CUR; t += 60)
        sa_ent_set(&e, t, 1.0, 1, 0, 0);
    sa_ent_window(&e, 3, now, &w);
    int64_t hour0 = (now / 3600 - 23) * 3600;
    assert_int_equal(w.accepted, (CUR - hour0) / 60 + 1);
    sa_ent_window(&e, 2, now, &w);
    assert_int_equal(w.accepted, 61);
    /* an old minute after the fact: into its hour, not the ring */
    sa_ent_set(&e, CUR - 2 * 3600, 2.0, 7, 0, 0);
    sa_ent_window(&e, 2, now, &w);
    assert_int_equal(w.accepted, 61);
    sa_ent_window(&e, 3, now, &w);
    assert_int_equal(w.accepted, (CUR - hour0) / 60 + 1 + 7);
}

static void test_empty_entity(void **state)
{
    sa_ent e;
    sa_win w;

    memset(&e, 0, sizeof(e));
    for (int i = 0; i < SA_NWIN; i++) {
        sa_ent_window(&e, i, CUR, &w);
        assert_true(w.hashrate == 0 && w.accepted == 0);
    }
}

static json_t *jget(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *tok = strtok(buf, "."); tok && o; tok = strtok(NULL, "."))
        o = json_is_array(o) ? json_array_get(o, (size_t)atoi(tok)) : json_object_get(o, tok);
    return o;
}

static void test_user_and_pool_json(void **state)
{
    sa_store st;
    int64_t now = CUR + 30;

    sa_store_init(&st);
    sa_user *u = sa_store_user(&st, "alice");
    sa_worker *w1 = sa_store_worker(&st, u, "rig2");
    sa_worker *w0 = sa_store_worker(&st, u, "rig1");
    assert_ptr_equal(sa_store_worker(&st, u, "rig1"), w0);
    assert_int_equal(st.nworkers, 2);
    sa_ent_set(&w0->e, CUR - 60, 8.0, 8, 1, 1);       /* alive */
    sa_ent_set(&w1->e, CUR - 3600, 4.0, 3, 1, 0);     /* idle for an hour */
    sa_ent_set(&u->e, CUR - 3600, 4.0, 3, 1, 0);
    sa_ent_set(&u->e, CUR - 60, 8.0, 8, 1, 1);
    sa_ent_set(&st.pool, CUR - 60, 8.0, 8, 1, 1);
    st.info.network_diff = 2.0;
    st.info.height = 101;
    st.info.reward = 5000000000;
    st.blocks = calloc(2, sizeof(sa_block));
    st.nblocks = 2;
    strcpy(st.blocks[0].hash, "aa");
    strcpy(st.blocks[1].hash, "bb");
    strcpy(st.blocks[1].user, "alice");
    strcpy(st.blocks[1].worker, "rig1");
    st.blocks[1].time = CUR - 60;
    st.blocks[0].height = st.blocks[0].reward = -1;    /* an older sender's event */
    st.blocks[1].height = 100;
    st.blocks[1].reward = 5000001234;
    st.blocks[1].confirmations = 7;                     /* the node said: accepted, 7 */
    st.blocks[0].status = SA_BLOCK_ORPHANED;
    st.blocks[0].confirmations = -1;

    json_t *o = sa_user_json(&st, u, now, 600, "stratum+tcp://pool:3333");
    assert_string_equal(json_string_value(jget(o, "user")), "alice");
    assert_int_equal(json_integer_value(jget(o, "workers_total")), 2);
    assert_int_equal(json_integer_value(jget(o, "workers_alive")), 1);
    assert_int_equal(json_integer_value(jget(o, "accepted")), 11);
    assert_int_equal(json_integer_value(jget(o, "rejected")), 2);
    /* workers sorted by name; pyasic names */
    assert_string_equal(json_string_value(jget(o, "workers.0.name")), "rig1");
    assert_string_equal(json_string_value(jget(o, "workers.0.user")), "alice.rig1");
    assert_string_equal(json_string_value(jget(o, "workers.0.url")), "stratum+tcp://pool:3333");
    assert_true(json_is_true(jget(o, "workers.0.alive")));
    assert_true(json_is_true(jget(o, "workers.0.active")));
    assert_true(json_is_false(jget(o, "workers.1.alive")));
    assert_int_equal(json_integer_value(jget(o, "workers.0.accepted")), 8);
    assert_int_equal(json_integer_value(jget(o, "workers.0.rejected")), 1);
    assert_int_equal(json_integer_value(jget(o, "workers.0.stale")), 1);
    assert_true(fabs(json_real_value(jget(o, "workers.0.pool_rejected_percent")) - 100.0 / 9) <
                1e-9);
    assert_true(fabs(json_real_value(jget(o, "workers.0.pool_stale_percent")) - 100.0 / 9) <
                1e-9);
    assert_int_equal(json_integer_value(jget(o, "workers.0.last_share")), CUR - 60);
    assert_int_equal(json_integer_value(jget(o, "workers.1.first_seen")), CUR - 3600);
    assert_true(fabs(json_real_value(jget(o, "workers.0.hashrate.10m")) - 8.0 * TWO32 / 630) <
                1e-3);
    assert_true(json_real_value(jget(o, "workers.1.hashrate.10m")) == 0);
    assert_int_equal(json_integer_value(jget(o, "workers.1.windows.24h.accepted")), 3);
    json_decref(o);

    o = sa_pool_json(&st, now, 600, "");
    assert_int_equal(json_integer_value(jget(o, "users")), 1);
    assert_int_equal(json_integer_value(jget(o, "workers")), 2);
    assert_int_equal(json_integer_value(jget(o, "workers_alive")), 1);
    assert_int_equal(json_integer_value(jget(o, "network.height")), 101);
    assert_true(json_real_value(jget(o, "network.difficulty")) == 2.0);
    double h1 = 8.0 * TWO32 / 3630;
    assert_true(fabs(json_real_value(jget(o, "expected_block_seconds")) - 2.0 * TWO32 / h1) <
                1e-6);
    assert_int_equal(json_integer_value(jget(o, "blocks.total")), 2);
    assert_string_equal(json_string_value(jget(o, "blocks.recent.0.hash")), "bb");
    assert_string_equal(json_string_value(jget(o, "blocks.recent.0.finder")), "alice.rig1");
    assert_int_equal(json_integer_value(jget(o, "blocks.recent.0.time")), CUR - 60);
    assert_true(json_is_null(jget(o, "blocks.recent.1.time")));
    assert_int_equal(json_integer_value(jget(o, "blocks.recent.0.height")), 100);
    assert_int_equal(json_integer_value(jget(o, "blocks.recent.0.reward")), 5000001234);
    assert_string_equal(json_string_value(jget(o, "blocks.recent.0.status")), "accepted");
    assert_int_equal(json_integer_value(jget(o, "blocks.recent.0.confirmations")), 7);
    assert_string_equal(json_string_value(jget(o, "blocks.recent.1.status")), "orphaned");
    assert_true(json_is_null(jget(o, "blocks.recent.1.confirmations")));
    assert_true(json_is_null(jget(o, "blocks.recent.1.height")));
    assert_true(json_is_null(jget(o, "blocks.recent.1.reward")));
    json_decref(o);

    /* no hashrate: no expected time */
    memset(&st.pool, 0, sizeof(st.pool));
    o = sa_pool_json(&st, now, 600, "");
    assert_true(json_is_null(jget(o, "expected_block_seconds")));
    json_decref(o);
    sa_store_free(&st);
}

static void test_key_split(void **state)
{
    char u[300], w[300];

    assert_int_equal(sa_key_split("alice", u, w, sizeof(u)), 0);
    assert_string_equal(u, "alice");
    assert_string_equal(w, "");
    assert_int_equal(sa_key_split("alice:rig1", u, w, sizeof(u)), 1);
    assert_string_equal(w, "rig1");
    assert_int_equal(sa_key_split("alice:rig1:reject", u, w, sizeof(u)), 1);
    assert_string_equal(u, "alice");
    assert_string_equal(w, "rig1");
    assert_int_equal(sa_key_split("alice:reject", u, w, sizeof(u)), 0);
    assert_string_equal(u, "alice");
    assert_int_equal(sa_key_split(":x", u, w, sizeof(u)), -1);
}

static void test_url_decode(void **state)
{
    char out[16];

    assert_int_equal(sa_url_decode("a%2Eb+c", 7, out, sizeof(out)), 0);
    assert_string_equal(out, "a.b c");
    assert_int_equal(sa_url_decode("%4", 2, out, sizeof(out)), -1);
    assert_int_equal(sa_url_decode("%zz", 3, out, sizeof(out)), -1);
    assert_int_equal(sa_url_decode("%00", 3, out, sizeof(out)), -1);
    assert_int_equal(sa_url_decode("0123456789abcdefg", 17, out, sizeof(out)), -1);
}

static void test_series_bucket(void **state)
{
    double p[3] = {0, 0, 0};

    sa_series_bucket(p, 3, 7200, 3600, 7200, 1);
    sa_series_bucket(p, 3, 7200, 3600, 7200 + 3540, 2);
    sa_series_bucket(p, 3, 7200, 3600, 7200 + 3600, 4);
    sa_series_bucket(p, 3, 7200, 3600, 7140, 100);          /* before */
    sa_series_bucket(p, 3, 7200, 3600, 7200 + 3 * 3600, 100);   /* after */
    assert_true(p[0] == 3 && p[1] == 4 && p[2] == 0);
}

#define HASH "00000000a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c"

#define HASH2 "11000000a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c"

/* The node's answers -> a block's status. */
static void test_block_judge(void **state)
{
    int64_t conf = 99;
    json_t *h = json_pack("{s:I, s:I}", "confirmations", (json_int_t)3, "height", (json_int_t)120);

    /* in the main chain: getblockhash <height> is the block itself */
    assert_int_equal(sa_block_judge(HASH, 0, h, "", HASH, &conf), SA_BLOCK_ACCEPTED);
    assert_int_equal(conf, 3);
    /* bcoin counts confirmations for a side-chain block too: the main
     * chain's block at its height is another one */
    assert_int_equal(sa_block_judge(HASH, 0, h, "", HASH2, &conf), SA_BLOCK_ORPHANED);
    assert_int_equal(conf, -1);
    /* the main chain is shorter than its height now (a node error there) */
    assert_int_equal(sa_block_judge(HASH, 0, h, "", "", &conf), SA_BLOCK_ORPHANED);
    /* getblockhash failed in transport: nothing known */
    assert_int_equal(sa_block_judge(HASH, 0, h, "", NULL, &conf), -1);
    json_decref(h);
    /* Bitcoin Core: confirmations -1 = not in the main chain */
    h = json_pack("{s:I, s:I}", "confirmations", (json_int_t)-1, "height", (json_int_t)120);
    assert_int_equal(sa_block_judge(HASH, 0, h, "", NULL, &conf), SA_BLOCK_ORPHANED);
    json_decref(h);
    /* a header without confirmations says nothing */
    h = json_pack("{s:I}", "height", (json_int_t)120);
    assert_int_equal(sa_block_judge(HASH, 0, h, "", HASH, &conf), -1);
    json_decref(h);
    /* not found (bcoin "Block not found", Core -5 "Block not found"), or null */
    assert_int_equal(sa_block_judge(HASH, UT_NODE_ERR_NODE, NULL,
                                     "node 127.0.0.1:1: -1: Block not found", NULL, &conf),
                     SA_BLOCK_UNKNOWN);
    assert_int_equal(sa_block_judge(HASH, 0, json_null(), "", NULL, &conf), SA_BLOCK_UNKNOWN);
    /* another node error, or no answer: keep the old status */
    assert_int_equal(sa_block_judge(HASH, UT_NODE_ERR_NODE, NULL, "-8: Invalid block hash",
                                    NULL, &conf), -1);
    assert_int_equal(sa_block_judge(HASH, UT_NODE_ERR_TRANSPORT, NULL, "connection refused",
                                    NULL, &conf), -1);
    /* case of the hex does not matter */
    h = json_pack("{s:I, s:I}", "confirmations", (json_int_t)1, "height", (json_int_t)5);
    assert_int_equal(sa_block_judge("ABCD", 0, h, "", "abcd", &conf), SA_BLOCK_ACCEPTED);
    assert_int_equal(conf, 1);
    json_decref(h);
}

/* Which blocks the checker asks about: the last SA_BLOCK_RECENT, younger
 * than a day, each every interval, until SA_BLOCK_FINAL confirmations. */
static void test_block_due(void **state)
{
    sa_block b;

    memset(&b, 0, sizeof(b));
    strcpy(b.hash, "aa");
    b.time = T0 - 600;
    b.confirmations = -1;
    assert_true(sa_block_due(&b, 0, 1, T0, 30));                  /* never checked */
    b.checked = T0 - 29;
    assert_false(sa_block_due(&b, 0, 1, T0, 30));                 /* checked 29 s ago */
    b.checked = T0 - 30;
    assert_true(sa_block_due(&b, 0, 1, T0, 30));
    assert_true(sa_block_due(&b, 200 - SA_BLOCK_RECENT, 200, T0, 30));     /* 100th newest */
    assert_false(sa_block_due(&b, 199 - SA_BLOCK_RECENT, 200, T0, 30));    /* 101st */
    b.confirmations = SA_BLOCK_FINAL - 1;
    assert_true(sa_block_due(&b, 0, 1, T0, 30));
    b.confirmations = SA_BLOCK_FINAL;                            /* final: never again */
    assert_false(sa_block_due(&b, 0, 1, T0, 30));
    b.status = SA_BLOCK_ORPHANED;                                 /* may come back */
    assert_true(sa_block_due(&b, 0, 1, T0, 30));
    b.status = SA_BLOCK_ACCEPTED;
    b.confirmations = 1;
    b.time = T0 - SA_BLOCK_MAX_AGE - 1;                           /* older than a day */
    assert_false(sa_block_due(&b, 0, 1, T0, 30));
    b.time = 0;                                                   /* minute not known: */
    b.seen = T0 - 100;                                            /* when it was read */
    assert_true(sa_block_due(&b, 0, 1, T0, 30));
    b.hash[0] = 0;                                                /* an event without hash */
    assert_false(sa_block_due(&b, 0, 1, T0, 30));
}

static void test_help_keys(void **state)
{
    cfgk_keys_match(sa_config_keys, "deploy/conf/statsapi.json", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows),
        cmocka_unit_test(test_update_in_place),
        cmocka_unit_test(test_load_day),
        cmocka_unit_test(test_empty_entity),
        cmocka_unit_test(test_user_and_pool_json),
        cmocka_unit_test(test_key_split),
        cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_series_bucket),
        cmocka_unit_test(test_block_judge),
        cmocka_unit_test(test_block_due),
        cmocka_unit_test(test_help_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
