/* Tests of ut_config: typed getters, defaults, allow-lists, and the exact
 * error texts (file, key path, expectation) for missing keys, wrong types,
 * ranges and parse errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utils/ut_config.h"

static char tmpdir[64];
static char cfgpath[128];

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hf-test-cfg-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(cfgpath, sizeof(cfgpath), "%s/gateway.json", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    unlink(cfgpath);
    return rmdir(tmpdir);
}

static void write_file(const char *text)
{
    FILE *fp = fopen(cfgpath, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The expected error: "<cfgpath>: <rest>". */
static void assert_err(const ut_cfg *cfg, const char *rest)
{
    char want[600];
    snprintf(want, sizeof(want), "%s: %s", cfgpath, rest);
    assert_string_equal(cfg->err, want);
}

static const char *good =
    "{\n"
    "  \"name\": \"gw-a\",\n"
    "  \"debug\": true,\n"
    "  \"stratum\": {\"port\": 3333, \"diff\": 0.5, \"mask\": 4294967295},\n"
    "  \"nodes\": [{\"url\": \"http://127.0.0.1:8332/\"}, {\"url\": 5}],\n"
    "  \"nothing\": null\n"
    "}\n";

static void test_getters(void **state)
{
    ut_cfg cfg;
    const char *name = NULL;
    char *dup = NULL;
    int64_t port = 0, dflt = 77;
    uint32_t mask = 0;
    double diff = 0;
    bool debug = false;

    write_file(good);
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    assert_string_equal(cfg.err, "");
    assert_int_equal(ut_cfg_str(&cfg, cfg.root, "name", &name, true), 0);
    assert_string_equal(name, "gw-a");
    assert_int_equal(ut_cfg_str_dup(&cfg, cfg.root, "name", &dup, true), 0);
    assert_string_equal(dup, "gw-a");
    free(dup);
    assert_int_equal(ut_cfg_bool(&cfg, cfg.root, "debug", &debug, true), 0);
    assert_true(debug);
    json_t *st = ut_cfg_object(&cfg, cfg.root, "stratum", true);
    assert_non_null(st);
    assert_int_equal(ut_cfg_int(&cfg, st, "port", &port, 1, 65535, true), 0);
    assert_int_equal(port, 3333);
    assert_int_equal(ut_cfg_double(&cfg, st, "diff", &diff, 0, 1e12, true), 0);
    assert_true(diff == 0.5);
    assert_int_equal(ut_cfg_uint32(&cfg, st, "mask", &mask, true), 0);
    assert_int_equal(mask, 0xffffffffu);
    /* Optional and absent (or null): the default stays. */
    assert_int_equal(ut_cfg_int(&cfg, st, "absent", &dflt, 0, 100, false), 0);
    assert_int_equal(dflt, 77);
    assert_int_equal(ut_cfg_int(&cfg, cfg.root, "nothing", &dflt, 0, 100, false), 0);
    assert_int_equal(dflt, 77);
    assert_null(ut_cfg_object(&cfg, cfg.root, "absent", false));
    assert_non_null(ut_cfg_array(&cfg, cfg.root, "nodes", true));
    /* An integer is a fine double. */
    assert_int_equal(ut_cfg_double(&cfg, st, "port", &diff, 0, 1e6, true), 0);
    assert_true(diff == 3333.0);
    assert_string_equal(cfg.err, "");
    ut_cfg_free(&cfg);
}

