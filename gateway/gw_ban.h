/* gw_ban: banning misbehaving IP addresses across every worker process of
 * a gateway. A connection collects strikes (invalid shares, junk lines)
 * within a window (stratum/st_strike.h); past a threshold the Stratum
 * server asks the gateway's sink (gw_sink.c), which bans its IP for the
 * configured time; while banned, every worker closes new connections from
 * that IP right after accept. Tables live in gw_shm; each process writes
 * only its own. Exempt addresses are never banned. */
#ifndef GW_BAN_H
#define GW_BAN_H

#include <stdbool.h>
#include <stdint.h>
#include "gateway/gw_shm.h"
#include "network/nw_addr.h"

/* The 16-byte key of an address (IPv4 as v4-mapped IPv6). -1 for a unix
 * socket or an unknown family. */
int gw_ban_key(const nw_addr *addr, uint8_t key[16]);

/* Bans key until `until` (unix seconds) in this process's table, reusing
 * the slot of the same address or an expired one, else the slot that
 * expires first. */
void gw_ban_add(gw_shm *shm, int worker, const uint8_t key[16], int64_t until);
/* Seconds the address stays banned (0 when not banned), over all tables. */
int64_t gw_ban_check(gw_shm *shm, const uint8_t key[16], int64_t now);
/* Bans currently in force, over all tables (for status pages). */
uint64_t gw_ban_count(gw_shm *shm, int64_t now);

/* How long a ban lasts and who is never banned; when a connection is
 * over the limits is the Stratum server's strike counting (st_strike.h). */
typedef struct gw_ban_cfg {
    double seconds;           /* ban length */
    uint8_t (*exempt)[16];    /* keys never banned */
    int nexempt;
} gw_ban_cfg;

bool gw_ban_exempt(const gw_ban_cfg *cfg, const uint8_t key[16]);

#endif
