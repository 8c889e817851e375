/* nw_clt: an outgoing connection that reconnects by itself with
 * exponential backoff (reconnect_min doubling up to reconnect_max). */
#ifndef NW_CLT_H
#define NW_CLT_H

#include "network/nw_ses.h"
#include "network/nw_tls.h"

typedef struct nw_clt_cfg {
    const char *addr;        /* "tcp@127.0.0.1:7000", "unix@/path", "udp@..." */
    size_t max_msg;          /* default 64 KiB */
    size_t wbuf_limit;       /* default 16 MiB */
    double reconnect_min;    /* default 0.1 s */
    double reconnect_max;    /* default 5 s */
    double connect_timeout;  /* default 5 s */
    double drain_timeout;    /* after the server's EOF, seconds to write out the
                                queued output before closing anyway; default 5 s */
    nw_tls_ctx *tls;         /* a client context (nw_tls.h): each connection runs a TLS
                                handshake (within connect_timeout) before on_connect;
                                NULL = plaintext. Borrowed: free it after the client */
} nw_clt_cfg;

typedef struct nw_clt nw_clt;

nw_clt *nw_clt_create(struct ev_loop *loop, const nw_clt_cfg *cfg,
                      const nw_handlers *h, void *udata);
int nw_clt_start(nw_clt *clt);             /* starts connecting; 0 or -1 */
void nw_clt_stop(nw_clt *clt);             /* closes, stops reconnecting */
void nw_clt_free(nw_clt *clt);
bool nw_clt_connected(const nw_clt *clt);
nw_ses *nw_clt_ses(nw_clt *clt);           /* the live session or NULL */
void *nw_clt_udata(const nw_clt *clt);
/* Sends on the live session; -1 when not connected or over the limit. */
int nw_clt_send(nw_clt *clt, const void *data, size_t len);
/* The client a session belongs to, or NULL when it belongs to a server. */
nw_clt *nw_ses_clt(const nw_ses *ses);

/* Counts the connection that is up (or is just ending) as a failed
 * attempt: the next attempt waits the backoff delay, which keeps doubling,
 * instead of reconnect_min. For peers that accept and then refuse (an
 * authentication refusal). A TLS connection that ends on a TLS error
 * before any byte of data arrived counts so by itself. */
void nw_clt_backoff(nw_clt *clt);

/* Why the last attempt failed or the last connection ended ("Connection
 * refused", "connect timeout", "peer closed", ...); NULL while connected
 * or before the first attempt. Held by the client until the next attempt
 * ends; not to be freed. */
const char *nw_clt_last_error(const nw_clt *clt);

/* Notes: the first attempt runs from the loop, right after nw_clt_start;
 * callbacks never run inside nw_clt_start. A failed attempt calls
 * on_connect(ses, false) (no on_close); a connection that was up ends with
 * on_close, then the next attempt is made after reconnect_min (or after
 * the backoff delay, see nw_clt_backoff). A TLS handshake failure is a
 * failed attempt (on_tls_error, then on_connect(false)). A UDP client
 * is a connected UDP socket: on_connect(true) at once. nw_clt_stop and
 * nw_clt_free close the session (on_close "closed"); nw_clt_free must not
 * be called from inside one of the client's own callbacks. */

#endif
