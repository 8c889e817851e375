/* st_stats: the counters the Stratum server bumps. The user places the
 * struct where it wants (the gateway keeps it inside its shared-memory slot
 * of each worker process, so any worker's /status can show totals); when it
 * gives none, the server uses one of its own. Each process writes only its
 * own struct; others only read, so plain relaxed atomic loads and stores
 * are enough (no read-modify-write instructions on the share path). The
 * st_stat_* helpers serve the user's own counters too. */
#ifndef ST_STATS_H
#define ST_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define ST_NCODES 6   /* error codes 20..25 */

typedef struct st_stats {
    _Atomic uint64_t connections;     /* gauge */
    _Atomic uint64_t subscribed;      /* gauge */
    _Atomic uint64_t workers;         /* gauge: authorized worker names */
    _Atomic uint64_t accepted;
    _Atomic double accepted_diff;     /* sum of credited difficulty */
    _Atomic uint64_t rejected[ST_NCODES];
    _Atomic uint64_t stale;           /* of rejected[21]: a known job gone stale
                                         (the rest: a job id not known at all) */
    _Atomic uint64_t jobs;            /* jobs taken into the store */
    _Atomic uint64_t parse_errors;
} st_stats;

static inline void st_stat_add(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

static inline void st_stat_sub(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) - n,
                          memory_order_relaxed);
}

static inline uint64_t st_stat_get(_Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static inline void st_stat_set(_Atomic uint64_t *c, uint64_t v)
{
    atomic_store_explicit(c, v, memory_order_relaxed);
}

/* Adds v when it is a finite amount >= 0; anything else is a bug upstream
 * and is dropped here, so one bad value cannot turn a total into NaN. */
static inline void st_stat_add_double(_Atomic double *c, double v)
{
    if (!(v >= 0 && v <= 1e300))
        return;
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

/* Adds every counter of in to out (totals over several processes). */
static inline void st_stats_sum(st_stats *out, st_stats *in)
{
    st_stat_add(&out->connections, st_stat_get(&in->connections));
    st_stat_add(&out->subscribed, st_stat_get(&in->subscribed));
    st_stat_add(&out->workers, st_stat_get(&in->workers));
    st_stat_add(&out->accepted, st_stat_get(&in->accepted));
    st_stat_add_double(&out->accepted_diff, atomic_load(&in->accepted_diff));
    for (int i = 0; i < ST_NCODES; i++)
        st_stat_add(&out->rejected[i], st_stat_get(&in->rejected[i]));
    st_stat_add(&out->stale, st_stat_get(&in->stale));
    st_stat_add(&out->jobs, st_stat_get(&in->jobs));
    st_stat_add(&out->parse_errors, st_stat_get(&in->parse_errors));
}

#endif
