/* bm_http: blockmaster's /status and /metrics. */
#ifndef BM_HTTP_H
#define BM_HTTP_H

#include <ev.h>
#include "utils/ut_status.h"

struct bm_server;
ut_status *bm_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         struct bm_server *srv);

#endif
