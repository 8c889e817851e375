/* Unit tests of gateway/gw_ban.c: per-IP connection limits, connection
 * rate, strikes and bans shared by worker processes, the fixed-size table
 * under an address flood, and the lock surviving a worker killed while
 * holding it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "gateway/gw_ban.h"

static gw_ban_cfg cfg(void)
{
    return (gw_ban_cfg){ .seconds = 600, .conns_per_ip = 3, .rate_per_ip = 1,
                         .burst_per_ip = 10 };
}

static void v4(uint8_t key[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    nw_addr addr;
    char text[64];

    snprintf(text, sizeof(text), "tcp@%u.%u.%u.%u:3333", a, b, c, d);
    assert_int_equal(nw_addr_parse(&addr, text), 0);
    assert_int_equal(gw_ban_key(&addr, key), 0);
}

static int setup(void **state)
{
    gw_shm *shm = gw_shm_create();

    assert_non_null(shm);
    *state = shm;
    return 0;
}

static int teardown(void **state)
{
    gw_shm_free(*state);
    return 0;
}

static void test_keys(void **state)
{
    nw_addr a, b;
    uint8_t ka[16], kb[16], k4[16];

    (void)state;
    /* Two addresses of one /64 are one key; the v4-mapped form of an IPv4
     * address is that address. */
    assert_int_equal(nw_addr_parse(&a, "tcp@[2001:db8:1:2::5]:1"), 0);
    assert_int_equal(nw_addr_parse(&b, "tcp@[2001:db8:1:2:ffff::9]:1"), 0);
    assert_int_equal(gw_ban_key(&a, ka), 0);
    assert_int_equal(gw_ban_key(&b, kb), 0);
    assert_memory_equal(ka, kb, 16);
    assert_int_equal(nw_addr_parse(&b, "tcp@[2001:db8:1:3::5]:1"), 0);
    assert_int_equal(gw_ban_key(&b, kb), 0);
    assert_memory_not_equal(ka, kb, 16);
    assert_int_equal(nw_addr_parse(&a, "tcp@[::ffff:192.0.2.7]:1"), 0);
    assert_int_equal(gw_ban_key(&a, ka), 0);
    v4(k4, 192, 0, 2, 7);
    assert_memory_equal(ka, k4, 16);
}

static void test_connections_per_ip(void **state)
{
    gw_shm *shm = *state;
    gw_ban_cfg c = cfg();
    uint8_t k[16], other[16];
    double left;

    v4(k, 192, 0, 2, 1);
    v4(other, 192, 0, 2, 2);
    /* Three connections over two workers, the fourth refused on either. */
    assert_null(gw_ban_admit(shm, &c, 0, k, 100, &left));
    assert_null(gw_ban_admit(shm, &c, 1, k, 100, &left));
    assert_null(gw_ban_admit(shm, &c, 1, k, 100, &left));
    assert_string_equal(gw_ban_admit(shm, &c, 0, k, 100, &left),
                        "too many connections from this address");
    assert_null(gw_ban_admit(shm, &c, 0, other, 100, &left));
    gw_ban_release(shm, 1, k);
    assert_null(gw_ban_admit(shm, &c, 0, k, 100, &left));
    /* Worker 1 restarts: its connection is gone. */
    gw_ban_worker_reset(shm, 1);
    assert_null(gw_ban_admit(shm, &c, 1, k, 100, &left));
    /* Exempt addresses are not counted. */
    c.exempt = &k;
    c.nexempt = 1;
    for (int i = 0; i < 20; i++)
        assert_null(gw_ban_admit(shm, &c, 0, k, 100, &left));
}

static void test_rate(void **state)
{
    gw_shm *shm = *state;
    gw_ban_cfg c = cfg();
    uint8_t k[16];
    double left;

    c.conns_per_ip = 0;
    v4(k, 198, 51, 100, 1);
    for (int i = 0; i < 10; i++)   /* the burst */
        assert_null(gw_ban_admit(shm, &c, 0, k, 50, &left));
    assert_string_equal(gw_ban_admit(shm, &c, 0, k, 50, &left), "connecting too fast");
    assert_string_equal(gw_ban_admit(shm, &c, 0, k, 50.5, &left), "connecting too fast");
    assert_null(gw_ban_admit(shm, &c, 0, k, 51.1, &left));   /* 1 per second */
    assert_string_equal(gw_ban_admit(shm, &c, 0, k, 51.2, &left), "connecting too fast");
}

