/* Unit tests for utils/ut_bech32: the BIP173 and BIP350 test vectors
 * (valid and invalid strings, valid and invalid segwit addresses), plus
 * the BIP173-era v1+ addresses that BIP350 made invalid. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_bech32.h"
#include "utils/ut_hex.h"

/* BIP173: valid Bech32. */
static const char *valid_bech32[] = {
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
};

/* BIP350: valid Bech32m (and so invalid Bech32). */
static const char *valid_bech32m[] = {
    "A1LQFN3A",
    "a1lqfn3a",
    "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
    "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
    "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
    "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
    "?1v759aa",
};

/* BIP173 and BIP350: invalid strings (neither encoding). */
static const char *invalid_strings[] = {
    "\x20" "1nwldj5",       /* HRP character out of range */
    "\x7f" "1axkwrx",
    "\x80" "1eym55h",
    "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
    "pzry9x0s0muk",         /* no separator */
    "1pzry9x0s0muk",        /* empty HRP */
    "x1b4n0q5v",            /* invalid data character */
    "li1dgmt3",             /* too short checksum */
    "de1lg7wt" "\xff",      /* invalid character in checksum */
    "A1G7SGD8",             /* checksum with uppercase HRP */
    "10a06t8",              /* empty HRP */
    "1qzzfhee",
    "\x20" "1xj0phk",
    "\x7f" "1g6xzxy",
    "\x80" "1vctc34",
    "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
    "qyrz8wqd2c9m",
    "1qyrz8wqd2c9m",
    "y1b0jsk6g",
    "lt1igcx5c0",
    "in1muywd",
    "mm1crxm3i",
    "au1s5cgom",
    "M1VUXWEZ",
    "16plkw9",
    "1p2gdwpf",
};

static void lower(const char *in, char *out)
{
    while (*in)
        *out++ = (char)tolower((unsigned char)*in++);
    *out = '\0';
}

/* Decodes, checks the encoding, re-encodes and compares (lowercase). */
static void check_valid(const char *s, ut_bech32_enc want)
{
    char hrp[84], again[100], low[100];
    uint8_t data[90];
    size_t n = 0;
    assert_int_equal(ut_bech32_decode(s, hrp, data, &n), want);
    assert_int_equal(n, strlen(s) - strlen(hrp) - 7);
    assert_int_equal(ut_bech32_encode(again, hrp, data, n, want), 0);
    lower(s, low);
    assert_string_equal(again, low);

    /* Flipping one data character breaks the checksum. */
    char bad[100];
    strcpy(bad, low);
    size_t pos = strlen(bad) - 1;
    bad[pos] = bad[pos] == 'q' ? 'p' : 'q';
    assert_int_equal(ut_bech32_decode(bad, hrp, data, &n), UT_BECH32_NONE);
}

static void test_valid_strings(void **state)
{
    for (size_t i = 0; i < sizeof(valid_bech32) / sizeof(valid_bech32[0]); i++)
        check_valid(valid_bech32[i], UT_BECH32);
    for (size_t i = 0; i < sizeof(valid_bech32m) / sizeof(valid_bech32m[0]); i++)
        check_valid(valid_bech32m[i], UT_BECH32M);
}

static void test_invalid_strings(void **state)
{
    for (size_t i = 0; i < sizeof(invalid_strings) / sizeof(invalid_strings[0]); i++) {
        char hrp[84];
        uint8_t data[90];
        size_t n = 0;
        if (ut_bech32_decode(invalid_strings[i], hrp, data, &n) != UT_BECH32_NONE)
            fail_msg("accepted invalid string #%zu %s", i, invalid_strings[i]);
    }
}

static void test_encode_limits(void **state)
{
    char out[128];
    uint8_t data[90] = { 0 };
    /* 90 characters is the limit: hrp "a" + '1' + 82 data + 6 checksum. */
    assert_int_equal(ut_bech32_encode(out, "a", data, 82, UT_BECH32), 0);
    assert_int_equal(strlen(out), 90);
    assert_int_equal(ut_bech32_encode(out, "a", data, 83, UT_BECH32), -1);
    assert_int_equal(ut_bech32_encode(out, "", data, 1, UT_BECH32), -1);
    assert_int_equal(ut_bech32_encode(out, "A", data, 1, UT_BECH32), -1);
    assert_int_equal(ut_bech32_encode(out, "a", data, 1, UT_BECH32_NONE), -1);
    data[0] = 32;
    assert_int_equal(ut_bech32_encode(out, "a", data, 1, UT_BECH32), -1);
}

typedef struct segwit_case {
    const char *addr;
    const char *script;
} segwit_case;

/* BIP350: valid segwit addresses and their scriptPubKeys. */
static const segwit_case valid_segwit[] = {
    { "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
      "0014751e76e8199196d454941c45d1b3a323f1433bd6" },
    { "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
      "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262" },
    { "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
      "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6" },
    { "BC1SW50QGDZ25J", "6002751e" },
    { "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323" },
    { "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
      "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433" },
    { "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
      "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433" },
    { "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
      "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" },
};

