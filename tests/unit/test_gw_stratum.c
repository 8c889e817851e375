/* Unit tests of the gateway's Stratum server (the stratum/ library behind
 * the gateway's sink: extranonce1 from gw_en1, block bodies, IP bans in
 * gw_shm) on a gateway without sockets: every reply is compared byte for
 * byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "utils/ut_diff.h"

/* The easiest difficulty a pool sends (UT_DIFF_MIN rounded as set_difficulty rounds). */
#define GT_EASY 2.33e-10
#include "gateway/gw_ban.h"
#include "stratum/st_sess.h"
#include "stratum/st_share.h"
#include "utils/ut_hex.h"
#include "gw_testkit.h"

#define SUB_REPLY(id, en1) "{\"id\":" id ",\"result\":[[[\"mining.set_difficulty\",\"" en1 "\"]," \
                           "[\"mining.notify\",\"" en1 "\"]],\"" en1 "\",8],\"error\":null}\n"
#define TRUE_REPLY(id) "{\"id\":" id ",\"result\":true,\"error\":null}\n"
#define ERR_REPLY(id, code, msg) "{\"id\":" id ",\"result\":null,\"error\":[" #code ",\"" msg \
                                 "\",null]}\n"
#define SETDIFF(d) "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[" d "]}\n"

static int setup(void **state)
{
    gt_ctx *t = gt_ctx_new();

    t->cfg.stratum.vardiff.min = GT_EASY;
    t->cfg.stratum.vardiff.start = GT_EASY;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    gt_ctx_free(*state);
    return 0;
}

static st_conn *conn(gt_ctx *t)
{
    st_conn *c = st_conn_new(&t->srv.st, NULL, NULL);

    assert_non_null(c);
    return c;
}

/* A subscribed and authorized connection as "alice.rig1". */
static st_conn *ready(gt_ctx *t)
{
    st_conn *c = conn(t);

    gt_line(c, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"test/1.0\"]}");
    gt_line(c, "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"alice.rig1\",\"x\"]}");
    assert_true(c->started);
    return c;
}

static void test_subscribe_authorize(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = conn(t), *c2;

    assert_string_equal(gt_line(c, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"cgminer/4\"]}"),
                        SUB_REPLY("1", "07300000"));
    assert_string_equal(c->agent, "cgminer/4");
    /* Subscribing again keeps the extranonce1. */
    assert_string_equal(gt_line(c, "{\"id\":\"s\",\"method\":\"mining.subscribe\",\"params\":[]}"),
                        SUB_REPLY("\"s\"", "07300000"));
    /* No job yet: authorize answers and sends the difficulty only. */
    assert_string_equal(gt_line(c, "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"alice.rig1\",\"x\"]}"),
                        TRUE_REPLY("2") SETDIFF("2.33e-10"));
    /* A second worker on the same connection. */
    assert_string_equal(gt_line(c, "{\"id\":3,\"method\":\"mining.authorize\",\"params\":[\"bob\",\"\"]}"),
                        TRUE_REPLY("3"));
    assert_int_equal(c->nnames, 2);
    assert_string_equal(c->names[1].user, "bob");
    assert_string_equal(c->names[1].worker, "");
    /* Next connection: next extranonce1. */
    c2 = conn(t);
    assert_string_equal(gt_line(c2, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}"),
                        SUB_REPLY("1", "07300001"));
    assert_int_equal(st_stat_get(&t->srv.stats->st.subscribed), 2);
    assert_int_equal(st_stat_get(&t->srv.stats->st.workers), 2);
}

static void test_bad_names(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = conn(t);
    static const char *bad[] = {
        "[\"bad name\",\"x\"]", "[\"a.b.c\",\"x\"]", "[\"\",\"x\"]", "[\".rig\",\"x\"]",
        "[\"a.r!g\",\"x\"]", "[1,\"x\"]", "[]",
        "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"x\"]",
    };
    char line[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(line, sizeof(line), "{\"id\":5,\"method\":\"mining.authorize\",\"params\":%s}",
                 bad[i]);
        assert_string_equal(gt_line(c, line), ERR_REPLY("5", 24, "Invalid worker name"));
    }
    /* 64 characters, a trailing '.', '-' and '_' are fine. */
    assert_string_equal(gt_line(c, "{\"id\":6,\"method\":\"mining.authorize\",\"params\":[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.\",\"x\"]}"),
                        TRUE_REPLY("6"));
    assert_string_equal(gt_line(c, "{\"id\":7,\"method\":\"mining.authorize\",\"params\":[\"A-b_9.r_1-X\"]}"),
                        TRUE_REPLY("7"));
    assert_int_equal(c->nnames, 2);
    assert_false(c->started);   /* not subscribed yet */
}

