/* st_dupset: the shares one connection has sent on its live jobs, for
 * duplicate detection. Each entry is a 64-bit word: the share's header
 * hash (which covers extranonce1, extranonce2, ntime, nonce and version)
 * with its low 16 bits replaced by the job's sequence number, so entries of
 * jobs that are no longer live can be dropped.
 *
 * Why per connection: extranonce1 is unique among live connections and is
 * not handed out again while jobs it could have worked on are kept
 * (st_ids quarantine), so a share can only repeat on the connection that
 * sent it. A connection that fills its own set (max_count entries on live
 * jobs, which takes that many valid shares at its difficulty) harms only
 * itself: other miners' shares never meet a full set. Open addressing with
 * linear probing, load <= 1/2; memory is allocated when the set grows (an
 * idle connection holds none), never per share. */
#ifndef ST_DUPSET_H
#define ST_DUPSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_dupset {
    uint64_t *slots;      /* 0 = empty */
    size_t cap;           /* power of two, 0 before the first insert */
    size_t count;
    size_t max_count;     /* past this (after dropping dead jobs) the set is full */
    uint64_t pruned_for;  /* live_seq of the last prune: prune again only when it moved */
} st_dupset;

enum { ST_DUP_NEW = 0, ST_DUP_SEEN = 1, ST_DUP_FULL = -1 };

void st_dupset_init(st_dupset *s, size_t max_count);
void st_dupset_free(st_dupset *s);
/* Inserts the share with header hash fingerprint fp on the job with
 * sequence number seq. live_seq: every job with a smaller seq is no longer
 * live (its entries may be dropped); jobs in [live_seq, seq] must span
 * fewer than 32768 numbers. ST_DUP_NEW, ST_DUP_SEEN when it was there, or
 * ST_DUP_FULL when max_count entries of live jobs are held (or memory ran
 * out). */
int st_dupset_insert(st_dupset *s, uint64_t fp, uint64_t seq, uint64_t live_seq);

#endif
