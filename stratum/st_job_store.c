/* st_job_store: the recent jobs of one Stratum server (see st_job_store.h). */
#include <stdlib.h>
#include <string.h>
#include "stratum/st_job_store.h"

int st_job_store_init(st_job_store *s, size_t keep, double max_age)
{
    memset(s, 0, sizeof(*s));
    if (keep == 0)
        keep = 1;
    s->jobs = calloc(keep, sizeof(st_job *));
    if (s->jobs == NULL)
        return -1;
    s->keep = keep;
    s->max_age = max_age;
    s->next_seq = 1;
    s->live_seq = 1;
    return 0;
}

void st_job_store_free(st_job_store *s)
{
    for (size_t i = 0; i < s->count; i++)
        st_job_free(s->jobs[(s->head + i) % s->keep]);
    free(s->jobs);
    memset(s, 0, sizeof(*s));
}

static void st_job_store_drop_oldest(st_job_store *s)
{
    st_job_free(s->jobs[s->head]);
    s->jobs[s->head] = NULL;
    s->head = (s->head + 1) % s->keep;
    s->count--;
    if (s->count > 0 && s->jobs[s->head]->seq > s->live_seq)
        s->live_seq = s->jobs[s->head]->seq;
}

int st_job_store_add(st_job_store *s, st_job *job, double now)
{
    if (st_job_store_find(s, job->id, strlen(job->id)) != NULL) {
        st_job_free(job);
        return 1;
    }
    job->seq = s->next_seq++;
    job->received = now;
    if (job->clean) {
        for (size_t i = 0; i < s->count; i++)
            s->jobs[(s->head + i) % s->keep]->stale = true;
        s->live_seq = job->seq;
    }
    if (s->count == s->keep)
        st_job_store_drop_oldest(s);
    s->jobs[(s->head + s->count) % s->keep] = job;
    s->count++;
    return 0;
}

st_job *st_job_store_find(st_job_store *s, const char *id, size_t idlen)
{
    for (size_t i = s->count; i-- > 0;) {
        st_job *j = s->jobs[(s->head + i) % s->keep];
        if (strlen(j->id) == idlen && memcmp(j->id, id, idlen) == 0)
            return j;
    }
    return NULL;
}

st_job *st_job_store_current(st_job_store *s)
{
    return s->count ? s->jobs[(s->head + s->count - 1) % s->keep] : NULL;
}

size_t st_job_store_expire(st_job_store *s, double now)
{
    size_t n = 0;

    while (s->count > 1 && now - s->jobs[s->head]->received > s->max_age) {
        st_job_store_drop_oldest(s);
        n++;
    }
    return n;
}
