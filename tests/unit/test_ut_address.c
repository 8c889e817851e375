/* Unit tests for utils/ut_address: every address type on every network
 * (main, testnet, signet, Bitcoin Core regtest, bcoin regtest) decoded to
 * its scriptPubKey, and the errors for another network's address, a bad
 * checksum and a bad length.
 *
 * Vectors: BIP350's; bcoin 1.0.2 (depends/) for P2PKH/P2SH/P2WPKH/P2WSH
 * on main, testnet and bcoin regtest (KeyRing.fromPublic of the pubkey
 * 03b9f1ce...f6f3, Address.fromScripthash/fromWitnessScripthash) and its
 * bech32 encoder for "bcrt"; bcoin 1.0.2 has no bech32m, so the P2TR
 * strings for tb/bcrt/rb come from a Python bech32m encoder checked against
 * BIP350's bc1p0xlx... vector. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_address.h"
#include "utils/ut_hex.h"

#define PKH  "fd1e6f97058d8ca43b0f294a33b1f72a63d917ac"
#define SH   "89abcdefabbaabbaabbaabbaabbaabbaabbaabba"
#define WSH  "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"
#define TR   "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"

typedef struct addr_case {
    const char *net;
    const char *addr;
    const char *script;
    ut_addr_type type;
} addr_case;

static const addr_case valid[] = {
    { "main", "1Q5NRFsSbuJPHij5zsqpC2Q77Xj6Zoo8Ef", "76a914" PKH "88ac", UT_ADDR_P2PKH },
    { "main", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
      "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", UT_ADDR_P2PKH },
    { "main", "3EExK1K1TF3v7zsFtQHt14XqexCwgmXM1y", "a914" SH "87", UT_ADDR_P2SH },
    { "main", "bc1ql50xl9c93kx2gwc0999r8v0h9f3aj9avwaataw", "0014" PKH, UT_ADDR_P2WPKH },
    { "main", "BC1QL50XL9C93KX2GWC0999R8V0H9F3AJ9AVWAATAW", "0014" PKH, UT_ADDR_P2WPKH },
    { "main", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", "0020" WSH,
      UT_ADDR_P2WSH },
    { "main", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "5120" TR,
      UT_ADDR_P2TR },
    { "main", "BC1SW50QGDZ25J", "6002751e", UT_ADDR_WITNESS_OTHER },
    { "main", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323",
      UT_ADDR_WITNESS_OTHER },

    { "testnet", "n4bKiJxRQvje4qChiSpC1wcRyXKoUvZU65", "76a914" PKH "88ac", UT_ADDR_P2PKH },
    { "testnet", "2N5oANkF34hZGKnVoZXukd1X6sJR7ayZPad", "a914" SH "87", UT_ADDR_P2SH },
    { "testnet", "tb1ql50xl9c93kx2gwc0999r8v0h9f3aj9avymxcxa", "0014" PKH, UT_ADDR_P2WPKH },
    { "testnet", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "0020" WSH,
      UT_ADDR_P2WSH },
    { "testnet", "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47zagq", "5120" TR,
      UT_ADDR_P2TR },

    { "signet", "n4bKiJxRQvje4qChiSpC1wcRyXKoUvZU65", "76a914" PKH "88ac", UT_ADDR_P2PKH },
    { "signet", "2N5oANkF34hZGKnVoZXukd1X6sJR7ayZPad", "a914" SH "87", UT_ADDR_P2SH },
    { "signet", "tb1ql50xl9c93kx2gwc0999r8v0h9f3aj9avymxcxa", "0014" PKH, UT_ADDR_P2WPKH },
    { "signet", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", "0020" WSH,
      UT_ADDR_P2WSH },
    { "signet", "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47zagq", "5120" TR,
      UT_ADDR_P2TR },

    { "regtest", "n4bKiJxRQvje4qChiSpC1wcRyXKoUvZU65", "76a914" PKH "88ac", UT_ADDR_P2PKH },
    { "regtest", "2N5oANkF34hZGKnVoZXukd1X6sJR7ayZPad", "a914" SH "87", UT_ADDR_P2SH },
    { "regtest", "bcrt1ql50xl9c93kx2gwc0999r8v0h9f3aj9avxjl435", "0014" PKH, UT_ADDR_P2WPKH },
    { "regtest", "bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry", "0020" WSH,
      UT_ADDR_P2WSH },
    { "regtest", "bcrt1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqc8gma6", "5120" TR,
      UT_ADDR_P2TR },

    { "bcoin-regtest", "RYMZVmkjCj6xMj6HU3pwHYjJsoBhJ9FiVT", "76a914" PKH "88ac",
      UT_ADDR_P2PKH },
    { "bcoin-regtest", "GWProb9WtCLq7JU7hFHQ1CWoRbi5EifCm3", "a914" SH "87", UT_ADDR_P2SH },
    { "bcoin-regtest", "rb1ql50xl9c93kx2gwc0999r8v0h9f3aj9avnaa0xg", "0014" PKH,
      UT_ADDR_P2WPKH },
    { "bcoin-regtest", "rb1q7leguksjh00lyklmgqyn5nnfzv2c7jttq6txks",
      "0014f7f28e5a12bbdff25bfb40093a4e6913158f496b", UT_ADDR_P2WPKH },
    { "bcoin-regtest", "rb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qffcjef",
      "0020" WSH, UT_ADDR_P2WSH },
    { "bcoin-regtest", "rb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqn89m8h",
      "5120" TR, UT_ADDR_P2TR },
    /* A base58 address whose first letters look like the hrp "rb1". */
    { "bcoin-regtest", "RB1EJwoAdnJQg4t9CfqHQnSmRDrDvRVQ2u",
      "76a91412eb757f8c4e1d82b2678065a4a54e8442bc240a88ac", UT_ADDR_P2PKH },
};

