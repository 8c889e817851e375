/* nw_svr: a listening TCP or Unix stream socket and the sessions it
 * accepted, or a bound UDP socket (one session, the socket itself). One
 * timer per server closes idle sessions: the session list is kept in
 * last-read order, so a sweep only looks at the oldest ones. */
#include "network/nw_svr.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "network/nw_int.h"

#define NW_SVR_DEFAULT_MAX_MSG (64 * 1024)
#define NW_SVR_DEFAULT_WBUF_LIMIT (1024 * 1024)
#define NW_SVR_DEFAULT_BACKLOG 1024
#define NW_SVR_ACCEPT_BATCH 256      /* accepts per readiness event */
#define NW_SVR_ACCEPT_PAUSE 0.1      /* seconds without accepting after EMFILE */
#define NW_SVR_SWEEP_MIN 0.01        /* shortest gap between idle sweeps */

struct nw_svr {
    nw_owner own;              /* first: sessions point at it */
    struct ev_loop *loop;
    nw_svr_cfg cfg;
    char *bind;                /* copy of cfg.bind */
    nw_addr addr;
    void *udata;
    int fd;                    /* listening or UDP socket, -1 when stopped */
    ev_io accept_io;
    ev_timer pause_timer;      /* accepting again after EMFILE/ENFILE */
    ev_timer idle_timer;       /* idle sweep */
    nw_ses *udp;               /* the UDP socket's session */
};

static void nw_svr_connected(nw_ses *ses);

static void nw_svr_release(nw_owner *own, nw_ses *ses, const char *reason)
{
    nw_svr *svr = (nw_svr *)own;
    if (svr->udp == ses) {
        svr->udp = NULL;
        svr->fd = -1;
    }
}

nw_svr *nw_svr_create(struct ev_loop *loop, const nw_svr_cfg *cfg,
                      const nw_handlers *h, void *udata)
{
    if (!cfg || !cfg->bind || !h || !h->on_message)
        return NULL;
    nw_svr *svr = calloc(1, sizeof(*svr));
    if (!svr)
        return NULL;
    if (nw_addr_parse(&svr->addr, cfg->bind) < 0 || !(svr->bind = strdup(cfg->bind)) ||
        (cfg->tls && (svr->addr.proto == NW_UDP || !nw_tls_ctx_server(cfg->tls)))) {
        free(svr->bind);
        free(svr);
        return NULL;
    }
    nw_owner_init(&svr->own, NW_OWNER_SVR, h, loop, nw_svr_release);
    svr->own.tls = cfg->tls;
    svr->own.tls_ready = nw_svr_connected;
    svr->loop = loop;
    svr->cfg = *cfg;
    svr->cfg.bind = svr->bind;
    if (!svr->cfg.max_msg)
        svr->cfg.max_msg = NW_SVR_DEFAULT_MAX_MSG;
    if (!svr->cfg.wbuf_limit)
        svr->cfg.wbuf_limit = NW_SVR_DEFAULT_WBUF_LIMIT;
    if (svr->cfg.backlog <= 0)
        svr->cfg.backlog = NW_SVR_DEFAULT_BACKLOG;
    svr->own.max_msg = svr->cfg.max_msg;
    svr->own.wbuf_limit = svr->cfg.wbuf_limit;
    if (svr->cfg.drain_timeout > 0)
        svr->own.drain_timeout = svr->cfg.drain_timeout;
    svr->udata = udata;
    svr->fd = -1;
    return svr;
}

/* ---- accepting ---- */

/* The session is ready for the user: at once, or after its TLS handshake. */
static void nw_svr_connected(nw_ses *ses)
{
    nw_owner *own = ses->owner;
    ses->connected = true;
    nw_ses_watch(ses, EV_READ);
    if (own->h.on_accept)
        own->h.on_accept(ses);
}

static void nw_svr_add_session(nw_svr *svr, int fd, const nw_addr *peer)
{
    nw_ses *ses = nw_ses_new(&svr->own, fd, svr->addr.proto);
    if (!ses) {
        close(fd);
        return;
    }
    if (svr->addr.proto == NW_TCP) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    ses->peer = *peer;
    if (!svr->own.tls)
        nw_svr_connected(ses);
    else if (nw_tls_start(ses, svr->own.tls, NULL) < 0)
        nw_ses_close(ses, "out of memory");
}

static void nw_svr_pause(nw_svr *svr)
{
    ev_io_stop(svr->loop, &svr->accept_io);
    ev_timer_set(&svr->pause_timer, NW_SVR_ACCEPT_PAUSE, 0.0);
    ev_timer_start(svr->loop, &svr->pause_timer);
}

static void nw_svr_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    nw_svr *svr = w->data;
    if (svr->fd >= 0 && !svr->udp)
        ev_io_start(loop, &svr->accept_io);
}

static void nw_svr_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    nw_svr *svr = w->data;
    nw_enter();
    for (int i = 0; i < NW_SVR_ACCEPT_BATCH && svr->fd >= 0; i++) {
        nw_addr peer;
        memset(&peer, 0, sizeof(peer));
        socklen_t alen = sizeof(peer.u);
        int fd = accept4(svr->fd, &peer.u.sa, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                nw_svr_pause(svr);
            break;
        }
        if (svr->cfg.max_sessions && svr->own.nlive >= svr->cfg.max_sessions) {
            close(fd);
            continue;
        }
        peer.proto = svr->addr.proto;
        peer.len = alen;
        nw_svr_add_session(svr, fd, &peer);
    }
    nw_leave();
}

/* ---- idle sweep ---- */

/* Sessions the sweep leaves alone: closing ones, and those draining after
 * the peer's EOF (their drain_timeout bounds them). */
