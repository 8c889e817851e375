/* pb_http: poolbench's /status (JSON) and /metrics (Prometheus text). */
#ifndef PB_HTTP_H
#define PB_HTTP_H

#include <ev.h>
#include "utils/ut_status.h"

struct pb_server;

ut_status *pb_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         struct pb_server *srv);

#endif
