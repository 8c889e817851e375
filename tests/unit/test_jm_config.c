/* test_jm_config: jobmaster.json parsing: payout addresses of every kind
 * decoded to their scriptPubKeys (published mainnet vectors), defaults,
 * error messages that name the key, old key names refused with a hint, and
 * --help listing exactly the keys the reader reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "jobmaster/jm_config.h"
#include "utils/ut_hex.h"
#include "cfg_testkit.h"

static char g_path[64];

static void write_config(const char *text)
{
    snprintf(g_path, sizeof(g_path), "/tmp/test_jm_config.%d.json", (int)getpid());
    FILE *fp = fopen(g_path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int teardown(void **state)
{
    unlink(g_path);
    return 0;
}

static void script_hex(const jm_payout *p, char *out)
{
    ut_hex_encode(p->script, p->script_len, out);
}

static void test_full_config(void **state)
{
    write_config(
        "{\"network\": \"main\","
        " \"nodes\": [{\"url\": \"http://127.0.0.1:8332/\", \"user\": \"u\", \"password\": \"p\"},"
        "            {\"url\": \"http://127.0.0.1:8333/\", \"cookie_file\": \"/tmp/.cookie\"}],"
        " \"payouts\": ["
        "   {\"address\": \"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\", \"weight\": 1},"
        "   {\"address\": \"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4\", \"weight\": 2},"
        "   {\"address\": \"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0\"},"
        "   {\"script\": \"6a0401020304\", \"weight\": 7}],"
        " \"pool_tag\": \"/test/\", \"extranonce_size\": 8, \"poll_interval\": 0.5,"
        " \"gateway\": {\"bind\": \"tcp@127.0.0.1:7001\", \"allow\": [\"127.0.0.1\"]},"
        " \"blocknotify\": {\"bind\": \"udp@127.0.0.1:7002\"},"
        " \"log\": {\"path\": \"/tmp/jm.log\", \"level\": \"debug\"}}");
    jm_config cfg;
    char err[512];
    int rc = jm_config_load(&cfg, g_path, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    char hex[JM_SCRIPT_MAX * 2 + 1];
    assert_int_equal(cfg.payout_count, 4);
    script_hex(&cfg.payouts[0], hex);
    assert_string_equal(hex, "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac");
    script_hex(&cfg.payouts[1], hex);
    assert_string_equal(hex, "0014751e76e8199196d454941c45d1b3a323f1433bd6");
    script_hex(&cfg.payouts[2], hex);
    assert_string_equal(hex,
                        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    script_hex(&cfg.payouts[3], hex);
    assert_string_equal(hex, "6a0401020304");
    assert_int_equal(cfg.payouts[1].weight, 2);
    assert_int_equal(cfg.payouts[2].weight, 1);      /* default weight */
    assert_int_equal(cfg.node.count, 2);
    assert_string_equal(cfg.node.nodes[0].password, "p");
    assert_null(cfg.node.nodes[1].user);
    assert_string_equal(cfg.node.nodes[1].cookie_file, "/tmp/.cookie");
    assert_int_equal(cfg.extranonce_size, 8);
    assert_string_equal(cfg.pool_tag, "/test/");
    assert_true(cfg.poll_interval == 0.5);
    assert_true(cfg.refresh_interval == 30);         /* default */
    assert_string_equal(cfg.gateway.bind, "tcp@127.0.0.1:7001");
    assert_string_equal(cfg.gateway.allow[0], "127.0.0.1");
    assert_null(cfg.gateway.allow[1]);
    assert_string_equal(cfg.blocknotify.bind, "udp@127.0.0.1:7002");
    assert_null(cfg.blocknotify.allow);
    assert_null(cfg.http.bind);
    assert_int_equal(cfg.log.level, UT_LOG_DEBUG);
    jm_config_free(&cfg);
}

static void expect_error(const char *text, const char *needle)
{
    write_config(text);
    jm_config cfg;
    char err[512];
    assert_int_equal(jm_config_load(&cfg, g_path, err, sizeof(err)), -1);
    if (!strstr(err, needle))
        fail_msg("error '%s' does not mention '%s'", err, needle);
}

