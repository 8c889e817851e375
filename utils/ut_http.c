/* ut_http: a small HTTP/1.1 server on nw_svr for status pages, JSON-RPC
 * control and /metrics. Debian's http-parser (2.9) parses. Two layers:
 *
 * ut_http_conn, the request path of one connection without a socket: it
 * keeps one parser, the request line and headers of the current request
 * (capped at max_head bytes and max_headers entries) and its body (capped
 * at max_body), calls the handler per request and sends the reply through
 * ut_http_io. Requests must carry Content-Length when they have a body:
 * chunked bodies are refused with 411. Errors answer 400/408/411/413/414/
 * 431 and end the connection; otherwise keep-alive follows the request.
 *
 * Pipelining and back-pressure (what nginx does too): requests are
 * answered in order; after each reply, when more than max_pending bytes of
 * output are still queued, the connection stops taking requests: the rest
 * of the current read is held, the server stops reading the socket, and
 * the peer's further requests wait in the kernel's buffers (TCP flow
 * control then stops the peer). When the queue has drained, the held
 * requests are answered and reading resumes. A peer that never reads is
 * closed by idle_timeout (nothing is read from it meanwhile), so it holds
 * at most max_pending + one reply + one read of memory for that long.
 *
 * The server on top: a session cap checked at accept, a deadline per
 * request (request_timeout, slowloris), the idle timeout between requests
 * (nw_svr's), and a bounded wait for the last reply to be written before
 * closing. */
#include "utils/ut_http.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "network/nw_buf.h"
#include "network/nw_timer.h"
#include "utils/ut_log.h"

#define UT_HTTP_DEFAULT_MAX_BODY (1024u * 1024)
#define UT_HTTP_DEFAULT_SESSIONS 64
#define UT_HTTP_DEFAULT_HEAD (8u * 1024)
#define UT_HTTP_DEFAULT_HEADERS 32
#define UT_HTTP_MAX_HEADERS 64               /* the most max_headers may be */
#define UT_HTTP_DEFAULT_PENDING (256u * 1024)
#define UT_HTTP_DEFAULT_OUTPUT (64u * 1024 * 1024)
#define UT_HTTP_DEFAULT_REQUEST_TIMEOUT 10.0
#define UT_HTTP_DEFAULT_IDLE_TIMEOUT 60.0
#define UT_HTTP_HELD_MAX (1024u * 1024)      /* input held while waiting */
#define UT_HTTP_STACK_REPLY 8192
#define UT_HTTP_KEEP_BODY (64u * 1024)       /* larger body buffers are released */
#define UT_HTTP_CLOSE_WAIT 5.0               /* closing: seconds for the last reply */
#define UT_HTTP_REFUSAL_LOG_GAP 10.0         /* session cap: one log line per gap */
#define UT_HTTP_NAME 64

typedef enum { UT_HTTP_IN_URL, UT_HTTP_IN_FIELD, UT_HTTP_IN_VALUE } ut_http_in;

/* One connection's request path. */
struct ut_http_conn {
    ut_http_cfg lim;           /* resolved: no zero field */
    ut_http_handler handler;
    void *udata;
    ut_http_io io;
    char name[UT_HTTP_NAME];   /* log labels */
    char peer[UT_HTTP_NAME];
    http_parser parser;
    /* url NUL name NUL value NUL ...: headers are kept as offsets into
     * it (the storage moves when it grows); never consumed, so rpos is 0 */
    nw_buf head;
    ut_http_in in;
    size_t nheaders;
    size_t name_off[UT_HTTP_MAX_HEADERS];
    size_t value_off[UT_HTTP_MAX_HEADERS];
    nw_buf body;               /* never consumed either: rpos is 0 */
    nw_buf held;               /* input not parsed yet, kept while waiting
                                  (at most UT_HTTP_HELD_MAX bytes) */
    int error_status;          /* 411, 413, 414, 431: answer this and close */
    bool in_request;           /* a request has begun and not completed */
    bool waiting;              /* output above max_pending: no more requests */
    bool done;                 /* the last reply is sent (or the peer is gone) */
};