static void test_strikes_and_ban(void **state)
{
    gw_shm *shm = *state;
    gw_ban_cfg c = cfg();
    st_strike_cfg s = { .enabled = true, .window = 60, .invalid_shares = 5, .junk_lines = 3 };
    uint8_t k[16];
    uint32_t n[2];
    double left;

    v4(k, 203, 0, 113, 9);
    /* Strikes from "different connections" and workers add up per IP. */
    assert_false(gw_ban_strike(shm, &s, k, 10, true, n));
    assert_false(gw_ban_strike(shm, &s, k, 11, false, n));
    assert_false(gw_ban_strike(shm, &s, k, 12, true, n));
    assert_int_equal(n[0], 1);
    assert_int_equal(n[1], 2);
    /* A new window starts the count again. */
    assert_false(gw_ban_strike(shm, &s, k, 75, true, n));
    assert_int_equal(n[1], 1);
    assert_false(gw_ban_strike(shm, &s, k, 76, true, n));
    assert_true(gw_ban_strike(shm, &s, k, 77, true, n));
    gw_ban_add(shm, k, 77, 600);
    assert_true(gw_ban_check(shm, k, 78) > 598);
    assert_string_equal(gw_ban_admit(shm, &c, 3, k, 80, &left), "banned");
    assert_true(left > 596 && left < 598);
    assert_true(gw_ban_check(shm, k, 678) == 0);
    assert_null(gw_ban_admit(shm, &c, 3, k, 678, &left));
    s.enabled = false;   /* counted, never over */
    for (int i = 0; i < 10; i++)
        assert_false(gw_ban_strike(shm, &s, k, 700, true, n));
}

/* 100,000 addresses: the table stays at its size; bans stay in force. */
static void test_flood(void **state)
{
    gw_shm *shm = *state;
    gw_ban_cfg c = cfg();
    gw_ban_totals t;
    uint8_t k[16], banned[16];
    double left;

    v4(banned, 10, 9, 9, 9);
    gw_ban_add(shm, banned, 1000, 600);
    for (uint32_t i = 0; i < 100000; i++) {
        v4(k, 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
        (void)gw_ban_admit(shm, &c, 0, k, 1000, &left);
    }
    gw_ban_totals_get(shm, 1000, &t);
    assert_int_equal(t.tracked, GW_IP_SLOTS);
    assert_true(t.untracked >= 100000 - GW_IP_SLOTS);
    assert_int_equal(t.banned, 1);
    assert_true(gw_ban_check(shm, banned, 1001) > 0);
    /* Closed and quiet for a minute, the entries make room again. */
    for (uint32_t i = 0; i < 100000; i++) {
        v4(k, 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
        gw_ban_release(shm, 0, k);
    }
    v4(k, 172, 16, 0, 1);
    assert_null(gw_ban_admit(shm, &c, 0, k, 1061, &left));
    gw_ban_totals_get(shm, 1061, &t);
    assert_int_equal(t.tracked, GW_IP_SLOTS);
    assert_true(gw_ban_check(shm, banned, 1061) > 0);
}

/* A worker killed while it holds the table's lock does not stop the others. */
static void test_lock_owner_dies(void **state)
{
    gw_shm *shm = *state;
    gw_ban_cfg c = cfg();
    uint8_t k[16];
    double left;
    int st;
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        pthread_mutex_lock(&shm->ips.lock);
        raise(SIGKILL);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st));
    v4(k, 192, 0, 2, 200);
    assert_null(gw_ban_admit(shm, &c, 0, k, 5, &left));
    assert_null(gw_ban_admit(shm, &c, 0, k, 5, &left));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test_setup_teardown(test_connections_per_ip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strikes_and_ban, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_owner_dies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
