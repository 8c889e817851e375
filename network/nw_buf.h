/* nw_buf: a growable byte buffer with a read position, used for pending
 * input and pending output. Owned by whoever created it. */
#ifndef NW_BUF_H
#define NW_BUF_H

#include <stddef.h>

typedef struct nw_buf {
    char *data;
    size_t rpos;  /* first unread byte */
    size_t wpos;  /* one past the last written byte */
    size_t cap;
} nw_buf;

void nw_buf_init(nw_buf *b);
void nw_buf_free(nw_buf *b);                       /* frees data, buffer is empty again */
size_t nw_buf_len(const nw_buf *b);                /* wpos - rpos */
int nw_buf_append(nw_buf *b, const void *p, size_t n);  /* 0, or -1 on ENOMEM */
void nw_buf_consume(nw_buf *b, size_t n);          /* drops n bytes from the front */
int nw_buf_reserve(nw_buf *b, size_t n);           /* room for n more bytes after wpos */

#endif
