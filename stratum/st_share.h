/* st_share: checking one mining.submit against its job. The caller (the
 * Stratum layer) has already answered "not subscribed" (25), "unauthorized
 * worker" (24) and "job not found" (21); this file checks, in this order:
 *   20 "Malformed params"          fewer than 5 or more than 6 params, a param
 *                                   that is not a string, bad hex
 *   20 "Invalid extranonce2 size"  extranonce2 is not en2_size bytes
 *   20 "ntime out of range"        ntime outside [min_time, job ntime + 7200]
 *   20 "Invalid version bits"      version bits outside the granted mask
 *   22 "Duplicate share"           same job, extranonce1, extranonce2, ntime,
 *                                   nonce and version seen before
 *   21 "Job not found (stale)"     the job's duplicate set is full
 *   23 "Low difficulty share"      header hash above the share target (a hash
 *                                   that meets the network target is always
 *                                   taken: it is a block)
 * and computes the header hash (sha256d of the 80-byte header built as in
 * docs/protocol-bodies.md) and whether it also meets the network target. */
#ifndef ST_SHARE_H
#define ST_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stratum/st_dupset.h"
#include "stratum/st_job.h"
#include "stratum/st_layout.h"
#include "stratum/st_req.h"

/* Stratum error codes. */
enum {
    ST_OK = 0,
    ST_ERR_OTHER = 20,
    ST_ERR_JOB = 21,
    ST_ERR_DUP = 22,
    ST_ERR_LOWDIFF = 23,
    ST_ERR_UNAUTH = 24,
    ST_ERR_UNSUB = 25
};

#define ST_NTIME_MAX_AHEAD 7200

/* What the session brings to a share. en1_size + en2_size must equal the
 * job's extranonce_size (else 21 "Job not found"); en2_size is at most
 * ST_EN2_MAX. */
typedef struct st_share_sess {
    const uint8_t *en1;
    size_t en1_size;
    size_t en2_size;
    uint32_t vmask;      /* granted version-rolling mask; 0 = none */
    double diff;         /* the difficulty that applies to this job */
    st_dupset *dups;     /* the connection's duplicate set */
    uint64_t live_seq;   /* the job store's live_seq (st_job_store.h) */
} st_share_sess;

typedef struct st_share_res {
    int code;             /* ST_OK or an error code above */
    const char *msg;      /* static text for the error reply */
    uint8_t en2[ST_EN2_MAX];   /* en2_size bytes used */
    uint32_t ntime;
    uint32_t nonce;
    uint32_t version;     /* after rolling */
    uint8_t hash[32];     /* internal byte order (little-endian number) */
    bool block;           /* meets the network target */
    double diff;          /* credited difficulty: the session's, or the network's
                             for a block that misses a harder share target */
} st_share_res;

/* p: the submit params from the extranonce2 on (extranonce2, ntime, nonce
 * and the optional version bits); np their count. */
int st_share_check(st_job *job, const st_share_sess *s, const st_jv *p, size_t np,
                   st_share_res *r);

/* Hashes the header for the given values into hash; coinbase scratch of the
 * job is used. en2 has en2_size bytes. */
void st_share_hash(st_job *job, const uint8_t *en1, size_t en1_size, const uint8_t *en2,
                   size_t en2_size, uint32_t version, uint32_t ntime, uint32_t nonce,
                   uint8_t hash[32]);

/* "1a2b3c4d" (1..8 hex digits) -> value; -1 when not hex. */
int st_hex_u32(const char *s, size_t n, uint32_t *out);

#endif
