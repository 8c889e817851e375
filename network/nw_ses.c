/* nw_ses: the life of one connection: reading and framing input, writing
 * and queueing output, and closing (deferred while a callback runs, see
 * nw_int.h). Shared by nw_svr and nw_clt, which own the sessions. */
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

/* ---- construction and closing ---- */

nw_ses *nw_ses_new(struct ev_loop *loop, nw_owner *own, int fd, nw_proto proto,
                   size_t max_msg, size_t wbuf_limit)
{
    nw_ses *ses = calloc(1, sizeof(*ses));
    if (!ses)
        return NULL;
    ev_io_init(&ses->io, nw_ses_io_cb, fd, 0);
    ses->io.data = ses;
    ses->fd = fd;
    ses->proto = proto;
    ses->id = atomic_fetch_add(&nw_next_id, 1);
    ses->last_read = ev_now(loop);
    nw_buf_init(&ses->rbuf);
    nw_buf_init(&ses->wbuf);
    ses->wbuf_limit = wbuf_limit;
    ses->max_msg = max_msg;
    ses->h = &own->h;
    ses->loop = loop;
    ses->owner = own;
    nw_list_append(own, ses);
    own->nlive++;
    return ses;
}

/* The second half of a close: on_close, the owner forgets it, free. */
static void nw_ses_finish(nw_ses *ses)
{
    nw_owner *own = ses->owner;
    if (ses->connected && ses->h->on_close)
        ses->h->on_close(ses, ses->close_reason);
    if (ses->fd >= 0)
        close(ses->fd);
    ses->fd = -1;
    nw_list_unlink(own, ses);
    if (own->release)
        own->release(own, ses, ses->close_reason);
    nw_buf_free(&ses->rbuf);
    nw_buf_free(&ses->wbuf);
    free(ses);
}

/* Runs the queued closes, including those queued while running them. */
static void nw_flush_closes(void)
{
    nw_depth = 1;
    while (nw_close_head) {
        nw_ses *ses = nw_close_head;
        nw_close_head = ses->close_next;
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
            pp = &(*pp)->close_next;
        }
        nw_ses *ses = *pp;
        if (!ses)
            break;
        *pp = ses->close_next;
        if (nw_close_tail == ses)
            nw_close_tail = prev;
        nw_ses_finish(ses);
    }
    nw_leave();
}

