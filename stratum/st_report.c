/* st_report: Stratum counters for status pages (see st_report.h). */
#include <stdio.h>
#include "stratum/st_report.h"

const char *const st_reason_names[ST_NREASONS] = {
    "invalid", "stale", "unknown_job", "duplicate", "low_difficulty", "unauthorized",
    "not_subscribed",
};

void st_stats_reasons(st_stats *s, uint64_t out[ST_NREASONS])
{
    uint64_t job = st_stat_get(&s->rejected[1]), stale = st_stat_get(&s->stale);

    out[ST_R_INVALID] = st_stat_get(&s->rejected[0]);
    out[ST_R_STALE] = stale < job ? stale : job;
    out[ST_R_UNKNOWN_JOB] = job - out[ST_R_STALE];
    out[ST_R_DUPLICATE] = st_stat_get(&s->rejected[2]);
    out[ST_R_LOW_DIFFICULTY] = st_stat_get(&s->rejected[3]);
    out[ST_R_UNAUTHORIZED] = st_stat_get(&s->rejected[4]);
    out[ST_R_NOT_SUBSCRIBED] = st_stat_get(&s->rejected[5]);
}

json_t *st_reasons_json(st_stats *s)
{
    uint64_t r[ST_NREASONS];
    json_t *o = json_object();

    st_stats_reasons(s, r);
    for (int i = 0; i < ST_NREASONS && o != NULL; i++)
        json_object_set_new(o, st_reason_names[i], json_integer((json_int_t)r[i]));
    return o;
}

json_t *st_stats_json(st_stats *s)
{
    json_t *rej = json_object();

    for (int i = 0; i < ST_NCODES && rej != NULL; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%d", 20 + i);
        json_object_set_new(rej, code, json_integer((json_int_t)st_stat_get(&s->rejected[i])));
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:{s:I,s:f,s:o,s:o}}",
                     "connections", (json_int_t)st_stat_get(&s->connections),
                     "subscribed", (json_int_t)st_stat_get(&s->subscribed),
                     "authorized_workers", (json_int_t)st_stat_get(&s->workers),
                     "jobs", (json_int_t)st_stat_get(&s->jobs),
                     "parse_errors", (json_int_t)st_stat_get(&s->parse_errors),
                     "shares", "accepted", (json_int_t)st_stat_get(&s->accepted),
                     "accepted_diff", atomic_load(&s->accepted_diff), "rejected", rej,
                     "rejected_by_reason", st_reasons_json(s));
}

static void st_sample(ut_metrics *m, const char *name, const char *type, const char *help,
                      const char *labels, const char *extra, double v)
{
    char all[512];

    snprintf(all, sizeof(all), "%s%s%s", labels ? labels : "", labels && extra ? "," : "",
             extra ? extra : "");
    ut_metrics_add(m, name, type, help, all[0] ? all : NULL, v);
}

void st_stats_metrics(ut_metrics *m, st_stats *s, const char *labels)
{
    uint64_t r[ST_NREASONS];

    st_sample(m, "connections", "gauge", "Open miner connections.", labels, NULL,
              (double)st_stat_get(&s->connections));
    st_sample(m, "subscribed", "gauge", "Subscribed miner connections.", labels, NULL,
              (double)st_stat_get(&s->subscribed));
    st_sample(m, "workers", "gauge", "Authorized worker names.", labels, NULL,
              (double)st_stat_get(&s->workers));
    st_sample(m, "shares_accepted_total", "counter", "Accepted shares.", labels, NULL,
              (double)st_stat_get(&s->accepted));
    st_sample(m, "shares_accepted_diff_total", "counter", "Sum of accepted share difficulty.",
              labels, NULL, atomic_load(&s->accepted_diff));
    st_stats_reasons(s, r);
    ut_metrics_family(m, "shares_rejected_total", "counter", "Rejected shares by reason.");
    for (int i = 0; i < ST_NREASONS; i++) {
        char reason[48], all[512];
        snprintf(reason, sizeof(reason), "reason=\"%s\"", st_reason_names[i]);
        snprintf(all, sizeof(all), "%s%s%s", labels ? labels : "", labels ? "," : "", reason);
        ut_metrics_sample(m, all, (double)r[i]);
    }
    st_sample(m, "jobs_total", "counter", "Jobs taken into the job store.", labels, NULL,
              (double)st_stat_get(&s->jobs));
    st_sample(m, "parse_errors_total", "counter", "Unparsable request lines.", labels, NULL,
              (double)st_stat_get(&s->parse_errors));
}
