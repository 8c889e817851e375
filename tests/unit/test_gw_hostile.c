/* Tests of every number a miner or a jobmaster sends into a gateway: no
 * input may change what a share is worth. Each hostile difficulty (NaN
 * cannot be written in JSON; denormals, zero, negatives, huge values,
 * strings and nested arrays can) must end in a difficulty within the
 * configured [min, max] or an error reply; every line the gateway writes
 * must be strict JSON (jansson refuses NaN and Infinity); junk shares stay
 * rejected; the shared statistics stay finite; a job body whose numbers do
 * not hold together is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "gateway/gw_config.h"
#include "gateway/gw_http.h"
#include "stratum/st_job.h"
#include "stratum/st_share.h"
#include "stratum/st_sess.h"
#include "utils/ut_diff.h"
#include "gw_testkit.h"

#define MIN_D 1.0
#define MAX_D 1e6

static int setup(void **state)
{
    gt_ctx *t = gt_ctx_new();

    t->cfg.stratum.vardiff.min = MIN_D;
    t->cfg.stratum.vardiff.start = 64;
    t->cfg.stratum.vardiff.max = MAX_D;
    gt_add_job(t, gt_genesis_json("00000000000000e1", 1));
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    gt_ctx_free(*state);
    return 0;
}

/* Every line of text is strict JSON; each set_difficulty in it carries a
 * finite number within [MIN_D, MAX_D]. Returns how many it saw. */
static int check_lines(const char *text)
{
    int ndiff = 0;

    while (*text) {
        const char *nl = strchr(text, '\n');
        json_error_t err;
        assert_non_null(nl);
        json_t *o = json_loadb(text, (size_t)(nl - text), 0, &err);
        if (!o)
            fail_msg("not JSON (%s): %.*s", err.text, (int)(nl - text), text);
        const char *m = json_string_value(json_object_get(o, "method"));
        if (m && strcmp(m, "mining.set_difficulty") == 0) {
            json_t *d = json_array_get(json_object_get(o, "params"), 0);
            double v = json_number_value(d);
            if (!json_is_number(d) || !(v >= MIN_D && v <= MAX_D))
                fail_msg("bad set_difficulty: %.*s", (int)(nl - text), text);
            ndiff++;
        }
        json_decref(o);
        text = nl + 1;
    }
    return ndiff;
}

static st_conn *subscribed(gt_ctx *t)
{
    st_conn *c = st_conn_new(&t->srv.st, NULL, NULL);

    assert_non_null(c);
    check_lines(gt_line(c, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"x\"]}"));
    return c;
}

/* The report's sequence, with each hostile suggestion: the difficulty sent
 * at authorize is valid and within range, whatever was suggested. */
static void test_suggest_before_authorize(void **state)
{
    gt_ctx *t = *state;
    static const char *hostile[] = {
        "1e-310", "5e-324", "2.2250738585072014e-308", "-1e-310", "0", "-0", "-1", "1e308",
        "1e300", "\"1e-310\"", "\"5e-324\"", "[1e-310]", "[[1e-310]]", "[[[1e-310]]]",
        "{\"a\":1}", "null", "true", "\"abc\"", "\"nan\"", "\"inf\"", "\"-inf\"", "\"1e999\"",
        "[]", "\"\"", "\"0x10\"", "1.7976931348623157e308",
    };
    char line[256];

    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        st_conn *c = subscribed(t);
        snprintf(line, sizeof(line),
                 "{\"id\":2,\"method\":\"mining.suggest_difficulty\",\"params\":[%s]}", hostile[i]);
        check_lines(gt_line(c, line));
        const char *out = gt_line(c, "{\"id\":3,\"method\":\"mining.authorize\","
                                     "\"params\":[\"nanuser.w1\",\"x\"]}");
        if (check_lines(out) != 1)
            fail_msg("%s: no set_difficulty at start: %s", hostile[i], out);
        if (!(c->diff >= MIN_D && c->diff <= MAX_D) || !ut_diff_ok(c->diff))
            fail_msg("%s: diff %g", hostile[i], c->diff);
        st_conn_close(c, "test");
    }
}

