/* test_hfm_stratum: the bytes hfminer sends (exact request lines) and how
 * it reads what a pool sends: replies on the fast and the general path,
 * subscribe / notify / set_difficulty / configure / set_extranonce /
 * client.reconnect, including hostile input (missing fields, wrong types,
 * bad hex, oversized values, random mutations) that must be refused
 * without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/hfminer/hfm_stratum.h"
#include "tools/hfminer/hfm_work.h"

#define PREV "0a8ce26f72b3f1b646a2a6c14ff763ae65831e939c085ae10019d66800000000"
#define BR "4444444444444444444444444444444444444444444444444444444444444444"

static int parse(const char *line, hfm_msg *m)
{
    return hfm_msg_parse(line, strlen(line), m);
}

static json_t *J(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    return v;
}

/* ---- requests ----------------------------------------------------------- */

static void test_submit_line(void **state)
{
    char buf[512];
    const uint8_t en2[4] = {0, 0, 0, 1};
    hfm_submit s = {.worker = "alice.rig1", .job_id = "6740a1b20000001a", .en2 = en2,
                    .en2_len = 4, .ntime = 0x6740a1b5, .nonce = 0x1a2b3c4d};
    int n = hfm_req_submit(buf, sizeof(buf), 7, &s);
    const char *want = "{\"id\":7,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\","
                       "\"6740a1b20000001a\",\"00000001\",\"6740a1b5\",\"1a2b3c4d\"]}\n";
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);

    s.has_vbits = true;
    s.vbits = 0x00002000;
    s.nonce = 0x00000a0b;
    n = hfm_req_submit(buf, sizeof(buf), 123456789012ULL, &s);
    want = "{\"id\":123456789012,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\","
           "\"6740a1b20000001a\",\"00000001\",\"6740a1b5\",\"00000a0b\",\"00002000\"]}\n";
    assert_int_equal(n, (int)strlen(want));
    assert_string_equal(buf, want);

    /* Names and job ids are JSON-escaped. */
    s.worker = "a\"b\\c\x01";
    s.job_id = "j";
    s.has_vbits = false;
    s.en2_len = 0;
    n = hfm_req_submit(buf, sizeof(buf), 1, &s);
    want = "{\"id\":1,\"method\":\"mining.submit\",\"params\":[\"a\\\"b\\\\c\\u0001\",\"j\","
           "\"\",\"6740a1b5\",\"00000a0b\"]}\n";
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
    /* Too small a buffer: -1, never a partial line. */
    assert_int_equal(hfm_req_submit(buf, 20, 1, &s), -1);
    assert_int_equal(hfm_req_submit(buf, strlen(want), 1, &s), -1);
    assert_int_equal(hfm_req_submit(buf, strlen(want) + 1, 1, &s), (int)strlen(want));
}

static void test_other_requests(void **state)
{
    char buf[512];
    assert_true(hfm_req_subscribe(buf, sizeof(buf), 1, "hfminer/0.1") > 0);
    assert_string_equal(buf, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":"
                        "[\"hfminer/0.1\"]}\n");
    assert_true(hfm_req_authorize(buf, sizeof(buf), 2, "alice.rig1", "x") > 0);
    assert_string_equal(buf, "{\"id\":2,\"method\":\"mining.authorize\",\"params\":"
                        "[\"alice.rig1\",\"x\"]}\n");
    assert_true(hfm_req_configure(buf, sizeof(buf), 3, 0x1fffe000) > 0);
    assert_string_equal(buf, "{\"id\":3,\"method\":\"mining.configure\",\"params\":"
                        "[[\"version-rolling\"],{\"version-rolling.mask\":\"1fffe000\","
                        "\"version-rolling.min-bit-count\":2}]}\n");
    /* Every line is valid JSON. */
    json_t *v = json_loads(buf, 0, NULL);
    assert_non_null(v);
    json_decref(v);

    json_t *id = J("\"abc\"");
    assert_true(hfm_reply_call(buf, sizeof(buf), id, "hfminer/0.1", NULL) > 0);
    assert_string_equal(buf, "{\"id\":\"abc\",\"result\":\"hfminer/0.1\",\"error\":null}\n");
    json_decref(id);
    id = J("5");
    assert_true(hfm_reply_call(buf, sizeof(buf), id, NULL, "unknown method") > 0);
    assert_string_equal(buf, "{\"id\":5,\"result\":null,\"error\":[20,\"unknown method\","
                        "null]}\n");
    json_decref(id);
    assert_int_equal(hfm_json_quote(buf, 4, "abc"), -1);
    assert_int_equal(hfm_json_quote(buf, 6, "abc"), 5);
}