void nw_ses_close(nw_ses *ses, const char *reason)
{
    if (!ses || ses->closing)
        return;
    ses->closing = true;
    ses->close_reason = reason ? reason : "closed";
    if (ev_is_active(&ses->io))
        ev_io_stop(ses->loop, &ses->io);
    ((nw_owner *)ses->owner)->nlive--;
    ses->close_next = NULL;
    if (nw_close_tail)
        nw_close_tail->close_next = ses;
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

/* ---- reading ---- */

/* Hands the whole messages at the start of data to on_message. Returns the
 * bytes used; on bad input the session is closed ("decode error"). */
static size_t nw_ses_deliver(nw_ses *ses, const char *data, size_t len, int *nmsg)
{
    size_t off = 0;
    while (off < len && !ses->closing) {
        size_t left = len - off;
        size_t n = left;
        if (ses->h->decode) {
            int r = ses->h->decode(ses, data + off, left);
            if (ses->closing)
                break;
            if (r == 0) {
                if (left > ses->max_msg)
                    nw_ses_close(ses, "decode error");
                break;
            }
            if (r < 0 || (size_t)r > left || (size_t)r > ses->max_msg) {
                nw_ses_close(ses, "decode error");
                break;
            }
            n = (size_t)r;
        }
        ses->h->on_message(ses, data + off, n);
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
 * reason on EOF or error (the caller closes after on_batch_end). */
static int nw_ses_read_once(nw_ses *ses, int *nmsg, const char **err)
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
    ssize_t n = recv(ses->fd, base + keep, room, 0);
    if (n < 0) {
        if (errno == EINTR)
            return 1;
        if (!nw_again(errno))
            *err = strerror(errno);
        return 0;
    }
    if (n == 0) {
        *err = "peer closed";
        return 0;
    }
    nw_list_touch(ses);
    size_t total = keep + (size_t)n;
    if (scratch) {
        nw_buf_consume(rb, keep);
        size_t used = nw_ses_deliver(ses, base, total, nmsg);
        if (!ses->closing && used < total && nw_buf_append(rb, base + used, total - used) < 0)
            *err = "out of memory";
    } else {
        rb->wpos += (size_t)n;
        size_t used = nw_ses_deliver(ses, rb->data + rb->rpos, total, nmsg);
        nw_buf_consume(rb, used);
    }
    return (size_t)n == room && !*err;
}

static void nw_ses_read_stream(nw_ses *ses)
{
    int nmsg = 0;
    const char *err = NULL;
    for (int i = 0; i < NW_READ_ROUNDS && !ses->closing; i++)
        if (!nw_ses_read_once(ses, &nmsg, &err))
            break;
    if (nw_buf_len(&ses->rbuf) == 0)
        nw_buf_free(&ses->rbuf);
    if (nmsg > 0 && ses->h->on_batch_end)
        ses->h->on_batch_end(ses);
    if (err)
        nw_ses_close(ses, err);
}

/* UDP: one datagram, one message; a server session learns the sender. */
static void nw_ses_read_dgram(nw_ses *ses)
{
    bool learn_peer = ((nw_owner *)ses->owner)->kind == NW_OWNER_SVR;
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
        ses->h->on_message(ses, nw_scratch_buf, (size_t)n);
        nmsg++;
    }
    if (nmsg > 0 && ses->h->on_batch_end)
        ses->h->on_batch_end(ses);
}

/* Closing after a flush: input is read and dropped, so the receive queue
 * is empty when the socket is closed (closing with unread input makes the
 * kernel reset the connection, which destroys output still in flight). */
static void nw_ses_drop_input(nw_ses *ses)
{
    for (int i = 0; i < NW_READ_ROUNDS; i++) {
        ssize_t n = recv(ses->fd, nw_scratch_buf, NW_SCRATCH_SIZE, 0);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n == 0)
            nw_ses_watch(ses, EV_WRITE);     /* EOF: nothing more to drop */
        return;
    }
}

/* ---- writing ---- */

/* EV_WRITE: push out what the kernel refused before. */
static void nw_ses_write_pending(nw_ses *ses)
{
    nw_buf *wb = &ses->wbuf;
    while (nw_buf_len(wb) > 0) {
        ssize_t n = send(ses->fd, wb->data + wb->rpos, nw_buf_len(wb), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (nw_again(errno))
                return;
            nw_ses_close(ses, strerror(errno));
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
    nw_ses_watch(ses, EV_READ);
}

void nw_ses_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    nw_ses *ses = w->data;
    nw_enter();
    if ((revents & EV_WRITE) && !ses->closing)
        nw_ses_write_pending(ses);
    if ((revents & EV_READ) && !ses->closing) {
        if (ses->close_flushed)
            nw_ses_drop_input(ses);
        else if (ses->proto == NW_UDP)
            nw_ses_read_dgram(ses);
        else
            nw_ses_read_stream(ses);
    }
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
    if (nw_buf_len(&ses->wbuf) + len > ses->wbuf_limit) {
        nw_ses_close(ses, "write buffer limit");
        return -1;
    }
    if (nw_buf_append(&ses->wbuf, data, len) < 0) {
        nw_ses_close(ses, "out of memory");
        return -1;
    }
    nw_ses_watch(ses, EV_READ | EV_WRITE);
    return 0;
}

int nw_ses_send(nw_ses *ses, const void *data, size_t len)
{
    if (ses->closing || ses->close_flushed || !ses->connected || ses->fd < 0)
        return -1;
    if (ses->proto == NW_UDP) {
        bool to_peer = ((nw_owner *)ses->owner)->kind == NW_OWNER_SVR;
        return nw_ses_sendto(ses, data, len, to_peer ? &ses->peer : NULL);
    }
    if (len == 0)
        return 0;
    size_t done = 0;
    if (nw_buf_len(&ses->wbuf) == 0) {
        while (done < len) {
            ssize_t n = send(ses->fd, (const char *)data + done, len - done, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (nw_again(errno))
                    break;
                nw_ses_close(ses, strerror(errno));
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
    ses->close_reason = reason ? reason : "closed";
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