static void test_suggest_replies(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = subscribed(t);

    assert_string_equal(gt_line(c, "{\"id\":2,\"method\":\"mining.suggest_difficulty\",\"params\":[1e-310]}"),
                        "{\"id\":2,\"result\":true,\"error\":null}\n");
    assert_true(c->diff == MIN_D);
    assert_string_equal(gt_line(c, "{\"id\":3,\"method\":\"mining.suggest_difficulty\",\"params\":[[[1e-310]]]}"),
                        "{\"id\":3,\"result\":null,\"error\":[20,\"Invalid difficulty\",null]}\n");
    assert_string_equal(gt_line(c, "{\"id\":4,\"method\":\"mining.suggest_difficulty\",\"params\":[\"nan\"]}"),
                        "{\"id\":4,\"result\":null,\"error\":[20,\"Invalid difficulty\",null]}\n");
    assert_string_equal(gt_line(c, "{\"id\":5,\"method\":\"mining.suggest_difficulty\",\"params\":[NaN]}"),
                        "{\"id\":null,\"result\":null,\"error\":[20,\"Parse error\",null]}\n");
    assert_true(c->diff == MIN_D);
    gt_line(c, "{\"id\":6,\"method\":\"mining.suggest_difficulty\",\"params\":[1e308]}");
    assert_true(c->diff == MAX_D);
}

static void test_password_difficulty(void **state)
{
    gt_ctx *t = *state;
    static const char *pw[] = {
        "d=1e-310", "x,d=5e-324", "d=nan", "d=NaN", "d=inf", "d=-inf", "d=-1", "d=0", "d=1e999",
        "d=abc", "d=1e300", "d=", "d=0x1p-1074", "d=-0", "d=2.2250738585072014e-308",
    };
    char line[256];

    for (size_t i = 0; i < sizeof(pw) / sizeof(pw[0]); i++) {
        st_conn *c = subscribed(t);
        snprintf(line, sizeof(line),
                 "{\"id\":3,\"method\":\"mining.authorize\",\"params\":[\"pw%zu.w1\",\"%s\"]}", i,
                 pw[i]);
        if (check_lines(gt_line(c, line)) != 1)
            fail_msg("%s: no set_difficulty at start: %s", pw[i], gt_out);
        if (!(c->diff >= MIN_D && c->diff <= MAX_D))
            fail_msg("%s: diff %g", pw[i], c->diff);
        st_conn_close(c, "test");
    }
}

#define CONFIGURE(id, exts, opts) \
    "{\"id\":" id ",\"method\":\"mining.configure\",\"params\":[" exts "," opts "]}"