/* ---- limits ---- */

static void ut_http_resolve(const ut_http_cfg *in, ut_http_cfg *out)
{
    *out = *in;
    if (!out->max_body)
        out->max_body = UT_HTTP_DEFAULT_MAX_BODY;
    if (!out->max_sessions)
        out->max_sessions = UT_HTTP_DEFAULT_SESSIONS;
    if (!out->max_head)
        out->max_head = UT_HTTP_DEFAULT_HEAD;
    if (!out->max_headers)
        out->max_headers = UT_HTTP_DEFAULT_HEADERS;
    if (out->max_headers > UT_HTTP_MAX_HEADERS)
        out->max_headers = UT_HTTP_MAX_HEADERS;
    if (!out->max_pending)
        out->max_pending = UT_HTTP_DEFAULT_PENDING;
    if (!out->max_output)
        out->max_output = UT_HTTP_DEFAULT_OUTPUT;
    if (out->max_output < out->max_pending)
        out->max_output = out->max_pending;
    if (!(out->request_timeout > 0))
        out->request_timeout = UT_HTTP_DEFAULT_REQUEST_TIMEOUT;
    if (!(out->idle_timeout > 0))
        out->idle_timeout = UT_HTTP_DEFAULT_IDLE_TIMEOUT;
}

/* ---- request accumulation ---- */

/* Appends n bytes to head and a NUL after them (not counted). */
static int ut_http_head_append(ut_http_conn *c, const char *p, size_t n)
{
    if (nw_buf_len(&c->head) + n + 1 > c->lim.max_head) {
        c->error_status = c->in == UT_HTTP_IN_URL ? 414 : 431;
        return -1;
    }
    if (nw_buf_reserve(&c->head, n + 1) != 0)
        return -1;
    memcpy(c->head.data + c->head.wpos, p, n);
    nw_buf_commit(&c->head, n);
    c->head.data[c->head.wpos] = '\0';
    return 0;
}

/* Ends the current string in head (url, name or value) with a NUL. */
static int ut_http_head_end(ut_http_conn *c)
{
    if (ut_http_head_append(c, "", 0) != 0)
        return -1;
    nw_buf_commit(&c->head, 1);    /* keep the NUL that append wrote */
    return 0;
}

static int ut_http_on_begin(http_parser *p)
{
    ut_http_conn *c = p->data;

    nw_buf_reset(&c->head);
    c->in = UT_HTTP_IN_URL;
    c->nheaders = 0;
    nw_buf_reset(&c->body);
    c->in_request = true;
    return 0;
}

static int ut_http_on_url(http_parser *p, const char *at, size_t n)
{
    return ut_http_head_append(p->data, at, n);
}

static int ut_http_on_field(http_parser *p, const char *at, size_t n)
{
    ut_http_conn *c = p->data;

    if (c->in != UT_HTTP_IN_FIELD) {
        if (c->nheaders == c->lim.max_headers) {
            c->error_status = 431;
            return -1;
        }
        if (ut_http_head_end(c) != 0)
            return -1;
        c->name_off[c->nheaders++] = nw_buf_len(&c->head);
        c->in = UT_HTTP_IN_FIELD;
    }
    return ut_http_head_append(c, at, n);
}

static int ut_http_on_value(http_parser *p, const char *at, size_t n)
{
    ut_http_conn *c = p->data;

    if (c->in != UT_HTTP_IN_VALUE) {
        if (ut_http_head_end(c) != 0)
            return -1;
        c->value_off[c->nheaders - 1] = nw_buf_len(&c->head);
        c->in = UT_HTTP_IN_VALUE;
    }
    return ut_http_head_append(c, at, n);
}

