/* st_out: batched output and the reply lines (see st_out.h). */
#include <stdlib.h>
#include <string.h>
#include "stratum/st_out.h"
#include "stratum/st_req.h"
#include "stratum/st_server.h"
#include "utils/ut_log.h"

#define ST_OUT_FLUSH_AT (64 * 1024)

static void st_send(st_server *srv, st_conn *c, const void *data, size_t len)
{
    if (srv->sink.send != NULL)
        srv->sink.send(srv->sink.arg, c, data, len);
    else if (c->ses != NULL)
        nw_ses_send(c->ses, data, len);
}

void st_flush(st_server *srv)
{
    st_conn *c = srv->out_owner;
    size_t n = nw_buf_len(&srv->out);

    if (c == NULL || n == 0)
        return;
    srv->out_owner = NULL;
    nw_buf_reset(&srv->out);   /* the bytes stay where they are until the next st_out */
    /* The shares these replies accept reach the user's journal first: a
     * reply "true" never leaves before its share would survive a crash. */
    if (srv->sink.sync != NULL)
        srv->sink.sync(srv->sink.arg);
    /* The hook may close (and free) c: nothing of c is used after it. */
    st_send(srv, c, srv->out.data, n);
}

void st_out(st_conn *c, const void *data, size_t len)
{
    st_server *srv = c->srv;

    if (c->closing)
        return;
    if (srv->out_owner != c)
        st_flush(srv);
    if (nw_buf_append(&srv->out, data, len) != 0) {
        log_error("stratum out of memory: peer=%s conn=%llu, %zu bytes dropped", c->peer,
                  (unsigned long long)c->id, len);
        return;
    }
    srv->out_owner = c;
    if (nw_buf_len(&srv->out) >= ST_OUT_FLUSH_AT)
        st_flush(srv);
}

/* Writes '{"id":<id>' into buf (ST_REQ_MAX_ID + 96 bytes); an id too long
 * to echo is answered as null. Returns the length. */
static size_t st_reply_begin(char *buf, const char *id, size_t idlen)
{
    if (idlen > ST_REQ_MAX_ID) {
        id = "null";
        idlen = 4;
    }
    memcpy(buf, "{\"id\":", 6);
    memcpy(buf + 6, id, idlen);
    return 6 + idlen;
}

void st_reply_true(st_conn *c, const char *id, size_t idlen)
{
    static const char tail[] = ",\"result\":true,\"error\":null}\n";
    char buf[ST_REQ_MAX_ID + 96];
    size_t n = st_reply_begin(buf, id, idlen);

    memcpy(buf + n, tail, sizeof(tail) - 1);
    st_out(c, buf, n + sizeof(tail) - 1);
}

void st_reply_result(st_conn *c, const char *id, size_t idlen, const char *result, size_t rlen)
{
    static const char mid[] = ",\"result\":";
    static const char tail[] = ",\"error\":null}\n";
    char buf[ST_REQ_MAX_ID + 96];
    size_t n = st_reply_begin(buf, id, idlen);

    memcpy(buf + n, mid, sizeof(mid) - 1);
    st_out(c, buf, n + sizeof(mid) - 1);
    st_out(c, result, rlen);
    st_out(c, tail, sizeof(tail) - 1);
}

/* Appends s (n bytes) at *at. */
static void st_put(char **at, const char *s, size_t n)
{
    memcpy(*at, s, n);
    *at += n;
}

/* The error reply built by hand (no printf on the reject path: a flood of
 * rejects is answered as cheaply as accepts). A message longer than the
 * room left is cut; the messages are static texts of this library. */
void st_reply_error(st_conn *c, const char *id, size_t idlen, int code, const char *msg)
{
    static const char head[] = "{\"id\":", mid[] = ",\"result\":null,\"error\":[",
                      tail[] = "\",null]}\n";
    char buf[ST_REQ_MAX_ID + 256], digits[12], *at = buf;
    size_t nd = 0, mlen = strlen(msg);
    unsigned v = code < 0 ? 0u - (unsigned)code : (unsigned)code;

    if (idlen > ST_REQ_MAX_ID + 16) {
        id = "null";
        idlen = 4;
    }
    do {
        digits[sizeof(digits) - 1 - nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    if (code < 0)
        digits[sizeof(digits) - 1 - nd++] = '-';
    if (mlen > sizeof(buf) - (sizeof(head) + idlen + sizeof(mid) + nd + 2 + sizeof(tail)))
        mlen = sizeof(buf) - (sizeof(head) + idlen + sizeof(mid) + nd + 2 + sizeof(tail));
    st_put(&at, head, sizeof(head) - 1);
    st_put(&at, id, idlen);
    st_put(&at, mid, sizeof(mid) - 1);
    st_put(&at, digits + sizeof(digits) - nd, nd);
    st_put(&at, ",\"", 2);
    st_put(&at, msg, mlen);
    st_put(&at, tail, sizeof(tail) - 1);
    st_out(c, buf, (size_t)(at - buf));
}
