/* ut_http: a small HTTP/1.1 server on the loop (Debian's http-parser does
 * the parsing) for JSON status endpoints, JSON-RPC control and Prometheus
 * /metrics. Keep-alive and pipelining supported; sessions, request size,
 * request time and queued output are bounded (ut_http_cfg). */
#ifndef UT_HTTP_H
#define UT_HTTP_H

#include <stdbool.h>
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

/* Limits. Zero-filled fields take the defaults (in brackets); the memory
 * a client can make the server hold is bounded by them: per connection at
 * most max_head + max_body of request, max_pending + one reply of output
 * (and one read, 64 KiB, of input held while waiting), and max_sessions
 * connections. */
typedef struct ut_http_cfg {
    const char *bind;       /* "tcp@127.0.0.1:8080" */
    size_t max_body;        /* [1 MiB] larger requests get 413 */
    size_t max_sessions;    /* [64] concurrent connections; past it a new
                               connection is closed at accept (a WARN line
                               at most every 10 s counts them) */
    size_t max_head;        /* [8 KiB] request line + header names and
                               values; past it 414 (in the URL) or 431 */
    size_t max_headers;     /* [32, at most 64] header lines; past it 431 */
    size_t max_pending;     /* [256 KiB] output queued for a connection
                               (not taken by the kernel) above which its
                               further pipelined requests wait: the socket
                               is not read until the queue has drained */
    size_t max_output;      /* [64 MiB] queued output past which the
                               connection is closed (bounds one reply) */
    double request_timeout; /* [10 s] from a request's first byte (or from
                               the accept) to its last: slow requests are
                               answered 408 and closed */
    double idle_timeout;    /* [60 s] without a byte read from the client
                               (between requests, or while its requests
                               wait for it to read): closed */
    const char *const *allow;   /* NULL-terminated peer hosts (copied), or NULL:
                                   everyone; others are closed with a log line */
} ut_http_cfg;

ut_http_svr *ut_http_svr_create(struct ev_loop *loop, const ut_http_cfg *cfg,
                                ut_http_handler handler, void *udata);
int ut_http_svr_start(ut_http_svr *svr);
void ut_http_svr_free(ut_http_svr *svr);
/* The bound TCP port (the real one after binding port 0), or -1. */
int ut_http_svr_port(const ut_http_svr *svr);

/* Queued output plus input held back, over every connection, in bytes
 * (what the limits above bound; for tests and /status). */
size_t ut_http_svr_queued(const ut_http_svr *svr);

/* ---- one connection without a socket ----
 * The request path the server runs on every connection, for the fuzz
 * target and tests: bytes in as the peer sends them, replies out through
 * io->send. io->pending tells how much of the output is not delivered yet
 * (the server: the session's queue); above max_pending the connection
 * answers UT_HTTP_WAIT and takes no more requests until ut_http_conn_resume
 * is called (the server: once the queue has drained). */
typedef struct ut_http_io {
    int (*send)(void *arg, const void *data, size_t len);   /* 0, or -1: gone */
    size_t (*pending)(void *arg);
    void *arg;
} ut_http_io;

typedef enum {
    UT_HTTP_MORE = 0,   /* feed the next bytes when they come */
    UT_HTTP_WAIT,       /* stop reading; ut_http_conn_resume when drained */
    UT_HTTP_CLOSE,      /* the last reply is sent: close once it is written */
} ut_http_step;

typedef struct ut_http_conn ut_http_conn;

/* name and peer only label log lines. NULL when out of memory. */
ut_http_conn *ut_http_conn_new(const ut_http_cfg *cfg, ut_http_handler handler, void *udata,
                               const ut_http_io *io, const char *name, const char *peer);
/* Bytes from the peer. Fed while waiting, they are held (at most 1 MiB,
 * past it UT_HTTP_CLOSE). After UT_HTTP_CLOSE further bytes are ignored. */
ut_http_step ut_http_conn_feed(ut_http_conn *c, const char *data, size_t len);
/* The output has drained: take the held requests again. */
ut_http_step ut_http_conn_resume(ut_http_conn *c);
/* A request has started and is not complete (its deadline runs). */
bool ut_http_conn_in_request(const ut_http_conn *c);
/* Input held back while waiting, in bytes. */
size_t ut_http_conn_held(const ut_http_conn *c);
/* Answers 408 (the request took too long) and ends the connection. */
void ut_http_conn_timeout(ut_http_conn *c);
void ut_http_conn_free(ut_http_conn *c);

/* Helpers for handlers. */
/* The value of header name (case-insensitive), or NULL when absent. */
const char *ut_http_req_header(const ut_http_req *req, const char *name);
void ut_http_resp_text(ut_http_resp *resp, int status, const char *type, const char *text);
void ut_http_resp_json(ut_http_resp *resp, int status, json_t *json); /* steals json */

#endif
