/* test_mw_config: metawriter.json: the listener sections {"bind", "allow"}
 * land in the struct, the old names ("listen", top-level "allow", "http" as
 * a string) are refused with a hint naming the file, the key and the new
 * name, and --help lists exactly the keys the reader reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include "metawriter/mw_config.h"
#include "cfg_testkit.h"

static int mw_load(const char *path, char *err, size_t errlen)
{
    mw_config cfg;
    int rc = mw_config_load(&cfg, path, err, errlen);

    if (rc == 0)
        mw_config_free(&cfg);
    return rc;
}

#define MW_BASE "\"rpc\": {\"bind\": \"tcp@127.0.0.1:7602\"}, \"coin\": \"btc\", \"redis\": {}"

static void test_shapes(void **state)
{
    mw_config cfg;
    char err[600];
    const char *path = cfgk_write("metawriter",
        "{" MW_BASE ", \"http\": {\"bind\": \"tcp@127.0.0.1:7612\", "
        "\"allow\": [\"127.0.0.1\", \"::1\"]}}");

    if (mw_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_string_equal(cfg.rpc.bind, "tcp@127.0.0.1:7602");
    assert_null(cfg.rpc.allow);                         /* everyone */
    assert_string_equal(cfg.http.bind, "tcp@127.0.0.1:7612");
    assert_string_equal(cfg.http.allow[1], "::1");
    assert_null(cfg.http.allow[2]);
    assert_string_equal(cfg.redis.host, "127.0.0.1");
    assert_int_equal(cfg.redis.port, 6379);
    mw_config_free(&cfg);
}

static void test_old_names(void **state)
{
    cfgk_expect_error(mw_load, "metawriter", "{\"listen\": \"tcp@127.0.0.1:7602\", "
                      "\"coin\": \"btc\", \"redis\": {}}", "metawriter.",
                      "key \"listen\" was renamed: use \"rpc\": {\"bind\": ...}", NULL);
    cfgk_expect_error(mw_load, "metawriter", "{" MW_BASE ", \"allow\": [\"127.0.0.1\"]}",
                      "key \"allow\" was renamed: use \"rpc\": {\"allow\": [...]}", NULL, NULL);
    cfgk_expect_error(mw_load, "metawriter", "{" MW_BASE ", \"http\": \"tcp@127.0.0.1:7612\"}",
                      "key \"http\" was renamed: use \"http\": {\"bind\"", NULL, NULL);
    cfgk_expect_error(mw_load, "metawriter", "{\"coin\": \"btc\", \"redis\": {}}",
                      "key 'rpc'", "missing", NULL);
    cfgk_expect_error(mw_load, "metawriter", "{" MW_BASE ", \"http\": {\"bind\": "
                      "\"tcp@127.0.0.1:7612\", \"allow\": \"127.0.0.1\"}}", "key 'http.allow'",
                      "expected an array", NULL);
}

static void test_help_keys(void **state)
{
    cfgk_keys_match(mw_config_keys, "deploy/conf/metawriter.json", NULL);
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
