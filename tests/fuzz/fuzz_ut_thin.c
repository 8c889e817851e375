/* fuzz_ut_thin: blockmaster's thin-block decoder and rebuild (utils/ut_thin.h)
 * on bytes as a jobmaster could send them. Input: byte 0 is how many
 * candidate "mempool" transactions follow the payload's length split
 * (bytes 1-2, LE: the payload length); the rest after the payload is cut
 * into transactions with ut_p2p_tx_scan and offered to ut_thin_match, then
 * used to fill what is still missing, then the block is finished. Checks:
 * no crash, no UB; missing never exceeds the slot count; what finish calls
 * OK is a block that parses with count transactions and a matching
 * merkle root. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_p2p.h"
#include "utils/ut_thin.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_HAVE 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t plen = (size_t)data[1] | ((size_t)data[2] << 8);
    const uint8_t *p = data + 3, *rest;
    size_t left = size - 3;
    if (plen > left)
        plen = left;
    rest = p + plen;
    left -= plen;
    ut_thin t;
    int rc = ut_thin_begin(&t, p, plen);
    if (rc != UT_THIN_OK) {
        ut_thin_free(&t);
        return 0;
    }
    ut_thin_have have[MAX_HAVE];
    size_t nh = 0;
    while (nh < MAX_HAVE && nh < data[0] && left) {
        ut_p2p_tx tx;
        size_t used = ut_p2p_tx_scan(rest, left, &tx);
        if (!used)
            break;
        have[nh] = (ut_thin_have){.raw = rest, .len = used};
        memcpy(have[nh].wtxid, tx.wtxid, 32);
        nh++;
        rest += used;
        left -= used;
    }
    ut_thin_match(&t, have, nh);
    CHECK(t.missing <= t.count);
    uint32_t idx[MAX_HAVE];
    size_t nm = ut_thin_missing(&t, idx, MAX_HAVE);
    for (size_t i = 0; i < nm && i < nh; i++)
        ut_thin_fill(&t, idx[i], have[i].raw, have[i].len);
    ut_bytes out;
    ut_bytes_init(&out);
    if (ut_thin_finish(&t, 0, &out) == UT_THIN_OK) {
        ut_p2p_block b;
        CHECK(ut_p2p_block_parse(out.data, out.len, &b) == 0);
        CHECK(b.tx_count == t.count);
        ut_p2p_block_free(&b);
        CHECK(ut_thin_check_block(out.data, out.len) == UT_THIN_OK);
    }
    ut_bytes_free(&out);
    ut_thin_free(&t);
    return 0;
}
