/* Unit tests for utils/ut_p2p: exact bytes against known vectors. The
 * regtest genesis block (header fields, hash, coinbase txid = merkle
 * root), a verack frame on mainnet, a version payload laid out by hand and
 * one written by bcoin 1.0.2, and a three-transaction block (a segwit
 * transaction among them) with its stripped form, txids, wtxids and the
 * cmpctblock bytes bcoin 1.0.2 writes for it (versions 1 and 2, nonce
 * 0x0807060504030201); plus framing, inv, headers and getblocktxn decoding
 * and their refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "utils/ut_hex.h"
#include "utils/ut_p2p.h"

static const char *genesis_hex =
    "0100000000000000000000000000000000000000000000000000000000000000000000"
    "003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5"
    "494dffff7f200200000001010000000100000000000000000000000000000000000000"
    "00000000000000000000000000ffffffff4d04ffff001d0104455468652054696d6573"
    "2030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66"
    "207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01"
    "000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f"
    "61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
    "ac00000000";

/* A block written by bcoin: coinbase, a segwit spend, a legacy spend. */
static const char *blk3_hex =
    "00000020010101010101010101010101010101010101010101010101010101010101010137dcc5b503b53b"
    "ce2034f180cc3f46d40dbfd5ad1dc5b84e93c7ffbefa4b0dfb00f15365ffff7f2005000000030100000001"
    "0000000000000000000000000000000000000000000000000000000000000000ffffffff020151ffffffff"
    "0100f2052a010000000151000000000100000000010107070707070707070707070707070707070707070707"
    "070707070707070707070100000000ffffffff01e803000000000000160014111111111111111111111111"
    "11111111111111110202aabb01cc000000000100000001090909090909090909090909090909090909090909"
    "0909090909090909090909000000000100ffffffff01d007000000000000015200000000";
static const char *blk3_stripped_hex =
    "00000020010101010101010101010101010101010101010101010101010101010101010137dcc5b503b53b"
    "ce2034f180cc3f46d40dbfd5ad1dc5b84e93c7ffbefa4b0dfb00f15365ffff7f2005000000030100000001"
    "0000000000000000000000000000000000000000000000000000000000000000ffffffff020151ffffffff"
    "0100f2052a01000000015100000000010000000107070707070707070707070707070707070707070707070707"
    "070707070707070100000000ffffffff01e803000000000000160014111111111111111111111111111111"
    "11111111110000000001000000010909090909090909090909090909090909090909090909090909090909"
    "090909000000000100ffffffff01d007000000000000015200000000";
/* internal byte order hex, as bcoin 1.0.2 prints hashes */
static const char *blk3_hash = "807fbafbb0a2b0e3b78bb7b301f531ccb5aff16b367a81d23f5da8215df30b43";
static const char *blk3_txid[3] = {
    "3508b553f8b18816612b1118fce2772313b67abd1fe4d717b96c8d38932fdceb",
    "7052cc40a474088ccb7fc3bb591c4d14c84b4d42897894eefad8074325d45eab",
    "658d17dc4366c02015aca1f30fd3ca1c3a475d020353e2df0275b44e7154ce61",
};
static const char *blk3_wtxid1 =
    "3d0602f20951e3e5d31a75e1069af5443e2eab9a188e48f0a7b50be1ce158575";
static const char *cmpct_tail =
    "010001000000010000000000000000000000000000000000000000000000000000000000000000ffffffff"
    "020151ffffffff0100f2052a01000000015100000000";
static const char *cmpct2_ids = "0102030405060708025d7e9a851e79dda3ec4ddc34";
static const char *cmpct1_ids = "01020304050607080211821dcd59a1dda3ec4ddc34";

static uint8_t *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    uint8_t *p = malloc(n);
    assert_non_null(p);
    assert_int_equal(ut_hex_decode(hex, p, n), 0);
    *len = n;
    return p;
}

static void assert_hex(const uint8_t *p, size_t n, const char *want)
{
    char *h = malloc(2 * n + 1);
    ut_hex_encode(p, n, h);
    assert_string_equal(h, want);
    free(h);
}

