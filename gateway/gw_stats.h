/* gw_stats: the counters of one gateway worker process, kept in memory
 * shared by every worker of the gateway (gw_shm) so any worker's /status
 * can show totals. The Stratum server's own counters (stratum/st_stats.h)
 * sit inside; the rest are the gateway's (blocks, bans, the jobmaster
 * link). Each process writes only its own slot; others only read, with
 * the relaxed st_stat_* helpers. */
#ifndef GW_STATS_H
#define GW_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include "stratum/st_stats.h"

typedef struct gw_stats {
    _Atomic int64_t pid;              /* 0: slot never used */
    _Atomic double started;           /* unix time the process started */
    st_stats st;                      /* connections, shares, jobs, parse errors */
    _Atomic uint64_t blocks_found;
    _Atomic uint64_t blocks_accepted;
    _Atomic uint64_t blocks_rejected;
    _Atomic uint64_t blocks_skipped;  /* candidates not sent (see gw_jm.h) */
    _Atomic uint64_t bans;
    _Atomic uint64_t refused;         /* connections refused while banned */
    _Atomic uint64_t jm_up;           /* gauge: 1 when the jobmaster link is up */
} gw_stats;

#endif
