/* nw_int: what the files of the network library share and users never
 * see: the owner record that nw_svr and nw_clt start with (per-owner
 * limits, handlers and the drain queue of half-closed sessions), the
 * session constructor, and the dispatch guard that defers closes.
 *
 * Dispatch guard: every library callback that can call user code runs
 * between nw_enter() and nw_leave(). A session closed while the guard is
 * held is only marked (closing, io stopped) and queued; its on_close, the
 * owner's release hook and the free run when the outermost nw_leave()
 * returns the depth to zero. Outside the guard nw_ses_close finishes at
 * once. The guard is per thread; sessions live on one loop thread. */
#ifndef NW_INT_H
#define NW_INT_H

#include <sys/types.h>
#include "network/nw_ses.h"
#include "network/nw_tls.h"

typedef enum { NW_OWNER_SVR = 1, NW_OWNER_CLT = 2 } nw_owner_kind;

typedef struct nw_owner nw_owner;

/* Runs once per session after on_close (if any) and before the session's
 * memory is freed: the owner forgets the session here. */
typedef void (*nw_release_fn)(nw_owner *own, nw_ses *ses, const char *reason);

#define NW_DRAIN_TIMEOUT_DEFAULT 5.0   /* seconds to deliver output after the peer's EOF */

struct nw_owner {
    nw_owner_kind kind;
    nw_handlers h;          /* the user's handlers, copied */
    struct ev_loop *loop;
    nw_ses *head, *tail;    /* sessions, least recently read first */
    size_t nlive;           /* sessions in the list that are not closing */
    nw_release_fn release;
    size_t max_msg;         /* a pending partial message larger than this is an error */
    size_t wbuf_limit;      /* queued output per session */
    double drain_timeout;   /* after the peer's EOF */
    nw_ses *drain_head, *drain_tail;   /* sessions draining after EOF, oldest first */
    ev_timer drain_timer;   /* closes the drain queue's head when it runs out of time */
    nw_tls_ctx *tls;        /* NULL: plaintext sessions */
    void (*tls_ready)(nw_ses *ses);   /* a session's handshake is done: connect it */
};

/* Sets up own (zero-filled by the caller): kind, handlers, loop, release
 * hook, the default drain_timeout and the drain timer. The caller sets
 * max_msg and wbuf_limit. */
void nw_owner_init(nw_owner *own, nw_owner_kind kind, const nw_handlers *h,
                   struct ev_loop *loop, nw_release_fn release);
/* Stops the drain timer; call once every session is gone (owner freed). */
void nw_owner_done(nw_owner *own);

/* Dispatch guard (see above). */
void nw_enter(void);
void nw_leave(void);
/* Finishes the queued closes of this owner's sessions now, at any depth
 * (used by nw_svr_free / nw_clt_free before the owner goes away). */
void nw_flush_owner(nw_owner *own);

/* A new session on fd (may be -1) appended to own's list, not connected,
 * its io watcher set up with nw_ses_io_cb but not started. NULL on ENOMEM. */
nw_ses *nw_ses_new(nw_owner *own, int fd, nw_proto proto);
/* Sets the io watcher to watch events (EV_READ, EV_WRITE, both; 0 stops). */
void nw_ses_watch(nw_ses *ses, int events);
/* The io callback of connected sessions. */
void nw_ses_io_cb(struct ev_loop *loop, ev_io *w, int revents);

/* ---- TLS (nw_tls.c), used only for sessions with ses->tls set ---- */

/* Gives ses (fd open, not connected) an SSL of ctx and starts the
 * handshake (its own io callback and timeout). host: what a client checks
 * when ctx has no host of its own. When it completes, own->tls_ready(ses)
 * runs; when it fails, on_tls_error, then nw_ses_close("tls handshake
 * failed"). Returns -1 (nothing started) when out of memory. */
int nw_tls_start(nw_ses *ses, nw_tls_ctx *ctx, const char *host);
/* recv/send replacements: n > 0, 0 for EOF (recv), or -1 with errno
 * (EAGAIN: wait for the events nw_tls_events asks for). */
ssize_t nw_tls_recv(nw_ses *ses, void *buf, size_t len);
ssize_t nw_tls_send(nw_ses *ses, const void *buf, size_t len);
/* Whether OpenSSL still holds input after a successful read. */
bool nw_tls_more(const nw_ses *ses);
/* The io events to watch for the wanted events, and the events a wakeup
 * stands for (a read waiting for writability, a write for readability). */
int nw_tls_events(const nw_ses *ses, int events);
int nw_tls_revents(const nw_ses *ses, int revents);
/* Close reason for a failed recv/send ("tls error" or strerror(err)). */
const char *nw_tls_strerror(const nw_ses *ses, int err);
/* The session failed on a TLS error before reading any application byte
 * (a client counts it as a failed attempt). */
bool nw_tls_failed_early(const nw_ses *ses);
/* close_notify when clean (before close(fd)), then the SSL's release. */
void nw_tls_shutdown(nw_ses *ses);
void nw_tls_free(nw_ses *ses);

#endif
