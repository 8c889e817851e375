/* st_rejlog: rejected shares summarised in the log instead of one line
 * each: a flood of junk submits must not cost a write per share (nor fill
 * a disk). The server counts rejects per error code and remembers which
 * connection sent the most in the current window; every
 * ST_REJLOG_INTERVAL seconds with any rejects it writes one NOTICE line:
 *
 *   shares rejected in the last 10s: 5821 (other(20)=0 job(21)=3
 *   duplicate(22)=0 low_difficulty(23)=5818 unauthorized(24)=0
 *   not_subscribed(25)=0); most from peer=1.2.3.4:5678 worker=bob.rig1 (5800)
 *
 * The per-share detail is a DEBUG line (free when debug is off). */
#ifndef ST_REJLOG_H
#define ST_REJLOG_H

#include <stdint.h>
#include "stratum/st_stats.h"

#define ST_REJLOG_INTERVAL 10.0

typedef struct st_rejlog {
    uint64_t count[ST_NCODES];
    double since;               /* start of the window */
    uint64_t top;               /* rejects of the worst connection in it */
    uint64_t top_conn;          /* its id */
    char top_peer[64];
    char top_worker[132];
} st_rejlog;

typedef struct st_conn st_conn;

/* A reject of code (20..25) from c, worker name w (NULL: none). */
void st_rejlog_add(st_rejlog *l, st_conn *c, const char *w, int code);
/* Writes the summary when the window is over and had rejects; starts the
 * next window (the connections' counts are reset by the caller's sweep:
 * st_rejlog_reset_conn). Returns 1 when a window ended. */
int st_rejlog_tick(st_rejlog *l, double now);
void st_rejlog_reset_conn(st_conn *c);

#endif