static void test_type_errors(void **state)
{
    ut_cfg cfg;
    int64_t port = 0;
    const char *s = NULL;
    bool b = false;

    write_file("{\"stratum\": {\"port\": \"3333\", \"host\": 12, \"on\": \"yes\"}}");
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    json_t *st = ut_cfg_object(&cfg, cfg.root, "stratum", true);
    assert_int_equal(ut_cfg_int(&cfg, st, "port", &port, 1, 65535, true), -1);
    assert_err(&cfg, "key 'stratum.port': expected an integer 1..65535, got string");
    assert_int_equal(port, 0);
    cfg.err[0] = '\0';
    assert_int_equal(ut_cfg_str(&cfg, st, "host", &s, true), -1);
    assert_err(&cfg, "key 'stratum.host': expected a string, got integer");
    cfg.err[0] = '\0';
    /* A present key of the wrong type is an error even when optional. */
    assert_int_equal(ut_cfg_bool(&cfg, st, "on", &b, false), -1);
    assert_err(&cfg, "key 'stratum.on': expected true or false, got string");
    cfg.err[0] = '\0';
    assert_null(ut_cfg_array(&cfg, cfg.root, "stratum", true));
    assert_err(&cfg, "key 'stratum': expected an array, got object");
    ut_cfg_free(&cfg);
}

static void test_range_and_missing(void **state)
{
    ut_cfg cfg;
    int64_t v = 0;
    double d = 0;
    uint32_t u = 0;

    write_file("{\"a\": {\"port\": 70000, \"ratio\": 1.5, \"neg\": -1, \"n\": null}}");
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    json_t *a = ut_cfg_object(&cfg, cfg.root, "a", true);
    assert_int_equal(ut_cfg_int(&cfg, a, "port", &v, 1, 65535, true), -1);
    assert_err(&cfg, "key 'a.port': expected an integer 1..65535, got 70000");
    /* Only the first error is kept. */
    assert_int_equal(ut_cfg_int(&cfg, a, "gone", &v, 0, 10, true), -1);
    assert_err(&cfg, "key 'a.port': expected an integer 1..65535, got 70000");
    cfg.err[0] = '\0';
    assert_int_equal(ut_cfg_int(&cfg, a, "gone", &v, 0, INT64_MAX, true), -1);
    assert_err(&cfg, "key 'a.gone': missing, expected an integer >= 0");
    cfg.err[0] = '\0';
    assert_int_equal(ut_cfg_double(&cfg, a, "ratio", &d, 0, 1, true), -1);
    assert_err(&cfg, "key 'a.ratio': expected a number 0..1, got 1.5");
    cfg.err[0] = '\0';
    assert_int_equal(ut_cfg_uint32(&cfg, a, "neg", &u, true), -1);
    assert_err(&cfg, "key 'a.neg': expected an integer 0..4294967295, got -1");
    cfg.err[0] = '\0';
    assert_int_equal(ut_cfg_int(&cfg, a, "n", &v, INT64_MIN, INT64_MAX, true), -1);
    assert_err(&cfg, "key 'a.n': expected an integer, got null");
    cfg.err[0] = '\0';
    assert_null(ut_cfg_object(&cfg, cfg.root, "redis", true));
    assert_err(&cfg, "key 'redis': missing, expected an object");
    ut_cfg_free(&cfg);
}

static void test_array_paths(void **state)
{
    ut_cfg cfg;
    const char *url = NULL;

    write_file(good);
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    json_t *nodes = ut_cfg_array(&cfg, cfg.root, "nodes", true);
    assert_int_equal(ut_cfg_str(&cfg, json_array_get(nodes, 0), "url", &url, true), 0);
    assert_string_equal(url, "http://127.0.0.1:8332/");
    assert_int_equal(ut_cfg_str(&cfg, json_array_get(nodes, 1), "url", &url, true), -1);
    assert_err(&cfg, "key 'nodes[1].url': expected a string, got integer");
    ut_cfg_free(&cfg);
}

static void test_custom_fail(void **state)
{
    ut_cfg cfg;

    write_file(good);
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    assert_int_equal(ut_cfg_fail(&cfg, "stratum.diff", "expected a power of two, got %g", 0.5),
                     -1);
    assert_err(&cfg, "key 'stratum.diff': expected a power of two, got 0.5");
    ut_cfg_free(&cfg);
}

