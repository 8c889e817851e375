/* Tests of ut_auth alone: the HMAC against a value computed elsewhere
 * (Python's hmac module), challenges, the table's checks, the bodies of
 * the exchange and the verdicts of ut_auth_verify (ok, unknown agent, bad
 * secret, malformed in several ways, fields of newer peers ignored). The
 * exchange over real links is tested in test_ut_rpc_link.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "utils/ut_auth.h"
#include "utils/ut_hex.h"

static const ut_auth_agent agents[] = {
    {"farm1", "0123456789abcdef-farm1"},
    {"farm.2_b-c", "another secret, long enough"},
    {NULL, NULL},
};

static void test_mac_vector(void **state)
{
    uint8_t ch[UT_AUTH_CHALLENGE_SIZE], mac[UT_AUTH_MAC_SIZE];
    char hex[2 * UT_AUTH_MAC_SIZE + 1];

    for (int i = 0; i < UT_AUTH_CHALLENGE_SIZE; i++)
        ch[i] = (uint8_t)i;
    assert_int_equal(ut_auth_mac("0123456789abcdef-farm1", ch, "farm1", mac), 0);
    ut_hex_encode(mac, sizeof(mac), hex);
    /* python3: hmac.new(b'0123456789abcdef-farm1', bytes(range(32)) + b'farm1', sha256) */
    assert_string_equal(hex, "d37a5f0a48dfb491d7d2e05840e4870bd4068413862ae7cad0500b1e90e27082");
}

static void test_challenges_differ(void **state)
{
    uint8_t a[UT_AUTH_CHALLENGE_SIZE], b[UT_AUTH_CHALLENGE_SIZE];
    assert_int_equal(ut_auth_challenge_new(a), 0);
    assert_int_equal(ut_auth_challenge_new(b), 0);
    assert_memory_not_equal(a, b, sizeof(a));
}

static void expect_table_error(const ut_auth_agent *list, const char *want)
{
    char err[160] = "";
    assert_null(ut_auth_table_new(list, err, sizeof(err)));
    assert_non_null(strstr(err, want));
}

static void test_table(void **state)
{
    char err[160];
    ut_auth_table *t = ut_auth_table_new(agents, err, sizeof(err));
    assert_non_null(t);
    assert_int_equal(ut_auth_table_size(t), 2);
    ut_auth_table_free(t);

    const ut_auth_agent shorty[] = {{"farm1", "short"}, {NULL, NULL}};
    expect_table_error(shorty, "agent 'farm1': secret shorter than 16 characters");
    const ut_auth_agent twice[] = {agents[0], agents[0], {NULL, NULL}};
    expect_table_error(twice, "agent 'farm1': listed twice");
    const ut_auth_agent bad_id[] = {{"farm 1", "0123456789abcdef"}, {NULL, NULL}};
    expect_table_error(bad_id, "bad agent id");
    const ut_auth_agent no_secret[] = {{"farm1", NULL}, {NULL, NULL}};
    expect_table_error(no_secret, "agent 'farm1': no secret");

    assert_true(ut_auth_id_valid("a"));
    assert_false(ut_auth_id_valid(""));
    assert_false(ut_auth_id_valid("farm'9"));
    char long_id[UT_AUTH_ID_MAX + 2];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[UT_AUTH_ID_MAX + 1] = '\0';
    assert_false(ut_auth_id_valid(long_id));
    long_id[UT_AUTH_ID_MAX] = '\0';
    assert_true(ut_auth_id_valid(long_id));
}

static void test_challenge_body(void **state)
{
    uint8_t ch[UT_AUTH_CHALLENGE_SIZE], back[UT_AUTH_CHALLENGE_SIZE];
    char body[UT_AUTH_BODY_MAX];

    memset(ch, 0xab, sizeof(ch));
    size_t n = ut_auth_challenge_body(ch, body);
    assert_true(n > 64);
    assert_int_equal(ut_auth_challenge_parse(body, n, back), 0);
    assert_memory_equal(ch, back, sizeof(ch));
    const char *short_hex = "{\"v\":1,\"challenge\":\"abab\"}";
    assert_int_equal(ut_auth_challenge_parse(short_hex, strlen(short_hex), back), -1);
    const char *no_v = "{\"challenge\":\"abab\"}";
    assert_int_equal(ut_auth_challenge_parse(no_v, strlen(no_v), back), -1);
}

