/* Tests of ut_meta_check, the whole-body check of CMD_MW_BATCH: a good
 * body passes (limits included: 2^40, 1e60, the first and last sane
 * minute); each bad field is refused with an error naming the field and
 * its index: negative, huge, non-integer counts, strings and arrays where
 * numbers belong, missing or non-minute t, p = 1e308 (so two records of
 * one key can never add up to inf), bad header fields, events without a
 * string type. ut_meta_body_load refuses text that is not JSON (NaN,
 * Infinity, 1e999, duplicate keys) and still reads the identity of a
 * refused body. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_log.h"
#include "utils/ut_meta_check.h"

#define M0 "1795321680"

static const char *HEAD =
    "\"v\":1,\"source\":\"gw1-p0\",\"epoch\":\"0123456789abcdef\",\"seq\":5,"
    "\"coin\":\"btc\",\"coin_name\":\"BTC\",\"host\":\"gw-a\",\"time\":1795321690";

/* ut_meta_body_load of {HEAD rest}; err gets the reason. */
static json_t *load(const char *rest, char *err, size_t n)
{
    char body[4096];
    snprintf(body, sizeof(body), "{%s%s}", HEAD, rest);
    ut_meta_ident id;
    err[0] = '\0';
    return ut_meta_body_load(body, strlen(body), &id, err, n);
}

static void assert_ok(const char *rest)
{
    char err[256];
    json_t *root = load(rest, err, sizeof(err));
    if (!root)
        fail_msg("refused: %s\n  body: %s", err, rest);
    json_decref(root);
}

