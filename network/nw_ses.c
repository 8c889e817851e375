/* nw_ses: the life of one connection: reading and framing input, writing
 * and queueing output, draining queued output after the peer's EOF, and
 * closing (deferred while a callback runs, see nw_int.h). Shared by nw_svr
 * and nw_clt, which own the sessions. */
#include "network/nw_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NW_SCRATCH_SIZE (64 * 1024)
/* Per read event: at most this many full reads (stream) or datagrams, so
 * one busy connection cannot starve the others. */
#define NW_READ_ROUNDS 8
#define NW_DGRAM_ROUNDS 64

/* Input is read here first; only a partial message is copied out into the
 * session. Per thread, so loops in different threads never share it. */
static _Thread_local char nw_scratch_buf[NW_SCRATCH_SIZE];
static atomic_uint_fast64_t nw_next_id = 1;

static _Thread_local int nw_depth;
static _Thread_local nw_ses *nw_close_head;
static _Thread_local nw_ses *nw_close_tail;

/* ---- owner's list ---- */

static void nw_list_append(nw_owner *own, nw_ses *ses)
{
    ses->next = NULL;
    ses->prev = own->tail;
    if (own->tail)
        own->tail->next = ses;
    else
        own->head = ses;
    own->tail = ses;
}

static void nw_list_unlink(nw_owner *own, nw_ses *ses)
{
    if (ses->prev)
        ses->prev->next = ses->next;
    else
        own->head = ses->next;
    if (ses->next)
        ses->next->prev = ses->prev;
    else
        own->tail = ses->prev;
    ses->prev = NULL;
    ses->next = NULL;
}

/* Input arrived: the session moves to the tail, so the list stays ordered
 * by last_read and an idle sweep only looks at the head. */
static void nw_list_touch(nw_ses *ses)
{
    nw_owner *own = ses->owner;
    ses->last_read = ev_now(ses->loop);
    if (own->tail == ses)
        return;
    nw_list_unlink(own, ses);
    nw_list_append(own, ses);
}

static nw_owner *nw_own(const nw_ses *ses)
{
    return ses->owner;
}

static const nw_handlers *nw_h(const nw_ses *ses)
{
    return &nw_own(ses)->h;
}

/* ---- drain queue: sessions writing out their queue after the peer's EOF,
 * oldest EOF first (linked through qnext); one timer per owner closes the
 * head once its drain_timeout has passed. ---- */

static void nw_drain_arm(nw_owner *own)
{
    ev_timer_stop(own->loop, &own->drain_timer);
    if (!own->drain_head)
        return;
    double wait = own->drain_head->last_read + own->drain_timeout - ev_now(own->loop);
    ev_timer_set(&own->drain_timer, wait > 0 ? wait : 0.0, 0.0);
    ev_timer_start(own->loop, &own->drain_timer);
}

static void nw_drain_push(nw_ses *ses)
{
    nw_owner *own = nw_own(ses);
    ses->qnext = NULL;
    if (own->drain_tail) {
        own->drain_tail->qnext = ses;
        own->drain_tail = ses;
        return;
    }
    own->drain_head = own->drain_tail = ses;
    nw_drain_arm(own);
}

/* The queue is short (only sessions whose peer just left), so a walk is fine. */
static void nw_drain_remove(nw_ses *ses)
{
    nw_owner *own = nw_own(ses);
    nw_ses *prev = NULL;
    nw_ses *cur = own->drain_head;
    while (cur && cur != ses) {
        prev = cur;
        cur = cur->qnext;
    }
    if (!cur)
        return;
    if (prev)
        prev->qnext = ses->qnext;
    else
        own->drain_head = ses->qnext;
    if (own->drain_tail == ses)
        own->drain_tail = prev;
    ses->qnext = NULL;
    if (!prev)
        nw_drain_arm(own);
}

static void nw_drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    nw_owner *own = w->data;
    double now = ev_now(loop);
    nw_enter();
    while (own->drain_head && own->drain_head->last_read + own->drain_timeout <= now)
        nw_ses_close(own->drain_head, "peer closed, output not delivered");
    nw_drain_arm(own);
    nw_leave();
}

void nw_owner_init(nw_owner *own, nw_owner_kind kind, const nw_handlers *h,
                   struct ev_loop *loop, nw_release_fn release)
{
    own->kind = kind;
    own->h = *h;
    own->loop = loop;
    own->release = release;
    own->drain_timeout = NW_DRAIN_TIMEOUT_DEFAULT;
    ev_init(&own->drain_timer, nw_drain_cb);
    own->drain_timer.data = own;
}