static uint32_t verify(const ut_auth_table *t, const uint8_t *ch, const char *body,
                       char *agent, char *why)
{
    return ut_auth_verify(t, ch, body, strlen(body), agent, why, 128);
}

static void test_verify(void **state)
{
    char err[160], body[UT_AUTH_BODY_MAX], agent[UT_AUTH_ID_MAX + 1], why[128];
    uint8_t ch[UT_AUTH_CHALLENGE_SIZE], mac[UT_AUTH_MAC_SIZE];
    ut_auth_table *t = ut_auth_table_new(agents, err, sizeof(err));

    assert_int_equal(ut_auth_challenge_new(ch), 0);
    assert_int_equal(ut_auth_mac(agents[1].secret, ch, agents[1].id, mac), 0);
    size_t n = ut_auth_request_body(agents[1].id, mac, body);
    assert_true(n > 0 && n < sizeof(body));
    body[n] = '\0';
    assert_int_equal(verify(t, ch, body, agent, why), UT_AUTH_OK);
    assert_string_equal(agent, "farm.2_b-c");

    /* A newer peer's extra fields are ignored. */
    char newer[UT_AUTH_BODY_MAX + 32];
    snprintf(newer, sizeof(newer), "{\"v\":2,\"hint\":[1,2],%s", body + 7);
    assert_int_equal(verify(t, ch, newer, agent, why), UT_AUTH_OK);

    /* Another challenge: the same answer is a bad secret (no replay). */
    uint8_t ch2[UT_AUTH_CHALLENGE_SIZE];
    assert_int_equal(ut_auth_challenge_new(ch2), 0);
    assert_int_equal(verify(t, ch2, body, agent, why), UT_AUTH_ERR_BAD_SECRET);
    assert_string_equal(why, "bad secret for agent 'farm.2_b-c'");

    /* The right MAC under another known id. */
    n = ut_auth_request_body("farm1", mac, body);
    body[n] = '\0';
    assert_int_equal(verify(t, ch, body, agent, why), UT_AUTH_ERR_BAD_SECRET);

    n = ut_auth_request_body("farm9", mac, body);
    body[n] = '\0';
    assert_int_equal(verify(t, ch, body, agent, why), UT_AUTH_ERR_UNKNOWN_AGENT);
    assert_string_equal(why, "unknown agent 'farm9'");

    const char *bad[] = {
        "", "{}", "not json", "{\"v\":0,\"agent\":\"farm1\",\"mac\":\"00\"}",
        "{\"v\":1,\"agent\":\"farm1\",\"mac\":\"00\"}",
        "{\"v\":1,\"agent\":\"farm'1\",\"mac\":\"d37a5f0a48dfb491d7d2e05840e4870bd4068413862ae7"
        "cad0500b1e90e27082\"}",
        "{\"v\":1,\"agent\":\"farm1\",\"mac\":\"zz7a5f0a48dfb491d7d2e05840e4870bd4068413862ae7"
        "cad0500b1e90e27082\"}",
        "{\"v\":1,\"mac\":\"d37a5f0a48dfb491d7d2e05840e4870bd4068413862ae7cad0500b1e90e27082\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(verify(t, ch, bad[i], agent, why), UT_AUTH_ERR_MALFORMED);
        assert_string_equal(why, "malformed auth request");
        assert_string_equal(agent, "");
    }
    ut_auth_table_free(t);
}

static void test_error_body(void **state)
{
    char body[UT_AUTH_BODY_MAX], why[64];

    size_t n = ut_auth_error_body("unknown agent 'farm9'", body);
    ut_auth_error_parse(body, n, UT_AUTH_ERR_UNKNOWN_AGENT, why, sizeof(why));
    assert_string_equal(why, "unknown agent 'farm9'");
    ut_auth_error_parse("", 0, UT_AUTH_ERR_BAD_SECRET, why, sizeof(why));
    assert_string_equal(why, "bad secret");
    ut_auth_error_parse("{}", 2, 99, why, sizeof(why));
    assert_string_equal(why, "refused");
    n = ut_auth_ok_body("farm1", body);
    assert_int_equal(n, strlen("{\"v\":1,\"agent\":\"farm1\"}"));
    assert_memory_equal(body, "{\"v\":1,\"agent\":\"farm1\"}", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mac_vector),
        cmocka_unit_test(test_challenges_differ),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_challenge_body),
        cmocka_unit_test(test_verify),
        cmocka_unit_test(test_error_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
