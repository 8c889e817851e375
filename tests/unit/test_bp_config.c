/* test_bp_config: bitpeer.json: peers, network magic and listeners land in
 * the struct, bad values are refused naming the key, and --help lists
 * exactly the keys the reader reads in deploy/conf/bitpeer.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include "bitpeer/bp_config.h"
#include "cfg_testkit.h"

static int bp_load(const char *path, char *err, size_t errlen)
{
    bp_config cfg;
    int rc = bp_config_load(&cfg, path, err, errlen);
    if (rc == 0)
        bp_config_free(&cfg);
    return rc;
}

static void test_values(void **state)
{
    bp_config cfg;
    char err[600];
    const char *path = cfgk_write("bitpeer",
        "{\"network\": \"bcoin-regtest\", \"peers\": {\"addr\": [\"tcp@127.0.0.1:48444\", "
        "\"tcp@10.0.0.2:8333\"], \"compact_hb\": false}, \"rpc\": {\"bind\": "
        "\"tcp@127.0.0.1:7801\"}}");
    if (bp_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_int_equal(cfg.magic, 0xdab5bffau);
    assert_int_equal(cfg.peer_count, 2);
    assert_string_equal(cfg.peers[1], "tcp@10.0.0.2:8333");
    assert_false(cfg.compact_hb);
    assert_null(cfg.http.bind);
    assert_int_equal(cfg.keep_blocks, 8);
    assert_string_equal(cfg.user_agent, "/headframe-bitpeer:0.1/");
    bp_config_free(&cfg);
}

static void test_errors(void **state)
{
    cfgk_expect_error(bp_load, "bitpeer", "{\"network\": \"mainnet\", \"peers\": {\"addr\": "
                      "[\"tcp@127.0.0.1:1\"]}, \"rpc\": {\"bind\": \"tcp@127.0.0.1:2\"}}",
                      "bitpeer.", "key 'network'", "mainnet");
    cfgk_expect_error(bp_load, "bitpeer", "{\"network\": \"main\", \"peers\": {\"addr\": []}, "
                      "\"rpc\": {\"bind\": \"tcp@127.0.0.1:2\"}}", "peers.addr",
                      "at least one", NULL);
    cfgk_expect_error(bp_load, "bitpeer", "{\"network\": \"main\", \"peers\": {\"addr\": "
                      "[\"tcp@127.0.0.1:1\"], \"ping\": 3}, \"rpc\": {\"bind\": "
                      "\"tcp@127.0.0.1:2\"}}", "peers.ping", "unknown key", NULL);
}

static void test_help_keys(void **state)
{
    cfgk_keys_match(bp_config_keys, "deploy/conf/bitpeer.json", NULL);
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
