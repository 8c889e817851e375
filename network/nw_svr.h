/* nw_svr: a listening socket (TCP, Unix stream, or a bound UDP socket) and
 * the sessions it accepted. With reuseport several processes can listen on
 * the same TCP port and the kernel spreads connections among them. */
#ifndef NW_SVR_H
#define NW_SVR_H

#include "network/nw_ses.h"
#include "network/nw_tls.h"

typedef struct nw_svr_cfg {
    const char *bind;      /* "tcp@0.0.0.0:3333", "unix@/path", "udp@127.0.0.1:4444" */
    size_t max_msg;        /* largest message the decoder may ask for; default 64 KiB */
    size_t wbuf_limit;     /* per-session queued output limit; default 1 MiB */
    double idle_timeout;   /* seconds without input before closing; 0 = never */
    int backlog;           /* default 1024 */
    bool reuseport;        /* SO_REUSEPORT */
    size_t max_sessions;   /* accept no more than this; 0 = unlimited */
    double drain_timeout;  /* after a peer's EOF, seconds to write out its queued
                              output before closing anyway; default 5 */
    nw_tls_ctx *tls;       /* a server context (nw_tls.h): every session runs TLS and
                              on_accept waits for the handshake; NULL = plaintext.
                              Borrowed: free it after the server. TCP/Unix only */
} nw_svr_cfg;

typedef struct nw_svr nw_svr;

/* Copies cfg (and the bind string). Returns NULL on a bad bind spec. */
nw_svr *nw_svr_create(struct ev_loop *loop, const nw_svr_cfg *cfg,
                      const nw_handlers *h, void *udata);
int nw_svr_start(nw_svr *svr);            /* bind + listen; 0 or -1 with errno set */
void nw_svr_stop(nw_svr *svr);            /* stop accepting; sessions stay */
void nw_svr_free(nw_svr *svr);            /* closes every session (on_close runs) */
void *nw_svr_udata(const nw_svr *svr);
size_t nw_svr_count(const nw_svr *svr);   /* live sessions (with TLS: also handshaking) */
/* Every connected session (not those still in their TLS handshake). */
void nw_svr_foreach(nw_svr *svr, void (*fn)(nw_ses *ses, void *arg), void *arg);
int nw_svr_fd(const nw_svr *svr);         /* the listening fd (-1 before start) */
/* The server a session belongs to, or NULL when it belongs to a client. */
nw_svr *nw_ses_svr(const nw_ses *ses);

/* A UDP server has one session, its socket (counted by nw_svr_count, no
 * on_accept; on_close when the server stops). Each datagram is one
 * message with ses->peer set to its sender. NULL when not started. */
nw_ses *nw_svr_udp_ses(nw_svr *svr);
/* The bound address (the real port after binding port 0); 0 or -1. */
int nw_svr_local_addr(const nw_svr *svr, nw_addr *out);

/* Notes: nw_svr_stop closes the listening socket (and unlinks a unix path),
 * nw_svr_start binds again. Past max_sessions a new connection is accepted
 * and closed at once. EMFILE/ENFILE pause accepting for 0.1 s. nw_svr_free
 * must not be called from inside a callback of one of its own sessions. */

#endif
