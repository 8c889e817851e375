/* ut_http: a small HTTP/1.1 server on the loop (Debian's http-parser does
 * the parsing) for JSON status endpoints, JSON-RPC control and Prometheus
 * /metrics. Keep-alive supported; bodies limited by max_body. */
#ifndef UT_HTTP_H
#define UT_HTTP_H

#include <stddef.h>
#include <jansson.h>
#include "network/nw_svr.h"

typedef struct ut_http_svr ut_http_svr;

typedef struct ut_http_req {
    const char *method;   /* "GET", "POST" */
    const char *path;     /* without the query string */
    const char *query;    /* after '?', or "" */
    const char *body;     /* NUL-terminated after body_len bytes */
    size_t body_len;
    /* Request headers as received (names in the client's case); look one
     * up with ut_http_req_header. Valid during the handler call only. */
    const char *const *header_names;
    const char *const *header_values;
    size_t header_count;
} ut_http_req;

typedef struct ut_http_resp {
    int status;                 /* default 200 */
    const char *content_type;   /* default "application/json" */
    char *body;                 /* malloc'd by the handler, freed by the server */
    size_t body_len;
} ut_http_resp;

/* Handler for one request; fills resp. Runs on the loop thread. */
typedef void (*ut_http_handler)(const ut_http_req *req, ut_http_resp *resp, void *udata);

typedef struct ut_http_cfg {
    const char *bind;       /* "tcp@127.0.0.1:8080" */
    size_t max_body;        /* default 1 MiB; larger requests get 413 */
    const char *const *allow;   /* NULL-terminated peer hosts (copied), or NULL:
                                   everyone; others are closed with a log line */
} ut_http_cfg;

ut_http_svr *ut_http_svr_create(struct ev_loop *loop, const ut_http_cfg *cfg,
                                ut_http_handler handler, void *udata);
int ut_http_svr_start(ut_http_svr *svr);
void ut_http_svr_free(ut_http_svr *svr);
/* The bound TCP port (the real one after binding port 0), or -1. */
int ut_http_svr_port(const ut_http_svr *svr);

/* Helpers for handlers. */
/* The value of header name (case-insensitive), or NULL when absent. */
const char *ut_http_req_header(const ut_http_req *req, const char *name);
void ut_http_resp_text(ut_http_resp *resp, int status, const char *type, const char *text);
void ut_http_resp_json(ut_http_resp *resp, int status, json_t *json); /* steals json */

#endif