/* BIP350 and BIP173 invalid segwit addresses, and BIP173's v1+ examples
 * (bech32, so invalid since BIP350). */
static const char *invalid_segwit[] = {
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    "bc1pw5dgrnzv",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    "bc1gmk9yu",
    "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
    "BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
    "bc1rw5uspcuh",
    "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
    "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
    "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
    "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
    "BC1SW50QA3JX3S",
    "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj",
};

/* The hrp an address is meant for: "bc" or "tb" by its first letters. */
static const char *hrp_of(const char *addr)
{
    return tolower((unsigned char)addr[0]) == 't' ? "tb" : "bc";
}

static void test_valid_segwit(void **state)
{
    for (size_t i = 0; i < sizeof(valid_segwit) / sizeof(valid_segwit[0]); i++) {
        const segwit_case *c = &valid_segwit[i];
        int version = -1;
        uint8_t prog[40], script[42];
        size_t plen = 0;
        const char *hrp = hrp_of(c->addr);
        assert_int_equal(ut_segwit_decode(hrp, c->addr, &version, prog, &plen), 0);

        script[0] = version ? (uint8_t)(0x50 + version) : 0;
        script[1] = (uint8_t)plen;
        memcpy(script + 2, prog, plen);
        char hex[2 * 42 + 1];
        ut_hex_encode(script, plen + 2, hex);
        assert_string_equal(hex, c->script);

        char again[100], low[100];
        assert_int_equal(ut_segwit_encode(again, sizeof(again), hrp, version, prog, plen), 0);
        lower(c->addr, low);
        assert_string_equal(again, low);
        /* Too small an output buffer is refused. */
        assert_int_equal(ut_segwit_encode(again, strlen(low), hrp, version, prog, plen), -1);
        /* The other network's hrp is refused. */
        const char *other = strcmp(hrp, "bc") == 0 ? "tb" : "bc";
        assert_int_equal(ut_segwit_decode(other, c->addr, &version, prog, &plen), -1);
    }
}

static void test_invalid_segwit(void **state)
{
    for (size_t i = 0; i < sizeof(invalid_segwit) / sizeof(invalid_segwit[0]); i++) {
        int version;
        uint8_t prog[40];
        size_t plen;
        const char *why = NULL;
        const char *a = invalid_segwit[i];
        if (ut_segwit_decode("bc", a, &version, prog, &plen) == 0 ||
            ut_segwit_decode("tb", a, &version, prog, &plen) == 0)
            fail_msg("accepted invalid segwit address %s", a);
        assert_int_equal(ut_segwit_decode_why(hrp_of(a), a, &version, prog, &plen, &why), -1);
        assert_non_null(why);
    }
}

static void test_segwit_reasons(void **state)
{
    int v;
    uint8_t p[40];
    size_t n;
    const char *why = NULL;
    assert_int_equal(ut_segwit_decode_why("bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
                                          &v, p, &n, &why), -1);
    assert_string_equal(why, "witness v1+ needs bech32m, not bech32");
    assert_int_equal(ut_segwit_decode_why("bc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
                                          &v, p, &n, &why), -1);
    assert_string_equal(why, "witness v0 needs bech32, not bech32m");
    assert_int_equal(ut_segwit_decode_why("bc", "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
                                          &v, p, &n, &why), -1);
    assert_string_equal(why, "invalid program length for witness version 0");
    assert_int_equal(ut_segwit_decode_why("tb", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
                                          &v, p, &n, &why), -1);
    assert_string_equal(why, "wrong human-readable part");

    /* A whole 5-bit group of zero padding (20 bytes = 160 bits = 32 groups,
     * plus one extra zero group) is more than 4 bits: refused. */
    uint8_t data[40] = { 0 };
    char addr[100];
    assert_int_equal(ut_bech32_encode(addr, "bc", data, 1 + 32, UT_BECH32), 0);
    assert_int_equal(ut_segwit_decode("bc", addr, &v, p, &n), 0);
    assert_int_equal(n, 20);
    assert_int_equal(ut_bech32_encode(addr, "bc", data, 1 + 33, UT_BECH32), 0);
    assert_int_equal(ut_segwit_decode_why("bc", addr, &v, p, &n, &why), -1);
    assert_string_equal(why, "invalid witness program (length or padding)");

    /* Encoding refuses what decoding would refuse. */
    char out[100];
    memset(p, 1, sizeof(p));
    assert_int_equal(ut_segwit_encode(out, sizeof(out), "bc", 0, p, 21), -1);
    assert_int_equal(ut_segwit_encode(out, sizeof(out), "bc", 1, p, 1), -1);
    assert_int_equal(ut_segwit_encode(out, sizeof(out), "bc", 1, p, 41), -1);
    assert_int_equal(ut_segwit_encode(out, sizeof(out), "bc", 17, p, 32), -1);
    assert_int_equal(ut_segwit_encode(out, sizeof(out), "bc", 16, p, 40), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_strings),
        cmocka_unit_test(test_invalid_strings),
        cmocka_unit_test(test_encode_limits),
        cmocka_unit_test(test_valid_segwit),
        cmocka_unit_test(test_invalid_segwit),
        cmocka_unit_test(test_segwit_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
