/* hfm_work: turning a Stratum job into block headers and hashing them.
 *
 * A job (from mining.notify) is shared by reference: the connection that
 * received it holds one reference and every piece of work cut from it holds
 * another (references are only touched on the loop thread). A cursor walks
 * the search space of one job: nonces first, then the rolled version bits
 * (when the pool granted version rolling), then the extranonce2 counter. */
#ifndef HFM_WORK_H
#define HFM_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utils/ut_sha256.h"

#define HFM_JOB_ID_MAX 64      /* longest job id we accept, in characters */
#define HFM_BRANCH_MAX 32      /* merkle branch steps */
#define HFM_EN_MAX 32          /* longest extranonce1 / extranonce2, in bytes */
#define HFM_COINBASE_MAX 100000

typedef struct hfm_job {
    int refs;
    uint64_t seq;                   /* per connection, set by the receiver */
    char id[HFM_JOB_ID_MAX + 1];
    uint8_t prevhash[32];           /* internal byte order */
    uint8_t *coinb1;
    size_t coinb1_len;
    uint8_t *coinb2;
    size_t coinb2_len;
    uint8_t branch[HFM_BRANCH_MAX][32];
    size_t branch_len;
    uint32_t version;
    uint32_t nbits;
    uint32_t ntime;
    bool clean;
    uint8_t net_target[32];         /* from nbits; all zero when nbits is invalid */
    double diff;                    /* share difficulty for this job */
    uint8_t target[32];             /* ... as a target */
} hfm_job;

/* A header template: everything but the nonce is fixed. */
typedef struct hfm_work {
    hfm_job *job;                   /* a reference, released by hfm_work_clear */
    uint8_t en2[HFM_EN_MAX];
    size_t en2_len;
    uint32_t version;               /* final nVersion after rolling */
    uint32_t vbits;                 /* version & mask, the 6th submit param */
    bool rolled;                    /* send vbits with the share */
    uint8_t header[80];
    ut_sha256_mid mid;              /* state after header[0..64) */
} hfm_work;

typedef struct hfm_cursor {
    hfm_work work;                  /* the template nonces are taken from */
    bool active;
    uint64_t next_nonce;            /* 0 .. 2^32; 2^32 = template used up */
    uint64_t en2_cur;               /* extranonce2 value of the template */
    uint64_t en2_counter;           /* next extranonce2 value; never reset */
    uint64_t roll;                  /* index into the rolled version values */
    uint64_t roll_count;            /* values available (1 without rolling) */
    uint32_t mask;                  /* granted version mask, 0 = no rolling */
    uint8_t en1[HFM_EN_MAX];
    size_t en1_len;
    size_t en2_len;
} hfm_cursor;

/* Jobs. hfm_job_new returns a job with one reference and no coinbase. */
hfm_job *hfm_job_new(void);
hfm_job *hfm_job_ref(hfm_job *job);
void hfm_job_unref(hfm_job *job);
void hfm_job_set_diff(hfm_job *job, double diff);

/* mining.notify prevhash (each 4-byte word byte-swapped) <-> internal order. */
int hfm_prevhash_from_notify(const char *hex, uint8_t internal[32]);
void hfm_prevhash_to_notify(const uint8_t internal[32], char hex[65]);

/* txid of coinb1 || en1 || en2 || coinb2. 0, or -1 when it is too large. */
int hfm_coinbase_txid(const hfm_job *job, const uint8_t *en1, size_t en1_len,
                      const uint8_t *en2, size_t en2_len, uint8_t txid[32]);
/* The 80-byte header; every integer is stored little-endian. */
void hfm_header_build(uint8_t header[80], uint32_t version, const uint8_t prev[32],
                      const uint8_t root[32], uint32_t ntime, uint32_t nbits,
                      uint32_t nonce);
void hfm_header_set_nonce(uint8_t header[80], uint32_t nonce);
void hfm_header_set_ntime(uint8_t header[80], uint32_t ntime);

/* Version rolling: the k-th value of the bits under mask (k's bits spread
 * over the set bits of mask, lowest first), and the final version. */
uint32_t hfm_version_bits(uint32_t mask, uint64_t k);
uint32_t hfm_version_apply(uint32_t job_version, uint32_t mask, uint32_t bits);
int hfm_popcount32(uint32_t v);

/* counter as len big-endian bytes (zero-padded on the left above 8). */
void hfm_en2_encode(uint64_t counter, uint8_t *out, size_t len);

/* Fills w for job with the given extranonces and version; takes a job
 * reference (dropping the one w held). 0, or -1 on a bad coinbase. */
int hfm_work_set(hfm_work *w, hfm_job *job, const uint8_t *en1, size_t en1_len,
                 const uint8_t *en2, size_t en2_len, uint32_t mask, uint32_t vbits,
                 bool rolled);
void hfm_work_clear(hfm_work *w);
void hfm_work_copy(hfm_work *dst, const hfm_work *src);   /* takes a reference */

/* sha256d of header with nonce; true when it meets target. */
bool hfm_hash_nonce(uint8_t header[80], uint32_t nonce, const uint8_t target[32],
                    uint8_t hash[32]);
/* The same from a midstate and the header's last 16 bytes (tail[12..16)
 * is overwritten with the nonce). */
bool hfm_hash_tail(const ut_sha256_mid *mid, uint8_t tail[16], uint32_t nonce,
                   const uint8_t target[32], uint8_t hash[32]);

/* Cursor. hfm_cursor_init once per connection; hfm_cursor_start on every
 * job, extranonce or mask change (keeps the extranonce2 counter). */
void hfm_cursor_init(hfm_cursor *c);
int hfm_cursor_start(hfm_cursor *c, hfm_job *job, const uint8_t *en1, size_t en1_len,
                     size_t en2_len, uint32_t mask);
/* Takes up to want nonces from the current template, moving to the next
 * template when it is used up. Returns the template (valid until the next
 * call) and sets *first and *count, or NULL when the job's space is used
 * up (no extranonce2 left) or the cursor is inactive. */
const hfm_work *hfm_cursor_take(hfm_cursor *c, uint32_t want, uint32_t *first,
                                uint32_t *count);
void hfm_cursor_stop(hfm_cursor *c);

#endif
