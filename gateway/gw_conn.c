/* gw_conn: miner connections: accept, framing, batched output, close
 * (see gw_conn.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "gateway/gw_conn.h"
#include "gateway/gw_share.h"
#include "gateway/gw_stratum.h"
#include "network/nw_svr.h"
#include "utils/ut_diff.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

#define GW_OUT_FLUSH_AT (64 * 1024)

gw_conn *gw_conn_new(gw_server *srv, nw_ses *ses, const nw_addr *peer)
{
    gw_conn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->srv = srv;
    c->ses = ses;
    c->id = ++srv->next_conn_id;
    if (peer != NULL) {
        nw_addr_str(peer, c->peer, sizeof(c->peer));
        nw_addr_host(peer, c->host, sizeof(c->host));
        c->has_ban_key = gw_ban_key(peer, c->ban_key) == 0;
    } else {
        snprintf(c->peer, sizeof(c->peer), "test:%llu", (unsigned long long)c->id);
        snprintf(c->host, sizeof(c->host), "test");
    }
    c->connected = gw_now(srv);
    c->diff = ut_diff_clamp(srv->cfg->vardiff.start, srv->cfg->vardiff.min,
                            srv->cfg->vardiff.max);
    c->prev_diff = c->diff;
    c->strikes.window_start = c->connected;
    gw_vardiff_reset(&c->vd, c->connected);
    c->next = srv->conns;
    if (srv->conns != NULL)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    gw_stat_add(&srv->stats->connections, 1);
    return c;
}

void gw_conn_free(gw_conn *c)
{
    gw_server *srv = c->srv;

    if (srv->out_owner == c) {
        srv->out_owner = NULL;
        srv->out_len = 0;
    }
    if (c->has_en1)
        gw_en1_release(&srv->en1, c->en1_counter);
    for (size_t i = 0; i < c->nnames; i++)
        if (srv->meta != NULL)
            ut_meta_event(srv->meta, c->names[i].user, c->names[i].worker, c->host,
                          "disconnected");
    gw_stat_sub(&srv->stats->workers, c->nnames);
    if (c->subscribed)
        gw_stat_sub(&srv->stats->subscribed, 1);
    gw_stat_sub(&srv->stats->connections, 1);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->nconns--;
    free(c->names);
    free(c);
}

void gw_flush(gw_server *srv)
{
    gw_conn *c = srv->out_owner;
    size_t n = srv->out_len;

    if (c == NULL || n == 0)
        return;
    srv->out_owner = NULL;
    srv->out_len = 0;
    /* The shares these replies accept reach the journal first: a reply
     * "true" never leaves before its share would survive a crash. */
    if (srv->meta != NULL)
        ut_meta_sync(srv->meta);
    /* The hook may close (and free) c: nothing of c is used after it. */
    srv->send(c, srv->out, n);
}

static int gw_out_reserve(gw_server *srv, size_t len)
{
    size_t cap = srv->out_cap ? srv->out_cap : 4096;
    char *p;

    if (srv->out_len + len <= srv->out_cap)
        return 0;
    while (cap < srv->out_len + len)
        cap *= 2;
    p = realloc(srv->out, cap);
    if (p == NULL)
        return -1;
    srv->out = p;
    srv->out_cap = cap;
    return 0;
}

void gw_out(gw_conn *c, const void *data, size_t len)
{
    gw_server *srv = c->srv;

    if (c->closing)
        return;
    if (srv->out_owner != c)
        gw_flush(srv);
    if (gw_out_reserve(srv, len) != 0) {
        log_error("stratum out of memory: peer=%s conn=%llu, %zu bytes dropped", c->peer,
                  (unsigned long long)c->id, len);
        return;
    }
    memcpy(srv->out + srv->out_len, data, len);
    srv->out_len += len;
    srv->out_owner = c;
    if (srv->out_len >= GW_OUT_FLUSH_AT)
        gw_flush(srv);
}

/* Reads and drops what the peer sent but we will not handle, so closing
 * does not turn into a reset that could destroy our last reply. */