static int ut_http_on_headers(http_parser *p)
{
    ut_http_conn *c = p->data;

    if (c->in == UT_HTTP_IN_FIELD) {          /* a name without a value */
        if (ut_http_head_end(c) != 0)
            return -1;
        c->value_off[c->nheaders - 1] = nw_buf_len(&c->head);
    }
    if (ut_http_head_end(c) != 0)
        return -1;
    if ((p->flags & F_CHUNKED) || p->uses_transfer_encoding) {
        c->error_status = 411;
        return -1;
    }
    if (p->content_length != ULLONG_MAX && p->content_length > c->lim.max_body) {
        c->error_status = 413;
        return -1;
    }
    return 0;
}

static int ut_http_on_body(http_parser *p, const char *at, size_t n)
{
    ut_http_conn *c = p->data;

    if (nw_buf_len(&c->body) + n > c->lim.max_body) {
        c->error_status = 413;
        return -1;
    }
    if (nw_buf_reserve(&c->body, n + 1) != 0)    /* + room for the NUL */
        return -1;
    memcpy(c->body.data + c->body.wpos, at, n);
    nw_buf_commit(&c->body, n);
    return 0;
}

/* ---- replies ---- */

static const char *ut_http_reason(int status)
{
    const char *s = http_status_str((enum http_status)status);
    return s && s[0] != '<' ? s : "Unknown";
}

static int ut_http_out(ut_http_conn *c, const void *data, size_t len)
{
    if (c->done)
        return -1;
    if (c->io.send(c->io.arg, data, len) != 0) {
        c->done = true;            /* the connection is gone */
        return -1;
    }
    return 0;
}

/* The header block, then the body unless head_only (a HEAD request's reply
 * says the body's length and leaves it out). */
static void ut_http_send(ut_http_conn *c, int status, const char *type, const char *body,
                         size_t len, bool keep_alive, bool head_only)
{
    char buf[UT_HTTP_STACK_REPLY];
    int n = snprintf(buf, sizeof(buf),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n",
                     status, ut_http_reason(status), type, len,
                     keep_alive ? "keep-alive" : "close");

    if (n < 0 || (size_t)n >= sizeof(buf)) {
        n = snprintf(buf, sizeof(buf), "HTTP/1.1 500 Internal Server Error\r\n"
                     "Content-Length: 0\r\nConnection: close\r\n\r\n");
        ut_http_out(c, buf, (size_t)n);
        c->done = true;
        return;
    }
    if (head_only)
        len = 0;
    if ((size_t)n + len <= sizeof(buf)) {
        if (len)
            memcpy(buf + n, body, len);
        ut_http_out(c, buf, (size_t)n + len);
        return;
    }
    if (ut_http_out(c, buf, (size_t)n) == 0)
        ut_http_out(c, body, len);
}

static void ut_http_send_error(ut_http_conn *c, int status)
{
    char body[128];
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", ut_http_reason(status));

    ut_http_send(c, status, "application/json", body, (size_t)n, false, false);
    c->done = true;
}

/* ---- dispatch ---- */

/* Splits the url in place into path and query, and fills req. */
static void ut_http_build_req(ut_http_conn *c, ut_http_req *req, const char **names,
                              const char **values)
{
    char *url = c->head.data;
    char *frag = strchr(url, '#');
    char *q;

    if (frag)
        *frag = '\0';
    q = strchr(url, '?');
    if (q)
        *q++ = '\0';
    for (size_t i = 0; i < c->nheaders; i++) {
        names[i] = c->head.data + c->name_off[i];
        values[i] = c->head.data + c->value_off[i];
    }
    /* on_body left room for the NUL; an empty body may have no storage */
    bool body_ok = nw_buf_reserve(&c->body, 1) == 0;
    if (body_ok)
        c->body.data[c->body.wpos] = '\0';
    req->method = http_method_str((enum http_method)c->parser.method);
    req->path = url;
    req->query = q ? q : "";
    req->body = body_ok ? c->body.data : "";
    req->body_len = nw_buf_len(&c->body);
    req->header_names = names;
    req->header_values = values;
    req->header_count = c->nheaders;
}

