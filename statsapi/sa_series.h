/* sa_series: time series for the charts, read from Redis when asked
 * (a synchronous connection of the HTTP loop, timeout from the config)
 * and kept SA_SERIES_TTL seconds in a small cache, so a page refreshed by
 * many viewers costs Redis one read a minute:
 *   minute: the 1440 minutes up to the current one (HMGET of 1440 fields
 *           of <coin>:p:<who>, <coin>:s:<who>, <coin>:s:<who>:reject, or the
 *           pool's <coin>:m:{pow,share,reject});
 *   hour:   the 720 hours up to the current one (HGETALL of the same keys,
 *           the minutes summed per hour).
 * hashrate of a point = its accepted difficulty * 2^32 / its length (the
 * current point is not complete: it reads low). */
#ifndef SA_SERIES_H
#define SA_SERIES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "statsapi/sa_config.h"

#define SA_SERIES_TTL 30

typedef struct sa_series sa_series;

sa_series *sa_series_new(const sa_config *cfg);
void sa_series_free(sa_series *s);
/* The JSON text (malloc'd) of the series of who ("" = the pool, "user" or
 * "user:worker"), hourly or by the minute, as of now; NULL when Redis
 * cannot be read (err says why). */
char *sa_series_get(sa_series *s, const char *who, bool hourly, int64_t now, char *err,
                    size_t errlen);

/* Sums minute fields into points: points [start, start + n * step), each
 * field (unix minute, value) added to its point; fields outside are
 * ignored. Pure, for the tests. */
void sa_series_bucket(double *points, size_t n, int64_t start, int64_t step, int64_t minute,
                      double value);

#endif
