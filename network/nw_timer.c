/* nw_timer: a thin wrapper on ev_timer whose callback runs inside the
 * network library's dispatch guard, so sessions closed from it are freed
 * only after it returns. */
#include "network/nw_timer.h"

#include "network/nw_int.h"

static void nw_timer_cb_ev(struct ev_loop *loop, ev_timer *w, int revents)
{
    nw_timer *t = w->data;
    nw_enter();
    t->cb(t, t->privdata);
    nw_leave();
}

void nw_timer_set(nw_timer *t, struct ev_loop *loop, double interval, bool repeat,
                  nw_timer_cb cb, void *privdata)
{
    if (t->loop && ev_is_active(&t->ev))
        ev_timer_stop(t->loop, &t->ev);
    ev_timer_init(&t->ev, nw_timer_cb_ev, interval, repeat ? interval : 0.0);
    t->ev.data = t;
    t->loop = loop;
    t->cb = cb;
    t->privdata = privdata;
    t->repeat = repeat;
    t->interval = interval;
    ev_timer_start(loop, &t->ev);
}

void nw_timer_start(nw_timer *t)
{
    if (!t->loop)
        return;
    ev_timer_stop(t->loop, &t->ev);
    ev_timer_set(&t->ev, t->interval, t->repeat ? t->interval : 0.0);
    ev_timer_start(t->loop, &t->ev);
}

void nw_timer_stop(nw_timer *t)
{
    if (t->loop)
        ev_timer_stop(t->loop, &t->ev);
}

bool nw_timer_active(const nw_timer *t)
{
    return t->loop && ev_is_active(&t->ev);
}

double nw_timer_remaining(const nw_timer *t)
{
    if (!nw_timer_active(t))
        return 0.0;
    return ev_timer_remaining(t->loop, (ev_timer *)&t->ev);
}
