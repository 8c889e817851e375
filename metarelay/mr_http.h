/* mr_http: metarelay's /status (JSON) and /metrics (Prometheus text),
 * served by ut_status from the relay's counters. */
#ifndef MR_HTTP_H
#define MR_HTTP_H

#include <ev.h>
#include "metarelay/mr_relay.h"
#include "utils/ut_status.h"

/* Serves the pages on bind; NULL (logged) when it cannot listen. Free the
 * result with ut_status_free. */
ut_status *mr_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         mr_relay *relay);

#endif