/* ---- replies ------------------------------------------------------------ */

static void expect_reply(const char *line, uint64_t id, hfm_res_kind res, bool has_err,
                         int code)
{
    hfm_msg m;
    assert_int_equal(parse(line, &m), 0);
    assert_int_equal(m.kind, HFM_MSG_REPLY);
    assert_true(m.has_id);
    assert_int_equal(m.id, id);
    assert_int_equal(m.result_kind, res);
    assert_int_equal(m.has_error, has_err);
    assert_int_equal(m.err_code, code);
    hfm_msg_free(&m);
}

static void test_replies(void **state)
{
    /* Fast path shapes. */
    expect_reply("{\"id\":5,\"result\":true,\"error\":null}", 5, HFM_RES_TRUE, false, 0);
    expect_reply("{\"id\":6,\"result\":null,\"error\":[23,\"Low difficulty share\",null]}",
                 6, HFM_RES_NULL, true, 23);
    expect_reply(" { \"error\" : null , \"id\" : 7 , \"result\" : false } \r", 7,
                 HFM_RES_FALSE, false, 0);
    expect_reply("{\"result\":false,\"error\":[21,\"Job not found (stale)\",\"x\"],\"id\":8}",
                 8, HFM_RES_FALSE, true, 21);
    /* General path: escapes, objects, extra fields, missing error. */
    expect_reply("{\"id\":9,\"result\":null,\"error\":[22,\"Dup\\\"licate\",null]}", 9,
                 HFM_RES_NULL, true, 22);
    expect_reply("{\"id\":10,\"result\":null,\"error\":{\"code\":24,\"message\":\"no\"}}",
                 10, HFM_RES_NULL, true, 24);
    expect_reply("{\"id\":11,\"result\":true,\"error\":null,\"extra\":1}", 11, HFM_RES_TRUE,
                 false, 0);
    expect_reply("{\"id\":12,\"result\":true}", 12, HFM_RES_TRUE, false, 0);
    expect_reply("{\"id\":13,\"result\":[1,2],\"error\":null}", 13, HFM_RES_OTHER, false, 0);
    expect_reply("{\"id\":14,\"result\":null,\"error\":\"just text\"}", 14, HFM_RES_NULL, true,
                 0);
    expect_reply("{\"id\":15,\"result\":null,\"error\":[\"25\",\"x\"]}", 15, HFM_RES_NULL,
                 true, 0);

    /* Ids that are not small non-negative integers: no usable id. */
    const char *bad_ids[] = {
        "{\"id\":null,\"result\":null,\"error\":[20,\"Parse error\",null]}",
        "{\"id\":-1,\"result\":true,\"error\":null}",
        "{\"id\":\"5\",\"result\":true,\"error\":null}",
        "{\"id\":1.5,\"result\":true,\"error\":null}",
    };
    for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
        hfm_msg m;
        assert_int_equal(parse(bad_ids[i], &m), 0);
        assert_int_equal(m.kind, HFM_MSG_REPLY);
        assert_false(m.has_id);
        hfm_msg_free(&m);
    }
    /* A leading zero or a huge id is not taken by the fast path; jansson
     * reads 99999999999999999999 as out of range and refuses the line. */
    hfm_msg m;
    assert_int_equal(parse("{\"id\":99999999999999999999,\"result\":true,\"error\":null}", &m),
                     -1);
    expect_reply("{\"id\":9007199254740993,\"result\":true,\"error\":null}",
                 9007199254740993ULL, HFM_RES_TRUE, false, 0);

    const char *junk[] = {"", "   ", "[]", "null", "{", "}", "{\"id\":1}", "true",
                          "{\"id\":1,\"result\":true,\"error\":null}x", "\"str\"",
                          "{\"id\":1,\"result\":tru,\"error\":null}"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        assert_int_equal(parse(junk[i], &m), -1);
    /* A line over the limit is refused without being parsed. */
    size_t big = HFM_LINE_MAX + 10;
    char *line = malloc(big);
    memset(line, 'a', big);
    memcpy(line, "{\"id\":1,\"result\":true,\"error\":null}", 34);
    assert_int_equal(hfm_msg_parse(line, big, &m), -1);
    free(line);
}

