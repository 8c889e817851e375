/* mw_http: metawriter's /status (JSON) and /metrics (Prometheus text),
 * served by ut_status from the server's, Redis's and the sweep's state. */
#ifndef MW_HTTP_H
#define MW_HTTP_H

#include <ev.h>
#include "metawriter/mw_redis.h"
#include "metawriter/mw_retention.h"
#include "metawriter/mw_server.h"

typedef struct mw_http mw_http;

/* Serves the pages on bind to the hosts of allow (NULL: everyone); NULL
 * (logged) when it cannot listen. */
mw_http *mw_http_create(struct ev_loop *loop, const char *bind, const char *const *allow,
                        mw_server *srv,
                        mw_redis *redis, mw_retention *ret);
void mw_http_free(mw_http *h);

#endif