static void test_genesis(void **state)
{
    size_t len;
    uint8_t *raw = unhex(genesis_hex, &len);
    ut_p2p_block b;
    assert_int_equal(ut_p2p_block_parse(raw, len, &b), 0);
    assert_int_equal(b.header.version, 1);
    assert_int_equal(b.header.time, 1296688602);
    assert_int_equal(b.header.bits, 0x207fffff);
    assert_int_equal(b.header.nonce, 2);
    char hex[65];
    ut_hash_to_hex(b.header.hash, hex);
    assert_string_equal(hex, "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206");
    assert_int_equal(b.tx_count, 1);
    assert_false(b.witness);
    assert_int_equal(b.txs[0].off, 81);
    assert_int_equal(b.txs[0].len, len - 81);
    assert_memory_equal(b.txs[0].txid, b.header.merkle, 32);
    assert_memory_equal(b.txs[0].wtxid, b.header.merkle, 32);
    ut_p2p_block_free(&b);
    /* a byte more or less is refused */
    assert_int_equal(ut_p2p_block_parse(raw, len - 1, &b), -1);
    free(raw);
}

static void test_verack_frame(void **state)
{
    uint32_t magic;
    assert_int_equal(ut_p2p_magic("main", &magic), 0);
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_msg(&out, magic, "verack", NULL, 0);
    assert_hex(out.data, out.len, "f9beb4d976657261636b000000000000000000005df6e0e2");
    ut_p2p_hdr h;
    assert_int_equal(ut_p2p_frame(out.data, out.len, magic, 1000, &h), 24);
    assert_string_equal(h.cmd, "verack");
    assert_int_equal(h.len, 0);
    assert_true(ut_p2p_checksum_ok(&h, out.data + 24));
    assert_int_equal(ut_p2p_frame(out.data, 23, magic, 1000, &h), 0);
    assert_int_equal(ut_p2p_frame(out.data, 3, magic, 1000, &h), 0);
    uint32_t regtest;
    assert_int_equal(ut_p2p_magic("bcoin-regtest", &regtest), 0);
    assert_int_equal(regtest, 0xdab5bffau);
    assert_int_equal(ut_p2p_frame(out.data, out.len, regtest, 1000, &h), -1);
    out.data[12] = 'x';   /* a byte after the command's NUL */
    assert_int_equal(ut_p2p_frame(out.data, out.len, magic, 1000, &h), -1);
    ut_bytes_free(&out);
    assert_int_equal(ut_p2p_magic("nonet", &magic), -1);
}

static void test_frame_limits(void **state)
{
    uint8_t payload[5] = {1, 2, 3, 4, 5};
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_msg(&out, 0xdab5bffau, "ping", payload, 5);
    ut_p2p_hdr h;
    assert_int_equal(ut_p2p_frame(out.data, out.len, 0xdab5bffau, 5, &h), 29);
    assert_int_equal(ut_p2p_frame(out.data, out.len, 0xdab5bffau, 4, &h), -1);
    assert_int_equal(ut_p2p_frame(out.data, 28, 0xdab5bffau, 5, &h), 0);
    out.data[24] ^= 1;
    assert_false(ut_p2p_checksum_ok(&h, out.data + 24));
    ut_bytes_free(&out);
}

static void test_version_layout(void **state)
{
    ut_p2p_version v = {.version = 70016, .services = 0x408, .timestamp = 0x0102030405060708,
                        .recv_services = 1, .recv_port = 18444, .nonce = 0x1122334455667788ull,
                        .start_height = 7, .relay = false};
    const uint8_t ip[4] = {127, 0, 0, 1};
    ut_p2p_ipv4_mapped(ip, v.recv_ip);
    strcpy(v.user_agent, "/hf/");
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_version_put(&out, &v);
    assert_int_equal(out.len, 86 + 4);
    assert_hex(out.data, out.len,
               "80110100" "0804000000000000" "0807060504030201"
               "0100000000000000" "00000000000000000000ffff7f000001" "480c"
               "0000000000000000" "00000000000000000000000000000000" "0000"
               "8877665544332211" "042f68662f" "07000000" "00");
    ut_p2p_version back;
    assert_int_equal(ut_p2p_version_parse(out.data, out.len, &back), 0);
    assert_int_equal(back.version, 70016);
    assert_int_equal(back.services, 0x408);
    assert_int_equal(back.recv_port, 18444);
    assert_string_equal(back.user_agent, "/hf/");
    assert_int_equal(back.start_height, 7);
    assert_int_equal(ut_p2p_version_parse(out.data, 80, &back), -1);
    ut_bytes_free(&out);
}

