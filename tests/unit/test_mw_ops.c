/* Tests of mw_ops: a CMD_MW_BATCH body becomes exactly the Redis writes of
 * the public contract (key names, minute fields, merged increments, float
 * text, the seed's event JSON); bad bodies are refused, records with
 * unusable names skipped; a batch with any number out of range (negative,
 * huge, a string, a non-integer count, p = 1e308, NaN text, a bad minute)
 * is refused whole, with an error naming the field, and its identity. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metawriter/mw_ops.h"
#include "utils/ut_diff.h"
#include "utils/ut_log.h"

#define M0 "1795321680"

static const char *HEAD =
    "\"v\":1,\"source\":\"gw1-p0\",\"epoch\":\"0123456789abcdef\",\"seq\":5,"
    "\"coin\":\"btc\",\"coin_name\":\"BTC\",\"host\":\"gw-a\",\"time\":1795321690";

static mw_ops *parse(const char *rest, char *err)
{
    char body[4096];
    snprintf(body, sizeof(body), "{%s%s}", HEAD, rest);
    return mw_ops_from_body(body, strlen(body), "btc", NULL, err, 256);
}

/* The op (kind, key, arg), or NULL. */
static const mw_op *find(const mw_ops *o, char kind, const char *key, const char *arg)
{
    for (size_t i = 0; i < o->n; i++) {
        if (o->v[i].kind == kind && strcmp(o->v[i].key, key) == 0 && strcmp(o->v[i].arg, arg) == 0)
            return &o->v[i];
    }
    return NULL;
}

static void assert_val(const mw_ops *o, char kind, const char *key, const char *arg,
                       const char *val)
{
    const mw_op *op = find(o, kind, key, arg);
    if (!op)
        fail_msg("no %c %s %s", kind, key, arg);
    assert_string_equal(op->val, val);
}

static void test_share_keys(void **state)
{
    char err[256] = "";
    mw_ops *o = parse(",\"shares\":["
                      "{\"t\":" M0 ",\"user\":\"alice\",\"worker\":\"rig1\",\"s\":3,\"p\":6.0,"
                      "\"g\":0.5,\"r\":2},"
                      "{\"t\":" M0 ",\"user\":\"alice\",\"worker\":\"rig2\",\"s\":1,\"p\":0.25,"
                      "\"g\":0.125},"
                      "{\"t\":" M0 ",\"user\":\"bob\",\"worker\":\"\",\"r\":1}]",
                      err);
    assert_non_null(o);
    assert_string_equal(o->idstr, "gw1-p0/0123456789abcdef/5");
    assert_int_equal(o->records, 3);
    assert_val(o, 'I', "btc:s:alice:rig1", M0, "3");
    assert_val(o, 'F', "btc:p:alice:rig1", M0, "6");
    assert_val(o, 'F', "btc:g:alice:rig1", M0, "0.5");
    assert_val(o, 'I', "btc:s:alice:rig1:reject", M0, "2");
    assert_val(o, 'I', "btc:s:alice:rig2", M0, "1");
    assert_val(o, 'F', "btc:p:alice:rig2", M0, "0.25");
    assert_null(find(o, 'I', "btc:s:alice:rig2:reject", M0));
    /* user level: the workers' sums, merged into one write each */
    assert_val(o, 'I', "btc:s:alice", M0, "4");
    assert_val(o, 'F', "btc:p:alice", M0, "6.25");
    assert_val(o, 'F', "btc:g:alice", M0, "0.625");
    assert_val(o, 'I', "btc:s:alice:reject", M0, "2");
    /* rejects add no pow and no goal; an empty worker means user keys only */
    assert_val(o, 'I', "btc:s:bob:reject", M0, "1");
    assert_null(find(o, 'I', "btc:s:bob", M0));
    assert_null(find(o, 'F', "btc:p:bob", M0));
    assert_int_equal(o->n, 12);
    mw_ops_free(o);
}

/* Stale (a part of the rejects) goes to <coin>:st:<who>, never under
 * <coin>:s:*; a body without "st" (an older sender) writes no stale key. */