#define BASE "\"nodes\": [{\"url\": \"http://x/\", \"password\": \"p\"}]," \
             " \"gateway\": {\"bind\": \"tcp@127.0.0.1:7001\"}"

static void test_errors(void **state)
{
    /* mainnet address on a test network */
    expect_error("{\"network\": \"regtest\", " BASE ", \"payouts\": "
                 "[{\"address\": \"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\"}]}", "payouts[0]");
    /* bad checksum */
    expect_error("{\"network\": \"main\", " BASE ", \"payouts\": "
                 "[{\"address\": \"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5\"}]}",
                 "payouts[0]");
    expect_error("{\"network\": \"moon\", " BASE ", \"payouts\": [{\"script\": \"51\"}]}",
                 "network");
    expect_error("{\"network\": \"main\", " BASE ", \"payouts\": []}", "payouts");
    expect_error("{\"network\": \"main\", " BASE ", \"payouts\": [{\"script\": \"51\", "
                 "\"address\": \"x\"}]}", "exactly one");
    expect_error("{\"network\": \"main\", " BASE ", \"payouts\": [{\"script\": \"51\"}], "
                 "\"pool_tag\": \"0123456789012345678901234567890123456789012345678901234567"
                 "890123456789012345678901234567890\"}", "pool_tag");
    expect_error("{\"network\": \"main\", " BASE ", \"payouts\": [{\"script\": \"51\"}], "
                 "\"extranonce_size\": 40}", "extranonce_size");
    expect_error("{\"network\": \"main\", \"gateway\": {\"bind\": \"x\"}, "
                 "\"payouts\": [{\"script\": \"51\"}]}", "nodes");
}

static int jm_load(const char *path, char *err, size_t errlen)
{
    jm_config cfg;
    int rc = jm_config_load(&cfg, path, err, errlen);

    if (rc == 0)
        jm_config_free(&cfg);
    return rc;
}

#define JM_MIN "{\"network\": \"main\", " BASE ", \"payouts\": [{\"script\": \"51\"}]"

/* The listeners' one shape; the old shapes are refused with the new name. */
static void test_listeners(void **state)
{
    write_config(JM_MIN ", \"http\": {\"bind\": \"tcp@127.0.0.1:7003\", "
                 "\"allow\": [\"10.0.0.1\", \"127.0.0.1\"]}}");
    jm_config cfg;
    char err[512];
    if (jm_config_load(&cfg, g_path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg.http.bind, "tcp@127.0.0.1:7003");
    assert_string_equal(cfg.http.allow[1], "127.0.0.1");
    assert_null(cfg.http.allow[2]);
    assert_null(cfg.gateway.allow);
    assert_null(cfg.blocknotify.bind);
    jm_config_free(&cfg);

    cfgk_expect_error(jm_load, "jobmaster", JM_MIN ", \"http\": \"tcp@127.0.0.1:7003\"}",
                      "jobmaster.", "key \"http\" was renamed: use \"http\": {\"bind\"", NULL);
    cfgk_expect_error(jm_load, "jobmaster", JM_MIN ", \"blocknotify\": \"udp@127.0.0.1:7002\"}",
                      "key \"blocknotify\" was renamed: use \"blocknotify\": {\"bind\"", NULL,
                      NULL);
    cfgk_expect_error(jm_load, "jobmaster", JM_MIN ", \"http\": {\"bind\": \"x\"}}",
                      "key 'http.bind'", "expected an address", NULL);
    cfgk_expect_error(jm_load, "jobmaster", JM_MIN ", \"http\": {\"bind\": \"tcp@127.0.0.1:1\", "
                      "\"port\": 3}}", "key 'http.port'", "unknown key", NULL);
}

static void test_help_keys(void **state)
{
    cfgk_keys_match(jm_config_keys, "deploy/conf/jobmaster.json", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_full_config, teardown),
        cmocka_unit_test_teardown(test_errors, teardown),
        cmocka_unit_test_teardown(test_listeners, teardown),
        cmocka_unit_test(test_help_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
