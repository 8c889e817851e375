/* hfm_run: one hfminer run (see hfm_run.h). */
#include "tools/hfminer/hfm_run.h"

#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "network/nw_timer.h"
#include "tools/hfminer/hfm_conn.h"
#include "tools/hfminer/hfm_load.h"
#include "tools/hfminer/hfm_mine.h"
#include "tools/hfminer/hfm_stats.h"
#include "utils/ut_log.h"

#define HFM_TICK_LOAD 0.01         /* pacing tick in load mode, seconds */
#define HFM_TICK_MINE 0.05
#define HFM_EXPIRE_EVERY 0.25
#define HFM_DRAIN_EVERY 0.01
#define HFM_SIGNAL_GRACE 2.0       /* wait for replies after SIGINT/SIGTERM */

typedef struct hfm_app {
    const hfm_opts *o;
    struct ev_loop *loop;
    hfm_stats stats;
    char **names;
    size_t n_names;
    hfm_conn_cfg ccfg;
    hfm_conn **conns;
    size_t n_conns;
    uint64_t *quota;               /* submits left per connection */
    uint64_t quota_left;           /* their sum, with --shares */
    hfm_walker *walkers;           /* load mode */
    hfm_mine *mine;                /* mining mode */
    nw_timer tick, progress, expire, stop, connect, drain;
    ev_signal sig_int, sig_term;
    double tokens;
    double last_tick;
    bool draining;
    bool closing;                  /* tearing down: callbacks do nothing */
    double drain_deadline;
    int exit_code;
    size_t rr;
    uint64_t prog_submitted;
    double prog_t;
} hfm_app;

/* ---- pacing and submitting ---------------------------------------------- */

static void hfm_drain_cb(nw_timer *t, void *privdata);

static void hfm_finish(hfm_app *a)
{
    ev_break(a->loop, EVBREAK_ALL);
}

static void hfm_start_drain(hfm_app *a, double grace)
{
    double deadline = hfm_now() + grace;
    if (a->draining) {
        if (deadline < a->drain_deadline)
            a->drain_deadline = deadline;
        return;
    }
    a->draining = true;
    a->drain_deadline = deadline;
    if (a->mine)
        hfm_mine_pause(a->mine);
    nw_timer_set(&a->drain, a->loop, HFM_DRAIN_EVERY, true, hfm_drain_cb, a);
}

static size_t hfm_pump_conn(hfm_app *a, size_t i)
{
    hfm_conn *c = a->conns[i];
    size_t budget = hfm_conn_room(c);
    if (a->draining || a->closing || budget == 0)
        return 0;
    if (a->quota[i] < budget)
        budget = (size_t)a->quota[i];
    if (a->o->rate > 0 && (double)budget > a->tokens)
        budget = (size_t)a->tokens;
    if (budget == 0)
        return 0;
    size_t n = a->mine ? hfm_mine_submit(a->mine, i, budget)
                       : hfm_walker_submit(&a->walkers[i], c, budget, &a->stats.hashes);
    hfm_conn_flush(c);
    if (a->o->rate > 0)
        a->tokens -= (double)n;
    if (a->o->shares) {
        a->quota[i] -= n;
        a->quota_left -= n;
        if (a->quota_left == 0)
            hfm_start_drain(a, a->o->reply_timeout);
    }
    return n;
}

static void hfm_pump_all(hfm_app *a)
{
    size_t start = a->rr++;
    for (size_t k = 0; k < a->n_conns; k++) {
        if (a->o->rate > 0 && a->tokens < 1)
            break;
        hfm_pump_conn(a, (start + k) % a->n_conns);
    }
}

static void hfm_tick_cb(nw_timer *t, void *privdata)
{
    hfm_app *a = privdata;
    double now = hfm_now();
    if (a->o->rate > 0) {
        double cap = a->o->rate * 0.05 > 1 ? a->o->rate * 0.05 : 1;
        a->tokens += a->o->rate * (now - a->last_tick);
        if (a->tokens > cap)
            a->tokens = cap;
    }
    a->last_tick = now;
    hfm_pump_all(a);
}

/* ---- timers ------------------------------------------------------------- */

static size_t hfm_ready_conns(const hfm_app *a)
{
    size_t n = 0;
    for (size_t i = 0; a->conns && i < a->n_conns; i++)
        n += a->conns[i]->state == HFM_ST_READY;
    return n;
}

static size_t hfm_inflight(const hfm_app *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_conns; i++)
        n += a->conns[i]->inflight;
    return n;
}

static void hfm_drain_cb(nw_timer *t, void *privdata)
{
    hfm_app *a = privdata;
    if (hfm_inflight(a) == 0 || hfm_now() >= a->drain_deadline)
        hfm_finish(a);
}

