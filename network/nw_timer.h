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

/* Arms t (caller owns its memory) to fire after interval seconds, and every
 * interval seconds after that when repeat is true. t must be zero-filled or
 * set before (a running t is stopped first). The callback runs inside the
 * network library's dispatch guard (sessions closed in it are freed after
 * it returns); it may stop, start or set its own timer. */
void nw_timer_set(nw_timer *t, struct ev_loop *loop, double interval, bool repeat,
                  nw_timer_cb cb, void *privdata);
/* (Re)starts t: it fires interval seconds from now, whether or not it was
 * running. set already starts it; start after stop, or to push it back. */
void nw_timer_start(nw_timer *t);
void nw_timer_stop(nw_timer *t);
bool nw_timer_active(const nw_timer *t);
double nw_timer_remaining(const nw_timer *t);

#endif
