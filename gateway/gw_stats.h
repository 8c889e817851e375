/* gw_stats: the counters of one gateway worker process, kept in memory
 * shared by every worker of the gateway (gw_shm) so any worker's /status
 * can show totals. Each process writes only its own slot; others only read,
 * so plain relaxed atomic loads and stores are enough (no read-modify-write
 * instructions on the share path). */
#ifndef GW_STATS_H
#define GW_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define GW_NCODES 6   /* error codes 20..25 */

typedef struct gw_stats {
    _Atomic int64_t pid;              /* 0: slot never used */
    _Atomic double started;           /* unix time the process started */
    _Atomic uint64_t connections;     /* gauge */
    _Atomic uint64_t subscribed;      /* gauge */
    _Atomic uint64_t workers;         /* gauge: authorized worker names */
    _Atomic uint64_t accepted;
    _Atomic double accepted_diff;     /* sum of credited difficulty */
    _Atomic uint64_t rejected[GW_NCODES];
    _Atomic uint64_t blocks_found;
    _Atomic uint64_t blocks_accepted;
    _Atomic uint64_t blocks_rejected;
    _Atomic uint64_t blocks_skipped;  /* candidates not sent (see gw_jm.h) */
    _Atomic uint64_t jobs;
    _Atomic uint64_t bans;
    _Atomic uint64_t refused;         /* connections refused while banned */
    _Atomic uint64_t parse_errors;
    _Atomic uint64_t jm_up;           /* gauge: 1 when the jobmaster link is up */
} gw_stats;

static inline void gw_stat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline void gw_stat_sub(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) - n,
                          memory_order_relaxed);
}

static inline uint64_t gw_stat_get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static inline void gw_stat_set(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, v, memory_order_relaxed);
}

/* Adds v when it is a finite amount >= 0; anything else is a bug upstream
 * and is dropped here, so one bad value cannot turn a total into NaN. */
static inline void gw_stat_add_double(_Atomic double *c, double v)
{
    if (!(v >= 0 && v <= 1e300))
        return;
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

#endif
