/* st_report: Stratum counters for status pages (see st_report.h). */
#include <stdio.h>
#include "stratum/st_report.h"

json_t *st_stats_json(st_stats *s)
{
    json_t *rej = json_object();

    for (int i = 0; i < ST_NCODES && rej != NULL; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%d", 20 + i);
        json_object_set_new(rej, code, json_integer((json_int_t)st_stat_get(&s->rejected[i])));
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:{s:I,s:f,s:o}}",
                     "connections", (json_int_t)st_stat_get(&s->connections),
                     "subscribed", (json_int_t)st_stat_get(&s->subscribed),
                     "authorized_workers", (json_int_t)st_stat_get(&s->workers),
                     "jobs", (json_int_t)st_stat_get(&s->jobs),
                     "parse_errors", (json_int_t)st_stat_get(&s->parse_errors),
                     "shares", "accepted", (json_int_t)st_stat_get(&s->accepted),
                     "accepted_diff", atomic_load(&s->accepted_diff), "rejected", rej);
}

static void st_sample(ut_metrics *m, const char *name, const char *type, const char *help,
                      const char *labels, const char *extra, double v)
{
    char all[256];

    snprintf(all, sizeof(all), "%s%s%s", labels ? labels : "", labels && extra ? "," : "",
             extra ? extra : "");
    ut_metrics_add(m, name, type, help, all[0] ? all : NULL, v);
}

void st_stats_metrics(ut_metrics *m, st_stats *s, const char *labels)
{
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
    for (int i = 0; i < ST_NCODES; i++) {
        char code[32];
        snprintf(code, sizeof(code), "code=\"%d\"", 20 + i);
        st_sample(m, "shares_rejected_total", i == 0 ? "counter" : NULL,
                  i == 0 ? "Rejected shares by Stratum error code." : NULL, labels, code,
                  (double)st_stat_get(&s->rejected[i]));
    }
    st_sample(m, "jobs_total", "counter", "Jobs taken into the job store.", labels, NULL,
              (double)st_stat_get(&s->jobs));
    st_sample(m, "parse_errors_total", "counter", "Unparsable request lines.", labels, NULL,
              (double)st_stat_get(&s->parse_errors));
}
