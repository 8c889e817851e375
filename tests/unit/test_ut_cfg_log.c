/* Tests of ut_cfg_log: the standard "log" config section. Defaults stay
 * when the section or a key is absent, every key is read, "" means stderr,
 * and bad values fail with the file, the key and what was expected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utils/ut_cfg_log.h"

static char tmpdir[64];
static char cfgpath[128];

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hf-test-cfglog-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(cfgpath, sizeof(cfgpath), "%s/module.json", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    unlink(cfgpath);
    return rmdir(tmpdir);
}

/* Writes text as the config file and parses its "log" section into *log
 * (which holds the defaults on entry). Returns ut_cfg_log's result; the
 * error, if any, is copied into err. */
static int parse(const char *text, ut_log_cfg *log, char **path, char *err, size_t n)
{
    FILE *fp = fopen(cfgpath, "w");
    ut_cfg cfg;
    int rc;

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    assert_int_equal(ut_cfg_load(&cfg, cfgpath), 0);
    rc = ut_cfg_log(&cfg, log, path);
    snprintf(err, n, "%s", cfg.err);
    ut_cfg_free(&cfg);
    return rc;
}

static void assert_err(const char *err, const char *rest)
{
    char want[600];
    snprintf(want, sizeof(want), "%s: %s", cfgpath, rest);
    assert_string_equal(err, want);
}

static void test_defaults(void **state)
{
    ut_log_cfg log = ut_cfg_log_defaults;
    char *path = NULL, err[512];

    assert_null(ut_cfg_log_defaults.path);
    assert_int_equal(ut_cfg_log_defaults.level, UT_LOG_INFO);
    assert_int_equal(ut_cfg_log_defaults.max_size, 100u * 1024 * 1024);
    assert_int_equal(ut_cfg_log_defaults.max_files, 5);

    assert_int_equal(parse("{\"other\": 1}", &log, &path, err, sizeof(err)), 0);
    assert_null(path);
    assert_null(log.path);
    assert_int_equal(log.level, UT_LOG_INFO);
    assert_int_equal(log.max_size, 100u * 1024 * 1024);
    assert_int_equal(log.max_files, 5);

    /* a module with other defaults keeps them */
    log = (ut_log_cfg){.level = UT_LOG_WARN, .max_size = 0, .max_files = 3};
    assert_int_equal(parse("{\"log\": {}}", &log, &path, err, sizeof(err)), 0);
    assert_null(log.path);
    assert_int_equal(log.level, UT_LOG_WARN);
    assert_int_equal(log.max_size, 0);
    assert_int_equal(log.max_files, 3);
}

static void test_all_keys(void **state)
{
    ut_log_cfg log = ut_cfg_log_defaults;
    char *path = NULL, err[512];

    assert_int_equal(parse("{\"log\": {\"path\": \"log/x.log\", \"level\": \"debug\","
                           " \"max_size\": 4096, \"max_files\": 0}}",
                           &log, &path, err, sizeof(err)), 0);
    assert_non_null(path);
    assert_string_equal(path, "log/x.log");
    assert_ptr_equal(log.path, path);
    assert_int_equal(log.level, UT_LOG_DEBUG);
    assert_int_equal(log.max_size, 4096);
    assert_int_equal(log.max_files, 0);
    free(path);

    /* "" is stderr like an absent path; "-" is passed on (ut_log: stderr) */
    path = NULL;
    log = ut_cfg_log_defaults;
    assert_int_equal(parse("{\"log\": {\"path\": \"\", \"level\": \"WARNING\"}}", &log, &path,
                           err, sizeof(err)), 0);
    assert_null(path);
    assert_null(log.path);
    assert_int_equal(log.level, UT_LOG_WARN);
    assert_int_equal(parse("{\"log\": {\"path\": \"-\"}}", &log, &path, err, sizeof(err)), 0);
    assert_string_equal(log.path, "-");
    free(path);
}

static void test_errors(void **state)
{
    ut_log_cfg log = ut_cfg_log_defaults;
    char *path = NULL, err[512];

    assert_int_equal(parse("{\"log\": {\"level\": \"loud\"}}", &log, &path, err, sizeof(err)),
                     -1);
    assert_err(err, "key 'log.level': expected debug|info|notice|warn|error|fatal, got 'loud'");
    assert_int_equal(parse("{\"log\": {\"max_files\": 1001}}", &log, &path, err, sizeof(err)),
                     -1);
    assert_err(err, "key 'log.max_files': expected an integer 0..1000, got 1001");
    assert_int_equal(parse("{\"log\": {\"max_size\": -1}}", &log, &path, err, sizeof(err)), -1);
    assert_err(err, "key 'log.max_size': expected an integer >= 0, got -1");
    assert_int_equal(parse("{\"log\": {\"path\": 7}}", &log, &path, err, sizeof(err)), -1);
    assert_err(err, "key 'log.path': expected a string, got integer");
    assert_int_equal(parse("{\"log\": \"log/x.log\"}", &log, &path, err, sizeof(err)), -1);
    assert_err(err, "key 'log': expected an object, got string");
    assert_null(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
