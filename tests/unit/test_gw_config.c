/* test_gw_config: gateway.json: the listeners (stratum, http, agents) and
 * links (jobmaster.addr, meta.addr, agents.relay.addr) land in the struct,
 * the old names ("meta.upstream", "agents.relay" as a string) are refused
 * with a hint naming the file, the key and the new name, and --help lists
 * exactly the keys the reader reads (agents section included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include "gateway/gw_config.h"
#include "cfg_testkit.h"

static int gw_load(const char *path, char *err, size_t errlen)
{
    gw_config cfg;
    int rc = gw_config_load(&cfg, path, err, errlen);

    gw_config_free(&cfg);
    return rc;
}

#define GW_BASE "\"gateway_id\": 3, \"stratum\": {\"bind\": \"tcp@0.0.0.0:3333\"}, " \
                "\"jobmaster\": {\"addr\": \"tcp@127.0.0.1:7001\"}"
#define GW_AGENTS "\"agents\": {\"bind\": \"tcp@0.0.0.0:3334\", \"allow\": [\"10.0.0.9\"], " \
                  "\"tls\": {\"cert_file\": \"c\", \"key_file\": \"k\"}, " \
                  "\"list\": [{\"id\": \"farm1\", \"num\": 1, \"secret\": \"0123456789abcdef\"}]"

static void test_shapes(void **state)
{
    gw_config cfg;
    char err[600];
    const char *path = cfgk_write("gateway",
        "{" GW_BASE ", \"http\": {\"bind\": \"tcp@127.0.0.1:7101\", \"allow\": [\"127.0.0.1\"]},"
        " \"meta\": {\"addr\": \"tcp@127.0.0.1:7601\", \"spool_dir\": \"/tmp/sp\"}, "
        GW_AGENTS "}}");

    if (gw_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_string_equal(cfg.stratum_bind, "tcp@0.0.0.0:3333");
    assert_string_equal(cfg.jm_addr, "tcp@127.0.0.1:7001");
    assert_string_equal(cfg.http.bind, "tcp@127.0.0.1:7101");
    assert_string_equal(cfg.http.allow[0], "127.0.0.1");
    assert_true(cfg.meta_enabled);
    assert_string_equal(cfg.meta_upstream, "tcp@127.0.0.1:7601");
    assert_string_equal(cfg.meta_coin, "btc");
    assert_string_equal(cfg.meta_source, "gw3");
    assert_string_equal(cfg.agents_listen.bind, "tcp@0.0.0.0:3334");
    assert_string_equal(cfg.agents_listen.allow[0], "10.0.0.9");
    assert_string_equal(cfg.agents_relay, "tcp@127.0.0.1:7601");   /* meta.addr */
    gw_config_free(&cfg);

    path = cfgk_write("gateway", "{" GW_BASE ", " GW_AGENTS ", \"relay\": {\"addr\": "
                      "\"tcp@127.0.0.1:7602\"}}, \"ban\": {\"exempt\": [\"10.0.0.1\", \"::1\"]}}");
    if (gw_config_load(&cfg, path, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    unlink(path);
    assert_string_equal(cfg.agents_relay, "tcp@127.0.0.1:7602");
    assert_false(cfg.meta_enabled);
    assert_null(cfg.http.bind);
    assert_int_equal(cfg.ban.nexempt, 2);
    assert_int_equal(cfg.ban.exempt[0][15], 1);          /* ::ffff:10.0.0.1 */
    assert_int_equal(cfg.ban.exempt[1][15], 0);          /* ::1 counts as ::/64 */
    gw_config_free(&cfg);
}

static void test_old_names(void **state)
{
    cfgk_expect_error(gw_load, "gateway", "{" GW_BASE ", \"meta\": {\"upstream\": "
                      "\"tcp@127.0.0.1:7601\", \"spool_dir\": \"s\"}}", "gateway.",
                      "key \"meta.upstream\" was renamed: use \"meta\": {\"addr\": ...}", NULL);
    cfgk_expect_error(gw_load, "gateway", "{" GW_BASE ", " GW_AGENTS ", \"relay\": "
                      "\"tcp@127.0.0.1:7602\"}}", "key \"agents.relay\" was renamed: use "
                      "\"agents\": {\"relay\": {\"addr\": ...}}", NULL, NULL);
    cfgk_expect_error(gw_load, "gateway", "{" GW_BASE ", \"http\": {\"bind\": "
                      "\"tcp@127.0.0.1:7101\", \"allowed\": []}}", "key 'http.allowed'",
                      "unknown key", NULL);
    cfgk_expect_error(gw_load, "gateway", "{" GW_BASE ", \"ban\": {\"exempt\": [\"x\"]}}",
                      "key 'ban.exempt'", "item 0", NULL);
}

static void test_help_keys(void **state)
{
    static const char *const renames[] = {"_agents_example", "agents", NULL};

    cfgk_keys_match(gw_config_keys, "deploy/conf/gateway.json", renames);
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
