/* gw_ban: banning misbehaving IP addresses across every worker process of
 * a gateway. A connection collects strikes (invalid shares, junk lines)
 * within a window; past a threshold it is closed and its IP banned for the
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

/* Strike counting for one connection. */
typedef struct gw_strikes {
    double window_start;
    uint32_t invalid;   /* rejected shares (not stale) */
    uint32_t junk;      /* unparsable lines, unknown methods */
} gw_strikes;

typedef struct gw_ban_cfg {
    bool enabled;
    double window;            /* seconds */
    uint32_t invalid_shares;  /* threshold per window; 0 = no limit */
    uint32_t junk_lines;      /* threshold per window; 0 = no limit */
    double seconds;           /* ban length */
    uint8_t (*exempt)[16];    /* keys never banned */
    int nexempt;
} gw_ban_cfg;

/* Counts one strike (junk when is_junk, else an invalid share); true when
 * the connection is over a threshold. */
bool gw_strike(gw_strikes *s, const gw_ban_cfg *cfg, double now, bool is_junk);
bool gw_ban_exempt(const gw_ban_cfg *cfg, const uint8_t key[16]);

#endif
