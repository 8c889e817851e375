/* bp_http: bitpeer's /status (JSON: every peer with its handshake state,
 * compact mode, ping and push/echo counters; the best tip; the last push)
 * and /metrics (Prometheus text, prefix bitpeer_). */
#ifndef BP_HTTP_H
#define BP_HTTP_H

#include <ev.h>
#include "utils/ut_status.h"

struct bp_server;
ut_status *bp_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         struct bp_server *srv);

#endif
