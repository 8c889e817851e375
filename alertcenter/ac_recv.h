/* ac_recv: the UDP socket alerts arrive on (utils/ut_alert.h's datagrams).
 * Each readable event takes up to 512 datagrams; a datagram from a host
 * not in allow, or one that does not parse, is counted and logged (rate
 * limited), the others are handed to on_alert. The receive buffer is
 * raised (SO_RCVBUF, as far as the kernel allows) for storms. */
#ifndef AC_RECV_H
#define AC_RECV_H

#include <ev.h>
#include <stdint.h>
#include "utils/ut_alert.h"

typedef void (*ac_recv_fn)(const ut_alert_rec *rec, void *arg);

typedef struct ac_recv ac_recv;

/* bind "udp@127.0.0.1:7700"; allow NULL-terminated hosts or NULL. NULL on failure (logged). */
ac_recv *ac_recv_start(struct ev_loop *loop, const char *bind, char **allow, ac_recv_fn fn,
                       void *arg);
void ac_recv_free(ac_recv *r);
/* Takes no more datagrams (shutdown); the counters stay readable. */
void ac_recv_stop(ac_recv *r);

typedef struct ac_recv_stats {
    uint64_t received, bad, refused;
} ac_recv_stats;
void ac_recv_stats_get(const ac_recv *r, ac_recv_stats *out);

#endif
