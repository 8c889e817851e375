/* st_report: a Stratum server's counters as JSON for /status and as
 * Prometheus samples for /metrics, the same shape in every module that
 * runs one (the mineragent; the gateway adds its own around them), and
 * the named reject reasons both use. */
#ifndef ST_REPORT_H
#define ST_REPORT_H

#include <jansson.h>
#include <stdint.h>
#include "stratum/st_stats.h"
#include "utils/ut_metrics.h"

/* Reject reasons by name. Code 21 is split: "stale" (a job the server
 * knew, gone stale) and "unknown_job" (an id it never knew or forgot). */
enum {
    ST_R_INVALID,         /* 20: malformed params, extranonce2 size, ntime, version bits */
    ST_R_STALE,           /* 21: job stale */
    ST_R_UNKNOWN_JOB,     /* 21: job not found */
    ST_R_DUPLICATE,       /* 22 */
    ST_R_LOW_DIFFICULTY,  /* 23 */
    ST_R_UNAUTHORIZED,    /* 24 */
    ST_R_NOT_SUBSCRIBED,  /* 25 */
    ST_NREASONS
};
extern const char *const st_reason_names[ST_NREASONS];

/* The reject counters of s by reason. */
void st_stats_reasons(st_stats *s, uint64_t out[ST_NREASONS]);
/* {"stale":n,"duplicate":n,...}, every reason; NULL when out of memory. */
json_t *st_reasons_json(st_stats *s);

/* {"connections","subscribed","authorized_workers","jobs","parse_errors",
 *  "shares":{"accepted","accepted_diff","rejected":{"20":n,...},
 *            "rejected_by_reason":{"stale":n,...}}};
 * NULL when out of memory. */
json_t *st_stats_json(st_stats *s);
/* <prefix>connections, subscribed, workers (gauges), shares_accepted_total,
 * shares_accepted_diff_total, shares_rejected_total{reason=".."},
 * jobs_total, parse_errors_total; labels (may be NULL) on every sample. */
void st_stats_metrics(ut_metrics *m, st_stats *s, const char *labels);

#endif
