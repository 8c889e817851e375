/* fuzz_ut_http: the HTTP request path of utils/ut_http (ut_http_conn, what
 * the server runs on every connection) over a byte stream as a client
 * sends it. Input: byte 0 seeds the split points and the drain decisions,
 * byte 1 picks the limits (bit 0: max_head 64, bit 1: max_headers 3,
 * bit 2: max_body 16, bit 3: max_pending 1 so that every reply makes the
 * connection wait; clear bits: the defaults), the rest is the stream.
 * The handler echoes method, path, query, headers and body.
 * Run 1 feeds the whole stream at once to a connection whose output is
 * always delivered at once. Run 2 feeds it in pieces of 1..64 bytes to a
 * connection whose output drains only when the driver says so: it may
 * wait (UT_HTTP_WAIT), get more bytes while waiting (held), and resume.
 * Checks: no crash, no leak, no UB; the handler sees NUL-terminated path,
 * query, names and values and a body with a NUL after body_len bytes; no
 * request line or header past max_head; and both runs write exactly the
 * same bytes and end the same way (closed or not): splitting, waiting and
 * resuming never change what a client gets. One difference is allowed
 * (found by this target): when a request both passes max_head and has a
 * bad byte further on, which refusal comes first (414/431 or 400) depends
 * on where the stream was cut, as http-parser hands the URL and header
 * bytes over at the end of each piece; so the last reply may differ when
 * it is an error reply in both runs and everything before it is equal
 * (regression input: corpus/ut_http/regress_split_refusal). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_buf.h"
#include "utils/ut_http.h"
#include "utils/ut_log.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

/* What a run wrote. All of it is kept (the input is at most -max_len bytes,
 * so the replies are a few times that), so the runs are compared whole. */
typedef struct out {
    nw_buf buf;          /* every byte written; storage reused across inputs */
    size_t pending;      /* not yet "delivered" */
    size_t last;         /* where the last reply starts */
} out;

static out o1, o2;
static size_t max_head;

static void out_reset(out *o)
{
    nw_buf_reset(&o->buf);
    o->pending = 0;
    o->last = 0;
}

static size_t out_len(const out *o)
{
    return nw_buf_len(&o->buf);
}

static const char *out_bytes(const out *o)
{
    return o->buf.data ? o->buf.data : "";
}

static int out_send(void *arg, const void *data, size_t len)
{
    out *o = arg;
    if (len >= 9 && memcmp(data, "HTTP/1.1 ", 9) == 0)
        o->last = out_len(o);
    CHECK(nw_buf_append(&o->buf, data, len) == 0);
    o->pending += len;
    return 0;
}

static size_t out_pending(void *arg)
{
    return ((out *)arg)->pending;
}

static void echo(const ut_http_req *req, ut_http_resp *resp, void *udata)
{
    size_t cap = 64 + strlen(req->method) + strlen(req->path) + strlen(req->query) +
                 req->body_len;
    CHECK(strlen(req->path) < max_head && strlen(req->query) < max_head);
    CHECK(req->body[req->body_len] == '\0');
    CHECK(req->header_count <= 64);
    for (size_t i = 0; i < req->header_count; i++) {
        CHECK(req->header_names[i] && req->header_values[i]);
        cap += strlen(req->header_names[i]) + strlen(req->header_values[i]) + 4;
    }
    char *b = malloc(cap);
    CHECK(b != NULL);
    size_t n = (size_t)snprintf(b, cap, "%s %s ? %s\n", req->method, req->path, req->query);
    for (size_t i = 0; i < req->header_count; i++)
        n += (size_t)snprintf(b + n, cap - n, "%s: %s\n", req->header_names[i],
                              req->header_values[i]);
    memcpy(b + n, req->body, req->body_len);
    n += req->body_len;
    CHECK(n < cap);
    resp->body = b;
    resp->body_len = n;
    resp->status = req->body_len ? 201 : 200;
    resp->content_type = "text/plain";
}