static void test_calls(void **state)
{
    hfm_msg m;
    assert_int_equal(parse("{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[1e-9]}",
                           &m), 0);
    assert_int_equal(m.kind, HFM_MSG_CALL);
    assert_string_equal(m.method, "mining.set_difficulty");
    double d = 0;
    assert_int_equal(hfm_parse_difficulty(m.params, &d), 0);
    assert_true(d == 1e-9);
    hfm_msg_free(&m);
    assert_int_equal(parse("{\"id\":\"q1\",\"method\":\"client.get_version\"}", &m), 0);
    assert_int_equal(m.kind, HFM_MSG_CALL);
    assert_null(m.params);
    assert_true(json_is_string(m.id_json));
    hfm_msg_free(&m);
    /* A method that is not a string makes it neither call nor reply. */
    assert_int_equal(parse("{\"id\":1,\"method\":5,\"params\":[]}", &m), -1);
}

/* ---- pool messages ------------------------------------------------------ */

static void test_subscribe_result(void **state)
{
    uint8_t en1[HFM_EN_MAX];
    size_t l1 = 99, s2 = 99;
    json_t *r = J("[[[\"mining.set_difficulty\",\"1\"],[\"mining.notify\",\"1\"]],\"08000002\",4]");
    assert_int_equal(hfm_parse_subscribe(r, en1, &l1, &s2), 0);
    assert_int_equal(l1, 4);
    assert_int_equal(s2, 4);
    const uint8_t want[4] = {8, 0, 0, 2};
    assert_memory_equal(en1, want, 4);
    json_decref(r);
    r = J("[null,\"\",0]");
    assert_int_equal(hfm_parse_subscribe(r, en1, &l1, &s2), 0);
    assert_int_equal(l1, 0);
    assert_int_equal(s2, 0);
    json_decref(r);

    const char *bad[] = {
        "null", "[]", "{}", "[1,2]", "[[],123,4]", "[[],\"zz\",4]", "[[],\"abc\",4]",
        "[[],\"00\",-1]", "[[],\"00\",\"4\"]", "[[],\"00\",4.5]", "[[],\"00\",33]",
        "[[],\"0000000000000000000000000000000000000000000000000000000000000000ff\",4]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        l1 = s2 = 77;
        r = J(bad[i]);
        assert_int_equal(hfm_parse_subscribe(r, en1, &l1, &s2), -1);
        assert_int_equal(l1, 77);     /* outputs untouched */
        assert_int_equal(s2, 77);
        json_decref(r);
    }
    assert_int_equal(hfm_parse_subscribe(NULL, en1, &l1, &s2), -1);
}

static char *notify_params(int replace, const char *with)
{
    const char *p[9] = {"\"job7\"", "\"" PREV "\"", "\"01020304\"", "\"0a0b\"",
                        "[\"" BR "\"]", "\"20000000\"", "\"207fffff\"", "\"6740a1b2\"",
                        "false"};
    if (replace >= 0)
        p[replace] = with;
    char *out = NULL;
    int n = asprintf(&out, "[%s,%s,%s,%s,%s,%s,%s,%s,%s]", p[0], p[1], p[2], p[3], p[4],
                     p[5], p[6], p[7], p[8]);
    assert_true(n > 0);
    return out;
}