static void hfm_print_line(hfm_app *a, const char *label)
{
    const hfm_stats *st = &a->stats;
    double now = hfm_now();
    double dt = now - a->prog_t;
    double rate = dt > 0 ? (double)(st->submitted - a->prog_submitted) / dt : 0;
    fprintf(stderr, "hfminer: %s %.1fs ready %zu/%zu submitted %llu accepted %llu rejected %llu "
            "no_reply %llu blocks %llu rate %.1f/s hashes %.3g/s\n", label, now - st->t_start,
            hfm_ready_conns(a), a->n_conns, (unsigned long long)st->submitted,
            (unsigned long long)st->accepted, (unsigned long long)st->rejected,
            (unsigned long long)st->no_reply, (unsigned long long)st->block_candidates, rate,
            now - st->t_start > 0 ? (double)st->hashes / (now - st->t_start) : 0.0);
    a->prog_submitted = st->submitted;
    a->prog_t = now;
}

static void hfm_progress_cb(nw_timer *t, void *privdata)
{
    hfm_print_line(privdata, "at");
}

static void hfm_expire_cb(nw_timer *t, void *privdata)
{
    hfm_app *a = privdata;
    double now = hfm_now();
    for (size_t i = 0; i < a->n_conns; i++)
        hfm_conn_expire(a->conns[i], now);
}

static void hfm_stop_cb(nw_timer *t, void *privdata)
{
    hfm_app *a = privdata;
    hfm_start_drain(a, a->o->reply_timeout);
}

static void hfm_connect_cb(nw_timer *t, void *privdata)
{
    hfm_app *a = privdata;
    if (a->stats.connects > 0)
        return;
    log_error("no Stratum session to %s became ready within %.1f s", a->o->addr,
              a->o->connect_timeout);
    a->exit_code = 1;
    hfm_finish(a);
}

static void hfm_signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
    hfm_app *a = w->data;
    if (a->draining) {
        hfm_finish(a);
        return;
    }
    double grace = a->o->reply_timeout < HFM_SIGNAL_GRACE ? a->o->reply_timeout
                                                          : HFM_SIGNAL_GRACE;
    hfm_start_drain(a, grace);
}

/* ---- session and miner callbacks ---------------------------------------- */

static void hfm_on_ready(hfm_conn *c, void *ud)
{
    hfm_app *a = ud;
    if (!a->closing)
        hfm_pump_conn(a, c->index);
}

static void hfm_on_work(hfm_conn *c, void *ud)
{
    hfm_app *a = ud;
    if (a->closing)
        return;
    if (a->mine)
        hfm_mine_restart(a->mine, c->index);
    hfm_pump_conn(a, c->index);
}

static void hfm_on_room(hfm_conn *c, void *ud)
{
    hfm_app *a = ud;
    if (!a->closing)
        hfm_pump_conn(a, c->index);
}

static void hfm_on_down(hfm_conn *c, void *ud)
{
    hfm_app *a = ud;
    if (a->mine && !a->closing)
        hfm_mine_stop_conn(a->mine, c->index);
}

static void hfm_on_found(size_t index, void *ud)
{
    hfm_app *a = ud;
    if (!a->closing)
        hfm_pump_conn(a, index);
}

static const hfm_conn_cb hfm_app_conn_cb = {
    .on_ready = hfm_on_ready,
    .on_work = hfm_on_work,
    .on_room = hfm_on_room,
    .on_down = hfm_on_down,
};

/* ---- setup and teardown ------------------------------------------------- */

/* Worker names for connection i of C, from M names: one name when M <= C,
 * else every C-th name starting at i. */
static uint32_t *hfm_assign(size_t i, size_t C, size_t M, size_t *n)
{
    size_t count = M <= C ? 1 : (M - i + C - 1) / C;
    uint32_t *w = malloc(count * sizeof(*w));
    if (!w)
        return NULL;
    if (M <= C)
        w[0] = (uint32_t)(i % M);
    else
        for (size_t k = 0; k < count; k++)
            w[k] = (uint32_t)(i + k * C);
    *n = count;
    return w;
}

static int hfm_make_conns(hfm_app *a)
{
    const hfm_opts *o = a->o;
    a->n_conns = o->connections;
    a->conns = calloc(a->n_conns, sizeof(*a->conns));
    a->quota = calloc(a->n_conns, sizeof(*a->quota));
    if (!a->conns || !a->quota)
        return -1;
    for (size_t i = 0; i < a->n_conns; i++) {
        size_t n;
        uint32_t *w = hfm_assign(i, a->n_conns, a->n_names, &n);
        if (!w)
            return -1;
        a->conns[i] = hfm_conn_create(a->loop, i, o->host, o->port, &a->ccfg, w, n,
                                      &a->stats, &hfm_app_conn_cb, a);
        free(w);
        if (!a->conns[i])
            return -1;
        a->quota[i] = o->shares ? o->shares / a->n_conns + (i < o->shares % a->n_conns)
                                : UINT64_MAX;
    }
    a->quota_left = o->shares;
    return 0;
}