static void test_authorize_first_then_job(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = conn(t);
    json_t *job = gt_genesis_json("00000000000000b1", 0);
    char *want;
    st_job *j;

    gt_add_job(t, job);
    assert_int_equal(gt_out_len, 0);   /* nobody started yet */
    assert_string_equal(gt_line(c, "{\"id\":1,\"method\":\"mining.authorize\",\"params\":[\"alice\",\"x\"]}"),
                        TRUE_REPLY("1"));
    gt_line(c, "{\"id\":2,\"method\":\"mining.subscribe\",\"params\":[]}");
    /* subscribe reply, then difficulty and the job, forced clean. */
    j = st_job_store_current(&t->srv.st.jobs);
    want = malloc(4096);
    snprintf(want, 4096, "%s%s%.*strue]}\n", SUB_REPLY("2", "07300000"), SETDIFF("2.33e-10"),
             (int)(j->notify_len - strlen("false]}\n")), j->notify);
    assert_string_equal(gt_out, want);
    /* A new job goes to the started connection as sent (clean false). */
    gt_add_job(t, gt_genesis_json("00000000000000b2", 0));
    j = st_job_store_current(&t->srv.st.jobs);
    assert_int_equal(gt_out_len, j->notify_len);
    assert_memory_equal(gt_out, j->notify, j->notify_len);
    free(want);
}

static void test_bad_lines(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = conn(t);
    char *big;

    assert_string_equal(gt_line(c, "{\"id\":1,\"method\":"), ERR_REPLY("null", 20, "Parse error"));
    assert_string_equal(gt_line(c, "hello"), ERR_REPLY("null", 20, "Parse error"));
    assert_string_equal(gt_line(c, "[1,2,3]"), ERR_REPLY("null", 20, "Parse error"));
    assert_string_equal(gt_line(c, "\"x\""), ERR_REPLY("null", 20, "Parse error"));
    assert_string_equal(gt_line(c, "{\"id\":7,\"method\":\"mining.fly\",\"params\":[]}"),
                        ERR_REPLY("7", 20, "Unknown method"));
    assert_string_equal(gt_line(c, "{\"id\":8,\"params\":[]}"), ERR_REPLY("8", 20, "Unknown method"));
    /* The jansson path echoes the id it decoded (escape here). */
    assert_string_equal(gt_line(c, "{\"id\":\"a\\u0041\",\"method\":\"nope\"}"),
                        ERR_REPLY("\"aA\"", 20, "Unknown method"));
    /* A miner's reply is ignored; an empty line too. */
    assert_string_equal(gt_line(c, "{\"id\":3,\"result\":true,\"error\":null}"), "");
    assert_string_equal(gt_line(c, ""), "");
    assert_string_equal(gt_line(c, "\r"), "");
    assert_int_equal(st_stat_get(&t->srv.stats->st.parse_errors), 4);
    assert_int_equal(gt_closed, 0);
    /* A message without a newline (the framing cut it at max_line + 1). */
    big = malloc(t->cfg.stratum.max_line + 1);
    memset(big, 'x', t->cfg.stratum.max_line + 1);
    gt_reset_out();
    st_conn_message(c, big, t->cfg.stratum.max_line + 1);
    assert_string_equal(gt_out, ERR_REPLY("null", 20, "Line too long"));
    assert_int_equal(gt_closed, 1);
    assert_string_equal(gt_close_reason, "line too long");
    assert_true(c->closing);
    /* Nothing more is handled on a closing connection. */
    assert_string_equal(gt_line(c, "{\"id\":9,\"method\":\"mining.subscribe\",\"params\":[]}"), "");
    free(big);
}

