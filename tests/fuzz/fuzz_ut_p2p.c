/* fuzz_ut_p2p: the P2P message parser of bitpeer (utils/ut_p2p.h) on bytes
 * as a peer sends them. Input: byte 0 picks the magic check (regtest), the
 * rest is a stream. Whole messages are taken off with ut_p2p_frame as
 * bp_peer does; each payload is handed to every payload parser (version,
 * headers, inv, cmpctblock, getblocktxn, sendcmpct, block). Checks: no
 * crash, no UB; the frame size is header + length and never beyond the
 * bytes given; a parsed block's transactions tile it exactly, and its
 * stripped form, a cmpctblock built from it (which must parse again with
 * tx_count - 1 short ids) and blocktxn of every index can be written. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_p2p.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAGIC 0xdab5bffau

static uint8_t hdrs[UT_P2P_MAX_HEADERS][80];
static ut_p2p_inv inv[4096];
static uint32_t idx[4096];

static void fuzz_block(const uint8_t *p, size_t n)
{
    ut_p2p_block b;
    if (ut_p2p_block_parse(p, n, &b) != 0)
        return;
    size_t end = b.txs[0].off;
    for (size_t i = 0; i < b.tx_count; i++) {
        CHECK(b.txs[i].off == end);
        end += b.txs[i].len;
    }
    CHECK(end == n);
    ut_bytes out;
    ut_bytes_init(&out);
    ut_p2p_block_put_stripped(&out, &b);
    ut_bytes_free(&out);
    ut_bytes_init(&out);
    ut_p2p_cmpct_put(&out, &b, 42, 2);
    ut_p2p_cmpct c;
    CHECK(ut_p2p_cmpct_parse(out.data, out.len, &c) == 0);
    CHECK(c.shortids == b.tx_count - 1 && c.prefilled == 1);
    ut_bytes_free(&out);
    size_t k = b.tx_count < 4096 ? b.tx_count : 4096;
    for (size_t i = 0; i < k; i++)
        idx[i] = (uint32_t)i;
    ut_bytes_init(&out);
    ut_p2p_blocktxn_put(&out, &b, idx, k, false);
    ut_bytes_free(&out);
    ut_p2p_block_free(&b);
}

static void fuzz_payload(const uint8_t *p, size_t n)
{
    ut_p2p_version v;
    ut_p2p_cmpct c;
    uint8_t hash[32];
    bool ann;
    uint64_t ver;
    if (ut_p2p_version_parse(p, n, &v) == 0)
        CHECK(strlen(v.user_agent) <= 256);
    long h = ut_p2p_headers_parse(p, n, hdrs, UT_P2P_MAX_HEADERS);
    CHECK(h >= -1 && h <= UT_P2P_MAX_HEADERS);
    long i = ut_p2p_inv_parse(p, n, inv, 4096);
    CHECK(i == -1 || (size_t)i * 36 < n + 1);
    if (ut_p2p_cmpct_parse(p, n, &c) == 0)
        CHECK(c.shortids * 6 <= n);
    long g = ut_p2p_getblocktxn_parse(p, n, hash, idx, 4096);
    CHECK(g >= -1 && g <= 4096);
    ut_p2p_sendcmpct_parse(p, n, &ann, &ver);
    fuzz_block(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t left = size - 1;
    if (data[0] & 1) {          /* the raw payload parsers alone */
        fuzz_payload(p, left);
        return 0;
    }
    while (left > 0) {
        ut_p2p_hdr h;
        long n = ut_p2p_frame(p, left, MAGIC, UT_P2P_MAX_PAYLOAD, &h);
        if (n <= 0)
            break;
        CHECK((size_t)n == UT_P2P_HDR_SIZE + h.len && (size_t)n <= left);
        ut_p2p_checksum_ok(&h, p + UT_P2P_HDR_SIZE);
        fuzz_payload(p + UT_P2P_HDR_SIZE, h.len);
        p += n;
        left -= (size_t)n;
    }
    return 0;
}
