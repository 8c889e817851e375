/* gw_job: jobs pushed by the jobmaster (CMD_JM_JOB) as the gateway keeps
 * them, and the store of recent jobs of one process.
 *
 * A job is decoded once from the push body (docs/protocol-bodies.md): the
 * header fields as numbers, the previous block hash in internal byte order,
 * the merkle branch as bytes, and the ready-made mining.notify line that
 * every session is sent. Its coinbase buffer holds coinb1, room for the
 * extranonce and coinb2, so checking a share copies only the extranonce in.
 *
 * The store keeps the last `keep` jobs. A job whose clean flag is set makes
 * every older job stale (shares on it are answered 21 "Job not found
 * (stale)"); jobs older than max_age seconds are dropped, except the current
 * one. Lookups compare job id strings, newest first. */
#ifndef GW_JOB_H
#define GW_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "gateway/gw_dupset.h"

#define GW_JOB_ID_MAX 64
#define GW_JOB_MAX_BRANCH 32
#define GW_JOB_MAX_COINBASE (1024 * 1024)

typedef struct gw_job {
    uint64_t seq;                 /* order of arrival in this process, from 1 */
    char id[GW_JOB_ID_MAX + 1];
    int64_t height;
    uint8_t prev_block[32];       /* internal byte order */
    uint32_t version;
    uint32_t nbits;
    uint32_t ntime;
    uint32_t min_time;            /* lower bound of a share's ntime */
    bool clean;
    bool stale;                   /* an newer clean job arrived */
    bool empty;
    double network_diff;
    uint8_t network_target[32];   /* from nbits, little-endian */
    size_t extranonce_size;
    size_t coinb1_len;
    size_t coinb2_len;
    uint8_t *coinbase;            /* coinb1 | extranonce (scratch) | coinb2 */
    size_t coinbase_len;
    uint8_t (*branch)[32];
    size_t branch_len;
    char *notify;                 /* the whole mining.notify line, '\n' included */
    size_t notify_len;
    double received;              /* loop time it arrived */
    gw_dupset dups;
} gw_job;

/* Decodes a CMD_JM_JOB body. Returns the job, or NULL with a reason in err. */
gw_job *gw_job_from_json(const json_t *body, char *err, size_t errlen);
void gw_job_free(gw_job *job);

typedef struct gw_job_store {
    gw_job **jobs;       /* ring, newest at (head + count - 1) */
    size_t keep;
    size_t head;
    size_t count;
    uint64_t next_seq;
    double max_age;
    size_t dup_max;      /* per-job duplicate set bound */
} gw_job_store;

int gw_job_store_init(gw_job_store *s, size_t keep, double max_age, size_t dup_max);
void gw_job_store_free(gw_job_store *s);
/* Takes ownership of job: gives it a seq, marks older jobs stale when it is
 * clean, drops the oldest job when the store is full. Returns 0, or 1 when
 * a job with that id is already kept (a re-sent job; it is freed and the
 * kept one, with its duplicate set, stays). */
int gw_job_store_add(gw_job_store *s, gw_job *job, double now);
gw_job *gw_job_store_find(gw_job_store *s, const char *id, size_t idlen);
gw_job *gw_job_store_current(gw_job_store *s);
/* Drops jobs older than max_age (never the current one); returns how many. */
size_t gw_job_store_expire(gw_job_store *s, double now);

#endif
