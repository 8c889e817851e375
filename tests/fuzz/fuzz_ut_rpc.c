/* fuzz_ut_rpc: the internal RPC framing (utils/ut_rpc.h) over a byte
 * stream as a peer sends it. Input: byte 0 seeds the split points, byte 1
 * picks the receiver's body limit (0..255 << 4 bytes, or the default
 * 16 MiB when 255), the rest is the stream. The stream is delivered into a
 * receive buffer in chunks cut at pseudo-random points (1..64 bytes, from
 * byte 0); after each chunk, whole frames are taken off with ut_rpc_decode
 * and ut_rpc_parse, as ut_rpc_link does; the first error ends the stream.
 * Checks: no crash, no UB; ut_rpc_decode never reports a frame larger than
 * what is buffered nor a body beyond the limit; every frame it accepts
 * parses, with body_len = size - 32 and the body inside the buffer; packing
 * the parsed message again gives back the same bytes; and the sequence of
 * frame sizes and the final error are the same as when the whole stream is
 * decoded in one buffer (splitting never changes the outcome). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_rpc.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAXF 4096

typedef struct run {
    int sizes[MAXF];
    size_t n;
    int err;      /* 0 or the error that ended it */
} run;

static uint8_t repack[UT_RPC_HEADER_SIZE + 65536];

/* Takes whole frames off buf[*off..len); returns false on an error. */
static int drain(const uint8_t *buf, size_t *off, size_t len, size_t max_body, run *r)
{
    for (;;) {
        size_t avail = len - *off;
        int rc = ut_rpc_decode(buf + *off, avail, max_body);
        if (rc == 0)
            return 0;
        if (rc < 0) {
            CHECK(ut_rpc_strerror(rc) != NULL);
            r->err = rc;
            return -1;
        }
        CHECK((size_t)rc >= UT_RPC_HEADER_SIZE && (size_t)rc <= avail);
        CHECK((size_t)rc - UT_RPC_HEADER_SIZE <= max_body);
        ut_rpc_msg m;
        CHECK(ut_rpc_parse(buf + *off, (size_t)rc, &m) == 0);
        CHECK(m.body_len == (size_t)rc - UT_RPC_HEADER_SIZE);
        CHECK(m.version >= 1 && m.type >= UT_RPC_REQUEST && m.type <= UT_RPC_HEARTBEAT);
        CHECK((const uint8_t *)m.body == buf + *off + UT_RPC_HEADER_SIZE);
        if (m.body_len <= sizeof(repack) - UT_RPC_HEADER_SIZE) {
            CHECK(ut_rpc_pack(&m, repack) == (size_t)rc);
            CHECK(memcmp(repack, buf + *off, (size_t)rc) == 0);
        }
        if (r->n < MAXF)
            r->sizes[r->n++] = rc;
        *off += (size_t)rc;
    }
}

static run whole, split;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t seed = data[0] * 2654435761u + 1;
    size_t max_body = data[1] == 255 ? UT_RPC_DEFAULT_MAX_BODY : (size_t)data[1] << 4;
    const uint8_t *s = data + 2;
    size_t n = size - 2;

    memset(&whole, 0, sizeof(whole));
    memset(&split, 0, sizeof(split));
    size_t off = 0;
    drain(s, &off, n, max_body, &whole);

    /* A receive buffer of exactly what arrived so far (ASan sees any
     * read past it). */
    uint8_t *buf = malloc(n ? n : 1);
    CHECK(buf != NULL);
    size_t len = 0;
    off = 0;
    while (len < n) {
        seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
        size_t chunk = 1 + seed % 64;
        if (chunk > n - len)
            chunk = n - len;
        memcpy(buf + len, s + len, chunk);
        len += chunk;
        /* the decoder sees a buffer of exactly len - off bytes */
        uint8_t *view = malloc(len - off ? len - off : 1);
        CHECK(view != NULL);
        memcpy(view, buf + off, len - off);
        size_t voff = 0;
        int rc = drain(view, &voff, len - off, max_body, &split);
        free(view);
        off += voff;
        if (rc < 0)
            break;
    }
    free(buf);
    CHECK(whole.err == split.err);
    CHECK(whole.n == split.n);
    CHECK(memcmp(whole.sizes, split.sizes, whole.n * sizeof(int)) == 0);
    return 0;
}
