/* Unit tests for utils/ut_hex (hex, byte order) and the byte helpers of
 * utils/ut_pack (integers, CompactSize, the growable buffer). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_hex.h"
#include "utils/ut_pack.h"

static void test_hex_encode_decode(void **state)
{
    const uint8_t bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
    char hex[2 * sizeof(bytes) + 1];
    ut_hex_encode(bytes, sizeof(bytes), hex);
    assert_string_equal(hex, "00017f80abff");

    uint8_t back[6];
    assert_int_equal(ut_hex_decode("00017F80aBfF", back, 6), 0);
    assert_memory_equal(back, bytes, 6);

    ut_hex_encode(bytes, 0, hex);
    assert_string_equal(hex, "");
}

static void test_hex_decode_errors(void **state)
{
    uint8_t out[4];
    assert_int_equal(ut_hex_decode("0011223", out, 4), -1);    /* short */
    assert_int_equal(ut_hex_decode("00112g33", out, 4), -1);   /* bad digit */
    assert_int_equal(ut_hex_decode(" 0112233", out, 4), -1);
    assert_int_equal(ut_hex_decode("", out, 1), -1);

    size_t n = 99;
    assert_int_equal(ut_hex_decode_any("abcdef", 6, out, 4, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(out[0], 0xab);
    assert_int_equal(out[2], 0xef);
    assert_int_equal(ut_hex_decode_any("abcde", 5, out, 4, &n), -1);        /* odd */
    assert_int_equal(ut_hex_decode_any("0011223344", 10, out, 4, &n), -1);  /* too long */
    assert_int_equal(ut_hex_decode_any("0011223344", 8, out, 4, &n), 0);    /* prefix only */
    assert_int_equal(n, 4);
    assert_int_equal(ut_hex_decode_any("", 0, out, 4, &n), 0);
    assert_int_equal(n, 0);
}

static void test_hash_hex_byte_order(void **state)
{
    /* The genesis block hash as nodes show it; internally byte 0 is 0x6f
     * and byte 31 (the most significant) is 0x00. */
    const char *shown = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
    uint8_t hash[32];
    assert_int_equal(ut_hash_from_hex(shown, hash), 0);
    assert_int_equal(hash[0], 0x6f);
    assert_int_equal(hash[1], 0xe2);
    assert_int_equal(hash[31], 0x00);
    assert_int_equal(hash[28], 0x00);
    assert_int_equal(hash[27], 0x00);
    assert_int_equal(hash[26], 0x19);

    char back[65];
    ut_hash_to_hex(hash, back);
    assert_string_equal(back, shown);
    assert_int_equal(ut_hash_from_hex("00", hash), -1);

    uint8_t r[5] = { 1, 2, 3, 4, 5 };
    ut_bytes_reverse(r, 5);
    const uint8_t want[5] = { 5, 4, 3, 2, 1 };
    assert_memory_equal(r, want, 5);
    ut_bytes_reverse(r, 4);
    const uint8_t want2[5] = { 2, 3, 4, 5, 1 };
    assert_memory_equal(r, want2, 5);
}

static void test_int_helpers(void **state)
{
    uint8_t p[8];
    ut_le32_put(p, 0x12345678);
    const uint8_t le32[4] = { 0x78, 0x56, 0x34, 0x12 };
    assert_memory_equal(p, le32, 4);
    assert_int_equal(ut_le32_get(p), 0x12345678);
    assert_int_equal(ut_be32_get(p), 0x78563412);

    ut_be32_put(p, 0x1d00ffff);
    const uint8_t be32[4] = { 0x1d, 0x00, 0xff, 0xff };
    assert_memory_equal(p, be32, 4);
    assert_int_equal(ut_be32_get(p), 0x1d00ffff);

    ut_le64_put(p, 0x0102030405060708ULL);
    assert_int_equal(p[0], 0x08);
    assert_int_equal(p[7], 0x01);
    assert_true(ut_le64_get(p) == 0x0102030405060708ULL);
    ut_be64_put(p, 0x0102030405060708ULL);
    assert_int_equal(p[0], 0x01);
    assert_int_equal(p[7], 0x08);
    assert_true(ut_be64_get(p) == 0x0102030405060708ULL);
    ut_be16_put(p, 0xbeef);
    assert_int_equal(p[0], 0xbe);
    assert_int_equal(ut_be16_get(p), 0xbeef);
}

/* Serializes v with ut_bytes_compact and compares with the hex. */
static void check_compact(uint64_t v, const char *hex)
{
    ut_bytes b;
    ut_bytes_init(&b);
    ut_bytes_compact(&b, v);
    assert_false(b.oom);
    char got[32];
    ut_hex_encode(b.data, b.len, got);
    assert_string_equal(got, hex);
    assert_int_equal(ut_compact_size(v), b.len);

    uint64_t back = 0;
    assert_int_equal(ut_compact_get(b.data, b.len, &back), b.len);
    assert_true(back == v);
    /* One byte short is short input. */
    assert_int_equal(ut_compact_get(b.data, b.len - 1, &back), 0);
    ut_bytes_free(&b);
}

static void test_compact_size(void **state)
{
    check_compact(0, "00");
    check_compact(0xfc, "fc");
    check_compact(0xfd, "fdfd00");
    check_compact(0xffff, "fdffff");
    check_compact(0x10000, "fe00000100");
    check_compact(0xffffffff, "feffffffff");
    check_compact(0x100000000ULL, "ff0000000001000000");
    check_compact(UINT64_MAX, "ffffffffffffffffff");

    /* Non-canonical forms are rejected as Bitcoin Core does. */
    uint64_t v;
    const uint8_t nc1[] = { 0xfd, 0xfc, 0x00 };
    const uint8_t nc2[] = { 0xfe, 0xff, 0xff, 0x00, 0x00 };
    const uint8_t nc3[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
    assert_int_equal(ut_compact_get(nc1, sizeof(nc1), &v), 0);
    assert_int_equal(ut_compact_get(nc2, sizeof(nc2), &v), 0);
    assert_int_equal(ut_compact_get(nc3, sizeof(nc3), &v), 0);
    assert_int_equal(ut_compact_get(nc1, 0, &v), 0);
}

static void test_bytes_buffer(void **state)
{
    ut_bytes b;
    ut_bytes_init(&b);
    for (int i = 0; i < 1000; i++)
        ut_bytes_u8(&b, (uint8_t)i);
    ut_bytes_le16(&b, 0x0102);
    ut_bytes_le32(&b, 0x03040506);
    ut_bytes_le64(&b, 0x0708090a0b0c0d0eULL);
    ut_bytes_put(&b, "xyz", 3);
    ut_bytes_put(&b, NULL, 0);
    assert_false(b.oom);
    assert_int_equal(b.len, 1000 + 2 + 4 + 8 + 3);
    assert_true(b.buf.cap >= b.len);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(b.data[i], (uint8_t)i);
    const uint8_t tail[] = { 0x02, 0x01, 0x06, 0x05, 0x04, 0x03, 0x0e, 0x0d, 0x0c, 0x0b,
                             0x0a, 0x09, 0x08, 0x07, 'x', 'y', 'z' };
    assert_memory_equal(b.data + 1000, tail, sizeof(tail));
    ut_bytes_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_encode_decode),
        cmocka_unit_test(test_hex_decode_errors),
        cmocka_unit_test(test_hash_hex_byte_order),
        cmocka_unit_test(test_int_helpers),
        cmocka_unit_test(test_compact_size),
        cmocka_unit_test(test_bytes_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