static void test_configure_numbers(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = subscribed(t);

    /* minimum-difficulty: a denormal becomes the pool's min, a huge value its max */
    assert_string_equal(gt_line(c, CONFIGURE("1", "[\"minimum-difficulty\"]",
                                             "{\"minimum-difficulty.value\":1e-310}")),
                        "{\"id\":1,\"result\":{\"minimum-difficulty\":true},\"error\":null}\n");
    assert_true(c->floor == MIN_D);
    assert_true(st_sess_floor(c) == MIN_D);
    static const char *refused[] = { "-1", "\"x\"", "null", "[1]", "-1e-310" };
    char line[256];
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        snprintf(line, sizeof(line),
                 CONFIGURE("2", "[\"minimum-difficulty\"]", "{\"minimum-difficulty.value\":%s}"),
                 refused[i]);
        if (strcmp(gt_line(c, line),
                   "{\"id\":2,\"result\":{\"minimum-difficulty\":false},\"error\":null}\n") != 0)
            fail_msg("%s -> %s", refused[i], gt_out);
    }
    check_lines(gt_line(c, CONFIGURE("3", "[\"minimum-difficulty\"]",
                                     "{\"minimum-difficulty.value\":1e308}")));
    assert_true(c->floor == MAX_D);
    assert_true(c->diff == MAX_D);

    /* version-rolling: mask and min-bit-count outside BIP310's shapes are refused */
    static const char *vr[] = {
        "{\"version-rolling.mask\":\"zz\"}", "{\"version-rolling.mask\":\"ffffffffff\"}",
        "{\"version-rolling.mask\":\"\"}", "{\"version-rolling.mask\":536862720}",
        "{\"version-rolling.mask\":\"1fffe000\",\"version-rolling.min-bit-count\":-1}",
        "{\"version-rolling.mask\":\"1fffe000\",\"version-rolling.min-bit-count\":99}",
        "{\"version-rolling.mask\":\"1fffe000\",\"version-rolling.min-bit-count\":\"x\"}",
        "{\"version-rolling.mask\":\"1fffe000\",\"version-rolling.min-bit-count\":1.5}",
        "{\"version-rolling.mask\":\"1fffe000\",\"version-rolling.min-bit-count\":17}",
        "{\"version-rolling.mask\":\"e0001fff\"}",
    };
    for (size_t i = 0; i < sizeof(vr) / sizeof(vr[0]); i++) {
        c->vmask = 0;
        snprintf(line, sizeof(line), CONFIGURE("4", "[\"version-rolling\"]", "%s"), vr[i]);
        if (strcmp(gt_line(c, line),
                   "{\"id\":4,\"result\":{\"version-rolling\":false},\"error\":null}\n") != 0)
            fail_msg("%s -> %s", vr[i], gt_out);
        assert_int_equal(c->vmask, 0);
    }
    assert_string_equal(gt_line(c, CONFIGURE("5", "[\"version-rolling\"]",
                                              "{\"version-rolling.mask\":\"ffffffff\","
                                              "\"version-rolling.min-bit-count\":16}")),
                        "{\"id\":5,\"result\":{\"version-rolling\":true,"
                        "\"version-rolling.mask\":\"1fffe000\"},\"error\":null}\n");
}

/* After a hostile suggestion, shares that miss the target are still junk:
 * 40 random nonces at difficulty >= 1 on the genesis job are all rejected
 * and nothing is credited. */
static void test_junk_stays_junk(void **state)
{
    gt_ctx *t = *state;
    st_conn *c = subscribed(t);
    char line[256];

    gt_line(c, "{\"id\":2,\"method\":\"mining.suggest_difficulty\",\"params\":[1e-310]}");
    check_lines(gt_line(c, "{\"id\":3,\"method\":\"mining.authorize\",\"params\":[\"nanuser.w1\",\"d=5e-324\"]}"));
    for (int i = 0; i < 40; i++) {
        snprintf(line, sizeof(line), "{\"id\":%d,\"method\":\"mining.submit\",\"params\":"
                 "[\"nanuser.w1\",\"00000000000000e1\",\"0000000000000000\",\"495fab29\","
                 "\"%08x\"]}", 10 + i, 0x10000 + i * 7919);
        const char *out = gt_line(c, line);
        if (!strstr(out, "[23,\"Low difficulty share\",null]"))
            fail_msg("junk share %d: %s", i, out);
    }
    assert_int_equal(st_stat_get(&t->srv.stats->st.accepted), 0);
    assert_true(atomic_load(&t->srv.stats->st.accepted_diff) == 0);
}

