/* jm_http: the pages of the jobmaster's status server (ut_status):
 *   GET /status   JSON: height, job_id, prev_block, gateways, block counters, last_block
 *   GET /metrics  Prometheus text format */
#ifndef JM_HTTP_H
#define JM_HTTP_H

#include <ev.h>
#include <jansson.h>
#include "utils/ut_status.h"

struct jm_server;

/* Serves the pages on bind; NULL when it cannot listen. Free the result
 * with ut_status_free. */
ut_status *jm_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         struct jm_server *srv);

/* The bodies, for tests and for the handler. */
json_t *jm_http_status_json(const struct jm_server *srv);
char *jm_http_metrics_text(const struct jm_server *srv);   /* malloc'd */

#endif
