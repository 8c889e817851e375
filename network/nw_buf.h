/* nw_buf: the growable byte buffer of the project (network/ is the lowest
 * library, so utils/, stratum/ and every module use it too): pending input
 * and output of sessions, the accounting journal and events, HTTP and
 * /metrics texts, arrays that grow. Bytes are appended at wpos and
 * consumed from rpos; the storage doubles when it must grow. An optional
 * max bounds the unread bytes, so a peer cannot grow a buffer without
 * bound. Owned by whoever created it. */
#ifndef NW_BUF_H
#define NW_BUF_H

#include <stddef.h>

typedef struct nw_buf {
    char *data;
    size_t rpos;  /* first unread byte */
    size_t wpos;  /* one past the last written byte */
    size_t cap;
    size_t max;   /* unread bytes at most; 0 = no limit */
} nw_buf;

void nw_buf_init(nw_buf *b);                       /* empty, no limit, nothing allocated */
void nw_buf_init_max(nw_buf *b, size_t max);       /* empty, at most max unread bytes */
void nw_buf_free(nw_buf *b);                       /* frees data, buffer is empty again (max kept) */
void nw_buf_reset(nw_buf *b);                      /* empty again, storage kept for reuse */
size_t nw_buf_len(const nw_buf *b);                /* wpos - rpos */
/* Room for n more bytes after wpos: 0, or -1 with errno ENOMEM (out of
 * memory) or ENOBUFS (the unread bytes would pass max). */
int nw_buf_reserve(nw_buf *b, size_t n);
int nw_buf_append(nw_buf *b, const void *p, size_t n);  /* 0, or -1 as nw_buf_reserve */
/* Appends n bytes the caller fills: where they go, or NULL as
 * nw_buf_reserve (nothing appended then). */
void *nw_buf_push(nw_buf *b, size_t n);
/* Counts n bytes written into the room nw_buf_reserve made as appended. */
void nw_buf_commit(nw_buf *b, size_t n);
void nw_buf_consume(nw_buf *b, size_t n);          /* drops n bytes from the front */
/* Hands the unread bytes over as a malloc'd string with a NUL after them
 * (*len, when not NULL: their count); b is empty and unallocated after.
 * NULL when out of memory (b unchanged). */
char *nw_buf_take(nw_buf *b, size_t *len);

#endif
