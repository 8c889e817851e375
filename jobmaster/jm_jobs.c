/* jm_jobs: a ring of recent jobs with age/count-based expiry. */
#include "jobmaster/jm_jobs.h"

#include <string.h>

void jm_jobs_init(jm_jobs *jobs, size_t keep_count, double keep_seconds)
{
    memset(jobs, 0, sizeof(*jobs));
    jobs->keep_count = keep_count ? keep_count : 1;
    jobs->keep_seconds = keep_seconds;
}

static jm_job *jm_jobs_at(const jm_jobs *jobs, size_t i)
{
    return jobs->ring[(jobs->head + i) % JM_JOBS_CAP];
}

static void jm_jobs_drop_oldest(jm_jobs *jobs)
{
    jm_job_free(jobs->ring[jobs->head]);
    jobs->ring[jobs->head] = NULL;
    jobs->head = (jobs->head + 1) % JM_JOBS_CAP;
    jobs->count--;
}

static void jm_jobs_expire(jm_jobs *jobs, double now)
{
    while (jobs->count > jobs->keep_count) {
        jm_job *oldest = jm_jobs_at(jobs, 0);
        if (jobs->count < JM_JOBS_CAP && now - oldest->created < jobs->keep_seconds)
            break;
        jm_jobs_drop_oldest(jobs);
    }
}

void jm_jobs_add(jm_jobs *jobs, jm_job *job, double now)
{
    if (jobs->count == JM_JOBS_CAP)
        jm_jobs_drop_oldest(jobs);
    jobs->ring[(jobs->head + jobs->count) % JM_JOBS_CAP] = job;
    jobs->count++;
    jm_jobs_expire(jobs, now);
}

jm_job *jm_jobs_find(const jm_jobs *jobs, const char *id_hex)
{
    for (size_t i = jobs->count; i > 0; i--) {
        jm_job *job = jm_jobs_at(jobs, i - 1);
        if (strcmp(job->id_hex, id_hex) == 0)
            return job;
    }
    return NULL;
}

jm_job *jm_jobs_latest(const jm_jobs *jobs)
{
    return jobs->count ? jm_jobs_at(jobs, jobs->count - 1) : NULL;
}

size_t jm_jobs_count(const jm_jobs *jobs)
{
    return jobs->count;
}

void jm_jobs_free(jm_jobs *jobs)
{
    while (jobs->count)
        jm_jobs_drop_oldest(jobs);
}
