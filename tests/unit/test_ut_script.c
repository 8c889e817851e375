/* Unit tests for utils/ut_script (BIP34 height) and the script pushes of
 * utils/ut_pack (CScript << vector, CScript << int64 as in Bitcoin Core). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_hex.h"
#include "utils/ut_pack.h"
#include "utils/ut_script.h"

typedef struct height_case {
    uint32_t height;
    const char *hex;
} height_case;

static const height_case heights[] = {
    { 0, "00" },            /* OP_0 */
    { 1, "51" },            /* OP_1 */
    { 2, "52" },
    { 16, "60" },           /* OP_16 */
    { 17, "0111" },
    { 127, "017f" },
    { 128, "028000" },
    { 255, "02ff00" },
    { 256, "020001" },
    { 32767, "02ff7f" },
    { 32768, "03008000" },
    { 65535, "03ffff00" },
    { 65536, "03000001" },
    { 227931, "035b7a03" },    /* first BIP34 block on mainnet */
    { 500000, "0320a107" },
    { 8388607, "03ffff7f" },
    { 8388608, "0400008000" },
    { 2147483647, "04ffffff7f" },
    { 2147483648u, "050000008000" },
    { 4294967295u, "05ffffffff00" },
};

static void test_bip34_encode(void **state)
{
    for (size_t i = 0; i < sizeof(heights) / sizeof(heights[0]); i++) {
        uint8_t out[9];
        char hex[19];
        size_t n = ut_bip34_height(heights[i].height, out);
        ut_hex_encode(out, n, hex);
        assert_string_equal(hex, heights[i].hex);
    }
}

static void test_bip34_parse(void **state)
{
    for (size_t i = 0; i < sizeof(heights) / sizeof(heights[0]); i++) {
        uint8_t script[16];
        size_t n = strlen(heights[i].hex) / 2;
        assert_int_equal(ut_hex_decode(heights[i].hex, script, n), 0);
        /* Followed by the rest of a scriptSig (extranonce etc). */
        memcpy(script + n, "\x08\x01\x02\x03\x04", 5);
        uint32_t h = 1234;
        assert_int_equal(ut_bip34_parse(script, n + 5, &h), 0);
        assert_int_equal(h, heights[i].height);
        assert_int_equal(ut_bip34_parse(script, n, &h), 0);
        assert_int_equal(h, heights[i].height);
    }
}

static void test_bip34_parse_other_forms(void **state)
{
    uint32_t h = 0;
    /* Non-minimal pushes some pools use are still read. */
    const uint8_t nonmin17[] = { 0x02, 0x11, 0x00 };
    assert_int_equal(ut_bip34_parse(nonmin17, sizeof(nonmin17), &h), 0);
    assert_int_equal(h, 17);
    const uint8_t push1[] = { 0x01, 0x01 };
    assert_int_equal(ut_bip34_parse(push1, sizeof(push1), &h), 0);
    assert_int_equal(h, 1);

    const uint8_t empty[1] = { 0 };
    assert_int_equal(ut_bip34_parse(empty, 0, &h), -1);
    const uint8_t negative[] = { 0x01, 0x81 };
    assert_int_equal(ut_bip34_parse(negative, sizeof(negative), &h), -1);
    const uint8_t neg_one[] = { 0x4f };
    assert_int_equal(ut_bip34_parse(neg_one, sizeof(neg_one), &h), -1);
    const uint8_t truncated[] = { 0x03, 0x20, 0xa1 };
    assert_int_equal(ut_bip34_parse(truncated, sizeof(truncated), &h), -1);
    const uint8_t too_big[] = { 0x05, 0x00, 0x00, 0x00, 0x00, 0x01 };
    assert_int_equal(ut_bip34_parse(too_big, sizeof(too_big), &h), -1);
    const uint8_t pushdata1[] = { 0x4c, 0x01, 0x11 };
    assert_int_equal(ut_bip34_parse(pushdata1, sizeof(pushdata1), &h), -1);
}

static void check_push_int(int64_t v, const char *hex)
{
    ut_bytes b;
    char got[64];
    ut_bytes_init(&b);
    ut_bytes_push_int(&b, v);
    assert_false(b.oom);
    ut_hex_encode(b.data, b.len, got);
    assert_string_equal(got, hex);
    ut_bytes_free(&b);
}

static void test_push_int(void **state)
{
    check_push_int(0, "00");
    check_push_int(-1, "4f");
    check_push_int(1, "51");
    check_push_int(16, "60");
    check_push_int(17, "0111");
    check_push_int(-2, "0182");
    check_push_int(127, "017f");
    check_push_int(-127, "01ff");
    check_push_int(128, "028000");
    check_push_int(-128, "028080");
    check_push_int(255, "02ff00");
    check_push_int(-255, "02ff80");
    check_push_int(256, "020001");
    check_push_int(500000, "0320a107");
    check_push_int(INT64_MAX, "08ffffffffffffff7f");
    check_push_int(INT64_MIN, "09000000000000008080");
}

/* Pushes n bytes of 0xab and checks the opcode prefix and total length. */
static void check_push(size_t n, const char *prefix)
{
    static uint8_t data[70000];
    memset(data, 0xab, sizeof(data));
    ut_bytes b;
    ut_bytes_init(&b);
    ut_bytes_push(&b, data, n);
    assert_false(b.oom);
    size_t plen = strlen(prefix) / 2;
    char got[16];
    ut_hex_encode(b.data, plen, got);
    assert_string_equal(got, prefix);
    assert_int_equal(b.len, plen + n);
    if (n)
        assert_memory_equal(b.data + plen, data, n);
    ut_bytes_free(&b);
}

static void test_push_data(void **state)
{
    check_push(0, "00");
    check_push(1, "01");
    check_push(20, "14");
    check_push(75, "4b");
    check_push(76, "4c4c");
    check_push(255, "4cff");
    check_push(256, "4d0001");
    check_push(65535, "4dffff");
    check_push(65536, "4e00000100");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bip34_encode),
        cmocka_unit_test(test_bip34_parse),
        cmocka_unit_test(test_bip34_parse_other_forms),
        cmocka_unit_test(test_push_int),
        cmocka_unit_test(test_push_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
