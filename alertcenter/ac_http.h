/* ac_http: alertcenter's /status (JSON) and /metrics (Prometheus text). */
#ifndef AC_HTTP_H
#define AC_HTTP_H

#include "alertcenter/ac_app.h"

/* Starts the server on cfg->http.bind; NULL when it cannot (errno kept). */
ut_status *ac_http_start(ac_app *app);

#endif
