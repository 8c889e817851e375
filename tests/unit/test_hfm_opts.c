/* test_hfm_opts: hfminer's command line. Good lines fill the options;
 * every bad one is refused with a message that names the flag; worker
 * patterns expand in order and without repeats; pool addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tools/hfminer/hfm_opts.h"

/* Parses a NULL-terminated argument list (argv[0] added). */
static int parse_args(hfm_opts *o, char *err, size_t errlen, const char **args)
{
    static char *argv[64];
    int argc = 0;
    static char name[] = "hfminer";
    argv[argc++] = name;
    for (; *args && argc < 63; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    err[0] = '\0';
    return hfm_opts_parse(o, argc, argv, err, errlen);
}

static void test_defaults_and_full(void **state)
{
    hfm_opts o;
    char err[512];
    const char *a1[] = {"--url", "stratum+tcp://127.0.0.1:3333", "--user", "alice.rig1", NULL};
    assert_int_equal(parse_args(&o, err, sizeof(err), a1), 0);
    assert_string_equal(o.addr, "tcp@127.0.0.1:3333");
    assert_string_equal(o.host, "127.0.0.1");
    assert_int_equal(o.port, 3333);
    assert_string_equal(o.user, "alice.rig1");
    assert_string_equal(o.password, "x");
    assert_false(o.load);
    assert_int_equal(o.connections, 1);
    assert_int_equal(o.threads, 1);
    assert_false(o.version_rolling);
    assert_int_equal(o.invalid, HFM_INVALID_NONE);
    assert_true(o.rate == 0);
    assert_int_equal(o.shares, 0);

    const char *a2[] = {"--url", "tcp://[::1]:4000", "--user", "u%u.w%w", "--users", "3",
                        "--workers-per-user", "2", "--connections", "4", "--rate", "1500.5",
                        "--shares", "1000", "--duration", "2.5", "--json", "--quiet",
                        "--version-rolling", "00ffe000", "--threads", "2",
                        "--submit-invalid", "lowdiff", "--invalid-every", "3",
                        "--connect-timeout", "0.5", "--reply-timeout", "3", "--pipeline", "32",
                        "--password", "d=0.001", "--progress", "1", "--agent", "t/1", NULL};
    assert_int_equal(parse_args(&o, err, sizeof(err), a2), 0);
    assert_string_equal(o.addr, "tcp@[::1]:4000");
    assert_int_equal(o.users, 3);
    assert_int_equal(o.workers_per_user, 2);
    assert_int_equal(o.connections, 4);
    assert_true(o.load);
    assert_true(o.rate == 1500.5);
    assert_int_equal(o.shares, 1000);
    assert_true(o.duration == 2.5);
    assert_true(o.json && o.quiet && o.version_rolling);
    assert_int_equal(o.vr_mask, 0x00ffe000);
    assert_int_equal(o.threads, 2);
    assert_int_equal(o.invalid, HFM_INVALID_LOWDIFF);
    assert_int_equal(o.invalid_every, 3);
    assert_true(o.connect_timeout == 0.5);
    assert_true(o.reply_timeout == 3);
    assert_int_equal(o.pipeline, 32);
    assert_string_equal(o.password, "d=0.001");
    assert_string_equal(o.agent, "t/1");

    const char *a3[] = {"--url", "127.0.0.1:1", "--user", "a", "--version-rolling",
                        "--load", NULL};
    assert_int_equal(parse_args(&o, err, sizeof(err), a3), 0);
    assert_true(o.version_rolling && o.load);
    assert_int_equal(o.vr_mask, 0x1fffe000);
    assert_int_equal(o.connections, 1);
    const char *a4[] = {"--url", "localhost:3333", "--user", "a", "--version-rolling=0x1fffe000",
                        "--submit-invalid", "job", NULL};
    assert_int_equal(parse_args(&o, err, sizeof(err), a4), 0);
    assert_string_equal(o.addr, "tcp@127.0.0.1:3333");
    assert_int_equal(o.vr_mask, 0x1fffe000);
    assert_true(o.load);                    /* invalid shares come from the walker */
    const char *a5[] = {"--help", NULL};
    assert_int_equal(parse_args(&o, err, sizeof(err), a5), 0);
    assert_true(o.help);
}

static void expect_bad(const char *flag, const char **args)
{
    hfm_opts o;
    char err[512];
    assert_int_equal(parse_args(&o, err, sizeof(err), args), -1);
    if (!strstr(err, flag))
        fail_msg("message '%s' does not name %s", err, flag);
}

static void test_bad_flags(void **state)
{
#define BASE "--url", "stratum+tcp://127.0.0.1:3333", "--user", "a"
    const char *b1[] = {BASE, "--threads", "0", NULL};
    expect_bad("--threads", b1);
    const char *b2[] = {BASE, "--rate", "-1", NULL};
    expect_bad("--rate", b2);
    const char *b3[] = {"--url", "http://127.0.0.1:3333", "--user", "a", NULL};
    expect_bad("--url", b3);
    const char *b4[] = {"--url", "stratum+tcp://pool.example.com:3333", "--user", "a", NULL};
    expect_bad("--url", b4);
    const char *b5[] = {"--url", "stratum+tcp://127.0.0.1:70000", "--user", "a", NULL};
    expect_bad("--url", b5);
    const char *b6[] = {"--url", "stratum+tcp://127.0.0.1:3333", NULL};
    expect_bad("--user", b6);
    const char *b7[] = {"--user", "a", NULL};
    expect_bad("--url", b7);
    const char *b8[] = {BASE, "--bogus", NULL};
    expect_bad("--bogus", b8);
    const char *b9[] = {BASE, "--submit-invalid", "nope", NULL};
    expect_bad("--submit-invalid", b9);
    const char *b10[] = {BASE, "--version-rolling=zz", NULL};
    expect_bad("--version-rolling", b10);
    const char *b11[] = {BASE, "--version-rolling=00000000", NULL};
    expect_bad("--version-rolling", b11);
    const char *b12[] = {BASE, "--shares", "0", NULL};
    expect_bad("--shares", b12);
    const char *b13[] = {BASE, "--shares", "12x", NULL};
    expect_bad("--shares", b13);
    const char *b14[] = {BASE, "--connections", "-2", NULL};
    expect_bad("--connections", b14);
    const char *b15[] = {BASE, "--duration", "0", NULL};
    expect_bad("--duration", b15);
    const char *b16[] = {BASE, "stray", NULL};
    expect_bad("stray", b16);
    const char *b17[] = {BASE, "--pipeline", NULL};
    expect_bad("--pipeline", b17);
    const char *b18[] = {BASE, "--users", "nan", NULL};
    expect_bad("--users", b18);
    const char *b19[] = {BASE, "--rate", "inf", NULL};
    expect_bad("--rate", b19);
    const char *b20[] = {"--url", "stratum+tcp://127.0.0.1:3333", "--user", "", NULL};
    expect_bad("--user", b20);
#undef BASE
}

static void test_names(void **state)
{
    hfm_opts o;
    char err[512];
    const char *a[] = {"--url", "127.0.0.1:1", "--user", "user%u.w%w", "--users", "2",
                       "--workers-per-user", "3", NULL};
    assert_int_equal(parse_args(&o, err, sizeof(err), a), 0);
    size_t n = 0;
    char **names = hfm_opts_names(&o, &n);
    assert_non_null(names);
    assert_int_equal(n, 6);
    const char *want[] = {"user0.w0", "user0.w1", "user0.w2", "user1.w0", "user1.w1",
                          "user1.w2"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(names[i], want[i]);
    hfm_opts_names_free(names, n);

    /* No pattern: one name however many users were asked for. */
    const char *b[] = {"--url", "127.0.0.1:1", "--user", "alice.rig1", "--users", "5", NULL};
    assert_int_equal(parse_args(&o, err, sizeof(err), b), 0);
    names = hfm_opts_names(&o, &n);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "alice.rig1");
    hfm_opts_names_free(names, n);

    /* Only %u with several workers: names repeat and are merged. */
    const char *c[] = {"--url", "127.0.0.1:1", "--user", "u%u", "--users", "2",
                       "--workers-per-user", "3", NULL};
    assert_int_equal(parse_args(&o, err, sizeof(err), c), 0);
    names = hfm_opts_names(&o, &n);
    assert_int_equal(n, 2);
    assert_string_equal(names[1], "u1");
    hfm_opts_names_free(names, n);

    char out[16];
    assert_int_equal(hfm_opts_expand("a%%b%u", 7, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "a%b7");
    assert_int_equal(hfm_opts_expand("%x%", 0, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "%x%");
    assert_int_equal(hfm_opts_expand("0123456789abcdef", 0, 0, out, sizeof(out)), -1);
    assert_int_equal(hfm_opts_expand("0123456789abcde", 0, 0, out, sizeof(out)), 0);
    assert_int_equal(hfm_opts_expand("u%u", 0, 0, out, 0), -1);
}

static void test_addr(void **state)
{
    char out[64];
    assert_int_equal(hfm_make_addr("127.0.0.1", 3333, out, sizeof(out)), 0);
    assert_string_equal(out, "tcp@127.0.0.1:3333");
    assert_int_equal(hfm_make_addr("::1", 1, out, sizeof(out)), 0);
    assert_string_equal(out, "tcp@[::1]:1");
    assert_int_equal(hfm_make_addr("localhost", 2, out, sizeof(out)), 0);
    assert_string_equal(out, "tcp@127.0.0.1:2");
    assert_int_equal(hfm_make_addr("pool.example.com", 2, out, sizeof(out)), -1);
    assert_int_equal(hfm_make_addr("127.0.0.1", 0, out, sizeof(out)), -1);
    assert_int_equal(hfm_make_addr("127.0.0.1", 3333, out, 10), -1);
    assert_string_equal(hfm_invalid_name(HFM_INVALID_DUPLICATE), "duplicate");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_full),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
