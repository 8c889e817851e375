/* Tests of nw_addr (parsing and printing of v4, v6 and unix specs, bad
 * specs) and nw_buf (append, consume, reserve, reuse of storage). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "network/nw_addr.h"
#include "network/nw_buf.h"

static void test_parse_v4(void **state)
{
    nw_addr a;
    char buf[64];
    assert_int_equal(nw_addr_parse(&a, "tcp@127.0.0.1:3333"), 0);
    assert_int_equal(a.proto, NW_TCP);
    assert_int_equal(a.u.sa.sa_family, AF_INET);
    assert_int_equal(a.len, sizeof(struct sockaddr_in));
    assert_int_equal(ntohs(a.u.in4.sin_port), 3333);
    assert_int_equal(ntohl(a.u.in4.sin_addr.s_addr), 0x7f000001);
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "127.0.0.1:3333");
    assert_string_equal(nw_addr_host(&a, buf, sizeof(buf)), "127.0.0.1");

    assert_int_equal(nw_addr_parse(&a, "udp@0.0.0.0:4444"), 0);
    assert_int_equal(a.proto, NW_UDP);
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "0.0.0.0:4444");

    assert_int_equal(nw_addr_parse(&a, "tcp@10.1.2.3:0"), 0);
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "10.1.2.3:0");
    assert_int_equal(nw_addr_parse(&a, "tcp@10.1.2.3:65535"), 0);
    assert_int_equal(ntohs(a.u.in4.sin_port), 65535);
}

static void test_parse_v6(void **state)
{
    nw_addr a;
    char buf[80];
    assert_int_equal(nw_addr_parse(&a, "tcp@[::1]:3333"), 0);
    assert_int_equal(a.proto, NW_TCP);
    assert_int_equal(a.u.sa.sa_family, AF_INET6);
    assert_int_equal(a.len, sizeof(struct sockaddr_in6));
    assert_int_equal(ntohs(a.u.in6.sin6_port), 3333);
    assert_true(IN6_IS_ADDR_LOOPBACK(&a.u.in6.sin6_addr));
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "[::1]:3333");
    assert_string_equal(nw_addr_host(&a, buf, sizeof(buf)), "::1");

    assert_int_equal(nw_addr_parse(&a, "udp@[2001:db8::7]:53"), 0);
    assert_int_equal(a.proto, NW_UDP);
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "[2001:db8::7]:53");

    /* An IPv4 peer seen through an IPv6 socket prints as IPv4. */
    assert_int_equal(nw_addr_parse(&a, "tcp@[::ffff:192.0.2.9]:80"), 0);
    assert_string_equal(nw_addr_host(&a, buf, sizeof(buf)), "192.0.2.9");
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "192.0.2.9:80");
}

static void test_parse_unix(void **state)
{
    nw_addr a;
    char buf[128];
    assert_int_equal(nw_addr_parse(&a, "unix@/run/hf/jm.sock"), 0);
    assert_int_equal(a.proto, NW_UNIX);
    assert_int_equal(a.u.sa.sa_family, AF_UNIX);
    assert_string_equal(a.u.un.sun_path, "/run/hf/jm.sock");
    assert_int_equal(a.len, offsetof(struct sockaddr_un, sun_path) + strlen("/run/hf/jm.sock") + 1);
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "/run/hf/jm.sock");
    assert_string_equal(nw_addr_host(&a, buf, sizeof(buf)), "/run/hf/jm.sock");

    /* The longest path that fits, and one byte more. */
    char spec[200] = "unix@";
    size_t max = sizeof(a.u.un.sun_path) - 1;
    memset(spec + 5, 'p', max);
    spec[5 + max] = '\0';
    assert_int_equal(nw_addr_parse(&a, spec), 0);
    assert_int_equal(strlen(a.u.un.sun_path), max);
    spec[5 + max] = 'p';
    spec[6 + max] = '\0';
    assert_int_equal(nw_addr_parse(&a, spec), -1);

    /* An unnamed socket (an accepted unix client). */
    memset(&a, 0, sizeof(a));
    a.proto = NW_UNIX;
    a.u.un.sun_family = AF_UNIX;
    a.len = sizeof(sa_family_t);
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "unix");
}

