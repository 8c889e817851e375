/* gw_http: the pages of a gateway worker's status server (ut_status).
 *   GET /status   JSON: this process ("process": connections, subscribed,
 *                 authorized workers, shares accepted and rejected by code,
 *                 blocks found/accepted/rejected, jobs, bans) plus the same
 *                 counters summed over every worker process ("total"), the
 *                 current job and whether the jobmaster link is up.
 *   GET /metrics  Prometheus text of this process, labelled with
 *                 gateway and process (sum over processes when scraping).
 * Worker i listens on the configured port + i. */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <jansson.h>
#include "gateway/gw_server.h"
#include "utils/ut_status.h"

/* Serves the pages on bind; NULL (errno set) when it cannot listen. Free
 * the result with ut_status_free. */
ut_status *gw_http_start(gw_server *srv, const char *bind, const char *const *allow);

/* The documents themselves (also used by tests). */
json_t *gw_http_status(gw_server *srv);
char *gw_http_metrics(gw_server *srv);   /* malloc'd, NULL: out of memory */

#endif
