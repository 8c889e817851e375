/* nw_buf: a growable byte buffer with a read position. Bytes are appended
 * at wpos and consumed from rpos; when everything is consumed both go back
 * to 0 so the storage is reused from the start. */
#include "network/nw_buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NW_BUF_MIN_CAP 256

void nw_buf_init(nw_buf *b)
{
    nw_buf_init_max(b, 0);
}

void nw_buf_init_max(nw_buf *b, size_t max)
{
    b->data = NULL;
    b->rpos = 0;
    b->wpos = 0;
    b->cap = 0;
    b->max = max;
}

void nw_buf_free(nw_buf *b)
{
    free(b->data);
    nw_buf_init_max(b, b->max);
}

void nw_buf_reset(nw_buf *b)
{
    b->rpos = 0;
    b->wpos = 0;
}

size_t nw_buf_len(const nw_buf *b)
{
    return b->wpos - b->rpos;
}

/* Moves the unread bytes to the front of the storage. */
static void nw_buf_compact(nw_buf *b)
{
    size_t len = nw_buf_len(b);
    if (b->rpos == 0)
        return;
    if (len > 0)
        memmove(b->data, b->data + b->rpos, len);
    b->rpos = 0;
    b->wpos = len;
}

/* The storage for need bytes: doubling, but never past max when set. */
static size_t nw_buf_new_cap(const nw_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : NW_BUF_MIN_CAP;
    while (cap < need)
        cap *= 2;
    if (b->max && cap > b->max)
        cap = need > b->max ? need : b->max;
    return cap;
}

int nw_buf_reserve(nw_buf *b, size_t n)
{
    size_t len = nw_buf_len(b);
    if (b->max && (n > b->max || len > b->max - n)) {
        errno = ENOBUFS;
        return -1;
    }
    if (b->cap - b->wpos >= n)
        return 0;
    if (n > SIZE_MAX / 2 - len) {
        errno = ENOMEM;
        return -1;
    }
    /* Sliding the unread bytes down is enough when they fit. */
    if (b->cap - len >= n) {
        nw_buf_compact(b);
        return 0;
    }
    size_t cap = nw_buf_new_cap(b, len + n);
    nw_buf_compact(b);
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int nw_buf_append(nw_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (nw_buf_reserve(b, n) < 0)
        return -1;
    memcpy(b->data + b->wpos, p, n);
    b->wpos += n;
    return 0;
}

void *nw_buf_push(nw_buf *b, size_t n)
{
    if (nw_buf_reserve(b, n) < 0)
        return NULL;
    void *p = b->data + b->wpos;
    b->wpos += n;
    return p;
}

void nw_buf_commit(nw_buf *b, size_t n)
{
    b->wpos += n <= b->cap - b->wpos ? n : b->cap - b->wpos;
}

void nw_buf_consume(nw_buf *b, size_t n)
{
    if (n >= nw_buf_len(b)) {
        b->rpos = 0;
        b->wpos = 0;
        return;
    }
    b->rpos += n;
}

char *nw_buf_take(nw_buf *b, size_t *len)
{
    size_t n = nw_buf_len(b);
    nw_buf_compact(b);
    if (b->cap == n) {                 /* room for the NUL, past max if need be */
        char *p = realloc(b->data, n + 1);
        if (!p)
            return NULL;
        b->data = p;
        b->cap = n + 1;
    }
    char *s = b->data;
    s[n] = '\0';
    if (len)
        *len = n;
    nw_buf_init_max(b, b->max);
    return s;
}