static void test_notify(void **state)
{
    char *text = notify_params(-1, NULL);
    json_t *params = J(text);
    free(text);
    hfm_job *job = hfm_parse_notify(params);
    json_decref(params);
    assert_non_null(job);
    assert_string_equal(job->id, "job7");
    assert_int_equal(job->coinb1_len, 4);
    assert_int_equal(job->coinb1[3], 4);
    assert_int_equal(job->coinb2_len, 2);
    assert_int_equal(job->branch_len, 1);
    assert_int_equal(job->branch[0][0], 0x44);
    assert_int_equal(job->version, 0x20000000);
    assert_int_equal(job->nbits, 0x207fffff);
    assert_int_equal(job->ntime, 0x6740a1b2);
    assert_false(job->clean);
    assert_int_equal(job->prevhash[31], 0);       /* internal order: zeros last */
    assert_int_equal(job->prevhash[0], 0x6f);
    assert_int_equal(job->net_target[31], 0x7f);  /* regtest target 0x7fffff << 232 */
    assert_int_equal(job->net_target[29], 0xff);
    assert_int_equal(job->net_target[28], 0);
    hfm_job_unref(job);

    /* Each field, replaced by something wrong. */
    static const struct { int pos; const char *with; } bad[] = {
        {0, "12"}, {0, "\"\""}, {0, "null"},
        {0, "\"0123456789012345678901234567890123456789012345678901234567890123456789\""},
        {1, "\"00\""}, {1, "7"}, {1, "\"" PREV "0\""},
        {1, "\"zz8ce26f72b3f1b646a2a6c14ff763ae65831e939c085ae10019d66800000000\""},
        {2, "\"010\""}, {2, "\"xx\""}, {2, "[]"},
        {3, "null"}, {3, "\"0g\""},
        {4, "\"" BR "\""}, {4, "[7]"}, {4, "[\"44\"]"}, {4, "null"}, {4, "{}"},
        {5, "\"2000000\""}, {5, "536870912"}, {5, "\"2000000000\""},
        {6, "\"\""}, {6, "true"},
        {7, "\"6740a1bz\""}, {7, "[]"},
        {8, "\"true\""}, {8, "1"}, {8, "null"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        text = notify_params(bad[i].pos, bad[i].with);
        params = J(text);
        free(text);
        job = hfm_parse_notify(params);
        if (job)
            fail_msg("notify with param %d = %s was accepted", bad[i].pos, bad[i].with);
        json_decref(params);
    }
    /* Too few params, not an array, too long a branch. */
    const char *shapes[] = {"[]", "null", "{}", "[\"j\",\"" PREV "\",\"\",\"\",[],\"20000000\","
                            "\"207fffff\",\"6740a1b2\"]"};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        params = J(shapes[i]);
        assert_null(hfm_parse_notify(params));
        json_decref(params);
    }
    assert_null(hfm_parse_notify(NULL));
    char branch[33 * 70 + 4] = "[";
    for (int i = 0; i < 33; i++)
        strcat(strcat(strcat(branch, i ? ",\"" : "\""), BR), "\"");
    strcat(branch, "]");
    text = notify_params(4, branch);
    params = J(text);
    free(text);
    assert_null(hfm_parse_notify(params));
    json_decref(params);
    /* Without the last entry the branch (32 steps) is fine. */
    branch[strlen(branch) - 68] = ']';
    branch[strlen(branch) - 67] = '\0';
    text = notify_params(4, branch);
    params = J(text);
    free(text);
    job = hfm_parse_notify(params);
    assert_non_null(job);
    assert_int_equal(job->branch_len, 32);
    hfm_job_unref(job);
    json_decref(params);
    /* An nbits that is no valid target still parses (no block candidates). */
    text = notify_params(6, "\"00800000\"");
    params = J(text);
    free(text);
    job = hfm_parse_notify(params);
    assert_non_null(job);
    uint8_t zero[32] = {0};
    assert_memory_equal(job->net_target, zero, 32);
    hfm_job_unref(job);
    json_decref(params);
}

static void test_difficulty(void **state)
{
    double d = 42;
    static const struct { const char *params; double want; } good[] = {
        {"[1]", 1}, {"[1e-9]", 1e-9}, {"[0.5]", 0.5}, {"[65536]", 65536}, {"[2, 3]", 2},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        json_t *p = J(good[i].params);
        assert_int_equal(hfm_parse_difficulty(p, &d), 0);
        assert_true(d == good[i].want);
        json_decref(p);
    }
    const char *bad[] = {"[]", "[0]", "[-1]", "[\"1\"]", "[null]", "[[1]]", "null", "{}", "1",
                         "[1e300]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *p = J(bad[i]);
        d = 42;
        assert_int_equal(hfm_parse_difficulty(p, &d), -1);
        assert_true(d == 42);
        json_decref(p);
    }
    assert_int_equal(hfm_parse_difficulty(NULL, &d), -1);
}

