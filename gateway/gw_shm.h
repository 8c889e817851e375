/* gw_shm: the memory the gateway's worker processes share: one counter
 * slot (gw_stats) per worker, written only by its worker, and the per-IP
 * table of gw_ban (under its own lock). Mapped anonymously and shared by
 * the supervisor before it forks, so it outlives a worker that dies and is
 * restarted (its bans stay in force). */
#ifndef GW_SHM_H
#define GW_SHM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include "gateway/gw_stats.h"
#include "utils/ut_hash.h"

#define GW_MAX_WORKERS 16
#define GW_IP_WAYS 8
#define GW_IP_BUCKETS 2048                       /* power of two */
#define GW_IP_SLOTS (GW_IP_WAYS * GW_IP_BUCKETS) /* 16384 addresses, 2 MiB */

/* One address's state (gw_ban.h). */
typedef struct gw_ip_ent {
    uint64_t key[2];
    uint32_t used;                    /* 0: an empty slot */
    uint32_t conns[GW_MAX_WORKERS];   /* live connections, per worker */
    double touched;                   /* last use, for eviction */
    double tokens;                    /* new-connection bucket */
    double refill_at;
    double strike_start;              /* strike window */
    uint32_t invalid, junk;
    double banned_until;
} gw_ip_ent;

typedef struct gw_ip_table {
    pthread_mutex_t lock;             /* process-shared, robust */
    ut_hash_key seed;                 /* the bucket hash's key, one for all workers */
    uint64_t untracked;
    gw_ip_ent ents[GW_IP_SLOTS];
} gw_ip_table;

typedef struct gw_shm {
    gw_stats stats[GW_MAX_WORKERS];
    gw_ip_table ips;
} gw_shm;

/* NULL on failure (errno set). */
gw_shm *gw_shm_create(void);
void gw_shm_free(gw_shm *shm);

#endif
