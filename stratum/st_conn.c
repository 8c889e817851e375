/* st_conn: a miner connection from creation to release (see st_conn.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "stratum/st_conn.h"
#include "stratum/st_out.h"
#include "stratum/st_server.h"
#include "stratum/st_share.h"
#include "stratum/st_stratum.h"
#include "utils/ut_diff.h"
#include "utils/ut_log.h"

static void st_conn_link(st_server *srv, st_conn *c)
{
    c->next = srv->conns;
    if (srv->conns != NULL)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    st_stat_add(&srv->stats->connections, 1);
}

static void st_conn_unlink(st_server *srv, st_conn *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->nconns--;
    st_stat_sub(&srv->stats->connections, 1);
}

st_conn *st_conn_new(st_server *srv, nw_ses *ses, const nw_addr *peer)
{
    const st_vardiff_cfg *v = &srv->cfg->vardiff;
    st_conn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->srv = srv;
    c->ses = ses;
    c->id = ++srv->next_conn_id;
    if (peer != NULL) {
        c->addr = *peer;
        nw_addr_str(peer, c->peer, sizeof(c->peer));
        nw_addr_host(peer, c->host, sizeof(c->host));
    } else {
        snprintf(c->peer, sizeof(c->peer), "test:%llu", (unsigned long long)c->id);
        snprintf(c->host, sizeof(c->host), "test");
    }
    c->connected = st_now(srv);
    c->diff = ut_diff_clamp(v->start, v->min, v->max);
    c->prev_diff = c->diff;
    c->strikes.window_start = c->connected;
    st_vardiff_reset(&c->vd, c->connected);
    st_dupset_init(&c->dups, srv->cfg->jobs_max_shares);
    st_conn_link(srv, c);
    return c;
}

void st_conn_free(st_conn *c)
{
    st_server *srv = c->srv;

    if (srv->out_owner == c) {
        srv->out_owner = NULL;
        nw_buf_reset(&srv->out);
    }
    if (c->has_en1 && srv->en1.release != NULL)
        srv->en1.release(srv->en1.arg, c->en1_handle);
    if (srv->sink.closed != NULL)
        srv->sink.closed(srv->sink.arg, c);
    st_stat_sub(&srv->stats->workers, c->nnames);
    if (c->subscribed)
        st_stat_sub(&srv->stats->subscribed, 1);
    st_conn_unlink(srv, c);
    free(c->names);
    st_dupset_free(&c->dups);
    free(c);
}

/* Reads and drops what the peer sent but we will not handle, so closing
 * does not turn into a reset that could destroy our last reply. */
static void st_conn_drain(st_conn *c)
{
    char buf[4096];

    if (c->ses == NULL || c->ses->fd < 0)
        return;
    for (int i = 0; i < 16; i++)
        if (recv(c->ses->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
            break;
}

void st_conn_close(st_conn *c, const char *reason)
{
    st_server *srv = c->srv;

    if (c->closing)
        return;
    if (srv->out_owner == c)
        st_flush(srv);
    st_conn_drain(c);
    c->closing = true;
    if (srv->sink.close != NULL)
        srv->sink.close(srv->sink.arg, c, reason);
    else if (c->ses != NULL)
        nw_ses_close(c->ses, reason);
}

bool st_conn_strike(st_conn *c, bool is_junk)
{
    st_server *srv = c->srv;

    bool over = st_strike(&c->strikes, &srv->cfg->strikes, st_now(srv), is_junk);

    if (srv->sink.strike != NULL)
        over = srv->sink.strike(srv->sink.arg, c, is_junk);
    if (!over)
        return false;
    if (srv->sink.strike_out != NULL && !srv->sink.strike_out(srv->sink.arg, c))
        return false;
    st_conn_close(c, "banned");
    return true;
}

const st_wname *st_conn_worker(const st_conn *c, const char *s, size_t n)
{
    for (size_t i = 0; i < c->nnames; i++)
        if (strlen(c->names[i].full) == n && memcmp(c->names[i].full, s, n) == 0)
            return &c->names[i];
    return NULL;
}

void st_conn_message(st_conn *c, const char *msg, size_t len)
{
    if (c->closing)
        return;
    if (len == 0 || msg[len - 1] != '\n') {
        static ut_log_rl rl;
        UT_LOG_LIMITED(&rl, st_now(c->srv), UT_LOG_WARN,
                       "stratum line too long: peer=%s conn=%llu (over %zu bytes)", c->peer,
                       (unsigned long long)c->id, c->srv->cfg->max_line);
        st_reply_error(c, "null", 4, ST_ERR_OTHER, "Line too long");
        if (!st_conn_strike(c, true))
            st_conn_close(c, "line too long");
        return;
    }
    len--;
    if (len > 0 && msg[len - 1] == '\r')
        len--;
    if (len == 0)
        return;   /* empty lines are allowed between requests */
    st_stratum_line(c, msg, len);
}

void st_conn_activate(st_conn *c, st_wname *w, bool first_seen)
{
    st_server *srv = c->srv;

    w->active = true;
    if (srv->sink.worker != NULL)
        srv->sink.worker(srv->sink.arg, c, w, first_seen);
    /* The rejects it had before count now (as code 20, without a job). */
    for (; w->held_rejects > 0 && srv->sink.share != NULL; w->held_rejects--) {
        st_share_ev ev = { .conn = c, .worker = w, .job = NULL, .accepted = false,
                           .code = ST_ERR_OTHER, .diff = c->diff, .goal = 0 };
        srv->sink.share(srv->sink.arg, &ev);
    }
    log_info("worker active: peer=%s conn=%llu worker=%s en1=%s%s", c->peer,
             (unsigned long long)c->id, w->full, c->en1_hex, first_seen ? " (new)" : "");
}