static void test_version_from_bcoin(void **state)
{
    size_t len;
    uint8_t *p = unhex("7f110100090000000000000000f1536500000000010000000000000000000000000000"
                       "000000ffff7f000001480c000000000000000000000000000000000000ffff000000000000"
                       "11223344556677880f2f686561646672616d653a302e312f0700000000", &len);
    ut_p2p_version v;
    assert_int_equal(ut_p2p_version_parse(p, len, &v), 0);
    assert_int_equal(v.version, 70015);
    assert_int_equal(v.services, 9);
    assert_int_equal(v.timestamp, 1700000000);
    assert_int_equal(v.recv_port, 18444);
    assert_int_equal(v.nonce, 0x8877665544332211ull);
    assert_string_equal(v.user_agent, "/headframe:0.1/");
    assert_int_equal(v.start_height, 7);
    assert_false(v.relay);
    free(p);
}

static void test_block3_txs(void **state)
{
    size_t len, slen;
    uint8_t *raw = unhex(blk3_hex, &len), *stripped = unhex(blk3_stripped_hex, &slen);
    ut_p2p_block b;
    assert_int_equal(ut_p2p_block_parse(raw, len, &b), 0);
    assert_int_equal(b.tx_count, 3);
    assert_true(b.witness);
    assert_hex(b.header.hash, 32, blk3_hash);
    for (int i = 0; i < 3; i++)
        assert_hex(b.txs[i].txid, 32, blk3_txid[i]);
    assert_hex(b.txs[1].wtxid, 32, blk3_wtxid1);
    assert_memory_equal(b.txs[2].wtxid, b.txs[2].txid, 32);
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_block_put_stripped(&out, &b);
    assert_int_equal(out.len, slen);
    assert_memory_equal(out.data, stripped, slen);
    ut_bytes_free(&out);
    ut_p2p_block_free(&b);
    free(raw);
    free(stripped);
}

static void check_cmpct(const ut_p2p_block *b, int version, const char *ids)
{
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_cmpct_put(&out, b, 0x0807060504030201ull, version);
    char want[1024];
    char hdr[161];
    ut_hex_encode(b->raw, 80, hdr);
    snprintf(want, sizeof(want), "%s%s%s", hdr, ids, cmpct_tail);
    assert_hex(out.data, out.len, want);
    ut_p2p_cmpct c;
    assert_int_equal(ut_p2p_cmpct_parse(out.data, out.len, &c), 0);
    assert_int_equal(c.shortids, 2);
    assert_int_equal(c.prefilled, 1);
    assert_int_equal(c.nonce, 0x0807060504030201ull);
    assert_memory_equal(c.header, b->raw, 80);
    assert_int_equal(ut_p2p_cmpct_parse(out.data, out.len - 1, &c), -1);
    ut_bytes_free(&out);
}

static void test_cmpctblock_vs_bcoin(void **state)
{
    size_t len;
    uint8_t *raw = unhex(blk3_hex, &len);
    ut_p2p_block b;
    assert_int_equal(ut_p2p_block_parse(raw, len, &b), 0);
    check_cmpct(&b, 2, cmpct2_ids);
    check_cmpct(&b, 1, cmpct1_ids);
    /* blocktxn of tx 1 in witness form and tx 2 */
    uint32_t idx[2] = {1, 2};
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_blocktxn_put(&out, &b, idx, 2, true);
    assert_int_equal(out.len, 32 + 1 + b.txs[1].len + b.txs[2].len);
    assert_memory_equal(out.data, b.header.hash, 32);
    assert_memory_equal(out.data + 33, raw + b.txs[1].off, b.txs[1].len);
    ut_bytes_free(&out);
    ut_p2p_block_free(&b);
    free(raw);
}

