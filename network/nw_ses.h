/* nw_ses: one connection (TCP, Unix stream) or one UDP socket, owned by a
 * nw_svr or a nw_clt. Holds no buffer while idle: input is read into a
 * per-loop scratch buffer and only a partial message is kept per session;
 * output is written at once and only what the kernel refused is queued,
 * up to wbuf_limit, past which the session is closed ("slow reader").
 *
 * Half-close: when the peer shuts down its sending side (EOF) while output
 * is still queued, the session stops reading, keeps writing, and closes
 * with "peer closed" once the queue is empty, so a peer that sends its
 * last request and shuts down writing still gets every reply. The drain
 * is bounded by the owner's drain_timeout (reason "peer closed, output
 * not delivered"). With nothing queued at EOF the session closes at once.
 *
 * TLS (nw_tls.h) changes none of this: the same calls go through OpenSSL,
 * whose own buffering adds at most one record (16 KiB) per direction. */
#ifndef NW_SES_H
#define NW_SES_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include "network/nw_addr.h"
#include "network/nw_buf.h"

typedef struct nw_ses nw_ses;
typedef struct nw_tls_conn nw_tls_conn;

/* Callbacks shared by servers and clients. Only on_message is required. */
typedef struct nw_handlers {
    /* Framing: data/len are the unread bytes. Return the size of the whole
     * message at the start of data (>0), 0 when more bytes are needed, or
     * <0 when the input is invalid (the session is closed with reason
     * "decode error"). NULL: every read chunk is one message. */
    int (*decode)(nw_ses *ses, const void *data, size_t len);
    /* One whole message. The pointer is only valid during the call. */
    void (*on_message)(nw_ses *ses, const void *msg, size_t len);
    /* Server: a new connection was accepted (ses->privdata may be set);
     * with TLS, once its handshake is done. */
    void (*on_accept)(nw_ses *ses);
    /* Client: connected (ok=true; with TLS, once the server is verified) or
     * a connect attempt failed (ok=false). */
    void (*on_connect)(nw_ses *ses, bool ok);
    /* The session is about to be freed. reason: "peer closed", "peer closed,
     * output not delivered", "decode error", "write buffer limit", "idle
     * timeout", "closed", an strerror text, or the text given to
     * nw_ses_close. It points into the session: valid during the call only. */
    void (*on_close)(nw_ses *ses, const char *reason);
    /* Called once after a batch of messages read in one go has been handled
     * (the place to flush batched replies); optional. It runs after every
     * read event that delivered at least one message, even when the session
     * is closing (sends then fail), so per-batch state can always be reset. */
    void (*on_batch_end)(nw_ses *ses);
    /* TLS only (nw_tls.h): a handshake failed; why is the whole reason
     * ("certificate verify failed (self-signed certificate)"). The session
     * was never connected: no on_accept / on_close; a client's
     * on_connect(ses, false) follows. Optional. */
    void (*on_tls_error)(nw_ses *ses, const char *why);
    /* Stream sessions: the queued output has all been written (after a
     * write that emptied the queue; not for sends the kernel took at
     * once, nor while closing). Where a paused reader resumes (see
     * nw_ses_pause_read). Optional. */
    void (*on_drained)(nw_ses *ses);
} nw_handlers;

/* Close reasons are copied into the session, cut to this size with the NUL. */
#define NW_SES_REASON_SIZE 36

struct nw_ses {
    ev_io io;
    int fd;
    nw_proto proto;
    uint64_t id;           /* unique per process, never reused */
    nw_addr peer;          /* remote address (for UDP: sender of the current message) */
    double last_read;      /* ev_now of the last read (or of the peer's EOF) */
    nw_buf rbuf;           /* partial input only; empty and unallocated when idle */
    nw_buf wbuf;           /* output the kernel did not take yet */
    struct ev_loop *loop;
    void *owner;           /* the nw_svr or nw_clt (limits and handlers live there) */
    void *privdata;        /* the user's, never touched by the library */
    nw_ses *prev, *next;   /* owner's list */
    nw_ses *qnext;         /* the owner's drain queue while draining, then the close queue */
    bool connected;
    bool closing;          /* nw_ses_close was called; freed after the current callback */
    bool close_flushed;    /* nw_ses_close_flushed: close once wbuf is written */
    bool peer_eof;         /* the peer sent EOF; draining wbuf before closing */
    bool read_paused;      /* nw_ses_pause_read: the socket is not read */
    char close_reason[NW_SES_REASON_SIZE];   /* set when closing, handed to on_close */
    nw_tls_conn *tls;          /* NULL for plaintext; see nw_tls.h */
};

/* Queues len bytes for the peer; writes at once when nothing is queued.
 * Returns 0, or -1 when the session is closing or the queue would pass
 * wbuf_limit (the session is then closed with "write buffer limit").
 * Still works while draining after the peer's EOF (peer_eof): the bytes
 * join the queue that is being delivered. */
int nw_ses_send(nw_ses *ses, const void *data, size_t len);

/* UDP only: send one datagram to addr. Returns 0, or -1 when the kernel
 * refused it (a full socket buffer drops the datagram). On a UDP session
 * nw_ses_send sends one datagram to ses->peer. */
int nw_ses_sendto(nw_ses *ses, const void *data, size_t len, const nw_addr *addr);

/* Closes the session. Safe inside any callback of this session: the memory
 * is released after the callback returns; on_close runs exactly once.
 * Inside a library callback (of any session, server, client, nw_timer or
 * nw_job) on_close and the free are deferred until that callback returns,
 * so the caller may keep using ses and its privdata until then. Called from
 * elsewhere (a raw libev watcher), on_close runs before this returns.
 * reason (NULL = "closed") is copied, cut to NW_SES_REASON_SIZE - 1 bytes:
 * a buffer of the caller's may be reused at once. Queued output is dropped.
 * on_close runs only for sessions that were connected: a client's failed
 * connect attempt is reported by on_connect(ses, false) instead. */
void nw_ses_close(nw_ses *ses, const char *reason);

/* Closes once the queued output has been written (at once when nothing is
 * queued). Input that arrives meanwhile is read and dropped (on_message no
 * longer runs: unread input would make the kernel reset the connection and
 * lose the output); further sends fail. For "send an error reply, then
 * hang up". reason is copied as by nw_ses_close. A peer that never reads
 * keeps the session until something else closes it (idle_timeout, the
 * drain_timeout after its EOF, nw_ses_close). */
void nw_ses_close_flushed(nw_ses *ses, const char *reason);

/* Stops (paused=true) or resumes reading a stream session's socket:
 * output keeps being written. Back-pressure for a peer that sends requests
 * faster than it reads the answers: what it sends then waits in the
 * kernel's buffers and TCP flow control slows the peer down. Reading stops
 * after the read that is running (the current on_message returns first).
 * A paused session's last_read does not advance, so the owner's
 * idle_timeout still closes a peer that neither reads nor sends. */
void nw_ses_pause_read(nw_ses *ses, bool paused);

/* "1.2.3.4:5678" of the peer, in a static per-thread buffer. */
const char *nw_ses_peer_str(const nw_ses *ses);

size_t nw_ses_pending(const nw_ses *ses);          /* bytes queued for write */

#endif