static void gw_conn_drain(gw_conn *c)
{
    char buf[4096];

    if (c->ses == NULL || c->ses->fd < 0)
        return;
    for (int i = 0; i < 16; i++)
        if (recv(c->ses->fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
            break;
}

void gw_conn_close(gw_conn *c, const char *reason)
{
    if (c->closing)
        return;
    if (c->srv->out_owner == c)
        gw_flush(c->srv);
    gw_conn_drain(c);
    c->closing = true;
    c->srv->close(c, reason);
}

static void gw_reply_begin(char *buf, size_t *n, const char *id, size_t idlen)
{
    memcpy(buf, "{\"id\":", 6);
    memcpy(buf + 6, id, idlen);
    *n = 6 + idlen;
}

void gw_reply_true(gw_conn *c, const char *id, size_t idlen)
{
    static const char tail[] = ",\"result\":true,\"error\":null}\n";
    char buf[GW_REQ_MAX_ID + 96];
    size_t n;

    if (idlen > sizeof(buf) - 96) {
        id = "null";
        idlen = 4;
    }
    gw_reply_begin(buf, &n, id, idlen);
    memcpy(buf + n, tail, sizeof(tail) - 1);
    gw_out(c, buf, n + sizeof(tail) - 1);
}

void gw_reply_result(gw_conn *c, const char *id, size_t idlen, const char *result, size_t rlen)
{
    static const char mid[] = ",\"result\":";
    static const char tail[] = ",\"error\":null}\n";
    char buf[GW_REQ_MAX_ID + 96];
    size_t n;

    if (idlen > sizeof(buf) - 96) {
        id = "null";
        idlen = 4;
    }
    gw_reply_begin(buf, &n, id, idlen);
    memcpy(buf + n, mid, sizeof(mid) - 1);
    gw_out(c, buf, n + sizeof(mid) - 1);
    gw_out(c, result, rlen);
    gw_out(c, tail, sizeof(tail) - 1);
}

void gw_reply_error(gw_conn *c, const char *id, size_t idlen, int code, const char *msg)
{
    char buf[GW_REQ_MAX_ID + 256];
    int n;

    if (idlen > GW_REQ_MAX_ID + 16) {
        id = "null";
        idlen = 4;
    }
    n = snprintf(buf, sizeof(buf), "{\"id\":%.*s,\"result\":null,\"error\":[%d,\"%s\",null]}\n",
                 (int)idlen, id, code, msg);
    if (n > 0 && (size_t)n < sizeof(buf))
        gw_out(c, buf, (size_t)n);
}

bool gw_conn_strike(gw_conn *c, bool is_junk)
{
    gw_server *srv = c->srv;
    const gw_ban_cfg *b = &srv->cfg->ban;
    int64_t until;

    if (!gw_strike(&c->strikes, b, gw_now(srv), is_junk))
        return false;
    if (c->has_ban_key && !gw_ban_exempt(b, c->ban_key)) {
        until = (int64_t)time(NULL) + (int64_t)b->seconds;
        gw_ban_add(srv->shm, srv->worker, c->ban_key, until);
        gw_stat_add(&srv->stats->bans, 1);
        log_warn("ban: peer=%s conn=%llu banned for %.0fs (%u invalid shares, %u junk lines "
                 "within %.0fs)", c->peer, (unsigned long long)c->id, b->seconds,
                 c->strikes.invalid, c->strikes.junk, b->window);
    } else {
        log_warn("ban: peer=%s conn=%llu over the limits (%u invalid shares, %u junk lines), "
                 "closed (exempt from bans)", c->peer, (unsigned long long)c->id,
                 c->strikes.invalid, c->strikes.junk);
    }
    gw_conn_close(c, "banned");
    return true;
}

void gw_conn_message(gw_conn *c, const char *msg, size_t len)
{
    if (c->closing)
        return;
    if (len == 0 || msg[len - 1] != '\n') {
        log_warn("stratum line too long: peer=%s conn=%llu (over %zu bytes)", c->peer,
                 (unsigned long long)c->id, c->srv->cfg->max_line);
        gw_reply_error(c, "null", 4, GW_ERR_OTHER, "Line too long");
        if (!gw_conn_strike(c, true))
            gw_conn_close(c, "line too long");
        return;
    }
    len--;
    if (len > 0 && msg[len - 1] == '\r')
        len--;
    if (len == 0)
        return;   /* empty lines are allowed between requests */
    gw_stratum_line(c, msg, len);
}

/* ---- nw callbacks ---- */

static gw_server *gw_ses_server(const nw_ses *ses)
{
    return nw_svr_udata(nw_ses_svr(ses));
}

static int gw_conn_decode(nw_ses *ses, const void *data, size_t len)
{
    gw_conn *c = ses->privdata;
    size_t max;
    const char *nl;

    if (c == NULL)
        return len > (size_t)INT32_MAX ? INT32_MAX : (int)len;   /* being refused: drop */
    max = c->srv->cfg->max_line;
    nl = memchr(data, '\n', len < max + 1 ? len : max + 1);
    if (nl != NULL)
        return (int)(nl - (const char *)data) + 1;
    if (len > max)
        return (int)max + 1;   /* no newline within the limit: a too-long line */
    return 0;
}

static void gw_conn_on_message(nw_ses *ses, const void *msg, size_t len)
{
    gw_conn *c = ses->privdata;

    if (c != NULL)
        gw_conn_message(c, msg, len);
}

static void gw_conn_on_accept(nw_ses *ses)
{
    gw_server *srv = gw_ses_server(ses);
    uint8_t key[16];
    int64_t left;
    gw_conn *c;

    if (srv->stopping) {
        nw_ses_close(ses, "shutting down");
        return;
    }
    if (gw_ban_key(&ses->peer, key) == 0 &&
        (left = gw_ban_check(srv->shm, key, (int64_t)time(NULL))) > 0) {
        gw_stat_add(&srv->stats->refused, 1);
        log_info("refused: peer=%s is banned (%llds left)", nw_ses_peer_str(ses),
                 (long long)left);
        nw_ses_close(ses, "banned");
        return;
    }
    c = gw_conn_new(srv, ses, &ses->peer);
    if (c == NULL) {
        log_error("out of memory accepting peer=%s", nw_ses_peer_str(ses));
        nw_ses_close(ses, "out of memory");
        return;
    }
    ses->privdata = c;
    log_debug("connected: peer=%s conn=%llu", c->peer, (unsigned long long)c->id);
}

static void gw_conn_on_close(nw_ses *ses, const char *reason)
{
    gw_conn *c = ses->privdata;

    if (c == NULL)
        return;
    ses->privdata = NULL;
    log_info("disconnected: peer=%s conn=%llu worker=%s reason=%s accepted=%llu rejected=%llu",
             c->peer, (unsigned long long)c->id, c->nnames ? c->names[0].full : "-", reason,
             (unsigned long long)c->accepted, (unsigned long long)c->rejected);
    gw_conn_free(c);
}

static void gw_conn_on_batch_end(nw_ses *ses)
{
    gw_conn *c = ses->privdata;

    if (c != NULL && c->srv->out_owner == c)
        gw_flush(c->srv);
}

const nw_handlers gw_conn_handlers = {
    .decode = gw_conn_decode,
    .on_message = gw_conn_on_message,
    .on_accept = gw_conn_on_accept,
    .on_close = gw_conn_on_close,
    .on_batch_end = gw_conn_on_batch_end,
};