static void test_getblocktxn(void **state)
{
    uint8_t p[32 + 4];
    memset(p, 0xab, 32);
    p[32] = 3;          /* indexes 1, 2, 5 as differences 1, 0, 2 */
    p[33] = 1;
    p[34] = 0;
    p[35] = 2;
    uint8_t hash[32];
    uint32_t idx[4];
    assert_int_equal(ut_p2p_getblocktxn_parse(p, sizeof(p), hash, idx, 4), 3);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 2);
    assert_int_equal(idx[2], 5);
    assert_int_equal(ut_p2p_getblocktxn_parse(p, sizeof(p), hash, idx, 2), -1);
    assert_int_equal(ut_p2p_getblocktxn_parse(p, sizeof(p) - 1, hash, idx, 4), -1);
}

static void test_inv_and_headers(void **state)
{
    ut_p2p_inv items[2] = {{UT_INV_BLOCK, {0}}, {UT_INV_BLOCK | UT_INV_WITNESS_FLAG, {0}}};
    memset(items[0].hash, 0x11, 32);
    memset(items[1].hash, 0x22, 32);
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_inv_put(&out, items, 2);
    assert_int_equal(out.len, 1 + 72);
    assert_hex(out.data, 5, "0202000000");
    ut_p2p_inv back[2];
    assert_int_equal(ut_p2p_inv_parse(out.data, out.len, back, 2), 2);
    assert_int_equal(back[1].type, 0x40000002u);
    assert_memory_equal(back[1].hash, items[1].hash, 32);
    assert_int_equal(ut_p2p_inv_parse(out.data, out.len, back, 1), -1);
    assert_int_equal(ut_p2p_inv_parse(out.data, out.len - 1, back, 2), -1);
    ut_bytes_free(&out);

    size_t len;
    uint8_t *g = unhex(genesis_hex, &len);
    uint8_t hdrs[2][80];
    ut_bytes_init(&out);
    ut_p2p_headers_put(&out, (const uint8_t (*)[80])g, 1);
    assert_int_equal(out.len, 82);
    assert_int_equal(out.data[81], 0);
    assert_int_equal(ut_p2p_headers_parse(out.data, out.len, hdrs, 2), 1);
    assert_memory_equal(hdrs[0], g, 80);
    assert_int_equal(ut_p2p_headers_parse(out.data, out.len + 0 - 1, hdrs, 2), -1);
    ut_bytes_free(&out);

    ut_bytes_init(&out);
    ut_p2p_getheaders_put(&out, 70016, (const uint8_t (*)[32])items[0].hash, 1, NULL);
    assert_int_equal(out.len, 4 + 1 + 32 + 32);
    assert_hex(out.data, 5, "8011010001");
    ut_bytes_free(&out);
    free(g);
}

static void test_sendcmpct(void **state)
{
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_sendcmpct_put(&out, true, 2);
    assert_hex(out.data, out.len, "010200000000000000");
    bool ann;
    uint64_t ver;
    assert_int_equal(ut_p2p_sendcmpct_parse(out.data, out.len, &ann, &ver), 0);
    assert_true(ann);
    assert_int_equal(ver, 2);
    assert_int_equal(ut_p2p_sendcmpct_parse(out.data, 8, &ann, &ver), -1);
    ut_bytes_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_genesis),
        cmocka_unit_test(test_verack_frame),
        cmocka_unit_test(test_frame_limits),
        cmocka_unit_test(test_version_layout),
        cmocka_unit_test(test_version_from_bcoin),
        cmocka_unit_test(test_block3_txs),
        cmocka_unit_test(test_cmpctblock_vs_bcoin),
        cmocka_unit_test(test_getblocktxn),
        cmocka_unit_test(test_inv_and_headers),
        cmocka_unit_test(test_sendcmpct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