static void test_configure(void **state)
{
    uint32_t g = 0;
    json_t *r = J("{\"version-rolling\":true,\"version-rolling.mask\":\"1fffe000\"}");
    assert_int_equal(hfm_parse_configure(r, 0x1fffe000, &g), 0);
    assert_int_equal(g, 0x1fffe000);
    assert_int_equal(hfm_parse_configure(r, 0x00ffe000, &g), 0);
    assert_int_equal(g, 0x00ffe000);
    json_decref(r);
    r = J("{\"version-rolling\":true,\"version-rolling.mask\":\"ffffffff\",\"x\":1}");
    assert_int_equal(hfm_parse_configure(r, 0x1fffe000, &g), 0);
    assert_int_equal(g, 0x1fffe000);
    json_decref(r);
    const char *bad[] = {
        "{\"version-rolling\":false}", "{\"version-rolling\":true}",
        "{\"version-rolling\":\"true\",\"version-rolling.mask\":\"1fffe000\"}",
        "{\"version-rolling\":true,\"version-rolling.mask\":536813568}",
        "{\"version-rolling\":true,\"version-rolling.mask\":\"1fffe00\"}",
        "null", "[]", "true",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = J(bad[i]);
        g = 7;
        assert_int_equal(hfm_parse_configure(r, 0x1fffe000, &g), -1);
        assert_int_equal(g, 7);
        json_decref(r);
    }
}

static void test_extranonce_mask_reconnect(void **state)
{
    uint8_t en1[HFM_EN_MAX];
    size_t l1 = 0, s2 = 0;
    json_t *p = J("[\"abcd\",8]");
    assert_int_equal(hfm_parse_set_extranonce(p, en1, &l1, &s2), 0);
    assert_int_equal(l1, 2);
    assert_int_equal(s2, 8);
    assert_int_equal(en1[0], 0xab);
    json_decref(p);
    const char *bad_en[] = {"[\"abc\",4]", "[\"abcd\"]", "[4,\"abcd\"]", "[]", "null",
                            "[\"abcd\",-2]"};
    for (size_t i = 0; i < sizeof(bad_en) / sizeof(bad_en[0]); i++) {
        p = J(bad_en[i]);
        assert_int_equal(hfm_parse_set_extranonce(p, en1, &l1, &s2), -1);
        json_decref(p);
    }

    uint32_t mask = 0;
    p = J("[\"1fffe000\"]");
    assert_int_equal(hfm_parse_version_mask(p, &mask), 0);
    assert_int_equal(mask, 0x1fffe000);
    json_decref(p);
    p = J("[536813568]");
    assert_int_equal(hfm_parse_version_mask(p, &mask), -1);
    json_decref(p);

    char host[64] = "127.0.0.1";
    int port = 3333;
    double wait = 0;
    p = J("[]");
    assert_int_equal(hfm_parse_reconnect(p, host, sizeof(host), &port, &wait), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 3333);
    json_decref(p);
    assert_int_equal(hfm_parse_reconnect(NULL, host, sizeof(host), &port, &wait), 0);
    p = J("[\"127.0.0.2\",3334,5]");
    assert_int_equal(hfm_parse_reconnect(p, host, sizeof(host), &port, &wait), 0);
    assert_string_equal(host, "127.0.0.2");
    assert_int_equal(port, 3334);
    assert_true(wait == 5);
    json_decref(p);
    p = J("[null,\"3335\"]");
    assert_int_equal(hfm_parse_reconnect(p, host, sizeof(host), &port, &wait), 0);
    assert_string_equal(host, "127.0.0.2");
    assert_int_equal(port, 3335);
    json_decref(p);
    const char *bad_rc[] = {"[123]", "[null,70000]", "[null,0]", "[null,\"33x\"]",
                            "[null,null,-1]", "[null,null,\"5\"]", "{}", "[\"\"]",
                            "[\"0123456789012345678901234567890123456789012345678901234567890123\"]"};
    for (size_t i = 0; i < sizeof(bad_rc) / sizeof(bad_rc[0]); i++) {
        p = J(bad_rc[i]);
        assert_int_equal(hfm_parse_reconnect(p, host, sizeof(host), &port, &wait), -1);
        assert_string_equal(host, "127.0.0.2");
        assert_int_equal(port, 3335);
        json_decref(p);
    }
}

