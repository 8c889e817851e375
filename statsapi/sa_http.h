/* sa_http: the statistics service's one HTTP port (ut_status: /status and
 * /metrics, plus every other path here):
 *   GET /api/v1/pool                          the pool (docs/stats-api.md)
 *   GET /api/v1/users/<user>                  a user and all its workers
 *   GET /api/v1/users/<user>/workers/<worker> one worker
 *   GET /api/v1/series?user=U&worker=W&res=minute|hour   chart series
 *   GET /            the pool page          GET /user/<user>  a user's page
 *   GET /static/<file>   the dashboard's files (web_dir), chart.min.js (chartjs)
 * API answers are built from the store (never from Redis, except series)
 * under its read lock; the pool answer is cached for the second it was
 * built in. Runs on the loop thread. */
#ifndef SA_HTTP_H
#define SA_HTTP_H

#include <ev.h>
#include "statsapi/sa_config.h"
#include "statsapi/sa_series.h"
#include "statsapi/sa_store.h"
#include "utils/ut_status.h"

typedef struct sa_http sa_http;

sa_http *sa_http_start(struct ev_loop *loop, const sa_config *cfg, sa_store *st);
int sa_http_port(const sa_http *h);
void sa_http_free(sa_http *h);

/* Decodes %xx and '+' of a URL part into out (cap bytes with the NUL).
 * -1 when it does not fit or has a bad escape or a NUL. */
int sa_url_decode(const char *in, size_t len, char *out, size_t cap);

#endif