static void test_submit_codes(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = conn(t);

    gt_add_job(t, gt_genesis_json("00000000000000c1", 1));
    assert_string_equal(gt_line(c, "{\"id\":1,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"0000000000000000\",\"495fab29\",\"00000000\"]}"),
                        ERR_REPLY("1", 25, "Not subscribed"));
    gt_line(c, "{\"id\":2,\"method\":\"mining.subscribe\",\"params\":[]}");
    assert_string_equal(gt_line(c, "{\"id\":3,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"0000000000000000\",\"495fab29\",\"00000000\"]}"),
                        ERR_REPLY("3", 24, "Unauthorized worker"));
    gt_line(c, "{\"id\":4,\"method\":\"mining.authorize\",\"params\":[\"alice.rig1\",\"x\"]}");
    assert_string_equal(gt_line(c, "{\"id\":5,\"method\":\"mining.submit\",\"params\":[\"alice.rig2\",\"00000000000000c1\",\"0000000000000000\",\"495fab29\",\"00000000\"]}"),
                        ERR_REPLY("5", 24, "Unauthorized worker"));
    assert_string_equal(gt_line(c, "{\"id\":6,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"ffff\",\"0000000000000000\",\"495fab29\",\"00000000\"]}"),
                        ERR_REPLY("6", 21, "Job not found"));
    assert_string_equal(gt_line(c, "{\"id\":7,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"00000000000000\",\"495fab29\",\"00000000\"]}"),
                        ERR_REPLY("7", 20, "Invalid extranonce2 size"));
    assert_string_equal(gt_line(c, "{\"id\":8,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"0000000000000000\",\"495fab29\"]}"),
                        ERR_REPLY("8", 20, "Malformed params"));
    assert_string_equal(gt_line(c, "{\"id\":9,\"method\":\"mining.submit\",\"params\":\"x\"}"),
                        ERR_REPLY("9", 20, "Malformed params"));
    assert_string_equal(gt_line(c, "{\"id\":10,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"0000000000000000\",\"00000000\",\"00000000\"]}"),
                        ERR_REPLY("10", 20, "ntime out of range"));
    assert_string_equal(gt_line(c, "{\"id\":11,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"0000000000000000\",\"495fab29\",\"00000000\",\"00002000\"]}"),
                        ERR_REPLY("11", 20, "Invalid version bits"));
    assert_string_equal(gt_line(c, "{\"id\":12,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"0000000000000000\",\"495fab29\",\"00000000\"]}"),
                        TRUE_REPLY("12"));
    assert_string_equal(gt_line(c, "{\"id\":13,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"0000000000000000\",\"495fab29\",\"00000000\"]}"),
                        ERR_REPLY("13", 22, "Duplicate share"));
    /* A clean job makes the old one stale. */
    gt_add_job(t, gt_genesis_json("00000000000000c2", 1));
    assert_string_equal(gt_line(c, "{\"id\":14,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c1\",\"0000000000000000\",\"495fab29\",\"00000001\"]}"),
                        ERR_REPLY("14", 21, "Job not found (stale)"));
    /* Low difficulty: raise the difficulty; the new job is sent under it. */
    st_sess_set_diff(c, 1e6);
    gt_add_job(t, gt_genesis_json("00000000000000c3", 0));
    assert_string_equal(gt_line(c, "{\"id\":15,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c3\",\"0000000000000000\",\"495fab29\",\"00000000\"]}"),
                        ERR_REPLY("15", 23, "Low difficulty share"));
    /* The job sent before the change keeps the old (lower) difficulty. */
    assert_string_equal(gt_line(c, "{\"id\":16,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000c2\",\"0000000000000000\",\"495fab29\",\"00000000\"]}"),
                        TRUE_REPLY("16"));

    st_stats *s = &t->srv.stats->st;
    assert_int_equal(st_stat_get(&s->accepted), 2);
    assert_int_equal(st_stat_get(&s->rejected[0]), 5);   /* 20 */
    assert_int_equal(st_stat_get(&s->rejected[1]), 2);   /* 21 */
    assert_int_equal(st_stat_get(&s->rejected[2]), 1);   /* 22 */
    assert_int_equal(st_stat_get(&s->rejected[3]), 1);   /* 23 */
    assert_int_equal(st_stat_get(&s->rejected[4]), 2);   /* 24 */
    assert_int_equal(st_stat_get(&s->rejected[5]), 1);   /* 25 */
    assert_int_equal(st_stat_get(&t->srv.stats->blocks_found), 0);
}

