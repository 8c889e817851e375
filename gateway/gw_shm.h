/* gw_shm: the memory the gateway's worker processes share: one counter
 * slot (gw_stats) and one ban table per worker. Mapped anonymously and
 * shared by the supervisor before it forks, so it outlives a worker that
 * dies and is restarted (its bans stay in force). Single writer per slot. */
#ifndef GW_SHM_H
#define GW_SHM_H

#include <stdatomic.h>
#include <stdint.h>
#include "gateway/gw_stats.h"

#define GW_MAX_WORKERS 16
#define GW_BAN_SLOTS 1024   /* bans per worker process */

/* One banned address (IPv6 or v4-mapped IPv4). until == 0: empty. The
 * writer clears until, writes addr, then sets until; readers re-check until
 * after reading addr. */
typedef struct gw_ban_entry {
    _Atomic int64_t until;          /* unix seconds */
    _Atomic uint64_t addr[2];
} gw_ban_entry;

typedef struct gw_shm {
    gw_stats stats[GW_MAX_WORKERS];
    _Atomic int ban_used[GW_MAX_WORKERS];   /* slots ever written, per table */
    gw_ban_entry bans[GW_MAX_WORKERS][GW_BAN_SLOTS];
} gw_shm;

/* NULL on failure (errno set). */
gw_shm *gw_shm_create(void);
void gw_shm_free(gw_shm *shm);

#endif
