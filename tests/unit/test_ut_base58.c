/* Unit tests for utils/ut_base58: Bitcoin Core's base58_encode_decode.json
 * vectors both ways, invalid input, buffer limits, and base58check on real
 * addresses (the genesis coinbase's P2PKH address, a P2SH address). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_base58.h"
#include "utils/ut_hex.h"

typedef struct b58_case {
    const char *hex;
    const char *b58;
} b58_case;

/* src/test/data/base58_encode_decode.json (Bitcoin Core). */
static const b58_case core_vectors[] = {
    { "", "" },
    { "61", "2g" },
    { "626262", "a3gV" },
    { "636363", "aPEr" },
    { "73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2" },
    { "00eb15231dfceb60925886b67d065299925915aeb172c06647",
      "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L" },
    { "516b6fcd0f", "ABnLTmg" },
    { "bf4f89001e670274dd", "3SEo3LWLoPntC" },
    { "572e4794", "3EFU7m" },
    { "ecac89cad93923c02321", "EJDM8drfXA6uyA" },
    { "10c8511e", "Rt5zm" },
    { "00000000000000000000", "1111111111" },
    { "00000000000000000000000000000000000000000000000000000000000000000000000000000000",
      "1111111111111111111111111111111111111111" },
    { "00000000000000000000000000000000000000000000000000000000000000000000000000000001",
      "1111111111111111111111111111111111111112" },
    { "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000000000000000000000000000000000000000ec39"
      "d04c37e71e5d591881f6",
      "11111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
      "5TYzLYH1udmLdzCLM" },
    { "000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz" },
    { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
      "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
      "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
      "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
      "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
      "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
      "1cWB5HCBdLjAuqGGReWE3R3CguuwSjw6RHn39s2yuDRTS5NsBgNiFpWgAnEx6VQi8csexkgYw3mdYrMHr8x9i7a"
      "EwP8kZ7vccXWqKDvGv3u1GxFKPuAkn8JCPPGDMf3vMMnbzm6Nh9zh1gcNsMvH3ZNLmP5fSG6DGbbi2tuwMWPthr"
      "4boWwCxf7ewSgNQeacyozhKDDQQ1qL5fQFUW52QKUZDZ5fw3KXNQJMcNTcaB723LchjeKun7MuGW5qyCBZYzA1K"
      "jofN1gYBV3NqyhQJ3Ns746GNuf9N2pQPmHz4xpnSrrfCvy6TVVz5d4PdrjeshsWQwpZsZGzvbdAdN8MKV5QsBDY" },
    { "271F359E", "zzzzy" },
    { "271F359F", "zzzzz" },
    { "271F35A0", "211111" },
    { "271F35A1", "211112" },
};

static void test_core_vectors(void **state)
{
    for (size_t i = 0; i < sizeof(core_vectors) / sizeof(core_vectors[0]); i++) {
        const b58_case *c = &core_vectors[i];
        uint8_t bytes[300], back[300];
        char str[500];
        size_t n = 0;
        assert_int_equal(ut_hex_decode_any(c->hex, strlen(c->hex), bytes, sizeof(bytes), &n), 0);

        size_t len = ut_base58_encode(bytes, n, str, sizeof(str));
        assert_int_equal(len, strlen(c->b58));
        assert_string_equal(str, c->b58);

        assert_int_equal(ut_base58_decode(c->b58, back, sizeof(back)), (int)n);
        assert_memory_equal(back, bytes, n);
    }
}

static void test_invalid_and_limits(void **state)
{
    uint8_t out[64];
    char str[64];
    assert_int_equal(ut_base58_decode("3SEo3LW0oPntC", out, sizeof(out)), -1);  /* '0' */
    assert_int_equal(ut_base58_decode("3SEo3LWOoPntC", out, sizeof(out)), -1);  /* 'O' */
    assert_int_equal(ut_base58_decode("3SEo3LWIoPntC", out, sizeof(out)), -1);  /* 'I' */
    assert_int_equal(ut_base58_decode("3SEo3LWloPntC", out, sizeof(out)), -1);  /* 'l' */
    assert_int_equal(ut_base58_decode(" 3SEo3LWLoPntC", out, sizeof(out)), -1);
    assert_int_equal(ut_base58_decode("3SEo3LWLoPntC\n", out, sizeof(out)), -1);

    /* "3SEo3LWLoPntC" is 9 bytes: 8 do not fit. */
    assert_int_equal(ut_base58_decode("3SEo3LWLoPntC", out, 8), -1);
    assert_int_equal(ut_base58_decode("3SEo3LWLoPntC", out, 9), 9);
    assert_int_equal(ut_base58_decode("1111", out, 3), -1);

    /* Encoding needs room for the string and its NUL. */
    const uint8_t in[] = { 0xbf, 0x4f, 0x89, 0x00, 0x1e, 0x67, 0x02, 0x74, 0xdd };
    assert_int_equal(ut_base58_encode(in, sizeof(in), str, 13), 0);
    assert_int_equal(ut_base58_encode(in, sizeof(in), str, 14), 13);
    assert_string_equal(str, "3SEo3LWLoPntC");
    const uint8_t zeros[3] = { 0, 0, 0 };
    assert_int_equal(ut_base58_encode(zeros, 3, str, 3), 0);
    assert_int_equal(ut_base58_encode(zeros, 3, str, 4), 3);
    assert_string_equal(str, "111");
}

static void test_base58check(void **state)
{
    uint8_t payload[32];
    char hex[65], str[64];

    /* The genesis coinbase's address: version 0x00 + HASH160. */
    int n = ut_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", payload, sizeof(payload));
    assert_int_equal(n, 21);
    ut_hex_encode(payload, 21, hex);
    assert_string_equal(hex, "0062e907b15cbf27d5425399ebf6f0fb50ebb88f18");
    assert_int_equal(ut_base58check_encode(payload, 21, str, sizeof(str)), 34);
    assert_string_equal(str, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");

    /* P2SH (version 0x05), from bcoin's Address.fromScripthash. */
    n = ut_base58check_decode("3EExK1K1TF3v7zsFtQHt14XqexCwgmXM1y", payload, sizeof(payload));
    assert_int_equal(n, 21);
    ut_hex_encode(payload, 21, hex);
    assert_string_equal(hex, "0589abcdefabbaabbaabbaabbaabbaabbaabbaabba");

    /* One character changed: checksum fails. */
    assert_int_equal(ut_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", payload,
                                           sizeof(payload)), -1);
    assert_int_equal(ut_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN", payload,
                                           sizeof(payload)), -1);
    /* Too short to hold a checksum; payload larger than cap. */
    assert_int_equal(ut_base58check_decode("2g", payload, sizeof(payload)), -1);
    assert_int_equal(ut_base58check_decode("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", payload, 20), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_core_vectors),
        cmocka_unit_test(test_invalid_and_limits),
        cmocka_unit_test(test_base58check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