static void test_error_code(void **state)
{
    static const struct { const char *e; int code; } cases[] = {
        {"[21,\"x\",null]", 21}, {"{\"code\":23}", 23}, {"[]", 0}, {"null", 0},
        {"\"text\"", 0}, {"[\"21\"]", 0}, {"[99999999999]", 0}, {"{\"code\":\"5\"}", 0},
        {"[-3,\"x\"]", -3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *e = J(cases[i].e);
        assert_int_equal(hfm_error_code(e), cases[i].code);
        json_decref(e);
    }
    assert_int_equal(hfm_error_code(NULL), 0);
    uint32_t v;
    assert_int_equal(hfm_parse_u32_hex("DEADBEEF", &v), 0);
    assert_int_equal(v, 0xdeadbeef);
    assert_int_equal(hfm_parse_u32_hex("deadbee", &v), -1);
    assert_int_equal(hfm_parse_u32_hex("0xdeadbe", &v), -1);
    assert_int_equal(hfm_parse_u32_hex(NULL, &v), -1);
}

/* Every parser on randomly damaged copies of real lines: no crash, no leak
 * (ASan), and whatever is accepted is well-formed. */
static void test_mutations(void **state)
{
    const char *lines[] = {
        "{\"id\":5,\"result\":true,\"error\":null}",
        "{\"id\":6,\"result\":null,\"error\":[23,\"Low difficulty share\",null]}",
        "{\"id\":1,\"result\":[[[\"mining.notify\",\"1\"]],\"08000002\",4],\"error\":null}",
        "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"job7\",\"" PREV "\",\"0102\","
        "\"0a0b\",[\"" BR "\"],\"20000000\",\"207fffff\",\"6740a1b2\",true]}",
        "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[0.001]}",
        "{\"id\":2,\"result\":{\"version-rolling\":true,\"version-rolling.mask\":\"1fffe000\"},"
        "\"error\":null}",
        "{\"id\":null,\"method\":\"client.reconnect\",\"params\":[\"127.0.0.1\",3333,1]}",
        "{\"id\":null,\"method\":\"mining.set_extranonce\",\"params\":[\"abcd\",4]}",
    };
    const char alphabet[] = "{}[]\",:0123456789abcdefxtrue-.e\\ nul";
    unsigned seed = 12345;
    size_t accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        const char *src = lines[iter % (sizeof(lines) / sizeof(lines[0]))];
        char buf[512];
        size_t len = strlen(src);
        memcpy(buf, src, len + 1);
        int edits = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 4;
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245 + 12345;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245 + 12345;
            int op = (int)((seed >> 16) % 3);
            if (op == 0)
                buf[pos] = alphabet[(seed >> 4) % (sizeof(alphabet) - 1)];
            else if (op == 1 && len > 1)
                memmove(buf + pos, buf + pos + 1, len-- - pos);
            else
                len = pos + 1, buf[len] = '\0';
        }
        hfm_msg m;
        if (hfm_msg_parse(buf, len, &m))
            continue;
        accepted++;
        uint8_t en1[HFM_EN_MAX];
        size_t l1, s2;
        double d;
        uint32_t u;
        char host[64] = "h";
        int port = 1;
        double wait = 0;
        hfm_job *job = hfm_parse_notify(m.params);
        if (job) {
            assert_true(job->branch_len <= HFM_BRANCH_MAX);
            assert_true(strlen(job->id) > 0);
            hfm_job_unref(job);
        }
        if (hfm_parse_difficulty(m.params, &d) == 0)
            assert_true(d > 0 && isfinite(d));
        if (hfm_parse_subscribe(m.result, en1, &l1, &s2) == 0)
            assert_true(l1 <= HFM_EN_MAX && s2 <= HFM_EN_MAX);
        hfm_parse_configure(m.result, 0x1fffe000, &u);
        hfm_parse_set_extranonce(m.params, en1, &l1, &s2);
        hfm_parse_version_mask(m.params, &u);
        if (hfm_parse_reconnect(m.params, host, sizeof(host), &port, &wait) == 0)
            assert_true(port >= 1 && port <= 65535 && wait >= 0);
        hfm_error_code(m.error);
        hfm_msg_free(&m);
    }
    assert_true(accepted > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_line),
        cmocka_unit_test(test_other_requests),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_subscribe_result),
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_difficulty),
        cmocka_unit_test(test_configure),
        cmocka_unit_test(test_extranonce_mask_reconnect),
        cmocka_unit_test(test_error_code),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
