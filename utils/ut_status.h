/* ut_status: the read-only HTTP server that every module runs for its
 * operators: GET /status answers the module's JSON, GET /metrics its
 * Prometheus text (ut_metrics builds it). Every /status object gets the
 * same identity fields unless the module set them itself: "module" (the
 * program's name, or ut_status_set_module), "version" (utils/ut_version.h),
 * "pid" and "uptime" (whole seconds since ut_status_start, which modules
 * call at start-up). Every /metrics page gets hf_build_info{module,version}
 * 1 and hf_<module>_uptime_seconds after the module's own families. Other
 * paths get 404, other methods 405. Runs on the loop thread, like the
 * callbacks. */
#ifndef UT_STATUS_H
#define UT_STATUS_H

#include <ev.h>
#include <jansson.h>

#include "utils/ut_http.h"

/* The /status body: a new reference (NULL answers an empty body). */
typedef json_t *(*ut_status_json_fn)(void *arg);
/* The /metrics body: malloc'd text, or NULL (answered 500). */
typedef char *(*ut_status_text_fn)(void *arg);

typedef struct ut_status ut_status;

/* Listens on bind ("tcp@127.0.0.1:8300") and serves the two pages with
 * arg passed to the callbacks, to the peer hosts of allow (NULL-terminated,
 * copied) or, with allow NULL, to everyone. Returns NULL (errno kept) when
 * it cannot. */
ut_status *ut_status_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                           ut_status_json_fn status, ut_status_text_fn metrics, void *arg);
/* The module name of /status and of the common metrics (lower-cased,
 * characters other than [a-z0-9] become '_'). */
void ut_status_set_module(ut_status *s, const char *module);
/* Requests for paths other than /status and /metrics go to handler (a
 * module that serves more pages on the same port: the statistics API and
 * dashboard) instead of 404/405. */
void ut_status_set_other(ut_status *s, ut_http_handler handler, void *arg);
/* The bound TCP port (the real one after binding port 0), or -1. */
int ut_status_port(const ut_status *s);
void ut_status_free(ut_status *s);

#endif