/* An error reply: 400, 413, 414 or 431 with a {"error":...} body. */
static bool is_refusal(const char *r, size_t len)
{
    static const char *const heads[] = {"HTTP/1.1 400 ", "HTTP/1.1 413 ", "HTTP/1.1 414 ",
                                        "HTTP/1.1 431 "};
    bool known = false;
    for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
        known |= len > 13 && memcmp(r, heads[i], 13) == 0;
    static const char tail[] = "\r\nConnection: close\r\n\r\n{\"error\":";
    return known && memmem(r, len, tail, sizeof(tail) - 1) != NULL;
}

static uint32_t next(uint32_t *seed)
{
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    return *seed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    ut_log_set_level(UT_LOG_FATAL);
    uint32_t seed = data[0] * 2654435761u + 1;
    ut_http_cfg cfg = {
        .max_head = (data[1] & 1) ? 64 : 0,
        .max_headers = (data[1] & 2) ? 3 : 0,
        .max_body = (data[1] & 4) ? 16 : 0,
        .max_pending = (data[1] & 8) ? 1 : 0,
    };
    max_head = cfg.max_head ? cfg.max_head : 8192;
    const char *s = (const char *)data + 2;
    size_t n = size - 2;

    /* run 1: whole, output always delivered */
    out_reset(&o1);
    ut_http_io io1 = {.send = out_send, .pending = out_pending, .arg = &o1};
    ut_http_conn *c1 = ut_http_conn_new(&cfg, echo, NULL, &io1, "fuzz", "peer");
    CHECK(c1 != NULL);
    o1.pending = 0;
    ut_http_step st1 = ut_http_conn_feed(c1, s, n);
    CHECK(st1 != UT_HTTP_WAIT || cfg.max_pending == 1);
    while (st1 == UT_HTTP_WAIT) {      /* only after a reply over max_pending 1 */
        o1.pending = 0;
        st1 = ut_http_conn_resume(c1);
    }
    ut_http_conn_free(c1);

    /* run 2: in pieces, draining when the seed says */
    out_reset(&o2);
    ut_http_io io2 = {.send = out_send, .pending = out_pending, .arg = &o2};
    ut_http_conn *c2 = ut_http_conn_new(&cfg, echo, NULL, &io2, "fuzz", "peer");
    CHECK(c2 != NULL);
    ut_http_step st2 = UT_HTTP_MORE;
    size_t pos = 0;
    while (pos < n && st2 != UT_HTTP_CLOSE) {
        size_t chunk = 1 + next(&seed) % 64;
        if (chunk > n - pos)
            chunk = n - pos;
        ut_http_step st = ut_http_conn_feed(c2, s + pos, chunk);
        CHECK(st2 != UT_HTTP_WAIT || st != UT_HTTP_MORE);   /* waiting holds */
        st2 = st;
        pos += chunk;
        uint32_t r = next(&seed);
        if (r & 1)
            o2.pending = 0;                 /* the kernel took it all */
        if (st2 == UT_HTTP_WAIT && (r & 2))
            st2 = ut_http_conn_resume(c2);  /* may still wait: not drained */
        CHECK(st2 != UT_HTTP_WAIT || ut_http_conn_held(c2) <= n);
    }
    while (st2 == UT_HTTP_WAIT) {
        o2.pending = 0;
        st2 = ut_http_conn_resume(c2);
    }
    ut_http_conn_free(c2);

    CHECK((st1 == UT_HTTP_CLOSE) == (st2 == UT_HTTP_CLOSE));
    const char *b1 = out_bytes(&o1), *b2 = out_bytes(&o2);
    if (out_len(&o1) == out_len(&o2) && memcmp(b1, b2, out_len(&o1)) == 0)
        return 0;
    CHECK(st1 == UT_HTTP_CLOSE && o1.last == o2.last);
    CHECK(memcmp(b1, b2, o1.last) == 0);
    CHECK(is_refusal(b1 + o1.last, out_len(&o1) - o1.last));
    CHECK(is_refusal(b2 + o2.last, out_len(&o2) - o2.last));
    return 0;
}