static void test_block_found(void **state)
{
    gt_ctx *t = *state;
    st_conn *c;
    char want[1024];

    gt_add_job(t, gt_genesis_json("00000000000000d1", 1));
    c = ready(t);
    /* Give this session the genesis extranonce1 so the genesis header comes out. */
    ut_hex_decode(GT_GEN_EN1, c->en1, 4);
    memcpy(c->en1_hex, GT_GEN_EN1, 9);
    assert_string_equal(gt_line(c, "{\"id\":20,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000d1\",\"" GT_GEN_EN2 "\",\"495fab29\",\"7c2bac1d\"]}"),
                        TRUE_REPLY("20"));
    snprintf(want, sizeof(want),
             "{\"v\":1,\"job_id\":\"00000000000000d1\",\"extranonce1\":\"54686520\","
             "\"extranonce2\":\"" GT_GEN_EN2 "\",\"ntime\":\"495fab29\",\"nonce\":\"7c2bac1d\","
             "\"version\":\"00000001\",\"hash\":\"" GT_GEN_HASH "\",\"user\":\"alice\","
             "\"worker\":\"rig1\",\"gateway_id\":7,\"peer\":\"%s\",\"height\":0}", c->peer);
    assert_string_equal(gt_block, want);
    assert_int_equal(st_stat_get(&t->srv.stats->blocks_found), 1);
}

static void test_suggest(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = conn(t);

    t->cfg.stratum.vardiff.max = 1e9;
    assert_string_equal(gt_line(c, "{\"id\":1,\"method\":\"mining.suggest_difficulty\",\"params\":[512]}"),
                        TRUE_REPLY("1"));
    assert_true(c->diff == 512);
    gt_line(c, "{\"id\":2,\"method\":\"mining.suggest_difficulty\",\"params\":[1024.4]}");
    assert_true(c->diff == 1024);   /* rounded: integers at or above 1 */
    gt_line(c, "{\"id\":3,\"method\":\"mining.suggest_difficulty\",\"params\":[[2048]]}");
    assert_true(c->diff == 2048);
    gt_line(c, "{\"id\":4,\"method\":\"mining.suggest_difficulty\",\"params\":[\"4096\"]}");
    assert_true(c->diff == 4096);
    gt_line(c, "{\"id\":5,\"method\":\"mining.suggest_difficulty\",\"params\":8192}");
    assert_true(c->diff == 8192);
    gt_line(c, "{\"id\":6,\"method\":\"mining.suggest_difficulty\",\"params\":[0.00123456]}");
    assert_true(c->diff == 0.00123);
    gt_line(c, "{\"id\":7,\"method\":\"mining.suggest_difficulty\",\"params\":[1e300]}");
    assert_true(c->diff == 1e9);    /* clamped to max */
    gt_line(c, "{\"id\":8,\"method\":\"mining.suggest_difficulty\",\"params\":[1e-300]}");
    assert_true(c->diff == GT_EASY);  /* clamped to min */
    static const char *bad[] = { "[]", "[\"abc\"]", "[-5]", "[0]", "[{}]", "[null]", "{}",
                                 "[[]]", "[\"1e999\"]", "[true]", "[1e999]", "[-0]" };
    char line[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(line, sizeof(line),
                 "{\"id\":9,\"method\":\"mining.suggest_difficulty\",\"params\":%s}", bad[i]);
        if (strcmp(gt_line(c, line), ERR_REPLY("9", 20, "Invalid difficulty")) != 0)
            fail_msg("%s -> %s", bad[i], gt_out);
    }
    assert_true(c->diff == GT_EASY);
    /* A number jansson cannot hold is a parse error, not a crash. */
    assert_string_equal(gt_line(c, "{\"id\":9,\"method\":\"mining.suggest_difficulty\",\"params\":[123456789012345678901234567890e999]}"),
                        ERR_REPLY("null", 20, "Parse error"));
    /* After the start, a suggestion is sent as set_difficulty. */
    gt_line(c, "{\"id\":10,\"method\":\"mining.subscribe\",\"params\":[]}");
    gt_line(c, "{\"id\":11,\"method\":\"mining.authorize\",\"params\":[\"alice\",\"d=64\"]}");
    assert_string_equal(gt_out, TRUE_REPLY("11") SETDIFF("64"));
    assert_string_equal(gt_line(c, "{\"id\":12,\"method\":\"mining.suggest_difficulty\",\"params\":[0.5]}"),
                        SETDIFF("0.5") TRUE_REPLY("12"));
}