void nw_owner_done(nw_owner *own)
{
    ev_timer_stop(own->loop, &own->drain_timer);
}

/* ---- construction and closing ---- */

nw_ses *nw_ses_new(nw_owner *own, int fd, nw_proto proto)
{
    nw_ses *ses = calloc(1, sizeof(*ses));
    if (!ses)
        return NULL;
    ev_io_init(&ses->io, nw_ses_io_cb, fd, 0);
    ses->io.data = ses;
    ses->fd = fd;
    ses->proto = proto;
    ses->id = atomic_fetch_add(&nw_next_id, 1);
    ses->last_read = ev_now(own->loop);
    nw_buf_init(&ses->rbuf);
    nw_buf_init(&ses->wbuf);
    ses->loop = own->loop;
    ses->owner = own;
    nw_list_append(own, ses);
    own->nlive++;
    return ses;
}

/* The second half of a close: on_close, the owner forgets it, free. */
static void nw_ses_finish(nw_ses *ses)
{
    nw_owner *own = ses->owner;
    if (ses->connected && own->h.on_close)
        own->h.on_close(ses, ses->close_reason);
    if (ses->tls)
        nw_tls_shutdown(ses);
    if (ses->fd >= 0)
        close(ses->fd);
    ses->fd = -1;
    nw_list_unlink(own, ses);
    if (own->release)
        own->release(own, ses, ses->close_reason);
    nw_buf_free(&ses->rbuf);
    nw_buf_free(&ses->wbuf);
    nw_tls_free(ses);
    free(ses);
}

/* Runs the queued closes, including those queued while running them. */
static void nw_flush_closes(void)
{
    nw_depth = 1;
    while (nw_close_head) {
        nw_ses *ses = nw_close_head;
        nw_close_head = ses->qnext;
        if (!nw_close_head)
            nw_close_tail = NULL;
        nw_ses_finish(ses);
    }
    nw_depth = 0;
}

void nw_enter(void)
{
    nw_depth++;
}

void nw_leave(void)
{
    if (nw_depth == 1)
        nw_flush_closes();
    else
        nw_depth--;
}

void nw_flush_owner(nw_owner *own)
{
    nw_enter();
    for (;;) {
        nw_ses **pp = &nw_close_head;
        nw_ses *prev = NULL;
        while (*pp && (*pp)->owner != own) {
            prev = *pp;
            pp = &(*pp)->qnext;
        }
        nw_ses *ses = *pp;
        if (!ses)
            break;
        *pp = ses->qnext;
        if (nw_close_tail == ses)
            nw_close_tail = prev;
        nw_ses_finish(ses);
    }
    nw_leave();
}

/* Copies reason into the session (the caller's text may not outlive the
 * call); the session's own text is left as it is. */
static void nw_ses_set_reason(nw_ses *ses, const char *reason)
{
    if (!reason)
        reason = "closed";
    if (reason != ses->close_reason)
        snprintf(ses->close_reason, sizeof(ses->close_reason), "%s", reason);
}

void nw_ses_close(nw_ses *ses, const char *reason)
{
    if (!ses || ses->closing)
        return;
    ses->closing = true;
    nw_ses_set_reason(ses, reason);
    if (ses->peer_eof)
        nw_drain_remove(ses);
    if (ev_is_active(&ses->io))
        ev_io_stop(ses->loop, &ses->io);
    nw_own(ses)->nlive--;
    ses->qnext = NULL;
    if (nw_close_tail)
        nw_close_tail->qnext = ses;
    else
        nw_close_head = ses;
    nw_close_tail = ses;
    if (nw_depth == 0)
        nw_flush_closes();
}

/* ---- watching ---- */

void nw_ses_watch(nw_ses *ses, int events)
{
    if (ses->closing || ses->fd < 0)
        return;
    if (ses->tls && ses->connected)
        events = nw_tls_events(ses, events);
    bool active = ev_is_active(&ses->io);
    int cur = active ? (ses->io.events & (EV_READ | EV_WRITE)) : 0;
    if (cur == events)
        return;
    if (active)
        ev_io_stop(ses->loop, &ses->io);
    ev_io_modify(&ses->io, events);
    if (events)
        ev_io_start(ses->loop, &ses->io);
}

