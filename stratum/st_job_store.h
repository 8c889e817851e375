/* st_job_store: the recent jobs of one Stratum server. It keeps the last
 * `keep` jobs. A job whose clean flag is set makes every older job stale
 * (shares on it are answered 21 "Job not found (stale)"); jobs older than
 * max_age seconds are dropped, except the current one. Lookups compare job
 * id strings, newest first. The store owns its jobs. live_seq tells the
 * connections' duplicate sets (st_dupset.h) which jobs can still take
 * shares. */
#ifndef ST_JOB_STORE_H
#define ST_JOB_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/st_job.h"

typedef struct st_job_store {
    st_job **jobs;       /* ring, newest at (head + count - 1) */
    size_t keep;
    size_t head;
    size_t count;
    uint64_t next_seq;
    double max_age;
    uint64_t live_seq;   /* jobs with a smaller seq are stale or dropped */
} st_job_store;

int st_job_store_init(st_job_store *s, size_t keep, double max_age);
void st_job_store_free(st_job_store *s);
/* Takes ownership of job: gives it a seq, marks older jobs stale when it is
 * clean, drops the oldest job when the store is full. Returns 0, or 1 when
 * a job with that id is already kept (a re-sent job; it is freed and the
 * kept one, with its duplicate set, stays). */
int st_job_store_add(st_job_store *s, st_job *job, double now);
st_job *st_job_store_find(st_job_store *s, const char *id, size_t idlen);
st_job *st_job_store_current(st_job_store *s);
/* Drops jobs older than max_age (never the current one); returns how many. */
size_t st_job_store_expire(st_job_store *s, double now);

#endif
