/* ut_pack: Bitcoin serialization into a growable byte buffer (an nw_buf):
 * little- and big-endian integers, CompactSize, script pushes. */
#ifndef UT_PACK_H
#define UT_PACK_H

#include <stddef.h>
#include <stdint.h>
#include "network/nw_buf.h"

/* data and len are a read-only view of buf, brought up to date by every
 * writer: read them directly. data is the start of buf's malloc'd storage
 * (NULL while empty), so a caller may keep it and free() it later instead
 * of calling ut_bytes_free. */
typedef struct ut_bytes {
    uint8_t *data;
    size_t len;
    int oom;           /* set when an allocation failed; later writes are dropped */
    nw_buf buf;        /* the storage; written only through ut_bytes_* */
} ut_bytes;

void ut_bytes_init(ut_bytes *b);
void ut_bytes_free(ut_bytes *b);
void ut_bytes_put(ut_bytes *b, const void *p, size_t n);
void ut_bytes_u8(ut_bytes *b, uint8_t v);
void ut_bytes_le16(ut_bytes *b, uint16_t v);
void ut_bytes_le32(ut_bytes *b, uint32_t v);
void ut_bytes_le64(ut_bytes *b, uint64_t v);
void ut_bytes_compact(ut_bytes *b, uint64_t v);          /* CompactSize */
/* Script push of n bytes as Bitcoin Core's CScript << vector: OP_0 for
 * n == 0, a direct push below 76 bytes, else OP_PUSHDATA1/2/4. */
void ut_bytes_push(ut_bytes *b, const void *p, size_t n);
/* CScriptNum push as Core's CScript << int64: OP_0, OP_1NEGATE, OP_1..OP_16,
 * else a push of the minimal little-endian sign-magnitude number. */
void ut_bytes_push_int(ut_bytes *b, int64_t v);

/* Plain helpers on memory. */
void ut_le32_put(uint8_t *p, uint32_t v);
uint32_t ut_le32_get(const uint8_t *p);
void ut_le64_put(uint8_t *p, uint64_t v);
uint64_t ut_le64_get(const uint8_t *p);
void ut_be32_put(uint8_t *p, uint32_t v);
uint32_t ut_be32_get(const uint8_t *p);
void ut_be16_put(uint8_t *p, uint16_t v);
uint16_t ut_be16_get(const uint8_t *p);
void ut_be64_put(uint8_t *p, uint64_t v);
uint64_t ut_be64_get(const uint8_t *p);

/* Reads a CompactSize at p (at most avail bytes). Returns bytes used, 0 on
 * short input or a non-canonical encoding (rejected as Bitcoin Core does). */
size_t ut_compact_get(const uint8_t *p, size_t avail, uint64_t *out);
size_t ut_compact_size(uint64_t v);   /* 1, 3, 5 or 9 */

#endif