static void test_parse_bad(void **state)
{
    static const char *bad[] = {
        "", "tcp", "tcp@", "127.0.0.1:3333", "tcp@127.0.0.1", "tcp@127.0.0.1:",
        "tcp@127.0.0.1:65536", "tcp@127.0.0.1:-1", "tcp@127.0.0.1:12a", "tcp@127.0.0.1:123456",
        "tcp@127.0.0.1:3333x", "tcp@:3333", "tcp@localhost:3333", "tcp@256.0.0.1:1",
        "tcp@1.2.3:1", "tcp@::1:3333", "tcp@[::1]3333", "tcp@[::1]:", "tcp@[::1:3333",
        "tcp@[127.0.0.1]:1", "tcp@[zz::1]:1", "sctp@127.0.0.1:1", "TCP@127.0.0.1:1",
        "unix@", "udp@[]:1", "tcp@ 127.0.0.1:1", "tcp@127.0.0.1: 1", NULL,
    };
    nw_addr a;
    for (size_t i = 0; bad[i]; i++) {
        memset(&a, 0x5a, sizeof(a));
        if (nw_addr_parse(&a, bad[i]) != -1)
            fail_msg("accepted bad spec '%s'", bad[i]);
        assert_int_equal(a.proto, 0);
    }
    assert_int_equal(nw_addr_parse(&a, NULL), -1);
}

static void test_str_truncates(void **state)
{
    nw_addr a;
    char buf[8];
    assert_int_equal(nw_addr_parse(&a, "tcp@127.0.0.1:3333"), 0);
    memset(buf, 'x', sizeof(buf));
    assert_string_equal(nw_addr_str(&a, buf, sizeof(buf)), "127.0.0");
    memset(buf, 'x', sizeof(buf));
    assert_string_equal(nw_addr_host(&a, buf, 4), "127");
}

static void test_buf(void **state)
{
    nw_buf b;
    nw_buf_init(&b);
    assert_int_equal(nw_buf_len(&b), 0);
    assert_null(b.data);

    assert_int_equal(nw_buf_append(&b, "hello ", 6), 0);
    assert_int_equal(nw_buf_append(&b, "world", 5), 0);
    assert_int_equal(nw_buf_len(&b), 11);
    assert_memory_equal(b.data + b.rpos, "hello world", 11);

    nw_buf_consume(&b, 6);
    assert_int_equal(nw_buf_len(&b), 5);
    assert_memory_equal(b.data + b.rpos, "world", 5);

    /* Consuming everything rewinds both positions; storage is kept. */
    nw_buf_consume(&b, 5);
    assert_int_equal(b.rpos, 0);
    assert_int_equal(b.wpos, 0);
    assert_non_null(b.data);

    /* Growth keeps the unread bytes, in order. */
    char big[5000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7);
    assert_int_equal(nw_buf_append(&b, "ab", 2), 0);
    nw_buf_consume(&b, 1);
    assert_int_equal(nw_buf_append(&b, big, sizeof(big)), 0);
    assert_int_equal(nw_buf_len(&b), sizeof(big) + 1);
    assert_int_equal(b.data[b.rpos], 'b');
    assert_memory_equal(b.data + b.rpos + 1, big, sizeof(big));
    assert_true(b.cap >= nw_buf_len(&b));

    /* Reserve gives room after wpos without changing the content. */
    assert_int_equal(nw_buf_reserve(&b, 100000), 0);
    assert_true(b.cap - b.wpos >= 100000);
    assert_int_equal(b.data[b.rpos], 'b');
    assert_memory_equal(b.data + b.rpos + 1, big, sizeof(big));

    /* Reserve slides the unread bytes down when they then fit. */
    size_t cap = b.cap;
    nw_buf_consume(&b, 3000);
    assert_int_equal(nw_buf_reserve(&b, cap - nw_buf_len(&b)), 0);
    assert_int_equal(b.cap, cap);
    assert_int_equal(b.rpos, 0);
    assert_memory_equal(b.data, big + 2999, sizeof(big) - 2999);

    /* An impossible size fails cleanly. */
    assert_int_equal(nw_buf_reserve(&b, (size_t)-1), -1);
    assert_int_equal(nw_buf_len(&b), sizeof(big) - 2999);

    nw_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
    assert_int_equal(nw_buf_len(&b), 0);
    nw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_v4),
        cmocka_unit_test(test_parse_v6),
        cmocka_unit_test(test_parse_unix),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_str_truncates),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