static bool nw_again(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK;
}

/* recv/send of a stream session: plain socket calls, or TLS. */
static ssize_t nw_ses_recv(nw_ses *ses, void *buf, size_t len)
{
    if (ses->tls)
        return nw_tls_recv(ses, buf, len);
    return recv(ses->fd, buf, len, 0);
}

static ssize_t nw_ses_write(nw_ses *ses, const void *buf, size_t len)
{
    if (ses->tls)
        return nw_tls_send(ses, buf, len);
    return send(ses->fd, buf, len, MSG_NOSIGNAL);
}

static const char *nw_ses_strerror(const nw_ses *ses, int err)
{
    return ses->tls ? nw_tls_strerror(ses, err) : strerror(err);
}

/* The events a connected stream session waits for in its current state. */
static int nw_ses_events(const nw_ses *ses)
{
    if (ses->peer_eof)
        return EV_WRITE;
    return (ses->read_paused ? 0 : EV_READ) | (nw_buf_len(&ses->wbuf) ? EV_WRITE : 0);
}

/* Whether input still goes to on_message: not after a close, a flushed
 * close or the peer's EOF. */
static bool nw_ses_reading(const nw_ses *ses)
{
    return !ses->closing && !ses->close_flushed && !ses->peer_eof;
}

/* ---- reading ---- */

/* Hands the whole messages at the start of data to on_message. Returns the
 * bytes used; on bad input the session is closed ("decode error"). */
static size_t nw_ses_deliver(nw_ses *ses, const char *data, size_t len, int *nmsg)
{
    const nw_handlers *h = nw_h(ses);
    size_t max_msg = nw_own(ses)->max_msg;
    size_t off = 0;
    while (off < len && nw_ses_reading(ses)) {
        size_t left = len - off;
        size_t n = left;
        if (h->decode) {
            int r = h->decode(ses, data + off, left);
            if (!nw_ses_reading(ses))
                break;
            if (r == 0) {
                if (left > max_msg)
                    nw_ses_close(ses, "decode error");
                break;
            }
            if (r < 0 || (size_t)r > left || (size_t)r > max_msg) {
                nw_ses_close(ses, "decode error");
                break;
            }
            n = (size_t)r;
        }
        h->on_message(ses, data + off, n);
        (*nmsg)++;
        off += n;
    }
    return off;
}

/* A short partial message is moved into the scratch buffer and the read
 * lands right after it; a long one stays in rbuf and the read is appended
 * there. Whatever is left incomplete goes back into rbuf. */
static bool nw_ses_use_scratch(const nw_ses *ses)
{
    return nw_buf_len(&ses->rbuf) <= NW_SCRATCH_SIZE / 2;
}

/* One recv() on a stream and the messages it completes. Returns 1 when a
 * full read suggests more is waiting, 0 to stop; *err is set to the close
 * reason on an error, *eof on the peer's EOF (the caller acts on both
 * after on_batch_end). */
static int nw_ses_read_once(nw_ses *ses, int *nmsg, const char **err, bool *eof)
{
    nw_buf *rb = &ses->rbuf;
    size_t keep = nw_buf_len(rb);
    bool scratch = nw_ses_use_scratch(ses);
    char *base;
    size_t room;
    if (scratch) {
        base = nw_scratch_buf;
        if (keep)
            memcpy(base, rb->data + rb->rpos, keep);
        room = NW_SCRATCH_SIZE - keep;
    } else {
        if (nw_buf_reserve(rb, NW_SCRATCH_SIZE) < 0) {
            *err = "out of memory";
            return 0;
        }
        base = rb->data + rb->rpos;
        room = rb->cap - rb->wpos;
    }
    ssize_t n = nw_ses_recv(ses, base + keep, room);
    if (n < 0) {
        if (errno == EINTR)
            return 1;
        if (!nw_again(errno))
            *err = nw_ses_strerror(ses, errno);
        return 0;
    }
    if (n == 0) {
        *eof = true;
        return 0;
    }
    nw_list_touch(ses);
    size_t total = keep + (size_t)n;
    if (scratch) {
        nw_buf_consume(rb, keep);
        size_t used = nw_ses_deliver(ses, base, total, nmsg);
        if (nw_ses_reading(ses) && used < total &&
            nw_buf_append(rb, base + used, total - used) < 0)
            *err = "out of memory";
    } else {
        rb->wpos += (size_t)n;
        size_t used = nw_ses_deliver(ses, rb->data + rb->rpos, total, nmsg);
        nw_buf_consume(rb, used);
    }
    if (*err)
        return 0;
    return ses->tls ? nw_tls_more(ses) : (size_t)n == room;
}