static void test_stats_not_poisoned(void **state)
{
    gt_ctx *t = *state;
    _Atomic double *sum = &t->srv.stats->st.accepted_diff;

    st_stat_add_double(sum, 2.5);
    st_stat_add_double(sum, NAN);
    st_stat_add_double(sum, INFINITY);
    st_stat_add_double(sum, -INFINITY);
    st_stat_add_double(sum, -1);
    st_stat_add_double(sum, 1e308);
    assert_true(atomic_load(sum) == 2.5);
    json_t *st = gw_http_status(&t->srv);
    assert_non_null(st);
    char *text = json_dumps(st, JSON_COMPACT);
    assert_non_null(strstr(text, "\"accepted_diff\":2.5"));
    free(text);
    json_decref(st);
    text = gw_http_metrics(&t->srv);
    assert_non_null(text);
    assert_null(strstr(text, "nan"));
    assert_null(strstr(text, "inf"));
    free(text);
}

/* One field of a good job body replaced (or removed when value is NULL):
 * the body must be refused with an error that contains want. */
static void job_refused(const char *key, json_t *value, const char *want)
{
    json_t *j = gt_genesis_json("00000000000000f1", 1);
    char err[256] = "";

    if (value)
        json_object_set_new(j, key, value);
    else
        json_object_del(j, key);
    st_job *job = st_job_from_json(j, err, sizeof(err));
    json_decref(j);
    if (job) {
        st_job_free(job);
        fail_msg("%s: accepted", key);
    }
    if (!strstr(err, want))
        fail_msg("%s: error '%s' lacks '%s'", key, err, want);
}

static void test_job_body_numbers(void **state)
{
    (void)state;
    job_refused("network_diff", json_real(1e-300), "network_diff does not match nbits");
    job_refused("network_diff", json_real(1e300), "network_diff does not match nbits");
    job_refused("network_diff", json_real(2.0), "network_diff does not match nbits");
    job_refused("network_diff", json_string("1"), "network_diff does not match nbits");
    job_refused("height", json_integer(-1), "bad height");
    job_refused("height", json_integer(1LL << 40), "bad height");
    job_refused("height", json_real(5.5), "bad height");
    job_refused("extranonce_size", json_integer(0), "bad extranonce_size");
    job_refused("extranonce_size", json_integer(33), "bad extranonce_size");
    job_refused("extranonce_size", json_real(12.0), "bad extranonce_size");
    job_refused("nbits", json_string("00000000"), "bad nbits");
    job_refused("nbits", json_string("ff7fffff"), "bad nbits");
    job_refused("nbits", json_string("04800000"), "bad nbits");
    job_refused("nbits", json_string("zz"), "bad version/nbits/ntime");
    job_refused("version", json_string("123456789"), "bad version/nbits/ntime");
    job_refused("ntime", json_integer(1), "bad version/nbits/ntime");

    /* Without network_diff the value comes from nbits; a min_time after
     * ntime falls back to ntime. */
    json_t *j = gt_genesis_json("00000000000000f2", 1);
    char err[256];
    json_object_del(j, "network_diff");
    json_object_set_new(j, "min_time", json_integer(0x495fab29 + 10));
    st_job *job = st_job_from_json(j, err, sizeof(err));
    json_decref(j);
    assert_non_null(job);
    assert_true(job->network_diff == 1.0);
    assert_int_equal(job->min_time, 0x495fab29);
    st_job_free(job);
}

/* A configured difficulty outside [UT_DIFF_MIN, UT_DIFF_MAX] stops the
 * start with the key and the file named. */
