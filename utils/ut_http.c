/* ut_http: a small HTTP/1.1 server on nw_svr for status pages, JSON-RPC
 * control and /metrics. Debian's http-parser (2.9) parses; each connection
 * keeps one parser, the request line and headers of the current request
 * (capped at UT_HTTP_MAX_HEADER bytes and UT_HTTP_MAX_HEADERS entries) and
 * its body (capped at max_body). Requests must carry Content-Length when
 * they have a body: chunked bodies are refused with 411. Errors answer
 * 400/411/413/431 and close; otherwise keep-alive follows the request. */
#include "utils/ut_http.h"

#include <arpa/inet.h>
#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "network/nw_timer.h"
#include "utils/ut_log.h"

#define UT_HTTP_DEFAULT_MAX_BODY (1024u * 1024)
#define UT_HTTP_MAX_HEADER (16u * 1024)
#define UT_HTTP_MAX_HEADERS 64
#define UT_HTTP_IDLE_TIMEOUT 120.0
#define UT_HTTP_WBUF_LIMIT (64u * 1024 * 1024)   /* room for a big /metrics reply */
#define UT_HTTP_STACK_REPLY 8192
#define UT_HTTP_KEEP_BODY (64u * 1024)   /* larger body buffers are released */
#define UT_HTTP_DRAIN_POLL 0.05          /* closing: wait for queued output ... */
#define UT_HTTP_DRAIN_MAX 100            /* ... at most this many polls */

struct ut_http_svr {
    nw_svr *svr;
    ut_http_handler handler;
    void *udata;
    size_t max_body;
    char *bind;
    char **allow;              /* NULL-terminated copies, or NULL: everyone */
};

typedef enum { UT_HTTP_IN_URL, UT_HTTP_IN_FIELD, UT_HTTP_IN_VALUE } ut_http_in;

/* One connection: parser and the request being read. */
typedef struct ut_http_conn {
    ut_http_svr *svr;
    nw_ses *ses;
    http_parser parser;
    char *head;                /* url NUL name NUL value NUL ... */
    size_t head_len;
    size_t head_cap;
    ut_http_in in;
    size_t nheaders;
    size_t name_off[UT_HTTP_MAX_HEADERS];
    size_t value_off[UT_HTTP_MAX_HEADERS];
    char *body;
    size_t body_len;
    size_t body_cap;
    int error_status;          /* 411, 413, 431: answer this and close */
    bool close_after;          /* the current reply ends the connection */
    nw_timer drain;            /* polls until the last reply left, then closes */
    int drain_polls;
} ut_http_conn;

/* ---- request accumulation ---- */

static int ut_http_head_append(ut_http_conn *c, const char *p, size_t n)
{
    if (c->head_len + n + 1 > UT_HTTP_MAX_HEADER) {
        c->error_status = 431;
        return -1;
    }
    if (c->head_len + n + 1 > c->head_cap) {
        size_t cap = c->head_cap ? c->head_cap : 512;
        while (cap < c->head_len + n + 1)
            cap *= 2;
        char *q = realloc(c->head, cap);
        if (!q)
            return -1;
        c->head = q;
        c->head_cap = cap;
    }
    memcpy(c->head + c->head_len, p, n);
    c->head_len += n;
    c->head[c->head_len] = '\0';
    return 0;
}

/* Ends the current string in head (url, name or value) with a NUL. */
static int ut_http_head_end(ut_http_conn *c)
{
    if (ut_http_head_append(c, "", 0) != 0)
        return -1;
    c->head_len++;    /* keep the NUL that append wrote */
    return 0;
}

static int ut_http_on_begin(http_parser *p)
{
    ut_http_conn *c = p->data;

    c->head_len = 0;
    c->in = UT_HTTP_IN_URL;
    c->nheaders = 0;
    c->body_len = 0;
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
        if (c->nheaders == UT_HTTP_MAX_HEADERS) {
            c->error_status = 431;
            return -1;
        }
        if (ut_http_head_end(c) != 0)
            return -1;
        c->name_off[c->nheaders++] = c->head_len;
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
        c->value_off[c->nheaders - 1] = c->head_len;
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
        c->value_off[c->nheaders - 1] = c->head_len;
    }
    if (ut_http_head_end(c) != 0)
        return -1;
    if ((p->flags & F_CHUNKED) || p->uses_transfer_encoding) {
        c->error_status = 411;
        return -1;
    }
    if (p->content_length != ULLONG_MAX && p->content_length > c->svr->max_body) {
        c->error_status = 413;
        return -1;
    }
    return 0;
}

static int ut_http_on_body(http_parser *p, const char *at, size_t n)
{
    ut_http_conn *c = p->data;

    if (c->body_len + n > c->svr->max_body) {
        c->error_status = 413;
        return -1;
    }
    if (c->body_len + n + 1 > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 1024;
        while (cap < c->body_len + n + 1)
            cap *= 2;
        char *q = realloc(c->body, cap);
        if (!q)
            return -1;
        c->body = q;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, at, n);
    c->body_len += n;
    return 0;
}

/* ---- replies ---- */

static const char *ut_http_reason(int status)
{
    const char *s = http_status_str((enum http_status)status);
    return s && s[0] != '<' ? s : "Unknown";
}

