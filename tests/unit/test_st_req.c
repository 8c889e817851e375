/* Unit tests of the request reader (stratum/st_req.c): the allocation-free
 * fast path on the usual shapes, and that it gives up (falls back to
 * jansson) on everything else instead of misreading it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "stratum/st_req.h"

static int fast(const char *s, st_req *r)
{
    return st_req_parse_fast(s, strlen(s), r);
}

static void assert_view(const st_jv *v, st_jv_type t, const char *text)
{
    assert_int_equal(v->type, t);
    assert_int_equal(v->n, strlen(text));
    assert_memory_equal(v->p, text, v->n);
}

static void test_submit_shapes(void **state)
{
    st_req r;

    (void)state;
    assert_int_equal(fast("{\"params\": [\"alice.rig1\", \"6740a1b20000001a\", \"0000000000000001\", "
                          "\"6740a1b5\", \"1a2b3c4d\"], \"id\": 4, \"method\": \"mining.submit\"}",
                          &r), 1);
    assert_view(&r.id, ST_JV_NUMBER, "4");
    assert_true(st_jv_is(&r.method, "mining.submit"));
    assert_true(r.params_array);
    assert_int_equal(r.nparams, 5);
    assert_view(&r.params[0], ST_JV_STRING, "alice.rig1");
    assert_view(&r.params[4], ST_JV_STRING, "1a2b3c4d");

    assert_int_equal(fast("{\"id\":\"abc\",\"method\":\"mining.submit\",\"params\":[\"a\",\"b\","
                          "\"c\",\"d\",\"e\",\"1fffe000\"],\"jsonrpc\":\"2.0\"}", &r), 1);
    assert_view(&r.id, ST_JV_STRING, "\"abc\"");   /* quotes kept for the echo */
    assert_int_equal(r.nparams, 6);

    assert_int_equal(fast(" \t{ \"id\" : null , \"method\":\"x\",\"params\":[] } \r\n", &r), 1);
    assert_view(&r.id, ST_JV_NULL, "null");
    assert_int_equal(r.nparams, 0);
    assert_true(r.has_params);

    assert_int_equal(fast("{\"id\":-1.5e+3,\"method\":\"m\",\"params\":[true,false,null,0,\"\"]}",
                          &r), 1);
    assert_view(&r.id, ST_JV_NUMBER, "-1.5e+3");
    assert_int_equal(r.params[0].type, ST_JV_TRUE);
    assert_int_equal(r.params[1].type, ST_JV_FALSE);
    assert_int_equal(r.params[2].type, ST_JV_NULL);
    assert_view(&r.params[3], ST_JV_NUMBER, "0");
    assert_view(&r.params[4], ST_JV_STRING, "");

    /* A reply from the miner, and params given as a scalar. */
    assert_int_equal(fast("{\"id\":9,\"result\":true,\"error\":null}", &r), 1);
    assert_true(r.has_result);
    assert_int_equal(r.method.type, ST_JV_ABSENT);
    assert_int_equal(fast("{\"id\":1,\"method\":\"mining.suggest_difficulty\",\"params\":512}", &r),
                     1);
    assert_false(r.params_array);
    assert_int_equal(r.nparams, 1);
    assert_view(&r.params[0], ST_JV_NUMBER, "512");
}

static void test_gives_up(void **state)
{
    static const char *bad[] = {
        "",
        "   ",
        "[1,2]",
        "{",
        "{\"id\":1",
        "{\"id\":1,}",
        "{\"id\":1 \"method\":\"x\"}",
        "{\"id\":1,\"method\":\"mining.submit\",\"params\":[\"a\",\"b\"",
        "{\"id\":1,\"method\":\"mining.sub\\u006dit\",\"params\":[]}",      /* escape */
        "{\"id\":1,\"method\":\"m\",\"params\":[\"a\\\"b\"]}",
        "{\"id\":1,\"method\":\"m\",\"params\":[[1]]}",                   /* nested */
        "{\"id\":1,\"method\":\"m\",\"params\":[{}]}",
        "{\"id\":{\"a\":1},\"method\":\"m\"}",
        "{\"id\":1,\"id\":2,\"method\":\"m\"}",                           /* duplicate key */
        "{\"id\":1,\"method\":\"m\",\"params\":[],\"params\":[]}",
        "{\"id\":01,\"method\":\"m\"}",                                    /* bad numbers */
        "{\"id\":1.,\"method\":\"m\"}",
        "{\"id\":-,\"method\":\"m\"}",
        "{\"id\":1e,\"method\":\"m\"}",
        "{\"id\":+1,\"method\":\"m\"}",
        "{\"id\":123456789012345678901234567890123,\"method\":\"m\"}",   /* > 32 chars */
        "{\"id\":nul,\"method\":\"m\"}",
        "{\"id\":truex,\"method\":\"m\"}",
        "{\"id\":1,\"method\":\"m\"} x",                                   /* trailing junk */
        "{\"id\":1,\"method\":\"m\"}{}",
        "{\"id\":1,\"method\":\"m\xc3\xa9\"}",                             /* non-ASCII */
        "{\"id\":1,\"method\":\"a\tb\"}",                                  /* control char */
        "{\"id\":1,\"method\":\"m\",\"params\":[1,2,3,4,5,6,7,8,9]}",      /* > 8 params */
        "{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123\"}",
        "{id:1}",
        "{\"id\":1,\"x\":[1]}",
    };
    st_req r;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (fast(bad[i], &r) != 0)
            fail_msg("fast path accepted: %s", bad[i]);
    }
}

static void test_truncations(void **state)
{
    const char *line = "{\"id\":12,\"method\":\"mining.submit\",\"params\":[\"u.w\",\"j\","
                       "\"0000000000000000\",\"6740a1b5\",\"1a2b3c4d\"]}";
    size_t n = strlen(line);
    st_req r;

    (void)state;
    /* Every proper prefix is refused; only the whole line is taken. */
    for (size_t k = 0; k < n; k++)
        assert_int_equal(st_req_parse_fast(line, k, &r), 0);
    assert_int_equal(st_req_parse_fast(line, n, &r), 1);
}

static void test_from_json(void **state)
{
    json_error_t e;
    json_t *root = json_loads("{\"id\":\"x\\u00e9\",\"method\":\"mining.configure\","
                              "\"params\":[[\"version-rolling\"],{\"a\":1}]}", 0, &e);
    st_req r;
    char idbuf[80];

    (void)state;
    assert_non_null(root);
    assert_int_equal(st_req_from_json(root, &r, idbuf, sizeof(idbuf)), 0);
    assert_view(&r.id, ST_JV_STRING, "\"x\xc3\xa9\"");
    assert_true(st_jv_is(&r.method, "mining.configure"));
    assert_int_equal(r.nparams, 2);
    assert_int_equal(r.params[0].type, ST_JV_OTHER);
    assert_true(json_is_array(r.params[0].json));
    json_decref(root);

    /* An id too long to echo becomes null. */
    root = json_loads("{\"id\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,"
                      "24,25,26,27,28,29,30],\"method\":\"m\"}", 0, &e);
    assert_int_equal(st_req_from_json(root, &r, idbuf, 40), 0);
    assert_view(&r.id, ST_JV_NULL, "null");
    json_decref(root);

    root = json_loads("[1]", 0, &e);
    assert_int_equal(st_req_from_json(root, &r, idbuf, sizeof(idbuf)), -1);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_shapes),
        cmocka_unit_test(test_gives_up),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_from_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
