/* ut_pack: Bitcoin serialization into a growable byte buffer (nw_buf).
 *
 * A ut_bytes owns its data (free with ut_bytes_free). Writers never fail
 * loudly: when an allocation fails the buffer sets oom and drops every
 * later write, so a caller checks oom once after building a message.
 * Script pushes follow Bitcoin Core's CScript operator<<, so scripts built
 * here are byte-identical to the ones Core builds and checks (BIP34). */
#include <string.h>

#include "utils/ut_pack.h"

void ut_bytes_init(ut_bytes *b)
{
    nw_buf_init(&b->buf);
    b->data = NULL;
    b->len = 0;
    b->oom = 0;
}

void ut_bytes_free(ut_bytes *b)
{
    nw_buf_free(&b->buf);
    ut_bytes_init(b);
}

void ut_bytes_put(ut_bytes *b, const void *p, size_t n)
{
    if (n == 0 || b->oom)
        return;
    if (nw_buf_append(&b->buf, p, n) != 0) {
        b->oom = 1;
        return;
    }
    b->data = (uint8_t *)b->buf.data;   /* nothing is consumed: rpos is 0 */
    b->len = nw_buf_len(&b->buf);
}

void ut_bytes_u8(ut_bytes *b, uint8_t v)
{
    ut_bytes_put(b, &v, 1);
}

void ut_bytes_le16(ut_bytes *b, uint16_t v)
{
    uint8_t p[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    ut_bytes_put(b, p, 2);
}

void ut_bytes_le32(ut_bytes *b, uint32_t v)
{
    uint8_t p[4];
    ut_le32_put(p, v);
    ut_bytes_put(b, p, 4);
}

void ut_bytes_le64(ut_bytes *b, uint64_t v)
{
    uint8_t p[8];
    ut_le64_put(p, v);
    ut_bytes_put(b, p, 8);
}

void ut_bytes_compact(ut_bytes *b, uint64_t v)
{
    if (v < 0xfd) {
        ut_bytes_u8(b, (uint8_t)v);
    } else if (v <= 0xffff) {
        ut_bytes_u8(b, 0xfd);
        ut_bytes_le16(b, (uint16_t)v);
    } else if (v <= 0xffffffff) {
        ut_bytes_u8(b, 0xfe);
        ut_bytes_le32(b, (uint32_t)v);
    } else {
        ut_bytes_u8(b, 0xff);
        ut_bytes_le64(b, v);
    }
}

void ut_bytes_push(ut_bytes *b, const void *p, size_t n)
{
    if (n == 0) {
        ut_bytes_u8(b, 0x00);               /* OP_0 */
        return;
    }
    if (n < 0x4c) {
        ut_bytes_u8(b, (uint8_t)n);
    } else if (n <= 0xff) {
        ut_bytes_u8(b, 0x4c);               /* OP_PUSHDATA1 */
        ut_bytes_u8(b, (uint8_t)n);
    } else if (n <= 0xffff) {
        ut_bytes_u8(b, 0x4d);               /* OP_PUSHDATA2 */
        ut_bytes_le16(b, (uint16_t)n);
    } else {
        ut_bytes_u8(b, 0x4e);               /* OP_PUSHDATA4 */
        ut_bytes_le32(b, (uint32_t)n);
    }
    ut_bytes_put(b, p, n);
}

/* CScriptNum serialization: little-endian magnitude, sign in the top bit
 * of the last byte (an extra byte when the magnitude uses that bit).
 * Returns the length (0 for zero, at most 9). */
static size_t scriptnum_encode(int64_t v, uint8_t out[9])
{
    int neg = v < 0;
    uint64_t mag = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t n = 0;
    while (mag) {
        out[n++] = (uint8_t)(mag & 0xff);
        mag >>= 8;
    }
    if (n == 0)
        return 0;
    if (out[n - 1] & 0x80)
        out[n++] = neg ? 0x80 : 0x00;
    else if (neg)
        out[n - 1] |= 0x80;
    return n;
}

void ut_bytes_push_int(ut_bytes *b, int64_t v)
{
    if (v == 0) {
        ut_bytes_u8(b, 0x00);               /* OP_0 */
    } else if (v == -1) {
        ut_bytes_u8(b, 0x4f);               /* OP_1NEGATE */
    } else if (v >= 1 && v <= 16) {
        ut_bytes_u8(b, (uint8_t)(0x50 + v)); /* OP_1..OP_16 */
    } else {
        uint8_t num[9];
        size_t n = scriptnum_encode(v, num);
        ut_bytes_push(b, num, n);
    }
}

void ut_le32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

uint32_t ut_le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void ut_le64_put(uint8_t *p, uint64_t v)
{
    ut_le32_put(p, (uint32_t)v);
    ut_le32_put(p + 4, (uint32_t)(v >> 32));
}

uint64_t ut_le64_get(const uint8_t *p)
{
    return (uint64_t)ut_le32_get(p) | (uint64_t)ut_le32_get(p + 4) << 32;
}

void ut_be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t ut_be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void ut_be16_put(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

uint16_t ut_be16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

void ut_be64_put(uint8_t *p, uint64_t v)
{
    ut_be32_put(p, (uint32_t)(v >> 32));
    ut_be32_put(p + 4, (uint32_t)v);
}

uint64_t ut_be64_get(const uint8_t *p)
{
    return (uint64_t)ut_be32_get(p) << 32 | (uint64_t)ut_be32_get(p + 4);
}

size_t ut_compact_get(const uint8_t *p, size_t avail, uint64_t *out)
{
    if (avail < 1)
        return 0;
    uint64_t v;
    size_t used;
    if (p[0] < 0xfd) {
        *out = p[0];
        return 1;
    } else if (p[0] == 0xfd) {
        used = 3;
        if (avail < used)
            return 0;
        v = (uint64_t)p[1] | (uint64_t)p[2] << 8;
    } else if (p[0] == 0xfe) {
        used = 5;
        if (avail < used)
            return 0;
        v = ut_le32_get(p + 1);
    } else {
        used = 9;
        if (avail < used)
            return 0;
        v = ut_le64_get(p + 1);
    }
    /* Non-canonical (a shorter form existed): rejected, as Bitcoin Core does. */
    if (ut_compact_size(v) != used)
        return 0;
    *out = v;
    return used;
}

size_t ut_compact_size(uint64_t v)
{
    if (v < 0xfd)
        return 1;
    if (v <= 0xffff)
        return 3;
    if (v <= 0xffffffff)
        return 5;
    return 9;
}
