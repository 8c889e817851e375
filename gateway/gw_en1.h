/* gw_en1: the extranonce1 allocator of one gateway worker process,
 * plugged into its Stratum server (stratum/st_layout.h) by gw_sink.c.
 *
 * Layout of an extranonce1 of en1_size bytes (4..8):
 *   byte 0      gateway_id (0..255)
 *   bytes 1..3  big-endian 24-bit value: worker index (4 bits, 0..15) << 20
 *               | a 20-bit per-process counter
 *   bytes 4..   zero padding when en1_size > 4 (extranonce2 smaller than 8)
 * so two sessions of different gateways or worker processes can never get
 * the same extranonce1, and within a process a counter value is never handed
 * out while a live session still holds it (values in use are skipped after
 * the counter wraps: the live values are an st_ids set). */
#ifndef GW_EN1_H
#define GW_EN1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stratum/st_ids.h"

#define GW_EN1_COUNTER_BITS ST_IDS_BITS
#define GW_EN1_COUNTER_SPACE ST_IDS_SPACE
#define GW_EN1_MAX_SIZE 8

typedef struct gw_en1 {
    uint8_t gateway_id;
    uint8_t worker;         /* 0..15 */
    st_ids ids;             /* live counter values */
} gw_en1;

/* start: the first counter value tried (callers pass a random one so a
 * restarted process does not hand out the same values first). 0 or -1. */
int gw_en1_init(gw_en1 *a, uint8_t gateway_id, uint8_t worker, uint32_t start);
void gw_en1_free(gw_en1 *a);

/* Takes a free counter value into *counter. -1 when all 2^20 are live. */
int gw_en1_alloc(gw_en1 *a, uint32_t *counter);
/* Gives a value back; releasing a value that is not live is ignored. */
void gw_en1_release(gw_en1 *a, uint32_t counter);
bool gw_en1_in_use(const gw_en1 *a, uint32_t counter);

/* Writes the extranonce1 bytes for counter (size 4..8). */
void gw_en1_bytes(const gw_en1 *a, uint32_t counter, uint8_t *out, size_t size);

#endif
