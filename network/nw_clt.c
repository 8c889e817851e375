/* nw_clt: an outgoing connection that keeps itself up. Each connect
 * attempt is a new session; a failed attempt or a lost connection arms the
 * retry timer, whose delay doubles from reconnect_min to reconnect_max
 * across failed attempts and goes back to reconnect_min after a connect. */
#include "network/nw_clt.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "network/nw_int.h"

#define NW_CLT_DEFAULT_MAX_MSG (64 * 1024)
#define NW_CLT_DEFAULT_WBUF_LIMIT (16 * 1024 * 1024)
#define NW_CLT_DEFAULT_RECONNECT_MIN 0.1
#define NW_CLT_DEFAULT_RECONNECT_MAX 5.0
#define NW_CLT_DEFAULT_CONNECT_TIMEOUT 5.0

struct nw_clt {
    nw_owner own;              /* first: sessions point at it */
    struct ev_loop *loop;
    nw_clt_cfg cfg;
    char *addr_str;            /* copy of cfg.addr */
    nw_addr addr;
    void *udata;
    nw_ses *ses;               /* connecting or connected session */
    ev_timer retry_timer;
    ev_timer connect_timer;
    double delay;              /* wait before the next attempt */
    double up_delay;           /* the delay before the last connect (nw_clt_backoff) */
    bool penalize;             /* the live connection counts as a failed attempt */
    bool started;
    char last_error[NW_SES_REASON_SIZE];   /* "" while connected or before an attempt */
};

static void nw_clt_set_error(nw_clt *clt, const char *reason)
{
    snprintf(clt->last_error, sizeof(clt->last_error), "%s", reason ? reason : "");
}

static void nw_clt_tls_ready(nw_ses *ses);

static void nw_clt_schedule(nw_clt *clt, double delay)
{
    ev_timer_stop(clt->loop, &clt->retry_timer);
    ev_timer_set(&clt->retry_timer, delay, 0.0);
    ev_timer_start(clt->loop, &clt->retry_timer);
}

/* The session is going away: report a failed attempt, plan the next one.
 * A connection that was up but counts as failed (nw_clt_backoff, an early
 * TLS error) waits the delay it would have waited had it never connected. */
static void nw_clt_release(nw_owner *own, nw_ses *ses, const char *reason)
{
    nw_clt *clt = (nw_clt *)own;
    bool was_up = ses->connected;
    bool failed = !was_up || clt->penalize || nw_tls_failed_early(ses);
    if (was_up && failed)
        clt->delay = clt->up_delay;
    clt->penalize = false;
    if (clt->ses == ses) {
        clt->ses = NULL;
        ev_timer_stop(clt->loop, &clt->connect_timer);
    }
    nw_clt_set_error(clt, reason);
    if (!was_up && clt->started && clt->own.h.on_connect)
        clt->own.h.on_connect(ses, false);
    if (!clt->started || clt->ses)
        return;
    nw_clt_schedule(clt, clt->delay);
    if (failed) {
        clt->delay *= 2;
        if (clt->delay > clt->cfg.reconnect_max)
            clt->delay = clt->cfg.reconnect_max;
    }
}

nw_clt *nw_clt_create(struct ev_loop *loop, const nw_clt_cfg *cfg,
                      const nw_handlers *h, void *udata)
{
    if (!cfg || !cfg->addr || !h || !h->on_message)
        return NULL;
    nw_clt *clt = calloc(1, sizeof(*clt));
    if (!clt)
        return NULL;
    if (nw_addr_parse(&clt->addr, cfg->addr) < 0 || !(clt->addr_str = strdup(cfg->addr)) ||
        (cfg->tls && (clt->addr.proto == NW_UDP || nw_tls_ctx_server(cfg->tls)))) {
        free(clt->addr_str);
        free(clt);
        return NULL;
    }
    nw_owner_init(&clt->own, NW_OWNER_CLT, h, loop, nw_clt_release);
    clt->own.tls = cfg->tls;
    clt->own.tls_ready = nw_clt_tls_ready;
    clt->loop = loop;
    clt->cfg = *cfg;
    clt->cfg.addr = clt->addr_str;
    if (!clt->cfg.max_msg)
        clt->cfg.max_msg = NW_CLT_DEFAULT_MAX_MSG;
    if (!clt->cfg.wbuf_limit)
        clt->cfg.wbuf_limit = NW_CLT_DEFAULT_WBUF_LIMIT;
    if (clt->cfg.reconnect_min <= 0)
        clt->cfg.reconnect_min = NW_CLT_DEFAULT_RECONNECT_MIN;
    if (clt->cfg.reconnect_max < clt->cfg.reconnect_min)
        clt->cfg.reconnect_max = clt->cfg.reconnect_min > NW_CLT_DEFAULT_RECONNECT_MAX
                                     ? clt->cfg.reconnect_min : NW_CLT_DEFAULT_RECONNECT_MAX;
    if (clt->cfg.connect_timeout <= 0)
        clt->cfg.connect_timeout = NW_CLT_DEFAULT_CONNECT_TIMEOUT;
    clt->own.max_msg = clt->cfg.max_msg;
    clt->own.wbuf_limit = clt->cfg.wbuf_limit;
    if (clt->cfg.drain_timeout > 0)
        clt->own.drain_timeout = clt->cfg.drain_timeout;
    clt->udata = udata;
    clt->delay = clt->cfg.reconnect_min;
    return clt;
}

/* ---- connecting ---- */

