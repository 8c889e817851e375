/* st_report: a Stratum server's counters as JSON for /status and as
 * Prometheus samples for /metrics, the same shape in every module that
 * runs one (the mineragent; the gateway adds its own around them). */
#ifndef ST_REPORT_H
#define ST_REPORT_H

#include <jansson.h>
#include "stratum/st_stats.h"
#include "utils/ut_metrics.h"

/* {"connections","subscribed","authorized_workers","jobs","parse_errors",
 *  "shares":{"accepted","accepted_diff","rejected":{"20":n,...}}};
 * NULL when out of memory. */
json_t *st_stats_json(st_stats *s);
/* <prefix>connections, subscribed, workers (gauges), shares_accepted_total,
 * shares_accepted_diff_total, shares_rejected_total{code=".."},
 * jobs_total, parse_errors_total; labels (may be NULL) on every sample. */
void st_stats_metrics(ut_metrics *m, st_stats *s, const char *labels);

#endif