/* The peer will send nothing more: stop reading, keep writing what is
 * queued (closing with "peer closed" once written, see
 * nw_ses_write_pending), within the owner's drain_timeout. */
static void nw_ses_start_drain(nw_ses *ses)
{
    if (ses->peer_eof || ses->closing)
        return;
    ses->peer_eof = true;
    nw_list_touch(ses);              /* last_read is now the time of the EOF */
    nw_drain_push(ses);
    nw_ses_watch(ses, EV_WRITE);
}

/* EOF on a stream, after the last messages and on_batch_end (which may
 * have queued the replies to them). */
static void nw_ses_on_eof(nw_ses *ses)
{
    if (ses->closing)
        return;
    nw_buf_free(&ses->rbuf);         /* a partial message can never complete */
    if (nw_buf_len(&ses->wbuf) == 0)
        nw_ses_close(ses, "peer closed");
    else
        nw_ses_start_drain(ses);
}

static void nw_ses_read_stream(nw_ses *ses)
{
    int nmsg = 0;
    const char *err = NULL;
    bool eof = false;
    int more = 1;
    for (int i = 0; i < NW_READ_ROUNDS && more && nw_ses_reading(ses) && !ses->read_paused; i++)
        more = nw_ses_read_once(ses, &nmsg, &err, &eof);
    /* TLS input already inside OpenSSL never wakes the socket up again. */
    if (more && ses->tls && nw_ses_reading(ses) && !ses->read_paused)
        ev_feed_event(ses->loop, &ses->io, EV_READ);
    if (nw_buf_len(&ses->rbuf) == 0)
        nw_buf_free(&ses->rbuf);
    if (nmsg > 0 && nw_h(ses)->on_batch_end)
        nw_h(ses)->on_batch_end(ses);
    if (err)
        nw_ses_close(ses, err);
    else if (eof)
        nw_ses_on_eof(ses);
}

/* UDP: one datagram, one message; a server session learns the sender. */
static void nw_ses_read_dgram(nw_ses *ses)
{
    bool learn_peer = nw_own(ses)->kind == NW_OWNER_SVR;
    int nmsg = 0;
    for (int i = 0; i < NW_DGRAM_ROUNDS && !ses->closing; i++) {
        nw_addr from;
        socklen_t alen = sizeof(from.u);
        ssize_t n = recvfrom(ses->fd, nw_scratch_buf, NW_SCRATCH_SIZE, 0, &from.u.sa, &alen);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED)
                continue;
            break;
        }
        if (learn_peer) {
            from.proto = NW_UDP;
            from.len = alen;
            ses->peer = from;
        }
        ses->last_read = ev_now(ses->loop);
        nw_h(ses)->on_message(ses, nw_scratch_buf, (size_t)n);
        nmsg++;
    }
    if (nmsg > 0 && nw_h(ses)->on_batch_end)
        nw_h(ses)->on_batch_end(ses);
}

/* Closing after a flush: input is read and dropped, so the receive queue
 * is empty when the socket is closed (closing with unread input makes the
 * kernel reset the connection, which destroys output still in flight). */
static void nw_ses_drop_input(nw_ses *ses)
{
    for (int i = 0; i < NW_READ_ROUNDS; i++) {
        ssize_t n = nw_ses_recv(ses, nw_scratch_buf, NW_SCRATCH_SIZE);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n == 0)
            nw_ses_start_drain(ses);         /* EOF: nothing more to drop */
        return;
    }
}

/* ---- writing ---- */

/* EV_WRITE: push out what the kernel refused before. */
static void nw_ses_write_pending(nw_ses *ses)
{
    nw_buf *wb = &ses->wbuf;
    while (nw_buf_len(wb) > 0) {
        ssize_t n = nw_ses_write(ses, wb->data + wb->rpos, nw_buf_len(wb));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (nw_again(errno))
                return;                  /* TLS: io_cb re-watches for what it needs */
            nw_ses_close(ses, nw_ses_strerror(ses, errno));
            return;
        }
        nw_buf_consume(wb, (size_t)n);
    }
    nw_buf_free(wb);
    if (ses->close_flushed) {
        nw_ses_drop_input(ses);
        nw_ses_close(ses, ses->close_reason);
        return;
    }
    if (ses->peer_eof) {
        nw_ses_close(ses, "peer closed");
        return;
    }
    nw_ses_watch(ses, nw_ses_events(ses));
    if (nw_h(ses)->on_drained)
        nw_h(ses)->on_drained(ses);
}

