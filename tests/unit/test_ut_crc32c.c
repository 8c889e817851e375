/* Unit tests for utils/ut_crc32c: the CRC-32C check value, the RFC 3720
 * (iSCSI) test patterns, incremental use, and the SSE4.2 and table paths
 * agreeing on random data of every alignment and many lengths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_crc32c.h"

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static void check_vectors(crc_fn f)
{
    uint8_t buf[32];
    assert_int_equal(f(0, "123456789", 9), 0xe3069283);
    assert_int_equal(f(0, "", 0), 0);
    memset(buf, 0, 32);
    assert_int_equal(f(0, buf, 32), 0x8a9136aa);
    memset(buf, 0xff, 32);
    assert_int_equal(f(0, buf, 32), 0x62a8ab43);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(f(0, buf, 32), 0x46dd794e);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(f(0, buf, 32), 0x113fdb5c);
}

static void test_vectors(void **state)
{
    check_vectors(ut_crc32c);
    check_vectors(ut_crc32c_sw);
    check_vectors(ut_crc32c_hw);
    printf("sse4.2 path %s\n", ut_crc32c_hw_available() ? "available" : "not available");
}

static void test_incremental(void **state)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = ut_crc32c(0, s, n);
    assert_int_equal(whole, 0x22620404);
    for (size_t cut = 0; cut <= n; cut++) {
        uint32_t c = ut_crc32c(0, s, cut);
        assert_int_equal(ut_crc32c(c, s + cut, n - cut), whole);
        c = ut_crc32c_sw(0, s, cut);
        assert_int_equal(ut_crc32c_sw(c, s + cut, n - cut), whole);
    }
}

static void test_paths_agree(void **state)
{
    static uint8_t data[4096 + 16];
    uint32_t x = 2024;
    for (size_t i = 0; i < sizeof(data); i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len <= 300; len++)
            assert_int_equal(ut_crc32c_hw(0, data + off, len), ut_crc32c_sw(0, data + off, len));
    assert_int_equal(ut_crc32c_hw(0x12345678, data, 4096), ut_crc32c_sw(0x12345678, data, 4096));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
