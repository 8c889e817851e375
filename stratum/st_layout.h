/* st_layout: the extranonce layout of a Stratum server. Every job carries
 * extranonce_size bytes of extranonce in its coinbase; the server splits
 * them into an extranonce1 of en1_size bytes, one per session, handed out
 * by a pluggable allocator, and the miner's extranonce2 of en2_size bytes.
 * en1_size + en2_size must equal the job's extranonce_size (a job that does
 * not fit is refused).
 *
 *   gateway:    en1 4 bytes (gateway_id, worker, counter; gateway/gw_en1.h)
 *               + en2 8 bytes = 12
 *   mineragent: en1 8 bytes (its upstream extranonce1, 4 bytes, + a
 *               per-miner prefix counter, 4 bytes) + en2 4 bytes = 12
 *
 * The allocator must never hand out a value that a live session holds:
 * two sessions with the same extranonce1 would hash the same work. */
#ifndef ST_LAYOUT_H
#define ST_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define ST_EN1_MIN 1
#define ST_EN1_MAX 12
#define ST_EN2_MIN 4    /* cgminer-based firmware needs at least 4 */
#define ST_EN2_MAX 8    /* ... and breaks above 8 */

/* The extranonce1 allocator, called by the server: alloc at a session's
 * first mining.subscribe, release when the session ends. */
typedef struct st_en1_alloc {
    /* Writes a free extranonce1 of size bytes into out and a handle that
     * identifies it to release. 0, or -1 when the space is exhausted (the
     * miner is answered "Server full" and closed). */
    int (*alloc)(void *arg, uint8_t *out, size_t size, uint64_t *handle);
    /* Gives the value with this handle back. */
    void (*release)(void *arg, uint64_t handle);
    void *arg;
} st_en1_alloc;

#endif
