/* mr_http: metarelay's /status (JSON) and /metrics (Prometheus text). */
#ifndef MR_HTTP_H
#define MR_HTTP_H

#include <ev.h>
#include "metarelay/mr_relay.h"

typedef struct mr_http mr_http;

mr_http *mr_http_create(struct ev_loop *loop, const char *bind, mr_relay *relay);
void mr_http_free(mr_http *h);

#endif
