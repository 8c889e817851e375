/* ut_pack: Bitcoin serialization into a growable byte buffer: little- and
 * big-endian integers, CompactSize, script pushes. */
#ifndef UT_PACK_H
#define UT_PACK_H

#include <stddef.h>
#include <stdint.h>

typedef struct ut_bytes {
    uint8_t *data;
    size_t len;
    size_t cap;
    int oom;           /* set when an allocation failed; later writes are dropped */
} ut_bytes;

void ut_bytes_init(ut_bytes *b);
void ut_bytes_free(ut_bytes *b);
void ut_bytes_put(ut_bytes *b, const void *p, size_t n);
void ut_bytes_u8(ut_bytes *b, uint8_t v);
void ut_bytes_le16(ut_bytes *b, uint16_t v);
void ut_bytes_le32(ut_bytes *b, uint32_t v);
void ut_bytes_le64(ut_bytes *b, uint64_t v);
void ut_bytes_compact(ut_bytes *b, uint64_t v);          /* CompactSize */
void ut_bytes_push(ut_bytes *b, const void *p, size_t n); /* minimal script push of n bytes */
void ut_bytes_push_int(ut_bytes *b, int64_t v);          /* CScriptNum push (OP_0, numbers) */

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

/* Reads a CompactSize at p (at most avail bytes). Returns bytes used, 0 on short input. */
size_t ut_compact_get(const uint8_t *p, size_t avail, uint64_t *out);
size_t ut_compact_size(uint64_t v);   /* 1, 3, 5 or 9 */

#endif