static void test_valid_addresses(void **state)
{
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        const addr_case *c = &valid[i];
        const ut_network *net = ut_network_find(c->net);
        assert_non_null(net);
        uint8_t script[42];
        char hex[2 * 42 + 1], err[128] = "x";
        ut_addr_type type = 0;
        int n = ut_address_to_script(net, c->addr, script, &type, err, sizeof(err));
        if (n < 0)
            fail_msg("%s on %s: %s", c->addr, c->net, err);
        ut_hex_encode(script, (size_t)n, hex);
        assert_string_equal(hex, c->script);
        assert_int_equal(type, c->type);
        assert_string_equal(err, "");
    }
}

static void test_networks(void **state)
{
    const ut_network *n = ut_network_find("main");
    assert_non_null(n);
    assert_int_equal(n->p2pkh_prefix, 0x00);
    assert_int_equal(n->p2sh_prefix, 0x05);
    assert_string_equal(n->hrp, "bc");
    n = ut_network_find("regtest");
    assert_non_null(n);
    assert_int_equal(n->p2pkh_prefix, 0x6f);
    assert_int_equal(n->p2sh_prefix, 0xc4);
    assert_string_equal(n->hrp, "bcrt");
    /* bcoin's lib/protocol/networks.js: regtest addressPrefix. */
    n = ut_network_find("bcoin-regtest");
    assert_non_null(n);
    assert_int_equal(n->p2pkh_prefix, 0x3c);
    assert_int_equal(n->p2sh_prefix, 0x26);
    assert_string_equal(n->hrp, "rb");
    assert_string_equal(ut_network_find("signet")->hrp, "tb");
    assert_string_equal(ut_network_find("testnet")->name, "testnet");
    assert_null(ut_network_find("mainnet"));
    assert_null(ut_network_find(""));
    assert_null(ut_network_find(NULL));
}

typedef struct bad_case {
    const char *net;
    const char *addr;
    const char *err;      /* substring expected in the message */
} bad_case;