static int hfm_make_source(hfm_app *a)
{
    if (!a->o->load) {
        a->mine = hfm_mine_create(a->loop, a->o->threads, a->conns, a->n_conns, &a->stats,
                                  hfm_on_found, a);
        return a->mine ? 0 : -1;
    }
    a->walkers = calloc(a->n_conns, sizeof(*a->walkers));
    if (!a->walkers)
        return -1;
    for (size_t i = 0; i < a->n_conns; i++)
        hfm_walker_init(&a->walkers[i], a->o->invalid, a->o->invalid_every);
    return 0;
}

/* Many sessions need many descriptors: raise the soft limit if needed. */
static void hfm_raise_nofile(size_t sessions)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)sessions + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        log_warn("open file limit %llu is below the %zu sessions asked for",
                 (unsigned long long)rl.rlim_cur, sessions);
}

static int hfm_setup(hfm_app *a)
{
    const hfm_opts *o = a->o;
    hfm_raise_nofile(o->connections);
    a->names = hfm_opts_names(o, &a->n_names);
    if (!a->names || hfm_stats_init(&a->stats, a->names, a->n_names, hfm_now()))
        return -1;
    a->ccfg = (hfm_conn_cfg){
        .agent = o->agent, .password = o->password, .version_rolling = o->version_rolling,
        .vr_mask = o->vr_mask, .pipeline = o->pipeline, .reply_timeout = o->reply_timeout,
        .connect_timeout = o->connect_timeout, .names = a->names,
    };
    if (hfm_make_conns(a) || hfm_make_source(a))
        return -1;
    for (size_t i = 0; i < a->n_conns; i++)
        if (hfm_conn_start(a->conns[i]))
            return -1;
    return 0;
}

static void hfm_start_timers(hfm_app *a)
{
    const hfm_opts *o = a->o;
    a->last_tick = a->prog_t = hfm_now();
    nw_timer_set(&a->tick, a->loop, o->load ? HFM_TICK_LOAD : HFM_TICK_MINE, true,
                 hfm_tick_cb, a);
    nw_timer_set(&a->expire, a->loop, HFM_EXPIRE_EVERY, true, hfm_expire_cb, a);
    nw_timer_set(&a->connect, a->loop, o->connect_timeout, false, hfm_connect_cb, a);
    if (!o->quiet)
        nw_timer_set(&a->progress, a->loop, o->progress, true, hfm_progress_cb, a);
    if (o->duration > 0)
        nw_timer_set(&a->stop, a->loop, o->duration, false, hfm_stop_cb, a);
    ev_signal_init(&a->sig_int, hfm_signal_cb, SIGINT);
    ev_signal_init(&a->sig_term, hfm_signal_cb, SIGTERM);
    a->sig_int.data = a->sig_term.data = a;
    ev_signal_start(a->loop, &a->sig_int);
    ev_signal_start(a->loop, &a->sig_term);
}

static void hfm_stop_timers(hfm_app *a)
{
    nw_timer_stop(&a->tick);
    nw_timer_stop(&a->expire);
    nw_timer_stop(&a->connect);
    nw_timer_stop(&a->progress);
    nw_timer_stop(&a->stop);
    nw_timer_stop(&a->drain);
    ev_signal_stop(a->loop, &a->sig_int);
    ev_signal_stop(a->loop, &a->sig_term);
}

static void hfm_teardown(hfm_app *a)
{
    a->closing = true;
    hfm_mine_free(a->mine);
    a->mine = NULL;
    for (size_t i = 0; a->conns && i < a->n_conns; i++)
        hfm_conn_free(a->conns[i]);
    for (size_t i = 0; a->walkers && i < a->n_conns; i++)
        hfm_walker_free(&a->walkers[i]);
    free(a->walkers);
    free(a->conns);
    free(a->quota);
    a->conns = NULL;
    a->walkers = NULL;
    a->quota = NULL;
}

static void hfm_report(hfm_app *a, char **summary)
{
    if (!a->o->quiet)
        hfm_print_line(a, "done after");
    if (!a->o->json && !summary)
        return;
    char *s = hfm_stats_json(&a->stats, hfm_now());
    if (s && a->o->json) {
        printf("%s\n", s);
        fflush(stdout);
    }
    if (summary)
        *summary = s;
    else
        free(s);
}

int hfm_run(const hfm_opts *o, char **summary)
{
    hfm_app a;
    memset(&a, 0, sizeof(a));
    a.o = o;
    a.loop = ev_default_loop(0);
    if (!a.loop) {
        log_error("cannot create the event loop");
        return 1;
    }
    if (hfm_setup(&a)) {
        log_error("out of memory or bad address while starting");
        a.exit_code = 1;
    } else {
        hfm_start_timers(&a);
        ev_run(a.loop, 0);
        hfm_stop_timers(&a);
    }
    hfm_teardown(&a);
    hfm_report(&a, summary);
    hfm_stats_free(&a.stats);
    hfm_opts_names_free(a.names, a.n_names);
    return a.exit_code;
}
