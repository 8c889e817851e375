/* test_pb_config: poolbench.json: pools and listeners land in the struct,
 * bad values are refused naming the key, --help lists exactly the keys the
 * reader reads in deploy/conf/poolbench.json; and the CMD_PB_TIP body a
 * notify turns into. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include "cfg_testkit.h"
#include "poolbench/pb_config.h"
#include "poolbench/pb_server.h"

static int pb_load(const char *path, char *err, size_t errlen)
{
    pb_config cfg;
    int rc = pb_config_load(&cfg, path, err, errlen);
    if (rc == 0)
        pb_config_free(&cfg);
    return rc;
}

static void test_values(void **state)
{
    pb_config cfg;
    char err[600];
    const char *path = cfgk_write("poolbench",
        "{\"pools\": [{\"name\": \"a\", \"addr\": \"tcp@127.0.0.1:3333\", \"user\": \"u.1\"}, "
        "{\"name\": \"b\", \"addr\": \"tcp@10.0.0.2:3334\", \"user\": \"u.2\", "
        "\"password\": \"pw\"}], \"rpc\": {\"bind\": \"tcp@127.0.0.1:7901\"}}");
    if (pb_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_int_equal(cfg.pool_count, 2);
    assert_string_equal(cfg.pools[1].name, "b");
    assert_string_equal(cfg.pools[1].addr, "tcp@10.0.0.2:3334");
    assert_string_equal(cfg.pools[1].password, "pw");
    assert_string_equal(cfg.pools[0].password, "x");
    assert_true(cfg.reconnect_min == 0.5);
    assert_true(cfg.idle_timeout == 600);
    assert_null(cfg.http.bind);
    pb_config_free(&cfg);
}

static void test_errors(void **state)
{
    cfgk_expect_error(pb_load, "poolbench", "{\"pools\": [], \"rpc\": {\"bind\": "
                      "\"tcp@127.0.0.1:2\"}}", "pools", "at least one", NULL);
    cfgk_expect_error(pb_load, "poolbench", "{\"pools\": [{\"name\": \"a\", \"addr\": "
                      "\"tcp@127.0.0.1:1\", \"user\": \"u\", \"pass\": \"x\"}], \"rpc\": "
                      "{\"bind\": \"tcp@127.0.0.1:2\"}}", "pools[0].pass", "unknown key", NULL);
    cfgk_expect_error(pb_load, "poolbench", "{\"pools\": [{\"name\": \"a\", \"addr\": "
                      "\"tcp@127.0.0.1:1\", \"user\": \"u\"}, {\"name\": \"a\", \"addr\": "
                      "\"tcp@127.0.0.1:3\", \"user\": \"u\"}], \"rpc\": {\"bind\": "
                      "\"tcp@127.0.0.1:2\"}}", "pools", "used twice", NULL);
    cfgk_expect_error(pb_load, "poolbench", "{\"pools\": [{\"name\": \"a\", \"addr\": "
                      "\"pool.example:1\", \"user\": \"u\"}], \"rpc\": {\"bind\": "
                      "\"tcp@127.0.0.1:2\"}}", "pools[0].addr", "expected", NULL);
}

static void test_help_keys(void **state)
{
    cfgk_keys_match(pb_config_keys, "deploy/conf/poolbench.json", NULL);
}

/* A notify for height 1001 on prev P: the tip is 1000, hash P, with the
 * notify's nbits / ntime / version. Height 0 has no tip below it. */
static void test_tip_body(void **state)
{
    ut_snotify n = {.height = 1001, .nbits = 0x1d00ffff, .ntime = 1700000000,
                    .version = 0x20000000};
    snprintf(n.prev_hex, sizeof(n.prev_hex), "%064x", 7);
    char body[512];
    assert_int_equal(pb_tip_body(&n, "other", body, sizeof(body)), 0);
    assert_string_equal(body, "{\"v\":1,\"height\":1000,\"hash\":\""
                        "0000000000000000000000000000000000000000000000000000000000000007\","
                        "\"bits\":\"1d00ffff\",\"time\":1700000000,\"version\":536870912,"
                        "\"pool\":\"other\",\"via\":\"poolbench\"}");
    assert_int_equal(pb_tip_body(&n, "other", body, 40), -1);
    n.height = 0;
    assert_int_equal(pb_tip_body(&n, "other", body, sizeof(body)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help_keys),
        cmocka_unit_test(test_tip_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