static void test_configure(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = conn(t);

    assert_string_equal(gt_line(c, "{\"id\":1,\"method\":\"mining.configure\",\"params\":[[\"version-rolling\",\"subscribe-extranonce\"],{\"version-rolling.mask\":\"ffffffff\",\"version-rolling.min-bit-count\":2}]}"),
                        "{\"id\":1,\"result\":{\"version-rolling\":true,\"version-rolling.mask\":\"1fffe000\",\"subscribe-extranonce\":false},\"error\":null}\n");
    assert_int_equal(c->vmask, 0x1fffe000);
    assert_string_equal(gt_line(c, "{\"id\":2,\"method\":\"mining.configure\",\"params\":[[\"version-rolling\"],{\"version-rolling.mask\":\"00fff000\"}]}"),
                        "{\"id\":2,\"result\":{\"version-rolling\":true,\"version-rolling.mask\":\"00ffe000\"},\"error\":null}\n");
    assert_int_equal(c->vmask, 0x00ffe000);
    assert_string_equal(gt_line(c, "{\"id\":3,\"method\":\"mining.configure\",\"params\":[[\"version-rolling\"],{\"version-rolling.mask\":\"1fffe000\",\"version-rolling.min-bit-count\":17}]}"),
                        "{\"id\":3,\"result\":{\"version-rolling\":false},\"error\":null}\n");
    assert_string_equal(gt_line(c, "{\"id\":4,\"method\":\"mining.configure\",\"params\":[[\"version-rolling\"],{\"version-rolling.mask\":\"zz\"}]}"),
                        "{\"id\":4,\"result\":{\"version-rolling\":false},\"error\":null}\n");
    assert_string_equal(gt_line(c, "{\"id\":5,\"method\":\"mining.configure\",\"params\":[[\"minimum-difficulty\"],{\"minimum-difficulty.value\":2048}]}"),
                        "{\"id\":5,\"result\":{\"minimum-difficulty\":true},\"error\":null}\n");
    assert_true(c->diff == 2048);
    gt_line(c, "{\"id\":6,\"method\":\"mining.suggest_difficulty\",\"params\":[16]}");
    assert_true(c->diff == 2048);   /* the floor holds */
    assert_string_equal(gt_line(c, "{\"id\":7,\"method\":\"mining.configure\",\"params\":[]}"),
                        ERR_REPLY("7", 20, "Malformed params"));
    assert_string_equal(gt_line(c, "{\"id\":8,\"method\":\"mining.extranonce.subscribe\",\"params\":[]}"),
                        TRUE_REPLY("8"));
}

static void test_rolled_share(void **state)
{
    gt_ctx *t = *state;
    st_conn *c;

    gt_add_job(t, gt_genesis_json("00000000000000e1", 1));
    c = ready(t);
    gt_line(c, "{\"id\":1,\"method\":\"mining.configure\",\"params\":[[\"version-rolling\"],{\"version-rolling.mask\":\"1fffe000\"}]}");
    assert_string_equal(gt_line(c, "{\"id\":2,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000e1\",\"0000000000000000\",\"495fab29\",\"00000000\",\"00002000\"]}"),
                        TRUE_REPLY("2"));
    assert_string_equal(gt_line(c, "{\"id\":3,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000e1\",\"0000000000000000\",\"495fab29\",\"00000000\",\"00004000\"]}"),
                        TRUE_REPLY("3"));
    assert_string_equal(gt_line(c, "{\"id\":4,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000e1\",\"0000000000000000\",\"495fab29\",\"00000000\",\"00002000\"]}"),
                        ERR_REPLY("4", 22, "Duplicate share"));
}

