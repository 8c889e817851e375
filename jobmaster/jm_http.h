/* jm_http: the jobmaster's HTTP status server (ut_http):
 *   GET /status   JSON: height, job_id, prev_block, gateways, block counters, last_block
 *   GET /metrics  Prometheus text format */
#ifndef JM_HTTP_H
#define JM_HTTP_H

#include <ev.h>
#include <jansson.h>

struct jm_server;
typedef struct jm_http jm_http;

/* Creates and starts the server; NULL when bind fails. */
jm_http *jm_http_create(struct ev_loop *loop, const char *bind, struct jm_server *srv);
void jm_http_free(jm_http *h);

/* The bodies, for tests and for the handler. */
json_t *jm_http_status_json(const struct jm_server *srv);
char *jm_http_metrics_text(const struct jm_server *srv);   /* malloc'd */

#endif
