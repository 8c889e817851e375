/* test_ma_config: mineragent.json: the failover list upstream.addr, the
 * stratum and http listeners land in the struct, the old name
 * "upstream.gateways" is refused with a hint naming the file, the key and
 * the new name, and --help lists exactly the keys the reader reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include "mineragent/ma_config.h"
#include "cfg_testkit.h"

static int ma_load(const char *path, char *err, size_t errlen)
{
    ma_config cfg;
    int rc = ma_config_load(&cfg, path, err, errlen);

    if (rc == 0)
        ma_config_free(&cfg);
    return rc;
}

#define MA_AGENT "\"agent\": {\"id\": \"farm1\", \"secret\": \"0123456789abcdef\"}, " \
                 "\"stratum\": {\"bind\": \"tcp@0.0.0.0:3333\"}, \"meta\": {\"spool_dir\": \"s\"}"
#define MA_TLS "\"tls\": {\"ca_file\": \"ca.pem\"}"

static void test_shapes(void **state)
{
    ma_config cfg;
    char err[600];
    const char *path = cfgk_write("mineragent",
        "{" MA_AGENT ", \"upstream\": {\"addr\": [\"tcp@10.0.0.1:3334\", \"tcp@10.0.0.2:3334\"], "
        MA_TLS "}, \"http\": {\"bind\": \"tcp@127.0.0.1:8500\", \"allow\": [\"127.0.0.1\"]}}");

    if (ma_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_int_equal(cfg.ngateways, 2);
    assert_string_equal(cfg.gateways[1], "tcp@10.0.0.2:3334");
    assert_null(cfg.gateways[2]);
    assert_string_equal(cfg.stratum_bind, "tcp@0.0.0.0:3333");
    assert_string_equal(cfg.http.bind, "tcp@127.0.0.1:8500");
    assert_string_equal(cfg.http.allow[0], "127.0.0.1");
    assert_string_equal(cfg.meta_coin, "btc");
    ma_config_free(&cfg);
}

static void test_old_names(void **state)
{
    cfgk_expect_error(ma_load, "mineragent", "{" MA_AGENT ", \"upstream\": {\"gateways\": "
                      "[\"tcp@10.0.0.1:3334\"], " MA_TLS "}}", "mineragent.",
                      "key \"upstream.gateways\" was renamed: use \"upstream\": {\"addr\": [...]}",
                      NULL);
    cfgk_expect_error(ma_load, "mineragent", "{" MA_AGENT ", \"upstream\": {\"addr\": [], "
                      MA_TLS "}}", "key 'upstream.addr'", "at least one", NULL);
    cfgk_expect_error(ma_load, "mineragent", "{" MA_AGENT ", \"upstream\": {\"addr\": "
                      "[\"tcp@10.0.0.1:3334\", \"gw2\"], " MA_TLS "}}", "key 'upstream.addr'",
                      "item 1", "gw2");
    cfgk_expect_error(ma_load, "mineragent", "{" MA_AGENT ", \"upstream\": {\"addr\": "
                      "\"tcp@10.0.0.1:3334\", " MA_TLS "}}", "key 'upstream.addr'",
                      "expected an array", NULL);
}

static void test_help_keys(void **state)
{
    cfgk_keys_match(ma_config_keys, "deploy/conf/mineragent.json", NULL);
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
