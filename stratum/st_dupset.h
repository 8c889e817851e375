/* st_dupset: the set of shares already seen on one job, as 64-bit
 * fingerprints (the first 8 bytes of the share's header hash, which covers
 * extranonce1, extranonce2, ntime, nonce and version). Open addressing with
 * linear probing; grows by doubling up to a fixed bound, so memory is only
 * allocated when the set grows, never per share. Freed with its job. */
#ifndef ST_DUPSET_H
#define ST_DUPSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_dupset {
    uint64_t *slots;   /* 0 = empty */
    size_t cap;        /* power of two, 0 before the first insert */
    size_t count;
    size_t max_count;  /* past this the set is full */
} st_dupset;

enum { ST_DUP_NEW = 0, ST_DUP_SEEN = 1, ST_DUP_FULL = -1 };

void st_dupset_init(st_dupset *s, size_t max_count);
void st_dupset_free(st_dupset *s);
/* Inserts fp: ST_DUP_NEW, ST_DUP_SEEN when it was there already, or
 * ST_DUP_FULL when the set holds max_count entries (or memory ran out). */
int st_dupset_insert(st_dupset *s, uint64_t fp);

#endif