static void test_config_difficulty(void **state)
{
    static const char *bad[] = {
        "{\"vardiff\":{\"min\":1e-310}}", "{\"vardiff\":{\"min\":0}}",
        "{\"vardiff\":{\"max\":1e300}}", "{\"vardiff\":{\"start\":-1}}",
        "{\"vardiff\":{\"start\":\"1\"}}", "{\"vardiff\":{\"min\":1e-11}}",
    };
    static const char *key[] = { "vardiff.min", "vardiff.min", "vardiff.max", "vardiff.start",
                                 "vardiff.start", "vardiff.min" };
    char path[] = "/tmp/hf-gw-hostile-XXXXXX";

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int fd = mkstemp(path);
        char err[512] = "";
        gw_config cfg;
        assert_true(fd >= 0);
        char text[512];
        int n = snprintf(text, sizeof(text),
                         "{\"gateway_id\":1,\"stratum\":{\"bind\":\"tcp@127.0.0.1:3333\"},"
                         "\"jobmaster\":{\"addr\":\"tcp@127.0.0.1:3334\"},%s", bad[i] + 1);
        assert_int_equal(write(fd, text, (size_t)n), n);
        close(fd);
        assert_int_not_equal(gw_config_load(&cfg, path, err, sizeof(err)), 0);
        if (!strstr(err, key[i]) || !strstr(err, path))
            fail_msg("%s: error '%s' does not name %s and the file", bad[i], err, key[i]);
        gw_config_free(&cfg);
        unlink(path);
        strcpy(path, "/tmp/hf-gw-hostile-XXXXXX");
    }
}

/* Typos are refused with the key named, also inside arrays of objects. */
static void test_config_typos(void **state)
{
    static const char *bad[] = {
        "\"vardif\":{\"min\":1}", "\"vardiff\":{\"retarget\":5,\"mn\":1}",
        "\"agents\":{\"bind\":\"tcp@127.0.0.1:3334\",\"tls\":{\"cert_file\":\"c\","
        "\"key_file\":\"k\"},\"list\":[{\"id\":\"farm1\",\"num\":1,"
        "\"secret\":\"0123456789abcdef\",\"secrte\":\"x\"}]}",
    };
    static const char *key[] = { "'vardif'", "'vardiff.mn'", "'agents.list[0].secrte'" };
    char path[] = "/tmp/hf-gw-typo-XXXXXX";

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int fd = mkstemp(path);
        char err[512] = "", text[768];
        gw_config cfg;
        int n = snprintf(text, sizeof(text),
                         "{\"gateway_id\":1,\"stratum\":{\"bind\":\"tcp@127.0.0.1:3333\"},"
                         "\"jobmaster\":{\"addr\":\"tcp@127.0.0.1:3334\"},\"_c\":1,%s}", bad[i]);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, (size_t)n), n);
        close(fd);
        assert_int_not_equal(gw_config_load(&cfg, path, err, sizeof(err)), 0);
        if (!strstr(err, key[i]) || !strstr(err, "unknown key"))
            fail_msg("%s: error '%s' does not name %s as unknown", bad[i], err, key[i]);
        gw_config_free(&cfg);
        unlink(path);
        strcpy(path, "/tmp/hf-gw-typo-XXXXXX");
    }
}

/* The per-worker HTTP port is the configured one plus the worker index:
 * a huge port is refused, never an overflow. */
static void test_http_port_add(void **state)
{
    char out[64];

    (void)state;
    assert_int_equal(gw_addr_add_port("tcp@127.0.0.1:8300", 2, out, sizeof(out)), 0);
    assert_string_equal(out, "tcp@127.0.0.1:8302");
    assert_int_equal(gw_addr_add_port("tcp@127.0.0.1:65535", 1, out, sizeof(out)), -1);
    assert_int_equal(gw_addr_add_port("tcp@127.0.0.1:99999999999999999999", 1, out,
                                      sizeof(out)), -1);
    assert_int_equal(gw_addr_add_port("tcp@127.0.0.1:9223372036854775807", 1, out,
                                      sizeof(out)), -1);
    assert_int_equal(gw_addr_add_port("tcp@127.0.0.1:-1", 1, out, sizeof(out)), -1);
    assert_int_equal(gw_addr_add_port("tcp@127.0.0.1:80x", 1, out, sizeof(out)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_suggest_before_authorize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suggest_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_difficulty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_junk_stays_junk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stats_not_poisoned, setup, teardown),
        cmocka_unit_test(test_job_body_numbers),
        cmocka_unit_test(test_config_difficulty),
        cmocka_unit_test(test_config_typos),
        cmocka_unit_test(test_http_port_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
