/* mw_retention: deletes minute fields older than the retention from every
 * <coin>:* hash, a SCAN page at a time (SCAN ... TYPE hash, then the sweep
 * script per page), so Redis is never blocked for long. The cutoff of the
 * last finished sweep is kept in mw:retention:<coin>; the next sweep only
 * deletes the minutes between that cutoff and the new one (HDEL of named
 * fields, no reading), and every 24th sweep (or when the gap is over 7
 * days, or on the first sweep ever) looks at every field instead. */
#ifndef MW_RETENTION_H
#define MW_RETENTION_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include "metawriter/mw_redis.h"

typedef struct mw_retention mw_retention;

mw_retention *mw_retention_create(struct ev_loop *loop, mw_redis *redis, const char *coin,
                                  int64_t retention_days, double interval);
/* Starts the timer; the first sweep runs `first_delay` seconds later. */
void mw_retention_start(mw_retention *t, double first_delay);
void mw_retention_free(mw_retention *t);
bool mw_retention_busy(const mw_retention *t);
uint64_t mw_retention_sweeps(const mw_retention *t);   /* finished sweeps */
uint64_t mw_retention_deleted(const mw_retention *t);  /* fields deleted so far */

#endif
