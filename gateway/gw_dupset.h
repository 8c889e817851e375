/* gw_dupset: the set of shares already seen on one job, as 64-bit
 * fingerprints (the first 8 bytes of the share's header hash, which covers
 * extranonce1, extranonce2, ntime, nonce and version). Open addressing with
 * linear probing; grows by doubling up to a fixed bound, so memory is only
 * allocated when the set grows, never per share. Freed with its job. */
#ifndef GW_DUPSET_H
#define GW_DUPSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct gw_dupset {
    uint64_t *slots;   /* 0 = empty */
    size_t cap;        /* power of two, 0 before the first insert */
    size_t count;
    size_t max_count;  /* past this the set is full */
} gw_dupset;

enum { GW_DUP_NEW = 0, GW_DUP_SEEN = 1, GW_DUP_FULL = -1 };

void gw_dupset_init(gw_dupset *s, size_t max_count);
void gw_dupset_free(gw_dupset *s);
/* Inserts fp: GW_DUP_NEW, GW_DUP_SEEN when it was there already, or
 * GW_DUP_FULL when the set holds max_count entries (or memory ran out). */
int gw_dupset_insert(gw_dupset *s, uint64_t fp);

#endif