static void test_stale_keys(void **state)
{
    char err[256] = "";
    mw_ops *o = parse(",\"shares\":["
                      "{\"t\":" M0 ",\"user\":\"alice\",\"worker\":\"rig1\",\"r\":3,\"st\":2},"
                      "{\"t\":" M0 ",\"user\":\"alice\",\"worker\":\"rig2\",\"r\":1,\"st\":1},"
                      "{\"t\":" M0 ",\"user\":\"bob\",\"worker\":\"\",\"r\":1}],"
                      "\"system\":[{\"t\":" M0 ",\"reject\":5,\"stale\":3}]",
                      err);
    assert_non_null(o);
    assert_val(o, 'I', "btc:s:alice:rig1:reject", M0, "3");
    assert_val(o, 'I', "btc:st:alice:rig1", M0, "2");
    assert_val(o, 'I', "btc:st:alice:rig2", M0, "1");
    assert_val(o, 'I', "btc:st:alice", M0, "3");
    assert_val(o, 'I', "btc:s:alice:reject", M0, "4");
    assert_null(find(o, 'I', "btc:st:bob", M0));
    assert_val(o, 'I', "btc:m:stale", M0, "3");
    assert_val(o, 'I', "btc:mh:gw-a:stale", M0, "3");
    assert_non_null(find(o, 'S', "btc:mk:stale", "gw-a"));
    assert_non_null(find(o, 'S', "monitor:keys", "btc:m:stale"));
    for (size_t i = 0; i < o->n; i++)       /* nothing new under btc:s: */
        assert_true(strncmp(o->v[i].key, "btc:s:", 6) != 0 || strstr(o->v[i].key, ":reject"));
    /* 4 reject + 3 st share keys; reject and stale: 2 hashes, 2 sets each */
    assert_int_equal(o->n, 7 + 8);
    mw_ops_free(o);
}

static void test_system_keys(void **state)
{
    char err[256] = "";
    mw_ops *o = parse(",\"system\":[{\"t\":" M0 ",\"pow\":6.25,\"share\":4,\"reject\":1,"
                      "\"block\":1,\"connections\":3},{\"t\":" M0 ",\"pow\":2}]",
                      err);
    assert_non_null(o);
    /* pow is always a float sum, even when the JSON number is an integer */
    assert_val(o, 'F', "btc:m:pow", M0, "8.25");
    assert_val(o, 'F', "btc:mh:gw-a:pow", M0, "8.25");
    assert_null(find(o, 'I', "btc:m:pow", M0));
    assert_val(o, 'I', "btc:m:share", M0, "4");
    assert_val(o, 'I', "btc:mh:gw-a:share", M0, "4");
    assert_val(o, 'I', "btc:m:reject", M0, "1");
    assert_val(o, 'I', "btc:m:block", M0, "1");
    assert_val(o, 'I', "btc:m:connections", M0, "3");
    assert_val(o, 'I', "btc:mh:gw-a:connections", M0, "3");
    assert_non_null(find(o, 'S', "btc:mk:pow", "gw-a"));
    assert_non_null(find(o, 'S', "btc:mk:connections", "gw-a"));
    assert_non_null(find(o, 'S', "monitor:keys", "btc:m:pow"));
    assert_non_null(find(o, 'S', "monitor:keys", "btc:m:block"));
    assert_int_equal(o->n, 5 * 4);
    mw_ops_free(o);
}

static void test_events_json(void **state)
{
    char err[256] = "";
    mw_ops *o = parse(",\"events\":["
                      "{\"type\":\"newworker\",\"user\":\"haiyang\",\"worker\":\"example\"},"
                      "{\"type\":\"newevent\",\"user\":\"haiyang\",\"worker\":\"example\","
                      "\"peer\":\"47.88.87.29\",\"event\":\"connected\"},"
                      "{\"type\":\"newblock\",\"user\":\"haiyang\",\"worker\":\"example\","
                      "\"hash\":\"00000000000000000320\"},"
                      "{\"type\":\"newworker\",\"user\":\"haiyang\",\"worker\":\"example\"},"
                      "{\"type\":\"bogus\"},"
                      "{\"type\":\"newblock\",\"user\":\"a\",\"worker\":\"\",\"hash\":\"00ab\","
                      "\"reward\":5000001234,\"height\":101}]", err);
    assert_non_null(o);
    assert_int_equal(o->n, 5);            /* the unknown type is skipped */
    assert_int_equal(o->v[0].kind, 'R');
    assert_string_equal(o->v[0].key, "newworker");
    assert_string_equal(o->v[0].arg,
                        "{\"user\": \"haiyang\", \"worker\": \"example\", \"coin\": \"BTC\"}");
    assert_string_equal(o->v[1].key, "newevent");
    assert_string_equal(o->v[1].arg,
                        "{\"user\": \"haiyang\", \"worker\": \"example\", \"coin\": \"BTC\", "
                        "\"peer\": \"47.88.87.29\", \"event\": \"connected\"}");
    assert_string_equal(o->v[2].key, "newblock");
    assert_string_equal(o->v[2].arg,
                        "{\"name\": \"BTC\", \"hash\": \"00000000000000000320\", \"user\": "
                        "\"haiyang\", \"worker\": \"example\"}");
    assert_string_equal(o->v[3].key, "newworker");   /* list pushes are never merged */
    /* height and reward (a newer sender): after the seed's four keys */
    assert_string_equal(o->v[4].arg,
                        "{\"name\": \"BTC\", \"hash\": \"00ab\", \"user\": \"a\", \"worker\": \"\", "
                        "\"height\": 101, \"reward\": 5000001234}");
    mw_ops_free(o);
}