static bool nw_svr_sweep_skips(const nw_svr *svr, const nw_ses *ses)
{
    return ses->closing || ses->peer_eof || ses == svr->udp;
}

static void nw_svr_arm_sweep(nw_svr *svr)
{
    double when = svr->cfg.idle_timeout;
    for (nw_ses *ses = svr->own.head; ses; ses = ses->next) {
        if (nw_svr_sweep_skips(svr, ses))
            continue;
        when = ses->last_read + svr->cfg.idle_timeout - ev_now(svr->loop);
        break;
    }
    if (when < NW_SVR_SWEEP_MIN)
        when = NW_SVR_SWEEP_MIN;
    ev_timer_set(&svr->idle_timer, when, 0.0);
    ev_timer_start(svr->loop, &svr->idle_timer);
}

static void nw_svr_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    nw_svr *svr = w->data;
    double limit = ev_now(loop) - svr->cfg.idle_timeout;
    nw_enter();
    for (nw_ses *ses = svr->own.head; ses; ses = ses->next) {
        if (nw_svr_sweep_skips(svr, ses))
            continue;
        if (ses->last_read > limit)
            break;
        nw_ses_close(ses, "idle timeout");
    }
    nw_leave();
    nw_svr_arm_sweep(svr);
}

/* ---- start and stop ---- */

static int nw_svr_listen(nw_svr *svr)
{
    bool stream = svr->addr.proto != NW_UDP;
    int one = 1;
    if (svr->addr.proto == NW_UNIX)
        unlink(svr->addr.u.un.sun_path);
    int fd = socket(svr->addr.u.sa.sa_family,
                    (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (svr->addr.proto != NW_UNIX &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        goto fail;
    if (svr->cfg.reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
        goto fail;
    if (bind(fd, &svr->addr.u.sa, svr->addr.len) < 0)
        goto fail;
    if (stream && listen(fd, svr->cfg.backlog) < 0)
        goto fail;
    return fd;
fail:;
    int err = errno;
    close(fd);
    errno = err;
    return -1;
}

int nw_svr_start(nw_svr *svr)
{
    if (svr->fd >= 0)
        return 0;
    int fd = nw_svr_listen(svr);
    if (fd < 0)
        return -1;
    svr->fd = fd;
    if (svr->addr.proto == NW_UDP) {
        nw_ses *ses = nw_ses_new(&svr->own, fd, NW_UDP);
        if (!ses) {
            close(fd);
            svr->fd = -1;
            errno = ENOMEM;
            return -1;
        }
        ses->connected = true;
        ses->peer = svr->addr;
        svr->udp = ses;
        nw_ses_watch(ses, EV_READ);
        return 0;
    }
    ev_io_init(&svr->accept_io, nw_svr_accept_cb, fd, EV_READ);
    svr->accept_io.data = svr;
    ev_io_start(svr->loop, &svr->accept_io);
    ev_init(&svr->pause_timer, nw_svr_pause_cb);
    svr->pause_timer.data = svr;
    if (svr->cfg.idle_timeout > 0 && !ev_is_active(&svr->idle_timer)) {
        ev_init(&svr->idle_timer, nw_svr_idle_cb);
        svr->idle_timer.data = svr;
        nw_svr_arm_sweep(svr);
    }
    return 0;
}

void nw_svr_stop(nw_svr *svr)
{
    if (svr->fd < 0)
        return;
    if (svr->udp) {
        nw_ses_close(svr->udp, "closed");
        svr->udp = NULL;
        svr->fd = -1;
        return;
    }
    ev_io_stop(svr->loop, &svr->accept_io);
    ev_timer_stop(svr->loop, &svr->pause_timer);
    close(svr->fd);
    svr->fd = -1;
    if (svr->addr.proto == NW_UNIX)
        unlink(svr->addr.u.un.sun_path);
}

void nw_svr_free(nw_svr *svr)
{
    if (!svr)
        return;
    nw_enter();
    nw_svr_stop(svr);
    for (nw_ses *ses = svr->own.head; ses; ses = ses->next)
        nw_ses_close(ses, "closed");
    nw_flush_owner(&svr->own);
    ev_timer_stop(svr->loop, &svr->idle_timer);
    nw_owner_done(&svr->own);
    nw_leave();
    free(svr->bind);
    free(svr);
}

/* ---- queries ---- */

void *nw_svr_udata(const nw_svr *svr)
{
    return svr->udata;
}

size_t nw_svr_count(const nw_svr *svr)
{
    return svr->own.nlive;
}

void nw_svr_foreach(nw_svr *svr, void (*fn)(nw_ses *ses, void *arg), void *arg)
{
    /* Closes made by fn are deferred, so the list cannot change under us. */
    nw_enter();
    for (nw_ses *ses = svr->own.head; ses; ses = ses->next)
        if (!ses->closing && ses->connected)
            fn(ses, arg);
    nw_leave();
}

int nw_svr_fd(const nw_svr *svr)
{
    return svr->fd;
}

nw_svr *nw_ses_svr(const nw_ses *ses)
{
    nw_owner *own = ses->owner;
    return own->kind == NW_OWNER_SVR ? (nw_svr *)own : NULL;
}

nw_ses *nw_svr_udp_ses(nw_svr *svr)
{
    return svr->udp;
}

int nw_svr_local_addr(const nw_svr *svr, nw_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (svr->fd < 0)
        return -1;
    socklen_t len = sizeof(out->u);
    if (getsockname(svr->fd, &out->u.sa, &len) < 0)
        return -1;
    out->proto = svr->addr.proto;
    out->len = len;
    return 0;
}
