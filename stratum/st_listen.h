/* st_listen: a Stratum server on a listening socket (network/nw_svr):
 * accept (asking the sink to admit), line framing with the length limit
 * (max_line), the idle timeout, and the end of a batch of lines, which
 * writes the replies collected for it. The nw_ses privdata of each session
 * is its st_conn; the nw_svr udata is the st_server. */
#ifndef ST_LISTEN_H
#define ST_LISTEN_H

#include <stddef.h>
#include "network/nw_svr.h"
#include "stratum/st_server.h"

/* The handlers, for a user that makes its own nw_svr. */
extern const nw_handlers st_listen_handlers;

/* Listens on bind ("tcp@0.0.0.0:3333", SO_REUSEPORT so several processes
 * may share the port), at most max_sessions connections (0 = no limit).
 * 0, or -1 with errno set. */
int st_listen(st_server *srv, const char *bind, size_t max_sessions);
/* Stops accepting; the connections stay. */
void st_listen_stop(st_server *srv);
/* Closes the listener and every connection (they are released). */
void st_listen_free(st_server *srv);

#endif