/* Refused, with want in the error text. */
static void assert_bad(const char *rest, const char *want)
{
    char err[256];
    json_t *root = load(rest, err, sizeof(err));
    if (root) {
        json_decref(root);
        fail_msg("accepted: %s", rest);
    }
    if (!strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
}

#define SHARE(fields) ",\"shares\":[{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\"," fields "}]"
#define SHARE2(fields) ",\"shares\":[{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\"}," \
                       "{\"t\":" M0 ",\"user\":\"b\",\"worker\":\"\"}," \
                       "{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\"," fields "}]"
#define SYS(fields) ",\"system\":[{\"t\":" M0 "," fields "}]"

static void test_good_bodies(void **state)
{
    assert_ok("");
    assert_ok(",\"shares\":[],\"system\":[],\"events\":[]");
    assert_ok(SHARE("\"s\":3,\"p\":6.0,\"g\":0.5,\"r\":2"));
    assert_ok(SHARE("\"s\":3,\"p\":6,\"g\":0"));                 /* integers are numbers */
    assert_ok(SHARE("\"s\":1099511627776,\"p\":1e60,\"g\":1e60,\"r\":1099511627776"));
    assert_ok(SHARE("\"s\":0,\"r\":0"));
    assert_ok(SHARE("\"r\":3,\"st\":2"));                      /* optional stale */
    assert_ok(SHARE("\"r\":1099511627776,\"st\":1099511627776"));
    assert_ok(SYS("\"reject\":3,\"stale\":1099511627776"));
    assert_ok(SHARE("\"x\":\"a newer field\",\"y\":[1,{}]"));  /* unknown: ignored */
    assert_ok(",\"shares\":[{\"t\":1230768000,\"user\":\"a\",\"worker\":\"\"},"
              "{\"t\":7258118400,\"user\":\"a\",\"worker\":\"\"}]");
    assert_ok(SYS("\"pow\":1e60,\"share\":1099511627776,\"reject\":0,\"block\":1,"
                  "\"connections\":3"));
    assert_ok(SYS("\"pow\":2"));
    assert_ok(",\"events\":[{\"type\":\"newblock\",\"user\":\"a\",\"worker\":\"w\","
              "\"hash\":\"00ab\"},{\"type\":\"from-the-future\",\"n\":5}]");
    assert_ok(",\"events\":[{\"type\":\"newblock\",\"hash\":\"00ab\",\"height\":2147483647,"
              "\"reward\":2100000000000000},{\"type\":\"newblock\",\"height\":0,\"reward\":0}]");
}

static void test_bad_counts(void **state)
{
    assert_bad(SHARE("\"s\":-1"), "shares[0].s: -1 is not an integer in [0, 2^40]");
    assert_bad(SHARE("\"s\":1099511627777"), "shares[0].s: 1099511627777 is not an integer");
    assert_bad(SHARE("\"s\":4611686018427387904"), "shares[0].s: 4611686018427387904 is not");
    assert_bad(SHARE("\"s\":1.5"), "shares[0].s: 1.5 is not an integer");
    assert_bad(SHARE("\"s\":1.0"), "shares[0].s: 1.0 is not an integer");
    assert_bad(SHARE("\"s\":\"3\""), "shares[0].s: \"3\" is not an integer");
    assert_bad(SHARE("\"s\":[3]"), "shares[0].s: [3] is not an integer");
    assert_bad(SHARE("\"s\":null"), "shares[0].s: null is not an integer");
    assert_bad(SHARE("\"s\":true"), "shares[0].s: true is not an integer");
    assert_bad(SHARE2("\"r\":-3"), "shares[2].r: -3 is not an integer");
    assert_bad(SHARE2("\"r\":{\"n\":1}"), "shares[2].r: {\"n\":1} is not an integer");
    assert_bad(SHARE("\"st\":-1"), "shares[0].st: -1 is not an integer in [0, 2^40]");
    assert_bad(SHARE2("\"st\":1099511627777"), "shares[2].st: 1099511627777 is not an");
    assert_bad(SHARE("\"st\":1.5"), "shares[0].st: 1.5 is not an integer");
    assert_bad(SHARE("\"st\":\"2\""), "shares[0].st: \"2\" is not an integer");
    assert_bad(SYS("\"stale\":-1"), "system[0].stale: -1 is not an integer");
    assert_bad(SYS("\"stale\":2.0"), "system[0].stale: 2.0 is not an integer");
    assert_bad(SYS("\"share\":-1"), "system[0].share: -1 is not an integer");
    assert_bad(",\"events\":[{\"type\":\"newblock\",\"height\":-1}]",
               "events[0].height: -1 is not an integer in [0, 2^31 - 1]");
    assert_bad(",\"events\":[{\"type\":\"newblock\",\"height\":2147483648}]",
               "events[0].height: 2147483648 is not an integer");
    assert_bad(",\"events\":[{\"type\":\"newblock\",\"height\":1.5}]",
               "events[0].height: 1.5 is not an integer");
    assert_bad(",\"events\":[{\"type\":\"newblock\",\"reward\":2100000000000001}]",
               "events[0].reward: 2100000000000001 is not an integer in [0, 2.1e15]");
    assert_bad(",\"events\":[{\"type\":\"newblock\",\"reward\":\"5\"}]",
               "events[0].reward: \"5\" is not an integer");
    assert_bad(SYS("\"reject\":1.5"), "system[0].reject: 1.5 is not an integer");
    assert_bad(SYS("\"block\":\"1\""), "system[0].block: \"1\" is not an integer");
    assert_bad(SYS("\"connections\":-2"), "system[0].connections: -2 is not an integer");
    assert_bad(SYS("\"connections\":1099511627777"), "system[0].connections:");
}

static void test_bad_sums(void **state)
{
    const char *what = "is not a finite number in [0, 1e60]";
    char want[128];
    snprintf(want, sizeof(want), "shares[0].p: -5 %s", what);
    assert_bad(SHARE("\"s\":1,\"p\":-5,\"g\":1"), want);
    snprintf(want, sizeof(want), "shares[2].p: -5.0 %s", what);
    assert_bad(SHARE2("\"s\":1,\"p\":-5.0,\"g\":1"), want);
    snprintf(want, sizeof(want), "shares[0].p: \"1\" %s", what);
    assert_bad(SHARE("\"s\":1,\"p\":\"1\",\"g\":1"), want);
    assert_bad(SHARE("\"s\":1,\"p\":[[1]],\"g\":1"), "shares[0].p: [[1]] is not a finite");
    assert_bad(SHARE("\"s\":1,\"p\":1,\"g\":-1e-300"), "shares[0].g: -1e-300 is not a finite");
    assert_bad(SHARE("\"s\":1,\"p\":1,\"g\":{}"), "shares[0].g: {} is not");
    assert_bad(SHARE("\"s\":1,\"p\":1.0000000000000001e60,\"g\":1"), "shares[0].p:");
    assert_bad(SYS("\"pow\":-0.5"), "system[0].pow: -0.5 is not a finite number");
    assert_bad(SYS("\"pow\":\"2\""), "system[0].pow: \"2\" is not a finite number");
    /* p = 1e308 twice for one key and minute would add up to inf: never
     * accepted, not even once. */
    assert_bad(",\"shares\":[{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"s\":1,"
               "\"p\":1e308,\"g\":1},{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"s\":1,"
               "\"p\":1e308,\"g\":1}]", "shares[0].p: 1e+308 is not a finite number");
    assert_bad(SYS("\"pow\":1.7976931348623157e308"), "system[0].pow:");
    /* Two records at the cap add up to 2e60, far from inf: accepted. */
    assert_ok(",\"shares\":[{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"s\":1,"
              "\"p\":1e60,\"g\":1},{\"t\":" M0 ",\"user\":\"a\",\"worker\":\"w\",\"s\":1,"
              "\"p\":1e60,\"g\":1}]");
}

static void test_bad_minutes(void **state)
{
    const char *what = "is not a unix minute (a multiple of 60 in [1230768000, 7258118400])";
    char want[160];
    snprintf(want, sizeof(want), "shares[0].t: (missing) %s", what);
    assert_bad(",\"shares\":[{\"user\":\"a\",\"worker\":\"w\",\"s\":1}]", want);
    snprintf(want, sizeof(want), "shares[0].t: 1795321681 %s", what);
    assert_bad(",\"shares\":[{\"t\":1795321681,\"user\":\"a\",\"worker\":\"w\"}]", want);
    assert_bad(",\"shares\":[{\"t\":1795321680.0,\"user\":\"a\",\"worker\":\"w\"}]",
               "shares[0].t: 1795321680.0 is not a unix minute");
    assert_bad(",\"shares\":[{\"t\":\"" M0 "\",\"user\":\"a\",\"worker\":\"w\"}]",
               "shares[0].t: \"1795321680\" is not");
    assert_bad(",\"shares\":[{\"t\":0,\"user\":\"a\",\"worker\":\"w\"}]", "shares[0].t: 0 is");
    assert_bad(",\"shares\":[{\"t\":-60,\"user\":\"a\",\"worker\":\"w\"}]", "shares[0].t: -60");
    assert_bad(",\"shares\":[{\"t\":1230767940,\"user\":\"a\",\"worker\":\"w\"}]",
               "shares[0].t: 1230767940 is");
    assert_bad(",\"shares\":[{\"t\":7258118460,\"user\":\"a\",\"worker\":\"w\"}]",
               "shares[0].t: 7258118460 is");
    assert_bad(",\"shares\":[{\"t\":9223372036854775800,\"user\":\"a\",\"worker\":\"w\"}]",
               "shares[0].t: 9223372036854775800 is");
    assert_bad(",\"system\":[{\"pow\":1}]", "system[0].t: (missing) is not a unix minute");
    assert_bad(",\"system\":[{\"t\":" M0 "},{\"t\":30}]", "system[1].t: 30 is not");
}

static void test_bad_records(void **state)
{
    assert_bad(",\"shares\":[{\"t\":" M0 ",\"worker\":\"w\"}]",
               "shares[0].user: (missing) is not a string");
    assert_bad(",\"shares\":[{\"t\":" M0 ",\"user\":5,\"worker\":\"w\"}]",
               "shares[0].user: 5 is not a string");
    assert_bad(",\"shares\":[{\"t\":" M0 ",\"user\":\"a\"}]",
               "shares[0].worker: (missing) is not a string");
    assert_bad(",\"shares\":[{\"t\":" M0 ",\"user\":\"a\",\"worker\":null}]",
               "shares[0].worker: null is not a string");
    assert_bad(",\"shares\":{}", "shares: not an array");
    assert_bad(",\"system\":5", "system: not an array");
    assert_bad(",\"events\":\"x\"", "events: not an array");
    assert_bad(",\"shares\":[[1,2]]", "shares[0]: [1,2] is not an object");
    assert_bad(",\"system\":[{\"t\":" M0 "},7]", "system[1]: 7 is not an object");
    assert_bad(",\"events\":[{\"user\":\"a\"}]", "events[0].type: (missing) is not a string");
    assert_bad(",\"events\":[{\"type\":1}]", "events[0].type: 1 is not a string");
    assert_bad(",\"events\":[{\"type\":\"newblock\",\"hash\":[]}]",
               "events[0].hash: [] is not a string");
    assert_bad(",\"events\":[null]", "events[0]: null is not an object");
    /* A long value is quoted cut short, as ASCII. */
    assert_bad(SHARE("\"s\":\"\xc3\xa9\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
               "shares[0].s: \"\\u00E9\\u00E9xxx");
}

static void test_bad_headers(void **state)
{
    const char *bad[][2] = {
        {"{\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\","
         "\"host\":\"h\"}", "v: (missing) is not an integer >= 1"},
        {"{\"v\":0,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\","
         "\"host\":\"h\"}", "v: 0 is not an integer >= 1"},
        {"{\"v\":1.5,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\","
         "\"host\":\"h\"}", "v: 1.5 is not"},
        {"{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":-1,\"coin\":\"btc\","
         "\"host\":\"h\"}", "source/epoch/seq"},
        {"{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1.0,\"coin\":\"btc\","
         "\"host\":\"h\"}", "source/epoch/seq"},
        {"{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":7,"
         "\"host\":\"h\"}", "coin: 7 is not a non-empty string"},
        {"{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"\","
         "\"host\":\"h\"}", "coin: \"\" is not a non-empty string"},
        {"{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\"}",
         "host: (missing) is not a non-empty string"},
        {"{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\","
         "\"host\":\"h\",\"coin_name\":1}", "coin_name: 1 is not a string"},
        {"{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\","
         "\"host\":\"h\",\"time\":-1}", "time: -1 is not an integer in [0, 7258118400]"},
        {"{\"v\":1,\"source\":\"s\",\"epoch\":\"0123456789abcdef\",\"seq\":1,\"coin\":\"btc\","
         "\"host\":\"h\",\"time\":1e300}", "time: 1e+300 is not an integer"},
        {"[1,2]", "the body is not a JSON object"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        json_t *root = ut_meta_body_load(bad[i][0], strlen(bad[i][0]), NULL, err, sizeof(err));
        if (root)
            fail_msg("accepted: %s", bad[i][0]);
        if (!strstr(err, bad[i][1]))
            fail_msg("error '%s' does not say '%s'", err, bad[i][1]);
    }
}

/* Text that is not JSON: jansson refuses it while parsing; the error says
 * so, and where. The identity of a body refused by the check is still read. */
static void test_not_json(void **state)
{
    const char *bad[][2] = {
        {"{\"v\":1,\"p\":NaN}", "not JSON (line 1, column "},
        {"{\"v\":1,\"p\":-Infinity}", "not JSON"},
        {"{\"v\":1,\"p\":1e999}", "real number overflow"},
        {"{\"v\":1,\"s\":99999999999999999999}", "too big integer"},
        {"{\"v\":1,\"v\":2}", "duplicate object key"},
        {"{\"v\":1} trailing", "not JSON"},
        {"", "not JSON"},
        {"{\"v\":\"\xff\"}", "not JSON"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        ut_meta_ident id;
        strcpy(id.source, "junk");
        assert_null(ut_meta_body_load(bad[i][0], strlen(bad[i][0]), &id, err, sizeof(err)));
        if (!strstr(err, bad[i][1]))
            fail_msg("error '%s' does not say '%s'", err, bad[i][1]);
        assert_string_equal(id.source, "");
        for (const char *p = err; *p; p++)
            assert_true(*p >= 0x20 && *p < 0x7f);
        char buf[128];
        assert_string_equal(ut_meta_body_id(&id, buf, sizeof(buf)), "(no identity)");
    }
    char body[512], err[256], buf[128];
    snprintf(body, sizeof(body), "{%s" SHARE("\"s\":-1") "}", HEAD);
    ut_meta_ident id;
    assert_null(ut_meta_body_load(body, strlen(body), &id, err, sizeof(err)));
    assert_string_equal(ut_meta_body_id(&id, buf, sizeof(buf)), "gw1-p0/0123456789abcdef/5");
}

static void test_limits(void **state)
{
    assert_true(ut_meta_num_ok(0));
    assert_true(ut_meta_num_ok(1e60));
    assert_false(ut_meta_num_ok(nextafter(1e60, INFINITY)));
    assert_false(ut_meta_num_ok(-1e-300));
    assert_false(ut_meta_num_ok(NAN));
    assert_false(ut_meta_num_ok(INFINITY));
    assert_true(ut_meta_minute_ok(1230768000));
    assert_true(ut_meta_minute_ok(7258118400));
    assert_false(ut_meta_minute_ok(7258118460));
    assert_false(ut_meta_minute_ok(1795321681));
    assert_false(ut_meta_minute_ok(INT64_MIN));
    assert_true(ut_meta_time_ok(1795321681.5));
    assert_false(ut_meta_time_ok(NAN));
    assert_false(ut_meta_time_ok(1e300));
    assert_false(ut_meta_time_ok(-1));
}

int main(void)
{
    ut_log_set_level(UT_LOG_FATAL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_bodies),
        cmocka_unit_test(test_bad_counts),
        cmocka_unit_test(test_bad_sums),
        cmocka_unit_test(test_bad_minutes),
        cmocka_unit_test(test_bad_records),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