static void test_vardiff_up(void **state)
{
    gt_ctx *t = *state;
    st_conn *c;
    char line[256];

    t->cfg.stratum.vardiff.start = GT_EASY;
    t->cfg.stratum.vardiff.target = 10;
    t->cfg.stratum.vardiff.retarget = 60;
    gt_add_job(t, gt_genesis_json("00000000000000f1", 1));
    c = ready(t);
    /* 32 shares within one second: far too fast, the burst rule retargets x4. */
    for (int i = 0; i < 31; i++) {
        t->srv.st.fake_now += 0.01;
        snprintf(line, sizeof(line), "{\"id\":%d,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000f1\",\"0000000000000000\",\"495fab29\",\"%08x\"]}", i, i);
        char want[64];
        snprintf(want, sizeof(want), "{\"id\":%d,\"result\":true,\"error\":null}\n", i);
        assert_string_equal(gt_line(c, line), want);
    }
    snprintf(line, sizeof(line), "{\"id\":99,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000f1\",\"0000000000000000\",\"495fab29\",\"%08x\"]}", 99);
    assert_string_equal(gt_line(c, line), TRUE_REPLY("99") SETDIFF("9.32e-10"));
    assert_true(c->diff == 9.32e-10);
    assert_true(c->prev_diff == GT_EASY);
    /* Shares on the job sent before the change still count at GT_EASY. */
    assert_true(st_sess_job_diff(c, st_job_store_current(&t->srv.st.jobs)->seq) == GT_EASY);
    /* A job sent afterwards is under the new difficulty. */
    gt_add_job(t, gt_genesis_json("00000000000000f2", 0));
    assert_true(st_sess_job_diff(c, st_job_store_current(&t->srv.st.jobs)->seq) == 9.32e-10);
}

static void test_vardiff_quiet(void **state)
{
    gt_ctx *t = *state;
    st_conn *c;

    t->cfg.stratum.vardiff.min = 1;
    t->cfg.stratum.vardiff.start = 1024;
    c = ready(t);
    assert_true(c->diff == 1024);
    /* 59 s without a share: nothing yet; at 61 s the sweep lowers it by 4. */
    t->srv.st.fake_now += 59;
    gt_reset_out();
    gw_server_sweep(&t->srv);
    assert_string_equal(gt_out, "");
    t->srv.st.fake_now += 2;
    gw_server_sweep(&t->srv);
    assert_string_equal(gt_out, SETDIFF("256"));
}

static void test_subscribe_timeout(void **state)
{
    gt_ctx *t = *state;
    st_conn *idle = conn(t), *ok;

    ok = ready(t);
    t->srv.st.fake_now += 61;
    gw_server_sweep(&t->srv);
    assert_int_equal(gt_closed, 1);
    assert_string_equal(gt_close_reason, "subscribe timeout");
    assert_true(idle->closing);
    assert_false(ok->closing);
}

static void test_ban_on_junk(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = conn(t);
    uint8_t key[16] = { [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1 };

    t->cfg.stratum.strikes.junk_lines = 3;
    assert_int_equal(nw_addr_parse(&c->addr, "tcp@192.0.2.1:4000"), 0);   /* its ban key */
    gt_line(c, "junk");
    gt_line(c, "junk");
    assert_int_equal(gt_closed, 0);
    assert_string_equal(gt_line(c, "junk"), ERR_REPLY("null", 20, "Parse error"));
    assert_int_equal(gt_closed, 1);
    assert_string_equal(gt_close_reason, "banned");
    assert_true(gw_ban_check(t->shm, key, gw_ban_now()) > 590);
    key[15] = 2;
    assert_int_equal(gw_ban_check(t->shm, key, gw_ban_now()), 0);
    assert_int_equal(st_stat_get(&t->srv.stats->bans), 1);
}

static void test_ban_on_invalid_shares(void **state)
{
    gt_ctx *t = *state;
    st_conn *c;

    t->cfg.stratum.strikes.invalid_shares = 2;
    gt_add_job(t, gt_genesis_json("0000000000000011", 1));
    c = ready(t);
    /* Stale / unknown jobs are not held against a miner. */
    for (int i = 0; i < 5; i++)
        gt_line(c, "{\"id\":1,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"nope\",\"0000000000000000\",\"495fab29\",\"00000000\"]}");
    assert_int_equal(gt_closed, 0);
    gt_line(c, "{\"id\":2,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"0000000000000011\",\"00\",\"495fab29\",\"00000000\"]}");
    assert_int_equal(gt_closed, 0);
    gt_line(c, "{\"id\":3,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"0000000000000011\",\"00\",\"495fab29\",\"00000000\"]}");
    assert_int_equal(gt_closed, 1);   /* no ban key in tests: closed only */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subscribe_authorize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authorize_first_then_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_submit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suggest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rolled_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vardiff_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vardiff_quiet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ban_on_junk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ban_on_invalid_shares, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