static int ut_http_on_complete(http_parser *p)
{
    ut_http_conn *c = p->data;
    const char *names[UT_HTTP_MAX_HEADERS], *values[UT_HTTP_MAX_HEADERS];
    ut_http_req req;
    ut_http_resp resp = {.status = 200, .content_type = "application/json"};
    bool keep = http_should_keep_alive(p) && !p->upgrade;

    c->in_request = false;
    ut_http_build_req(c, &req, names, values);
    c->handler(&req, &resp, c->udata);
    if (resp.body && resp.body_len == 0)
        resp.body_len = strlen(resp.body);
    ut_http_send(c, resp.status ? resp.status : 200,
                 resp.content_type ? resp.content_type : "application/json",
                 resp.body ? resp.body : "", resp.body_len, keep, p->method == HTTP_HEAD);
    free(resp.body);
    if (c->body.cap > UT_HTTP_KEEP_BODY)
        nw_buf_free(&c->body);
    if (!keep)
        c->done = true;
    if (c->done || c->io.pending(c->io.arg) > c->lim.max_pending)
        http_parser_pause(p, 1);   /* the rest waits (or is ignored when done) */
    return 0;
}

static const http_parser_settings ut_http_settings = {
    .on_message_begin = ut_http_on_begin,
    .on_url = ut_http_on_url,
    .on_header_field = ut_http_on_field,
    .on_header_value = ut_http_on_value,
    .on_headers_complete = ut_http_on_headers,
    .on_body = ut_http_on_body,
    .on_message_complete = ut_http_on_complete,
};

/* ---- the connection's steps ---- */

/* 0, or -1: out of memory or past UT_HTTP_HELD_MAX (the buffer's max). */
static int ut_http_hold(ut_http_conn *c, const char *data, size_t len)
{
    return nw_buf_append(&c->held, data, len);
}

static void ut_http_refuse(ut_http_conn *c, int status, const char *why)
{
    log_info("http %s: refusing request from %s with %d%s%s", c->name, c->peer, status,
             why ? ": " : "", why ? why : "");
    ut_http_send_error(c, status);
}

/* Parses data; what a pause leaves unparsed is held. */
static ut_http_step ut_http_run(ut_http_conn *c, const char *data, size_t len)
{
    size_t n = http_parser_execute(&c->parser, &ut_http_settings, data, len);
    enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);

    if (c->done)
        return UT_HTTP_CLOSE;
    if (c->error_status) {
        ut_http_refuse(c, c->error_status, NULL);
        return UT_HTTP_CLOSE;
    }
    if (err == HPE_PAUSED) {
        http_parser_pause(&c->parser, 0);
        c->waiting = true;
        if (n < len && ut_http_hold(c, data + n, len - n) != 0) {
            ut_http_refuse(c, 400, "too much input while waiting");
            return UT_HTTP_CLOSE;
        }
        return UT_HTTP_WAIT;
    }
    if (err != HPE_OK) {
        ut_http_refuse(c, 400, http_errno_description(err));
        return UT_HTTP_CLOSE;
    }
    return UT_HTTP_MORE;
}

ut_http_step ut_http_conn_feed(ut_http_conn *c, const char *data, size_t len)
{
    if (c->done)
        return UT_HTTP_CLOSE;
    if (c->waiting) {
        if (ut_http_hold(c, data, len) != 0) {
            ut_http_refuse(c, 400, "too much input while waiting");
            return UT_HTTP_CLOSE;
        }
        return UT_HTTP_WAIT;
    }
    return ut_http_run(c, data, len);
}

ut_http_step ut_http_conn_resume(ut_http_conn *c)
{
    if (c->done)
        return UT_HTTP_CLOSE;
    if (!c->waiting)
        return UT_HTTP_MORE;
    if (c->io.pending(c->io.arg) > c->lim.max_pending)
        return UT_HTTP_WAIT;
    c->waiting = false;
    /* Parse from the buffer taken out of c: a new pause holds the rest
     * again in a fresh one. */
    nw_buf buf = c->held;
    size_t len = nw_buf_len(&buf);
    nw_buf_init_max(&c->held, UT_HTTP_HELD_MAX);
    ut_http_step st = len ? ut_http_run(c, buf.data + buf.rpos, len) : UT_HTTP_MORE;
    nw_buf_free(&buf);
    return st;
}