static void ut_http_send(ut_http_conn *c, int status, const char *type, const char *body,
                         size_t len, bool keep_alive)
{
    char buf[UT_HTTP_STACK_REPLY];
    int n = snprintf(buf, sizeof(buf),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n\r\n",
                     status, ut_http_reason(status), type, len,
                     keep_alive ? "keep-alive" : "close");

    if (n < 0 || (size_t)n >= sizeof(buf))
        return;
    if ((size_t)n + len <= sizeof(buf)) {
        if (len)
            memcpy(buf + n, body, len);
        nw_ses_send(c->ses, buf, (size_t)n + len);
        return;
    }
    if (nw_ses_send(c->ses, buf, (size_t)n) == 0)
        nw_ses_send(c->ses, body, len);
}

static void ut_http_send_error(ut_http_conn *c, int status)
{
    char body[128];
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", ut_http_reason(status));

    ut_http_send(c, status, "application/json", body, (size_t)n, false);
}

/* ---- dispatch ---- */

/* Splits the url in place into path and query, and fills req. */
static void ut_http_build_req(ut_http_conn *c, ut_http_req *req, const char **names,
                              const char **values)
{
    char *url = c->head;
    char *frag = strchr(url, '#');
    char *q;

    if (frag)
        *frag = '\0';
    q = strchr(url, '?');
    if (q)
        *q++ = '\0';
    for (size_t i = 0; i < c->nheaders; i++) {
        names[i] = c->head + c->name_off[i];
        values[i] = c->head + c->value_off[i];
    }
    if (!c->body) {
        c->body = malloc(1);
        c->body_cap = c->body ? 1 : 0;
    }
    if (c->body)
        c->body[c->body_len] = '\0';
    req->method = http_method_str((enum http_method)c->parser.method);
    req->path = url;
    req->query = q ? q : "";
    req->body = c->body ? c->body : "";
    req->body_len = c->body_len;
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

    ut_http_build_req(c, &req, names, values);
    c->svr->handler(&req, &resp, c->svr->udata);
    if (resp.body && resp.body_len == 0)
        resp.body_len = strlen(resp.body);
    ut_http_send(c, resp.status ? resp.status : 200,
                 resp.content_type ? resp.content_type : "application/json",
                 resp.body ? resp.body : "", resp.body_len, keep);
    free(resp.body);
    if (c->body_cap > UT_HTTP_KEEP_BODY) {
        free(c->body);
        c->body = NULL;
        c->body_cap = 0;
    }
    if (!keep) {
        c->close_after = true;
        http_parser_pause(p, 1);   /* ignore anything pipelined after it */
    }
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

/* ---- closing ---- */

static void ut_http_on_drain(nw_timer *t, void *privdata)
{
    ut_http_conn *c = privdata;

    if (nw_ses_pending(c->ses) == 0 || ++c->drain_polls >= UT_HTTP_DRAIN_MAX) {
        nw_timer_stop(t);
        nw_ses_close(c->ses, "closed");
    }
}

/* Closes after the queued output is written: nw_ses_close drops it. */
static void ut_http_close_flushed(ut_http_conn *c, const char *reason)
{
    c->close_after = true;
    if (nw_ses_pending(c->ses) == 0) {
        nw_ses_close(c->ses, reason);
        return;
    }
    nw_timer_set(&c->drain, c->ses->loop, UT_HTTP_DRAIN_POLL, true, ut_http_on_drain, c);
}

/* ---- nw callbacks ---- */

static void ut_http_nw_message(nw_ses *ses, const void *data, size_t len)
{
    ut_http_conn *c = ses->privdata;
    enum http_errno err;

    if (!c || c->close_after)
        return;
    http_parser_execute(&c->parser, &ut_http_settings, data, len);
    err = HTTP_PARSER_ERRNO(&c->parser);
    if (c->close_after) {
        ut_http_close_flushed(c, "closed");
    } else if (c->error_status) {
        log_info("http %s: refusing request from %s with %d", c->svr->bind,
                 nw_ses_peer_str(ses), c->error_status);
        ut_http_send_error(c, c->error_status);
        ut_http_close_flushed(c, "closed");
    } else if (err != HPE_OK) {
        log_info("http %s: bad request from %s: %s", c->svr->bind, nw_ses_peer_str(ses),
                 http_errno_description(err));
        ut_http_send_error(c, 400);
        ut_http_close_flushed(c, "bad request");
    }
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
    ut_http_conn *c;

    if (!ut_http_allowed(s, ses)) {
        log_warn("http %s: peer %s is not in the allow list, closing", s->bind,
                 nw_ses_peer_str(ses));
        nw_ses_close(ses, "not allowed");
        return;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        nw_ses_close(ses, "out of memory");
        return;
    }
    c->svr = s;
    c->ses = ses;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    ses->privdata = c;
}

static void ut_http_nw_close(nw_ses *ses, const char *reason)
{
    ut_http_conn *c = ses->privdata;

    if (!c)
        return;
    ses->privdata = NULL;
    nw_timer_stop(&c->drain);
    free(c->head);
    free(c->body);
    free(c);
}

static const nw_handlers ut_http_nw = {
    .on_message = ut_http_nw_message,
    .on_accept = ut_http_nw_accept,
    .on_close = ut_http_nw_close,
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
    s->max_body = cfg->max_body ? cfg->max_body : UT_HTTP_DEFAULT_MAX_BODY;
    s->bind = strdup(cfg->bind ? cfg->bind : "");
    nw_svr_cfg ncfg = {
        .bind = s->bind,
        .idle_timeout = UT_HTTP_IDLE_TIMEOUT,
        .wbuf_limit = UT_HTTP_WBUF_LIMIT,
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
