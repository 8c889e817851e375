/* nw_timer: a one-shot or repeating timer on the loop. */
#ifndef NW_TIMER_H
#define NW_TIMER_H

#include <ev.h>
#include <stdbool.h>

typedef struct nw_timer nw_timer;
typedef void (*nw_timer_cb)(nw_timer *t, void *privdata);

struct nw_timer {
    ev_timer ev;
    struct ev_loop *loop;
    nw_timer_cb cb;
    void *privdata;
    bool repeat;
    double interval;
};

/* What each call does (a "zero-filled" t is one that was never set):
 *
 * nw_timer_set   configures t (loop, interval, repeat, cb, privdata) AND
 *                starts it: cb runs interval seconds from now, then every
 *                interval seconds when repeat is true. A running t is
 *                stopped first, so set also replaces a running timer's
 *                settings. t must be zero-filled or have been set before
 *                (set reads t->loop to stop it). To configure a timer that
 *                should not run yet: set, then stop.
 * nw_timer_start (re)starts t with the settings of the last set: cb runs
 *                interval seconds from now, whether or not t was running
 *                (so it also pushes a running timer back). A no-op on a
 *                zero-filled t.
 * nw_timer_stop  stops t; it keeps its settings for a later start. Safe on
 *                a stopped or zero-filled t.
 *
 * The callback runs inside the network library's dispatch guard (sessions
 * closed in it are freed after it returns). When a one-shot timer's
 * callback runs, t is already stopped (nw_timer_active is false); a
 * repeating one is still running. Either may stop, start or set t there.
 * The caller owns t's memory: stop it before freeing it. */
void nw_timer_set(nw_timer *t, struct ev_loop *loop, double interval, bool repeat,
                  nw_timer_cb cb, void *privdata);
void nw_timer_start(nw_timer *t);
void nw_timer_stop(nw_timer *t);
bool nw_timer_active(const nw_timer *t);     /* started and not fired (one-shot) or stopped */
double nw_timer_remaining(const nw_timer *t);  /* seconds to the next firing; 0 when stopped */

#endif