/* Connected (after the TLS handshake when there is one). */
static void nw_clt_on_connected(nw_clt *clt, nw_ses *ses)
{
    ev_timer_stop(clt->loop, &clt->connect_timer);
    ev_set_cb(&ses->io, nw_ses_io_cb);
    ses->connected = true;
    ses->last_read = ev_now(clt->loop);
    clt->up_delay = clt->delay;
    clt->delay = clt->cfg.reconnect_min;
    clt->penalize = false;
    nw_clt_set_error(clt, NULL);
    nw_ses_watch(ses, EV_READ);
    if (clt->own.h.on_connect)
        clt->own.h.on_connect(ses, true);
}

static void nw_clt_tls_ready(nw_ses *ses)
{
    nw_clt_on_connected(ses->owner, ses);
}

/* The socket is connected: connected for the user, or a TLS handshake
 * first (the connect timer keeps running through it). */
static void nw_clt_on_socket_up(nw_clt *clt, nw_ses *ses)
{
    char host[128];

    if (clt->addr.proto == NW_TCP) {
        int one = 1;
        setsockopt(ses->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (!clt->own.tls) {
        nw_clt_on_connected(clt, ses);
        return;
    }
    nw_addr_host(&clt->addr, host, sizeof(host));
    if (nw_tls_start(ses, clt->own.tls, clt->addr.proto == NW_TCP ? host : NULL) < 0)
        nw_ses_close(ses, "out of memory");
}

/* EV_WRITE while connecting: the outcome of the non-blocking connect. */
static void nw_clt_connecting_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    nw_ses *ses = w->data;
    nw_clt *clt = ses->owner;
    int err = 0;
    socklen_t len = sizeof(err);
    nw_enter();
    if (getsockopt(ses->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err)
        nw_ses_close(ses, strerror(err));
    else
        nw_clt_on_socket_up(clt, ses);
    nw_leave();
}

static void nw_clt_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    nw_clt *clt = w->data;
    nw_enter();
    if (clt->ses && !clt->ses->connected)
        nw_ses_close(clt->ses, "connect timeout");
    nw_leave();
}

static void nw_clt_connect(nw_clt *clt)
{
    int type = clt->addr.proto == NW_UDP ? SOCK_DGRAM : SOCK_STREAM;
    int fd = socket(clt->addr.u.sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = errno;
    nw_ses *ses = nw_ses_new(&clt->own, fd, clt->addr.proto);
    if (!ses) {
        if (fd >= 0)
            close(fd);
        nw_clt_set_error(clt, "out of memory");
        nw_clt_schedule(clt, clt->cfg.reconnect_max);
        return;
    }
    ses->peer = clt->addr;
    clt->ses = ses;
    if (fd < 0) {
        nw_ses_close(ses, strerror(err));
        return;
    }
    if (connect(fd, &clt->addr.u.sa, clt->addr.len) == 0) {
        nw_clt_on_socket_up(clt, ses);
        return;
    }
    if (errno != EINPROGRESS) {
        nw_ses_close(ses, strerror(errno));
        return;
    }
    ev_set_cb(&ses->io, nw_clt_connecting_cb);
    nw_ses_watch(ses, EV_WRITE);
    ev_timer_set(&clt->connect_timer, clt->cfg.connect_timeout, 0.0);
    ev_timer_start(clt->loop, &clt->connect_timer);
}

static void nw_clt_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    nw_clt *clt = w->data;
    nw_enter();
    if (clt->started && !clt->ses)
        nw_clt_connect(clt);
    nw_leave();
}

/* ---- public ---- */

int nw_clt_start(nw_clt *clt)
{
    if (clt->started)
        return 0;
    clt->started = true;
    clt->delay = clt->cfg.reconnect_min;
    ev_init(&clt->retry_timer, nw_clt_retry_cb);
    clt->retry_timer.data = clt;
    ev_init(&clt->connect_timer, nw_clt_timeout_cb);
    clt->connect_timer.data = clt;
    /* The first attempt runs from the loop, so callbacks never run inside
     * nw_clt_start itself. */
    nw_clt_schedule(clt, 0.0);
    return 0;
}

void nw_clt_stop(nw_clt *clt)
{
    nw_enter();
    clt->started = false;
    ev_timer_stop(clt->loop, &clt->retry_timer);
    ev_timer_stop(clt->loop, &clt->connect_timer);
    if (clt->ses)
        nw_ses_close(clt->ses, "closed");
    nw_leave();
}

void nw_clt_free(nw_clt *clt)
{
    if (!clt)
        return;
    nw_enter();
    nw_clt_stop(clt);
    nw_flush_owner(&clt->own);
    nw_owner_done(&clt->own);
    nw_leave();
    free(clt->addr_str);
    free(clt);
}

bool nw_clt_connected(const nw_clt *clt)
{
    return clt->ses && clt->ses->connected && !clt->ses->closing;
}

nw_ses *nw_clt_ses(nw_clt *clt)
{
    return nw_clt_connected(clt) ? clt->ses : NULL;
}

void *nw_clt_udata(const nw_clt *clt)
{
    return clt->udata;
}

int nw_clt_send(nw_clt *clt, const void *data, size_t len)
{
    if (!nw_clt_connected(clt))
        return -1;
    return nw_ses_send(clt->ses, data, len);
}

void nw_clt_backoff(nw_clt *clt)
{
    clt->penalize = true;
}

nw_clt *nw_ses_clt(const nw_ses *ses)
{
    nw_owner *own = ses->owner;
    return own->kind == NW_OWNER_CLT ? (nw_clt *)own : NULL;
}

const char *nw_clt_last_error(const nw_clt *clt)
{
    return clt->last_error[0] ? clt->last_error : NULL;
}