bool ut_http_conn_in_request(const ut_http_conn *c)
{
    return c->in_request && !c->done;
}

size_t ut_http_conn_held(const ut_http_conn *c)
{
    return nw_buf_len(&c->held);
}

void ut_http_conn_timeout(ut_http_conn *c)
{
    if (c->done)
        return;
    log_info("http %s: request from %s not complete after %.1f s, closing", c->name, c->peer,
             c->lim.request_timeout);
    ut_http_send_error(c, 408);
}

ut_http_conn *ut_http_conn_new(const ut_http_cfg *cfg, ut_http_handler handler, void *udata,
                               const ut_http_io *io, const char *name, const char *peer)
{
    ut_http_conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    ut_http_resolve(cfg, &c->lim);
    c->handler = handler;
    c->udata = udata;
    c->io = *io;
    snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
    snprintf(c->peer, sizeof(c->peer), "%s", peer ? peer : "");
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    nw_buf_init(&c->head);
    nw_buf_init(&c->body);
    nw_buf_init_max(&c->held, UT_HTTP_HELD_MAX);
    return c;
}

void ut_http_conn_free(ut_http_conn *c)
{
    if (!c)
        return;
    nw_buf_free(&c->head);
    nw_buf_free(&c->body);
    nw_buf_free(&c->held);
    free(c);
}

/* ---- the server ---- */

struct ut_http_svr {
    nw_svr *svr;
    ut_http_handler handler;
    void *udata;
    ut_http_cfg lim;           /* resolved */
    char *bind;
    struct ev_loop *loop;
    double refusal_logged;     /* ev_now of the last session-cap line */
    unsigned long refused;     /* connections refused since that line */
    char **allow;              /* NULL-terminated copies, or NULL: everyone */
};

/* One session: the connection's request path and its timers. */
typedef struct ut_http_ses {
    ut_http_svr *svr;
    nw_ses *ses;
    ut_http_conn *conn;
    nw_timer deadline;         /* the current request's request_timeout */
    nw_timer closing;          /* bounds the wait for the last reply */
    bool ended;                /* close requested */
} ut_http_ses;

static int ut_http_ses_send(void *arg, const void *data, size_t len)
{
    ut_http_ses *hs = arg;
    return nw_ses_send(hs->ses, data, len);
}

static size_t ut_http_ses_pending(void *arg)
{
    ut_http_ses *hs = arg;
    return nw_ses_pending(hs->ses);
}

static void ut_http_on_close_wait(nw_timer *t, void *privdata)
{
    ut_http_ses *hs = privdata;
    nw_ses_close(hs->ses, "last reply not delivered");
}

static void ut_http_on_deadline(nw_timer *t, void *privdata);

/* Acts on what the connection said after a feed or a resume. */
static void ut_http_ses_step(ut_http_ses *hs, ut_http_step st)
{
    if (hs->ended)
        return;
    switch (st) {
    case UT_HTTP_MORE:
        nw_ses_pause_read(hs->ses, false);
        if (!ut_http_conn_in_request(hs->conn))
            nw_timer_stop(&hs->deadline);
        else if (!nw_timer_active(&hs->deadline))
            nw_timer_set(&hs->deadline, hs->svr->loop, hs->svr->lim.request_timeout, false,
                         ut_http_on_deadline, hs);
        break;
    case UT_HTTP_WAIT:
        nw_timer_stop(&hs->deadline);
        nw_ses_pause_read(hs->ses, true);
        break;
    case UT_HTTP_CLOSE:
        hs->ended = true;
        nw_timer_stop(&hs->deadline);
        nw_ses_pause_read(hs->ses, false);     /* unread input would reset the close */
        nw_ses_close_flushed(hs->ses, "closed");
        if (!hs->ses->closing)
            nw_timer_set(&hs->closing, hs->svr->loop, UT_HTTP_CLOSE_WAIT, false,
                         ut_http_on_close_wait, hs);
        break;
    }
}

