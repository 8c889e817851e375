/* test_mr_config: metarelay.json: the listener sections {"bind", "allow"}
 * and the upstream link {"addr", ...} land in the struct, the old names
 * ("listen", top-level "allow", "http" and "upstream" as strings, "window",
 * "request_timeout") are refused with a hint naming the file, the key and
 * the new name, and --help lists exactly the keys the reader reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include "metarelay/mr_config.h"
#include "cfg_testkit.h"

static int mr_load(const char *path, char *err, size_t errlen)
{
    mr_config cfg;
    int rc = mr_config_load(&cfg, path, err, errlen);

    if (rc == 0)
        mr_config_free(&cfg);
    return rc;
}

#define MR_BASE "\"rpc\": {\"bind\": \"tcp@127.0.0.1:7601\", \"allow\": [\"127.0.0.1\"]}, " \
                "\"upstream\": {\"addr\": \"tcp@127.0.0.1:7602\"}, \"spool_dir\": \"/tmp/s\""

static void test_shapes(void **state)
{
    mr_config cfg;
    char err[600];
    const char *path = cfgk_write("metarelay",
        "{" MR_BASE ", \"http\": {\"bind\": \"tcp@127.0.0.1:7611\", \"allow\": [\"10.1.2.3\"]},"
        " \"_note\": \"comments are fine\"}");

    if (mr_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_string_equal(cfg.rpc.bind, "tcp@127.0.0.1:7601");
    assert_string_equal(cfg.rpc.allow[0], "127.0.0.1");
    assert_null(cfg.rpc.allow[1]);
    assert_string_equal(cfg.http.bind, "tcp@127.0.0.1:7611");
    assert_string_equal(cfg.http.allow[0], "10.1.2.3");
    assert_string_equal(cfg.upstream, "tcp@127.0.0.1:7602");
    assert_int_equal(cfg.window, 64);                  /* defaults */
    assert_true(cfg.request_timeout == 10.0);
    assert_true(cfg.spool_after == 5.0);
    mr_config_free(&cfg);

    path = cfgk_write("metarelay", "{" MR_BASE "}");
    if (mr_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_null(cfg.http.bind);
    assert_null(cfg.http.allow);
    mr_config_free(&cfg);
}

static void test_old_names(void **state)
{
    cfgk_expect_error(mr_load, "metarelay", "{\"listen\": \"tcp@127.0.0.1:7601\", "
                      "\"upstream\": \"tcp@127.0.0.1:7602\", \"spool_dir\": \"s\"}",
                      "metarelay.", "key \"listen\" was renamed: use \"rpc\": {\"bind\": ...}",
                      NULL);
    cfgk_expect_error(mr_load, "metarelay", "{" MR_BASE ", \"allow\": [\"127.0.0.1\"]}",
                      "key \"allow\" was renamed: use \"rpc\": {\"allow\": [...]}", NULL, NULL);
    cfgk_expect_error(mr_load, "metarelay", "{" MR_BASE ", \"http\": \"tcp@127.0.0.1:7611\"}",
                      "key \"http\" was renamed: use \"http\": {\"bind\": ..., \"allow\"", NULL,
                      NULL);
    cfgk_expect_error(mr_load, "metarelay", "{\"rpc\": {\"bind\": \"tcp@127.0.0.1:7601\"}, "
                      "\"upstream\": \"tcp@127.0.0.1:7602\", \"spool_dir\": \"s\"}",
                      "key \"upstream\" was renamed: use \"upstream\": {\"addr\": ...}", NULL,
                      NULL);
    cfgk_expect_error(mr_load, "metarelay", "{" MR_BASE ", \"window\": 8}",
                      "key \"window\" was renamed: use \"upstream\": {\"window\": ...}", NULL,
                      NULL);
    cfgk_expect_error(mr_load, "metarelay", "{" MR_BASE ", \"request_timeout\": 8}",
                      "key \"request_timeout\" was renamed", NULL, NULL);
    /* the new shapes are strict too */
    cfgk_expect_error(mr_load, "metarelay", "{" MR_BASE ", \"http\": {\"listen\": \"x\"}}",
                      "key 'http.bind'", "missing", NULL);
    cfgk_expect_error(mr_load, "metarelay", "{\"rpc\": {\"bind\": \"tcp@127.0.0.1:7601\", "
                      "\"alow\": []}, \"upstream\": {\"addr\": \"tcp@127.0.0.1:7602\"}, "
                      "\"spool_dir\": \"s\"}", "key 'rpc.alow'", "unknown key", NULL);
    cfgk_expect_error(mr_load, "metarelay", "{\"rpc\": {\"bind\": \"tcp@127.0.0.1:7601\"}, "
                      "\"upstream\": {\"addr\": \"nowhere\"}, \"spool_dir\": \"s\"}",
                      "key 'upstream.addr'", "expected an address", NULL);
}

static void test_help_keys(void **state)
{
    cfgk_keys_match(mr_config_keys, "deploy/conf/metarelay.json", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_old_names),
        cmocka_unit_test(test_help_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