static const bad_case invalid[] = {
    /* Another network's address. */
    { "regtest", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "wrong network prefix 0x00 for regtest" },
    { "main", "n4bKiJxRQvje4qChiSpC1wcRyXKoUvZU65", "wrong network prefix 0x6f for main" },
    { "main", "2N5oANkF34hZGKnVoZXukd1X6sJR7ayZPad", "wrong network prefix 0xc4 for main" },
    { "regtest", "RYMZVmkjCj6xMj6HU3pwHYjJsoBhJ9FiVT", "wrong network prefix 0x3c for regtest" },
    { "bcoin-regtest", "n4bKiJxRQvje4qChiSpC1wcRyXKoUvZU65",
      "wrong network prefix 0x6f for bcoin-regtest" },
    { "bcoin-regtest", "3EExK1K1TF3v7zsFtQHt14XqexCwgmXM1y",
      "wrong network prefix 0x05 for bcoin-regtest" },
    { "main", "rb1ql50xl9c93kx2gwc0999r8v0h9f3aj9avnaa0xg", "wrong network hrp 'rb' for main" },
    { "bcoin-regtest", "bcrt1ql50xl9c93kx2gwc0999r8v0h9f3aj9avxjl435",
      "wrong network hrp 'bcrt' for bcoin-regtest" },
    { "regtest", "bc1ql50xl9c93kx2gwc0999r8v0h9f3aj9avwaataw", "wrong network hrp 'bc'" },
    { "testnet", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
      "wrong network hrp 'bc'" },
    { "main", "tb1ql50xl9c93kx2gwc0999r8v0h9f3aj9avymxcxa", "wrong network hrp 'tb'" },
    /* Bad checksums. */
    { "main", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", "bad base58 checksum" },
    { "bcoin-regtest", "RYMZVmkjCj6xMj6HU3pwHYjJsoBhJ9FiVU", "bad base58 checksum" },
    { "main", "bc1ql50xl9c93kx2gwc0999r8v0h9f3aj9avwaataq", "not bech32/bech32m" },
    { "bcoin-regtest", "rb1q7leguksjh00lyklmgqyn5nnfzv2c7jttq6txkq", "not bech32/bech32m" },
    /* Wrong encoding for the witness version (BIP350). */
    { "main", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
      "needs bech32m" },
    /* Bad lengths: 20- and 22-byte base58 payloads (version + 19/21 bytes),
     * a 16-byte v0 program, a 41-byte v1 program. */
    { "main", "133VQZmihsauVFjR6XTtJkHs9ZP6Nwkii", "bad base58 address length (20 bytes" },
    { "main", "1goNG9qzSRi5Fr4MWz8gjDCarHFQ5Jbriy9", "bad base58 address length (22 bytes" },
    { "main", "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
      "invalid program length for witness version 0" },
    { "main", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
      "invalid witness program" },
    /* Not an address at all. */
    { "main", "", "not a valid address" },
    { "main", "hello world", "not a valid address" },
    { "main", "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a", "not a valid address" },
};

static void test_invalid_addresses(void **state)
{
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        const bad_case *c = &invalid[i];
        const ut_network *net = ut_network_find(c->net);
        assert_non_null(net);
        uint8_t script[42];
        char err[160] = "";
        ut_addr_type type = 0;
        int n = ut_address_to_script(net, c->addr, script, &type, err, sizeof(err));
        if (n != -1)
            fail_msg("%s accepted on %s", c->addr, c->net);
        if (strstr(err, c->err) == NULL)
            fail_msg("%s on %s: got \"%s\", want \"%s\"", c->addr, c->net, err, c->err);
    }
}

static void test_null_args(void **state)
{
    uint8_t script[42];
    char err[64];
    assert_int_equal(ut_address_to_script(NULL, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", script,
                                          NULL, err, sizeof(err)), -1);
    assert_int_equal(ut_address_to_script(ut_network_find("main"), NULL, script, NULL, err,
                                          sizeof(err)), -1);
    /* type and err are optional. */
    assert_int_equal(ut_address_to_script(ut_network_find("main"),
                                          "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", script, NULL,
                                          NULL, 0), 25);
    assert_int_equal(ut_address_to_script(ut_network_find("main"), "xyz", script, NULL,
                                          NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_addresses),
        cmocka_unit_test(test_networks),
        cmocka_unit_test(test_invalid_addresses),
        cmocka_unit_test(test_null_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
