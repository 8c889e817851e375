/* st_out: batched output. Replies are collected while a batch of lines
 * read in one go is handled and written with one send (at the end of the
 * batch, when another connection's output is queued, or when the buffer
 * grows large); before each write the sink's sync runs. Replies echo the
 * request id as JSON text (id/idlen, "null" when there was none). */
#ifndef ST_OUT_H
#define ST_OUT_H

#include <stddef.h>
#include "stratum/st_conn.h"

/* Queues bytes for c (nothing on a closing connection). */
void st_out(st_conn *c, const void *data, size_t len);
/* Writes out whatever is queued. */
void st_flush(st_server *srv);

void st_reply_true(st_conn *c, const char *id, size_t idlen);
void st_reply_result(st_conn *c, const char *id, size_t idlen, const char *result, size_t rlen);
void st_reply_error(st_conn *c, const char *id, size_t idlen, int code, const char *msg);

#endif
