/* jm_jobs: the recent jobs, newest last, so a block found on any of them
 * can still be rebuilt. A job is kept while it is among the newest
 * keep_count or younger than keep_seconds (never more than JM_JOBS_CAP). */
#ifndef JM_JOBS_H
#define JM_JOBS_H

#include <stddef.h>
#include "jobmaster/jm_job.h"

#define JM_JOBS_CAP 1024

typedef struct jm_jobs {
    jm_job *ring[JM_JOBS_CAP];
    size_t head;           /* index of the oldest */
    size_t count;
    size_t keep_count;
    double keep_seconds;
} jm_jobs;

void jm_jobs_init(jm_jobs *jobs, size_t keep_count, double keep_seconds);
/* Takes ownership of job and expires old ones (now = the job's clock). */
void jm_jobs_add(jm_jobs *jobs, jm_job *job, double now);
jm_job *jm_jobs_find(const jm_jobs *jobs, const char *id_hex);
jm_job *jm_jobs_latest(const jm_jobs *jobs);
size_t jm_jobs_count(const jm_jobs *jobs);
void jm_jobs_free(jm_jobs *jobs);

#endif
