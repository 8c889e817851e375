/* gw_sink: the gateway's side of its Stratum server (see gw_sink.h). */
#include <stdio.h>
#include <time.h>
#include "gateway/gw_ban.h"
#include "gateway/gw_jm.h"
#include "gateway/gw_sink.h"
#include "stratum/st_acct.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

static void gw_sink_share(void *arg, const st_share_ev *ev)
{
    st_acct_share(((gw_server *)arg)->meta, ev);
}

static void gw_sink_block(void *arg, const st_block_ev *ev)
{
    gw_jm_block_found(arg, ev);
}

static void gw_sink_worker(void *arg, const st_conn *c, const st_wname *w, bool first_seen)
{
    st_acct_worker(((gw_server *)arg)->meta, c, w, first_seen);
}

static void gw_sink_closed(void *arg, const st_conn *c)
{
    gw_server *srv = arg;
    uint8_t key[16];

    st_acct_closed(srv->meta, c);
    if (gw_ban_key(&c->addr, key) == 0 && !gw_ban_exempt(&srv->cfg->ban, key))
        gw_ban_release(srv->shm, srv->worker, key);
}

/* Strikes count per IP over every worker: reconnecting resets nothing. */
static bool gw_sink_strike(void *arg, st_conn *c, bool is_junk)
{
    gw_server *srv = arg;
    uint8_t key[16];

    if (gw_ban_key(&c->addr, key) != 0)   /* no address (tests): the connection's count */
        return st_strike_over(&c->strikes, &srv->cfg->stratum.strikes);
    return gw_ban_strike(srv->shm, &srv->cfg->stratum.strikes, key, gw_ban_now(), is_junk,
                         srv->ip_strikes);
}

/* Over the strike limits: the IP is banned unless exempt; closed either way. */
static bool gw_sink_strike_out(void *arg, st_conn *c)
{
    gw_server *srv = arg;
    const gw_ban_cfg *b = &srv->cfg->ban;
    uint8_t key[16];

    if (gw_ban_key(&c->addr, key) == 0 && !gw_ban_exempt(b, key)) {
        gw_ban_add(srv->shm, key, gw_ban_now(), b->seconds);
        st_stat_add(&srv->stats->bans, 1);
        log_warn("ban: peer=%s conn=%llu worker=%s banned for %.0fs (address: %u invalid "
                 "shares, %u junk lines within %.0fs)", c->peer, (unsigned long long)c->id,
                 c->nnames ? c->names[0].full : "-", b->seconds, srv->ip_strikes[0],
                 srv->ip_strikes[1], srv->cfg->stratum.strikes.window);
    } else {
        log_warn("ban: peer=%s conn=%llu over the limits (%u invalid shares, %u junk lines), "
                 "closed (exempt from bans)", c->peer, (unsigned long long)c->id,
                 c->strikes.invalid, c->strikes.junk);
    }
    return true;
}

/* Bans and the per-IP limits, before a connection costs anything. */
static const char *gw_sink_admit(void *arg, const nw_addr *peer)
{
    static ut_log_rl rl;
    gw_server *srv = arg;
    uint8_t key[16];
    char text[128];
    const char *why;
    double left;

    if (srv->stopping)
        return "shutting down";
    if (gw_ban_key(peer, key) != 0)
        return NULL;
    why = gw_ban_admit(srv->shm, &srv->cfg->ban, srv->worker, key, gw_ban_now(), &left);
    if (why == NULL)
        return NULL;
    st_stat_add(&srv->stats->refused, 1);
    UT_LOG_LIMITED(&rl, ev_now(srv->loop), UT_LOG_INFO, "refused: peer=%s %s (%.0fs left)",
                   nw_addr_str(peer, text, sizeof(text)), why, left);
    return why;
}

static void gw_sink_sync(void *arg)
{
    gw_server *srv = arg;

    if (srv->meta != NULL)
        ut_meta_sync(srv->meta);
}

static int gw_sink_en1_alloc(void *arg, uint8_t *out, size_t size, uint64_t *handle)
{
    gw_server *srv = arg;
    uint32_t counter;

    if (gw_en1_alloc(&srv->en1, &counter) != 0)
        return -1;
    gw_en1_bytes(&srv->en1, counter, out, size);
    *handle = counter;
    return 0;
}

static void gw_sink_en1_release(void *arg, uint64_t handle)
{
    gw_server *srv = arg;

    gw_en1_release(&srv->en1, (uint32_t)handle);
}

void gw_sink_init(gw_server *srv, st_sink *sink, st_en1_alloc *en1)
{
    /* send and close: the defaults (the nw_ses). */
    *sink = (st_sink){ .arg = srv, .share = gw_sink_share, .block = gw_sink_block,
                       .worker = gw_sink_worker, .closed = gw_sink_closed,
                       .strike = gw_sink_strike, .strike_out = gw_sink_strike_out,
                       .admit = gw_sink_admit,
                       .sync = gw_sink_sync };
    *en1 = (st_en1_alloc){ .alloc = gw_sink_en1_alloc, .release = gw_sink_en1_release,
                           .arg = srv };
}