/* Float increments are written with ut_fmt_double: the shortest text
 * that reads back as the sum; a non-finite number is never written. */
static void test_floats(void **state)
{
    char buf[40];
    assert_int_equal(ut_fmt_double(6.0, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "6");
    ut_fmt_double(0.1 + 0.2, buf, sizeof(buf));
    assert_string_equal(buf, "0.30000000000000004");
    assert_true(strtod(buf, NULL) == 0.1 + 0.2);
    ut_fmt_double(4.6565423739069247e-10, buf, sizeof(buf));
    assert_true(strtod(buf, NULL) == 4.6565423739069247e-10);
    ut_fmt_double(2147483648.0, buf, sizeof(buf));
    assert_string_equal(buf, "2147483648");
    assert_int_equal(ut_fmt_double(1.0 / 0.0, buf, sizeof(buf)), -1);
    assert_string_equal(buf, "");

    char err[256] = "";
    mw_ops *o = parse(",\"shares\":["
                      "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"s\":1,\"p\":0.1,\"g\":1e-9},"
                      "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"\",\"s\":1,\"p\":0.2,\"g\":1e60},"
                      "{\"t\":" M0 ",\"user\":\"b\",\"worker\":\"\",\"s\":1,\"p\":1e60,"
                      "\"g\":1e60},"
                      "{\"t\":" M0 ",\"user\":\"b\",\"worker\":\"\",\"s\":1,\"p\":1e60,"
                      "\"g\":9.5367431640625e-07}]", err);
    assert_non_null(o);
    assert_val(o, 'F', "btc:p:a", M0, "0.30000000000000004");
    assert_val(o, 'F', "btc:p:a:w", M0, "0.1");
    assert_val(o, 'F', "btc:g:a", M0, "1e+60");
    assert_val(o, 'F', "btc:g:a:w", M0, "1e-09");
    assert_val(o, 'F', "btc:p:b", M0, "2e+60");
    assert_val(o, 'F', "btc:g:b", M0, "1e+60");       /* 1e60 + 2^-20 */
    mw_ops_free(o);
}

static void test_bad_records_skipped(void **state)
{
    char err[256] = "";
    mw_ops *o = parse(",\"shares\":["
                      "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w:x\",\"s\":1,\"p\":1,\"g\":1},"
                      "{\"t\":" M0 ",\"user\":\"a:b\",\"worker\":\"w\",\"s\":1,\"p\":1,\"g\":1},"
                      "{\"t\":" M0 ",\"user\":\"\",\"worker\":\"w\",\"s\":1,\"p\":1,\"g\":1},"
                      "{\"t\":" M0 ",\"user\":\"ok\",\"worker\":\"w\",\"s\":1,\"p\":1,\"g\":1}]",
                      err);
    assert_non_null(o);
    assert_int_equal(o->n, 6);            /* only user "ok": 3 user + 3 worker keys */
    assert_val(o, 'I', "btc:s:ok:w", M0, "1");
    mw_ops_free(o);
}

static void test_bad_bodies(void **state)
{
    char err[256];
    const char *bad[] = {
        "not json",
        "{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"coin\":\"btc\",\"host\":\"h\"}",
        "{\"v\":1,\"source\":\"s\",\"epoch\":\"0123\",\"seq\":1,\"coin\":\"btc\",\"host\":\"h\"}",
        "{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"ltc\","
        "\"host\":\"h\"}",
        "{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\"}",
        "{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\","
        "\"host\":\"h\",\"shares\":{}}",
        "{\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\",\"host\":\"h\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_null(mw_ops_from_body(bad[i], strlen(bad[i]), "btc", NULL, err, sizeof(err)));
        assert_true(err[0] != '\0');
    }
    /* A newer sender's unknown fields are ignored. */
    const char *newer = "{\"v\":2,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,"
                        "\"coin\":\"btc\",\"host\":\"h\",\"future\":[1,2],\"shares\":[{\"t\":"
                        M0 ",\"user\":\"u\",\"worker\":\"\",\"s\":2,\"p\":2,\"g\":1,\"x\":1}]}";
    mw_ops *o = mw_ops_from_body(newer, strlen(newer), "btc", NULL, err, sizeof(err));
    assert_non_null(o);
    assert_val(o, 'I', "btc:s:u", M0, "2");
    mw_ops_free(o);
}

/* A body with one number out of range, after good records: refused whole
 * (NULL: nothing of it is written), the error names the field, the
 * identity is still read for the log line. */
static void test_refused_numbers(void **state)
{
#define GOOD "{\"t\":" M0 ",\"user\":\"ok\",\"worker\":\"w\",\"s\":1,\"p\":1,\"g\":1},"
#define REC(f) ",\"shares\":[" GOOD "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\"," f "}]"
    const char *bad[][2] = {
        {REC("\"s\":1,\"p\":-5,\"g\":1"), "shares[1].p: -5 is not a finite number in [0, 1e60]"},
        {REC("\"s\":1,\"p\":\"1\",\"g\":1"), "shares[1].p: \"1\" is not a finite number"},
        {REC("\"s\":1.5,\"p\":1,\"g\":1"), "shares[1].s: 1.5 is not an integer in [0, 2^40]"},
        {REC("\"s\":1,\"p\":1,\"g\":[1]"), "shares[1].g: [1] is not a finite number"},
        {REC("\"r\":-1"), "shares[1].r: -1 is not an integer"},
        {",\"shares\":[" GOOD "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\","
         "\"s\":4611686018427387904,\"p\":1,\"g\":1},{\"t\":" M0 ",\"user\":\"a\","
         "\"worker\":\"w\",\"s\":4611686018427387904,\"p\":1,\"g\":1}]",
         "shares[1].s: 4611686018427387904 is not an integer in [0, 2^40]"},
        {",\"shares\":[" GOOD "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"s\":1,"
         "\"p\":1e308,\"g\":1},{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"s\":1,"
         "\"p\":1e308,\"g\":1}]", "shares[1].p: 1e+308 is not a finite number"},
        {",\"shares\":[" GOOD "{\"t\":1795321681,\"user\":\"a\",\"worker\":\"w\"}]",
         "shares[1].t: 1795321681 is not a unix minute"},
        {",\"shares\":[" GOOD "{\"user\":\"a\",\"worker\":\"w\",\"s\":1}]",
         "shares[1].t: (missing) is not a unix minute"},
        {",\"system\":[{\"t\":" M0 ",\"pow\":-1}]", "system[0].pow: -1 is not a finite"},
        {",\"system\":[{\"t\":" M0 ",\"connections\":-1}]", "system[0].connections: -1"},
        {",\"system\":[{\"t\":" M0 ",\"share\":1.5}]", "system[0].share: 1.5 is not"},
        {",\"events\":[{\"user\":\"a\"}]", "events[0].type: (missing) is not a string"},
        {",\"shares\":[" GOOD "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"p\":NaN}]",
         "not JSON (line 1, column"},
        {",\"shares\":[" GOOD "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"p\":1e999}]",
         "real number overflow"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[4096], err[256] = "", buf[128];
        snprintf(body, sizeof(body), "{%s%s}", HEAD, bad[i][0]);
        ut_meta_ident id;
        assert_null(mw_ops_from_body(body, strlen(body), "btc", &id, err, sizeof(err)));
        if (!strstr(err, bad[i][1]))
            fail_msg("case %zu: error '%s' does not say '%s'", i, err, bad[i][1]);
        const char *want = strstr(err, "not JSON") ? "" : "gw1-p0";
        assert_string_equal(id.source, want);
        if (*want)
            assert_string_equal(ut_meta_ident_str(&id, buf, sizeof(buf)),
                                "gw1-p0/0123456789abcdef/5");
    }
#undef REC
#undef GOOD
}

int main(void)
{
    ut_log_set_level(UT_LOG_FATAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_keys),
        cmocka_unit_test(test_stale_keys),
        cmocka_unit_test(test_system_keys),
        cmocka_unit_test(test_events_json),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_bad_records_skipped),
        cmocka_unit_test(test_bad_bodies),
        cmocka_unit_test(test_refused_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
