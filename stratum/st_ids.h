/* st_ids: a set of small ids handed out and given back, for extranonce1
 * allocators (the gateway's counter, the mineragent's per-miner prefix).
 * Ids are ST_IDS_BITS wide; a bitmap records which are live, so an id is
 * never handed out while a session still holds it, even after the counter
 * wrapped. Allocation scans from the last id handed out: O(1) while the
 * space is sparse, at most one pass over the bitmap (16 Ki words) when it
 * is nearly full. Memory: 128 KiB per set.
 *
 * Quarantine: an id given back stays taken for a set time before it can be
 * handed out again, so a new session never gets the extranonce1 of one
 * that ended while jobs it worked on can still take shares (duplicate
 * detection is per connection, st_dupset.h). Quarantined ids wait in a
 * FIFO (8 bytes each, at most ST_IDS_SPACE). */
#ifndef ST_IDS_H
#define ST_IDS_H

#include <stdbool.h>
#include <stdint.h>

#define ST_IDS_BITS 20
#define ST_IDS_SPACE (1u << ST_IDS_BITS)

typedef struct st_ids_held {
    uint32_t id;
    uint32_t until;         /* clock seconds */
} st_ids_held;

typedef struct st_ids {
    uint32_t next;          /* next id to try */
    uint32_t live;          /* ids taken: handed out or quarantined */
    uint64_t *bits;         /* ST_IDS_SPACE bits */
    uint32_t quarantine;    /* seconds; 0 = an id is free when given back */
    double (*clock)(void);  /* seconds; NULL = CLOCK_MONOTONIC */
    st_ids_held *held;      /* quarantine FIFO (ring) */
    size_t held_head, held_count, held_cap;
} st_ids;

/* start: the first id tried (a random one, so a restarted process does not
 * hand out the same ids first). 0, or -1 when out of memory. */
int st_ids_init(st_ids *s, uint32_t start);
void st_ids_free(st_ids *s);
/* A free id into *id; -1 when all ST_IDS_SPACE are live. */
int st_ids_alloc(st_ids *s, uint32_t *id);
/* Gives an id back (into quarantine when one is set); one that is not
 * live is ignored. */
void st_ids_release(st_ids *s, uint32_t id);
/* Ids given back are held for `seconds` before reuse; clock NULL: the
 * monotonic clock (tests pass their own). */
void st_ids_set_quarantine(st_ids *s, uint32_t seconds, double (*clock)(void));
/* Ids in quarantine now. */
size_t st_ids_held_count(const st_ids *s);
bool st_ids_in_use(const st_ids *s, uint32_t id);

#endif