void nw_ses_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    nw_ses *ses = w->data;
    nw_enter();
    if (ses->tls)
        revents = nw_tls_revents(ses, revents);
    if ((revents & EV_WRITE) && !ses->closing)
        nw_ses_write_pending(ses);
    if ((revents & EV_READ) && !ses->closing && !ses->peer_eof) {
        if (ses->close_flushed)
            nw_ses_drop_input(ses);
        else if (ses->proto == NW_UDP)
            nw_ses_read_dgram(ses);
        else
            nw_ses_read_stream(ses);
    }
    if (ses->tls)                     /* a TLS read may now wait for writability */
        nw_ses_watch(ses, nw_ses_events(ses));
    nw_leave();
}

int nw_ses_sendto(nw_ses *ses, const void *data, size_t len, const nw_addr *addr)
{
    if (ses->closing || ses->fd < 0 || ses->proto != NW_UDP)
        return -1;
    ssize_t n;
    do {
        if (addr)
            n = sendto(ses->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT, &addr->u.sa, addr->len);
        else
            n = send(ses->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

/* Queues the tail the kernel did not take, within wbuf_limit. */
static int nw_ses_queue(nw_ses *ses, const char *data, size_t len)
{
    if (nw_buf_len(&ses->wbuf) + len > nw_own(ses)->wbuf_limit) {
        nw_ses_close(ses, "write buffer limit");
        return -1;
    }
    if (nw_buf_append(&ses->wbuf, data, len) < 0) {
        nw_ses_close(ses, "out of memory");
        return -1;
    }
    nw_ses_watch(ses, nw_ses_events(ses));
    return 0;
}

int nw_ses_send(nw_ses *ses, const void *data, size_t len)
{
    if (ses->closing || ses->close_flushed || !ses->connected || ses->fd < 0)
        return -1;
    if (ses->proto == NW_UDP) {
        bool to_peer = nw_own(ses)->kind == NW_OWNER_SVR;
        return nw_ses_sendto(ses, data, len, to_peer ? &ses->peer : NULL);
    }
    if (len == 0)
        return 0;
    size_t done = 0;
    if (nw_buf_len(&ses->wbuf) == 0) {
        while (done < len) {
            ssize_t n = nw_ses_write(ses, (const char *)data + done, len - done);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (nw_again(errno))
                    break;
                nw_ses_close(ses, nw_ses_strerror(ses, errno));
                return -1;
            }
            done += (size_t)n;
        }
        if (done == len)
            return 0;
    }
    return nw_ses_queue(ses, (const char *)data + done, len - done);
}

void nw_ses_close_flushed(nw_ses *ses, const char *reason)
{
    if (ses->closing || ses->close_flushed)
        return;
    if (ses->proto == NW_UDP || ses->fd < 0) {
        nw_ses_close(ses, reason);
        return;
    }
    if (nw_buf_len(&ses->wbuf) == 0) {
        nw_ses_drop_input(ses);
        nw_ses_close(ses, reason);
        return;
    }
    ses->close_flushed = true;
    nw_ses_set_reason(ses, reason);
}

void nw_ses_pause_read(nw_ses *ses, bool paused)
{
    if (ses->proto == NW_UDP || ses->read_paused == paused)
        return;
    ses->read_paused = paused;
    if (!ses->connected || ses->closing || ses->close_flushed)
        return;
    nw_ses_watch(ses, nw_ses_events(ses));
    /* TLS input already inside OpenSSL would never wake the socket up. */
    if (!paused && ses->tls && !ses->peer_eof && nw_tls_more(ses))
        ev_feed_event(ses->loop, &ses->io, EV_READ);
}

/* ---- small queries ---- */

const char *nw_ses_peer_str(const nw_ses *ses)
{
    static _Thread_local char buf[128];
    return nw_addr_str(&ses->peer, buf, sizeof(buf));
}

size_t nw_ses_pending(const nw_ses *ses)
{
    return nw_buf_len(&ses->wbuf);
}