/* Addresses are parsed as network/nw_addr reads them; a bad one is named. */
static void test_addr(void **state)
{
    ut_cfg cfg;
    char *a = NULL;

    write_file("{\"up\": {\"ok\": \"tcp@127.0.0.1:3334\", \"bad\": \"127.0.0.1:3334\"}}");
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    json_t *up = ut_cfg_object(&cfg, cfg.root, "up", true);
    assert_int_equal(ut_cfg_addr(&cfg, up, "ok", &a, true), 0);
    assert_string_equal(a, "tcp@127.0.0.1:3334");
    free(a);
    a = NULL;
    assert_int_equal(ut_cfg_addr(&cfg, up, "none", &a, false), 0);
    assert_null(a);
    assert_int_equal(ut_cfg_addr(&cfg, up, "bad", &a, true), -1);
    assert_err(&cfg, "key 'up.bad': expected an address like \"tcp@127.0.0.1:3333\", got "
                     "'127.0.0.1:3334'");
    free(a);
    ut_cfg_free(&cfg);
}

static void test_parse_error(void **state)
{
    ut_cfg cfg;

    write_file("{\n  \"a\": 1,\n  \"b\": [1, 2\n}\n");
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), -1);
    assert_err(&cfg, "line 4 column 1: ']' expected near '}'");
    ut_cfg_free(&cfg);

    write_file("{\"a\": 1, \"a\": 2}");
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), -1);
    assert_non_null(strstr(cfg.err, "duplicate object key"));
    assert_int_equal(strncmp(cfg.err, cfgpath, strlen(cfgpath)), 0);
    ut_cfg_free(&cfg);

    write_file("[1, 2]");
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), -1);
    assert_err(&cfg, "expected a JSON object at the top level");
    ut_cfg_free(&cfg);
}

static void test_missing_file(void **state)
{
    ut_cfg cfg;
    char path[160];

    snprintf(path, sizeof(path), "%s/nope.json", tmpdir);
    assert_int_equal(ut_cfg_load(&cfg, path), -1);
    char want[300];
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
    assert_string_equal(cfg.err, want);
    ut_cfg_free(&cfg);
}

static void test_host_list(void **state)
{
    ut_cfg cfg;
    char **list = NULL;

    write_file("{\"allow\": [\"127.0.0.1\", \"::1\"], \"gateway\": {\"allow\": []}}");
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    assert_int_equal(ut_cfg_host_list(&cfg, cfg.root, "allow", &list, true), 0);
    assert_non_null(list);
    assert_string_equal(list[0], "127.0.0.1");
    assert_string_equal(list[1], "::1");
    assert_null(list[2]);
    ut_cfg_host_list_free(list);

    list = NULL;
    json_t *gw = ut_cfg_object(&cfg, cfg.root, "gateway", true);
    assert_int_equal(ut_cfg_host_list(&cfg, gw, "allow", &list, false), 0);
    assert_non_null(list);                 /* empty: nobody, not everybody */
    assert_null(list[0]);
    ut_cfg_host_list_free(list);

    list = NULL;
    assert_int_equal(ut_cfg_host_list(&cfg, gw, "absent", &list, false), 0);
    assert_null(list);
    assert_string_equal(cfg.err, "");
    ut_cfg_host_list_free(NULL);
    ut_cfg_free(&cfg);
}

static void test_host_list_errors(void **state)
{
    ut_cfg cfg;
    char **list = NULL;

    write_file("{\"bad\": {\"allow\": [\"10.0.0.1\", \"\"]}, \"worse\": [5],"
               " \"scalar\": \"127.0.0.1\"}");
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    json_t *bad = ut_cfg_object(&cfg, cfg.root, "bad", true);
    assert_int_equal(ut_cfg_host_list(&cfg, bad, "allow", &list, false), -1);
    assert_null(list);
    assert_err(&cfg, "key 'bad.allow': expected an array of host strings");
    ut_cfg_free(&cfg);

    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    assert_int_equal(ut_cfg_host_list(&cfg, cfg.root, "worse", &list, false), -1);
    assert_err(&cfg, "key 'worse': expected an array of host strings");
    ut_cfg_free(&cfg);

    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    assert_int_equal(ut_cfg_host_list(&cfg, cfg.root, "scalar", &list, false), -1);
    assert_err(&cfg, "key 'scalar': expected an array, got string");
    ut_cfg_free(&cfg);

    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    assert_int_equal(ut_cfg_host_list(&cfg, cfg.root, "allow", &list, true), -1);
    assert_err(&cfg, "key 'allow': missing, expected an array of host strings");
    assert_null(list);
    ut_cfg_free(&cfg);
}

