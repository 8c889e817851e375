/* hfm_load: the load generator's share source. On the loop thread it
 * walks one connection's nonces, hashes each to learn whether it meets the
 * share target (and the network target), and submits the shares, so with
 * a tiny pool difficulty nearly every nonce becomes a submit. It can also
 * make shares invalid on purpose (--submit-invalid). One walker per
 * connection. */
#ifndef HFM_LOAD_H
#define HFM_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/hfminer/hfm_conn.h"
#include "tools/hfminer/hfm_opts.h"
#include "tools/hfminer/hfm_work.h"

#define HFM_LOAD_HASH_BUDGET 20000     /* hashes per call at most */

typedef struct hfm_walker {
    hfm_cursor cur;
    ut_sha256_mid mid;         /* the template being walked */
    uint8_t tail[16];
    const hfm_work *work;      /* the cursor's template for header */
    uint32_t next;             /* next nonce of the taken range */
    uint32_t left;             /* nonces left in the taken range */
    uint64_t epoch;            /* the connection's epoch the cursor serves */
    uint64_t job_seq;          /* ... and its job */
    hfm_invalid_kind invalid;
    unsigned invalid_every;
    uint64_t valid_shares;     /* counted for invalid_every */
    bool dup_due;              /* the next submit repeats last */
    hfm_share last;            /* the last valid share (job held in last_job) */
    hfm_job *last_job;
    bool lowdiff_warned;
} hfm_walker;

void hfm_walker_init(hfm_walker *w, hfm_invalid_kind invalid, unsigned invalid_every);
void hfm_walker_free(hfm_walker *w);
/* Restarts the walk on the connection's current job, extranonce and mask. */
void hfm_walker_restart(hfm_walker *w, hfm_conn *c);
/* Submits up to budget shares on c (queued; the caller flushes). Adds the
 * hashes spent to *hashes. Returns the number of submits. */
size_t hfm_walker_submit(hfm_walker *w, hfm_conn *c, size_t budget, uint64_t *hashes);

#endif