static void ut_http_on_deadline(nw_timer *t, void *privdata)
{
    ut_http_ses *hs = privdata;
    ut_http_conn_timeout(hs->conn);
    ut_http_ses_step(hs, UT_HTTP_CLOSE);
}

static void ut_http_nw_message(nw_ses *ses, const void *data, size_t len)
{
    ut_http_ses *hs = ses->privdata;

    if (!hs || hs->ended)
        return;
    ut_http_ses_step(hs, ut_http_conn_feed(hs->conn, data, len));
}

static void ut_http_nw_drained(nw_ses *ses)
{
    ut_http_ses *hs = ses->privdata;

    if (!hs || hs->ended)
        return;
    ut_http_ses_step(hs, ut_http_conn_resume(hs->conn));
}

/* Past max_sessions: closed at once; one WARN line per gap counts them. */
static bool ut_http_over_cap(ut_http_svr *s, nw_ses *ses)
{
    if (nw_svr_count(s->svr) <= s->lim.max_sessions)
        return false;
    s->refused++;
    double now = ev_now(s->loop);
    if (s->refusal_logged == 0 || now - s->refusal_logged >= UT_HTTP_REFUSAL_LOG_GAP) {
        log_warn("http %s: session limit %zu reached: refused %lu connection(s) since the "
                 "last such line, the latest from %s", s->bind, s->lim.max_sessions,
                 s->refused, nw_ses_peer_str(ses));
        s->refusal_logged = now;
        s->refused = 0;
    }
    nw_ses_close(ses, "session limit");
    return true;
}

/* The peer's host is in the allow-list (or there is none). */
static bool ut_http_allowed(const ut_http_svr *s, const nw_ses *ses)
{
    char host[128];

    if (!s->allow)
        return true;
    nw_addr_host(&ses->peer, host, sizeof(host));
    for (char **a = s->allow; *a; a++)
        if (strcmp(*a, host) == 0)
            return true;
    return false;
}

static void ut_http_nw_accept(nw_ses *ses)
{
    ut_http_svr *s = nw_svr_udata(nw_ses_svr(ses));

    if (!ut_http_allowed(s, ses)) {
        static ut_log_rl rl;
        UT_LOG_LIMITED(&rl, ev_now(s->loop), UT_LOG_WARN,
                       "http %s: peer %s is not in the allow list, closing", s->bind,
                       nw_ses_peer_str(ses));
        nw_ses_close(ses, "not allowed");
        return;
    }
    if (ut_http_over_cap(s, ses))
        return;
    ut_http_ses *hs = calloc(1, sizeof(*hs));
    ut_http_io io = {.send = ut_http_ses_send, .pending = ut_http_ses_pending, .arg = hs};
    if (hs)
        hs->conn = ut_http_conn_new(&s->lim, s->handler, s->udata, &io, s->bind,
                                    nw_ses_peer_str(ses));
    if (!hs || !hs->conn) {
        free(hs);
        nw_ses_close(ses, "out of memory");
        return;
    }
    hs->svr = s;
    hs->ses = ses;
    ses->privdata = hs;
    /* the first request has request_timeout from the accept */
    nw_timer_set(&hs->deadline, s->loop, s->lim.request_timeout, false, ut_http_on_deadline, hs);
}

static void ut_http_nw_close(nw_ses *ses, const char *reason)
{
    ut_http_ses *hs = ses->privdata;

    if (!hs)
        return;
    if (strcmp(reason, "idle timeout") == 0 || strcmp(reason, "write buffer limit") == 0 ||
        strcmp(reason, "last reply not delivered") == 0)
        log_info("http %s: closing %s: %s", hs->svr->bind, nw_ses_peer_str(ses), reason);
    ses->privdata = NULL;
    nw_timer_stop(&hs->deadline);
    nw_timer_stop(&hs->closing);
    ut_http_conn_free(hs->conn);
    free(hs);
}

