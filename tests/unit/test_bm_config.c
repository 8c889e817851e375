/* test_bm_config: blockmaster.json: node, agents, listeners and limits land
 * in the struct, bad values are refused naming the key, and --help lists
 * exactly the keys the reader reads in deploy/conf/blockmaster.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include "blockmaster/bm_config.h"
#include "cfg_testkit.h"

static int bm_load(const char *path, char *err, size_t errlen)
{
    bm_config cfg;
    int rc = bm_config_load(&cfg, path, err, errlen);
    if (rc == 0)
        bm_config_free(&cfg);
    return rc;
}

static void test_values(void **state)
{
    bm_config cfg;
    char err[600];
    const char *path = cfgk_write("blockmaster",
        "{\"node\": {\"url\": \"http://127.0.0.1:1/\", \"user\": \"u\", \"password\": \"p\"}, "
        "\"rpc\": {\"bind\": \"tcp@127.0.0.1:7821\", \"agents\": [{\"id\": \"jm-a\", "
        "\"secret\": \"0123456789abcdef\"}, {\"id\": \"jm-b\", \"secret\": "
        "\"fedcba9876543210\"}]}, \"max_missing\": 0}");
    if (bm_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_int_equal(cfg.agent_count, 2);
    assert_string_equal(cfg.agents[1].id, "jm-b");
    assert_null(cfg.agents[2].id);
    assert_int_equal(cfg.max_missing, 0);
    assert_int_equal(cfg.mempool_max, 300000);
    assert_true(cfg.mempool_poll == 1.0);
    assert_null(cfg.tls_cert);
    assert_null(cfg.bitpeer);
    assert_string_equal(cfg.node.nodes[0].url, "http://127.0.0.1:1/");
    bm_config_free(&cfg);
}

static void test_errors(void **state)
{
    cfgk_expect_error(bm_load, "blockmaster", "{\"node\": {\"url\": \"http://x/\", \"password\": "
                      "\"p\"}, \"rpc\": {\"bind\": \"tcp@127.0.0.1:2\", \"agents\": [{\"id\": "
                      "\"a\", \"secret\": \"short\"}]}}", "rpc.agents[0]", "secret", NULL);
    cfgk_expect_error(bm_load, "blockmaster", "{\"node\": {\"url\": \"http://x/\", \"password\": "
                      "\"p\"}, \"rpc\": {\"bind\": \"tcp@127.0.0.1:2\", \"agents\": [{\"id\": "
                      "\"a\", \"secret\": \"0123456789abcdef\"}, {\"id\": \"a\", \"secret\": "
                      "\"0123456789abcdef\"}]}}", "rpc.agents[1]", "duplicate", NULL);
    cfgk_expect_error(bm_load, "blockmaster", "{\"node\": {\"url\": \"http://x/\"}, \"rpc\": "
                      "{\"bind\": \"tcp@127.0.0.1:2\"}}", "node", "password", NULL);
    cfgk_expect_error(bm_load, "blockmaster", "{\"node\": {\"url\": \"http://x/\", \"password\": "
                      "\"p\"}, \"rpc\": {\"bind\": \"tcp@127.0.0.1:2\"}, \"max_mising\": 3}",
                      "max_mising", "unknown key", NULL);
}

static void test_help_keys(void **state)
{
    cfgk_keys_match(bm_config_keys, "deploy/conf/blockmaster.json", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