/* Parsers for ut_cfg_read: out is an int64_t filled from "stratum.port". */
static int parse_port(ut_cfg *cfg, void *out)
{
    json_t *o = ut_cfg_object(cfg, cfg->root, "stratum", true);
    return o ? ut_cfg_int(cfg, o, "port", out, 1, 65535, true) : -1;
}

static int parse_fails_quietly(ut_cfg *cfg, void *out)
{
    return -1;
}

static int parse_ignores_error(ut_cfg *cfg, void *out)
{
    const char *s = NULL;
    ut_cfg_str(cfg, cfg->root, "debug", &s, true);   /* a boolean: error recorded */
    return 0;
}

static void test_read(void **state)
{
    int64_t port = 0;
    char err[600], want[600], path[160];

    write_file("{\"_comment\": \"x\", \"stratum\": {\"port\": 3333, \"_note\": [1]}}");
    assert_int_equal(ut_cfg_read(cfgpath, parse_port, &port, err, sizeof(err)), 0);
    assert_int_equal(port, 3333);

    /* A key nobody reads is a typo: refused, named. */
    write_file("{\"stratum\": {\"port\": 3333, \"prot\": 1}}");
    assert_int_equal(ut_cfg_read(cfgpath, parse_port, &port, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: key 'stratum.prot': unknown key (a typo? keys starting "
             "with '_' are comments)", cfgpath);
    assert_string_equal(err, want);
    write_file(good);
    assert_int_equal(ut_cfg_read(cfgpath, parse_port, &port, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown key"));

    write_file("{\"stratum\": {\"port\": 0}}");
    assert_int_equal(ut_cfg_read(cfgpath, parse_port, &port, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: key 'stratum.port': expected an integer 1..65535, got 0",
             cfgpath);
    assert_string_equal(err, want);

    assert_int_equal(ut_cfg_read(cfgpath, parse_fails_quietly, &port, err, sizeof(err)), -1);
    assert_string_equal(err, "out of memory");

    write_file(good);
    assert_int_equal(ut_cfg_read(cfgpath, parse_ignores_error, &port, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: key 'debug': expected a string, got boolean", cfgpath);
    assert_string_equal(err, want);

    snprintf(path, sizeof(path), "%s/nope.json", tmpdir);
    assert_int_equal(ut_cfg_read(path, parse_port, &port, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", path);
    assert_string_equal(err, want);
}

/* A reader with a listener, an optional section and an array of sections:
 * what describe mode walks. */
static int parse_shapes(ut_cfg *cfg, void *out)
{
    int64_t *port = out;
    const char *name = "x";
    char **allow = NULL;
    json_t *o = ut_cfg_object(cfg, cfg->root, "stratum", true);
    json_t *opt = ut_cfg_object(cfg, cfg->root, "extra", false);
    json_t *arr = ut_cfg_array(cfg, cfg->root, "nodes", false);
    int rc;

    if (!o || ut_cfg_int(cfg, o, "port", port, 1, 65535, true) != 0 ||
        (opt && ut_cfg_str(cfg, opt, "name", &name, false) != 0) ||
        ut_cfg_host_list(cfg, cfg->root, "allow", &allow, false) != 0)
        return -1;
    ut_cfg_host_list_free(allow);
    rc = 0;
    for (size_t i = 0; arr && i < json_array_size(arr) && rc == 0; i++) {
        const char *url = NULL;
        rc = ut_cfg_str(cfg, json_array_get(arr, i), "url", &url, true);
    }
    return rc;
}

/* Describe mode lists every key with its type and default; a real read
 * records the same keys, array indices folded into "[]". */
static void test_describe(void **state)
{
    static const char *const paths[] = {"stratum", "extra", "nodes", "stratum.port",
                                        "extra.name", "allow", "nodes[].url"};
    ut_cfg_keys help = {0}, read = {0};
    int64_t port = 3333;
    char err[600];

    assert_int_equal(ut_cfg_run(NULL, parse_shapes, &port, NULL, &help, err, sizeof(err)), 0);
    assert_int_equal(help.n, 7);
    for (size_t i = 0; i < help.n; i++)
        assert_string_equal(help.v[i].path, paths[i]);
    assert_string_equal(help.v[3].type, "an integer 1..65535");
    assert_true(help.v[3].required);
    assert_string_equal(help.v[3].def, "required");
    assert_string_equal(help.v[4].def, "\"x\"");
    assert_string_equal(help.v[1].def, "optional");
    assert_string_equal(help.v[5].type, "an array of host strings");
    assert_string_equal(help.v[6].def, "required");

    write_file("{\"stratum\": {\"port\": 1}, \"extra\": {}, \"nodes\": [{\"url\": \"a\"}, "
               "{\"url\": \"b\"}]}");
    assert_int_equal(ut_cfg_run(cfgpath, parse_shapes, &port, NULL, &read, err, sizeof(err)), 0);
    assert_null(ut_cfg_keys_missing(&help, &read));
    assert_null(ut_cfg_keys_missing(&read, &help));
    assert_int_equal(read.n, help.n);
    ut_cfg_keys_free(&read);

    /* a reader that skips a section: the difference is named */
    write_file("{\"stratum\": {\"port\": 1}}");
    assert_int_equal(ut_cfg_run(cfgpath, parse_port, &port, NULL, &read, err, sizeof(err)), 0);
    assert_string_equal(ut_cfg_keys_missing(&help, &read), "extra");
    assert_null(ut_cfg_keys_missing(&read, &help));
    ut_cfg_keys_free(&read);
    ut_cfg_keys_free(&help);
}

/* Renamed keys fail before the parser with the file, the key and the new
 * name; if_string only catches an old string value. */
static void test_renamed(void **state)
{
    static const ut_cfg_rename renamed[] = {
        {"listen", "\"rpc\": {\"bind\": ...}", false},
        {"stratum.old", "\"stratum\": {\"new\": ...}", false},
        {"http", "\"http\": {\"bind\": ...}", true},
        {NULL, NULL, false},
    };
    int64_t port = 0;
    char err[600], want[600];

    write_file("{\"stratum\": {\"port\": 1}, \"listen\": \"tcp@127.0.0.1:1\"}");
    assert_int_equal(ut_cfg_run(cfgpath, parse_port, &port, renamed, NULL, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: key \"listen\" was renamed: use \"rpc\": {\"bind\": ...}",
             cfgpath);
    assert_string_equal(err, want);
    write_file("{\"stratum\": {\"port\": 1, \"old\": 2}}");
    assert_int_equal(ut_cfg_run(cfgpath, parse_port, &port, renamed, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "key \"stratum.old\" was renamed: use \"stratum\": {\"new\""));
    write_file("{\"stratum\": {\"port\": 1}, \"http\": \"tcp@127.0.0.1:1\"}");
    assert_int_equal(ut_cfg_run(cfgpath, parse_port, &port, renamed, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "key \"http\" was renamed"));
    /* the new shape of "http" is no rename (here: unknown to this reader) */
    write_file("{\"stratum\": {\"port\": 1}, \"http\": {\"bind\": \"x\"}}");
    assert_int_equal(ut_cfg_run(cfgpath, parse_port, &port, renamed, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "key 'http': unknown key"));
    write_file("{\"stratum\": {\"port\": 7}}");
    assert_int_equal(ut_cfg_run(cfgpath, parse_port, &port, renamed, NULL, err, sizeof(err)), 0);
    assert_int_equal(port, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_getters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_and_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_array_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_custom_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_addr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_list_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_renamed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
