/* gw_conn: the life of one miner connection: accept (with the ban check),
 * line framing with the length limit, batched output (replies are
 * collected while a batch of lines is handled and written in one go from
 * on_batch_end), closing, and what is released when it ends. The
 * Stratum methods themselves are in gw_stratum.c. */
#ifndef GW_CONN_H
#define GW_CONN_H

#include <stddef.h>
#include "gateway/gw_server.h"
#include "network/nw_ses.h"

/* The nw handlers of the Stratum listener; privdata of each nw_ses is its
 * gw_conn, the server's udata is the gw_server. */
extern const nw_handlers gw_conn_handlers;

/* Creates a connection (ses may be NULL in tests; peer is "host:port").
 * Returns NULL when out of memory. */
gw_conn *gw_conn_new(gw_server *srv, nw_ses *ses, const nw_addr *peer);
/* Releases everything the connection holds and frees it. */
void gw_conn_free(gw_conn *c);

/* Queues bytes for c; they go out at the end of the batch (or earlier when
 * another connection's output is queued or the buffer is large). */
void gw_out(gw_conn *c, const void *data, size_t len);
/* Writes out whatever is queued. */
void gw_flush(gw_server *srv);

/* Closes c after writing what is queued for it. Safe to call twice. */
void gw_conn_close(gw_conn *c, const char *reason);

/* One framed message as read from the socket (trailing '\n' included when
 * the line was within the limit). */
void gw_conn_message(gw_conn *c, const char *msg, size_t len);

/* Replies. id/idlen is the JSON text of the request id ("null" if none). */
void gw_reply_true(gw_conn *c, const char *id, size_t idlen);
void gw_reply_result(gw_conn *c, const char *id, size_t idlen, const char *result, size_t rlen);
void gw_reply_error(gw_conn *c, const char *id, size_t idlen, int code, const char *msg);

/* A strike against c (invalid share or junk line); closes and bans the IP
 * when the connection passes a ban threshold. Returns true when c was
 * closed. */
bool gw_conn_strike(gw_conn *c, bool is_junk);

#endif
