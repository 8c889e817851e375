/* gw_ban: per-IP abuse control shared by every worker process of a
 * gateway: live connections per IP, the rate of new connections per IP,
 * strikes (invalid shares, junk lines) per IP within a window, and bans.
 * Because the state lives in gw_shm (one table for all workers) and not on
 * a connection, reconnecting resets nothing and a worker's limits see the
 * connections every other worker holds.
 *
 * The table is fixed (GW_IP_SLOTS entries in 8-way buckets chosen by a
 * keyed hash, ut_hash.h, so its memory never grows): a new address takes an empty
 * slot or evicts the least recently used idle one (no connections, no ban,
 * quiet for a minute). When its bucket holds only busy addresses, the
 * connection is admitted untracked (counted in `untracked`): the global
 * max_connections still applies. IPv6 addresses count per /64, the block
 * one subscriber gets. One process-shared robust mutex guards the table;
 * it is taken per connection and per strike, never per accepted share.
 * Times are CLOCK_MONOTONIC seconds (gw_ban_now). Exempt addresses are
 * never limited or banned. */
#ifndef GW_BAN_H
#define GW_BAN_H

#include <stdbool.h>
#include <stdint.h>
#include "gateway/gw_shm.h"
#include "network/nw_addr.h"
#include "stratum/st_strike.h"

typedef struct gw_ban_cfg {
    double seconds;           /* ban length */
    uint32_t conns_per_ip;    /* live connections per IP over all workers; 0 = no limit */
    double rate_per_ip;       /* new connections per second per IP; 0 = no limit */
    double burst_per_ip;      /* ... above that rate, this many at once */
    uint8_t (*exempt)[16];    /* keys never limited or banned */
    int nexempt;
} gw_ban_cfg;

/* The 16-byte key of an address: IPv4 as v4-mapped IPv6, IPv6 with the
 * low 64 bits cleared. -1 for a unix socket or an unknown family. */
int gw_ban_key(const nw_addr *addr, uint8_t key[16]);
bool gw_ban_exempt(const gw_ban_cfg *cfg, const uint8_t key[16]);
double gw_ban_now(void);

/* Sets up the table's lock and hash seed (gw_shm_create calls it). */
int gw_ban_table_init(gw_ip_table *t);

/* A connection from key arrives at worker: NULL when admitted (it is
 * counted until gw_ban_release), else the reason ("banned", "too many
 * connections from this address", "connecting too fast"); *left gets the
 * seconds a ban still runs. */
const char *gw_ban_admit(gw_shm *shm, const gw_ban_cfg *cfg, int worker, const uint8_t key[16],
                         double now, double *left);
void gw_ban_release(gw_shm *shm, int worker, const uint8_t key[16]);
/* A worker process (re)starts: the connections counted for its previous
 * life are gone. */
void gw_ban_worker_reset(gw_shm *shm, int worker);

/* One strike against key; true when the IP is over a threshold of s in
 * the current window. counts[0]/[1] get the IP's invalid/junk counts. */
bool gw_ban_strike(gw_shm *shm, const st_strike_cfg *s, const uint8_t key[16], double now,
                   bool is_junk, uint32_t counts[2]);
/* Bans key until now + seconds (kept even when its bucket is busy: the
 * ban replaces the least recently used entry). */
void gw_ban_add(gw_shm *shm, const uint8_t key[16], double now, double seconds);
/* Seconds the address stays banned, 0 when not banned. */
double gw_ban_check(gw_shm *shm, const uint8_t key[16], double now);

typedef struct gw_ban_totals {
    uint64_t banned;       /* addresses banned now */
    uint64_t tracked;      /* addresses in the table */
    uint64_t untracked;    /* connections ever admitted without an entry */
} gw_ban_totals;
void gw_ban_totals_get(gw_shm *shm, double now, gw_ban_totals *out);

#endif
