/* st_strike: strike counting for one connection. A connection collects
 * strikes (rejected shares other than stale ones, junk lines) within a
 * window; past a threshold the server asks its sink what to do (see
 * st_sink.h: the gateway bans the IP address, by default the connection is
 * closed). */
#ifndef ST_STRIKE_H
#define ST_STRIKE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct st_strike_cfg {
    bool enabled;             /* false: strikes are counted, never acted on */
    double window;            /* seconds */
    uint32_t invalid_shares;  /* threshold per window; 0 = no limit */
    uint32_t junk_lines;      /* threshold per window; 0 = no limit */
} st_strike_cfg;

typedef struct st_strikes {
    double window_start;
    uint32_t invalid;   /* rejected shares (not stale) */
    uint32_t junk;      /* unparsable lines, unknown methods */
} st_strikes;

/* Counts one strike (junk when is_junk, else an invalid share); true when
 * the connection is over a threshold. */
bool st_strike(st_strikes *s, const st_strike_cfg *cfg, double now, bool is_junk);
/* true when s is over a threshold of cfg (as st_strike answers). */
bool st_strike_over(const st_strikes *s, const st_strike_cfg *cfg);

#endif