static const nw_handlers ut_http_nw = {
    .on_message = ut_http_nw_message,
    .on_accept = ut_http_nw_accept,
    .on_close = ut_http_nw_close,
    .on_drained = ut_http_nw_drained,
};

/* ---- public ---- */

static void ut_http_allow_free(char **allow)
{
    for (char **a = allow; a && *a; a++)
        free(*a);
    free(allow);
}

/* A NULL-terminated deep copy (NULL stays NULL); 0 or -1. */
static int ut_http_allow_copy(char ***out, const char *const *allow)
{
    size_t n = 0;

    *out = NULL;
    if (!allow)
        return 0;
    while (allow[n])
        n++;
    if (!(*out = calloc(n + 1, sizeof(char *))))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((*out)[i] = strdup(allow[i]))) {
            ut_http_allow_free(*out);
            *out = NULL;
            return -1;
        }
    return 0;
}

ut_http_svr *ut_http_svr_create(struct ev_loop *loop, const ut_http_cfg *cfg,
                                ut_http_handler handler, void *udata)
{
    ut_http_svr *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->handler = handler;
    s->udata = udata;
    s->loop = loop;
    ut_http_resolve(cfg, &s->lim);
    s->bind = strdup(cfg->bind ? cfg->bind : "");
    s->lim.bind = s->bind;
    nw_svr_cfg ncfg = {
        .bind = s->bind,
        .idle_timeout = s->lim.idle_timeout,
        .wbuf_limit = s->lim.max_output,
    };
    s->svr = s->bind ? nw_svr_create(loop, &ncfg, &ut_http_nw, s) : NULL;
    if (s->svr && ut_http_allow_copy(&s->allow, cfg->allow) != 0) {
        nw_svr_free(s->svr);
        s->svr = NULL;
    }
    if (!s->svr) {
        log_error("http: bad bind address '%s'", cfg->bind ? cfg->bind : "");
        free(s->bind);
        free(s);
        return NULL;
    }
    return s;
}

int ut_http_svr_start(ut_http_svr *svr)
{
    if (nw_svr_start(svr->svr) != 0) {
        log_error("http %s: cannot listen", svr->bind);
        return -1;
    }
    return 0;
}

void ut_http_svr_free(ut_http_svr *svr)
{
    if (!svr)
        return;
    nw_svr_free(svr->svr);
    ut_http_allow_free(svr->allow);
    free(svr->bind);
    free(svr);
}

int ut_http_svr_port(const ut_http_svr *svr)
{
    nw_addr a;

    if (nw_svr_local_addr(svr->svr, &a) != 0)
        return -1;
    if (a.u.sa.sa_family == AF_INET)
        return ntohs(a.u.in4.sin_port);
    if (a.u.sa.sa_family == AF_INET6)
        return ntohs(a.u.in6.sin6_port);
    return -1;
}

static void ut_http_add_queued(nw_ses *ses, void *arg)
{
    ut_http_ses *hs = ses->privdata;
    size_t *sum = arg;

    *sum += nw_ses_pending(ses) + (hs ? ut_http_conn_held(hs->conn) : 0);
}

size_t ut_http_svr_queued(const ut_http_svr *svr)
{
    size_t sum = 0;

    nw_svr_foreach(svr->svr, ut_http_add_queued, &sum);
    return sum;
}

const char *ut_http_req_header(const ut_http_req *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        if (strcasecmp(req->header_names[i], name) == 0)
            return req->header_values[i];
    }
    return NULL;
}

void ut_http_resp_text(ut_http_resp *resp, int status, const char *type, const char *text)
{
    free(resp->body);
    resp->status = status;
    resp->content_type = type;
    resp->body = strdup(text ? text : "");
    resp->body_len = resp->body ? strlen(resp->body) : 0;
}

void ut_http_resp_json(ut_http_resp *resp, int status, json_t *json)
{
    free(resp->body);
    resp->status = status;
    resp->content_type = "application/json";
    resp->body = json ? json_dumps(json, JSON_COMPACT) : NULL;
    resp->body_len = resp->body ? strlen(resp->body) : 0;
    json_decref(json);
}
