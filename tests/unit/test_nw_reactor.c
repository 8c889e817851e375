/* Tests of nw_svr / nw_ses over real loopback sockets: framing (messages
 * split across reads, many in one read, a message larger than the scratch
 * buffer, max_msg, decode errors), on_batch_end, closing from inside
 * callbacks (own session, other sessions, foreach, on_accept, on_close),
 * close reasons copied (a caller's stack buffer), a slow reader cut off at
 * wbuf_limit, a large write drained through EV_WRITE, half-close (the
 * peer's EOF with output queued: delivered, or cut off after
 * drain_timeout), idle timeout, max_sessions and accept pausing on EMFILE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "network/nw_svr.h"
#include "network/nw_timer.h"

/* ---- helpers shared by the tests of this file ---- */

#define MAX_MSGS 2000
#define MAX_SES 16

typedef struct ctx {
    struct ev_loop *loop;
    nw_svr *svr;
    nw_ses *ses[MAX_SES];        /* accepted, in order */
    int naccept;
    char *msgs[MAX_MSGS];        /* copies of delivered messages */
    size_t lens[MAX_MSGS];
    int nmsg;
    int nbatch;
    int nclose;
    char reasons[MAX_SES][64];   /* copies: on_close's text dies with the session */
    uint64_t closed_ids[MAX_SES];
    bool in_message;             /* on_message is running */
    bool close_inside_message;   /* on_close ran while on_message was running */
    size_t wbuf_cap_at_close;
    const char *close_on;        /* on_message closes its session on this text */
    int kill_index;              /* "kill" closes ses[kill_index] */
    bool close_in_accept;
    bool close_other_in_close;   /* closing ses[0] also closes ses[1] */
    bool send_after_close_failed;
    const char *big;             /* "big" asks for this reply, sent in on_batch_end */
    size_t big_len;
    bool big_wanted;
    size_t pending_after_big;    /* queued output right after the big reply */
} ctx;

static ctx C;

static void ctx_reset(void)
{
    for (int i = 0; i < C.nmsg; i++)
        free(C.msgs[i]);
    memset(&C, 0, sizeof(C));
    C.kill_index = -1;
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
}

/* Runs the loop until cond(arg) is true or timeout seconds pass. */
static bool run_until(struct ev_loop *loop, bool (*cond)(void *), void *arg, double timeout)
{
    ev_timer tick;
    ev_timer_init(&tick, tick_cb, 0.002, 0.002);
    ev_timer_start(loop, &tick);
    double end = ev_time() + timeout;
    bool ok;
    while (!(ok = cond(arg)) && ev_time() < end)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &tick);
    return ok;
}

static bool never(void *arg)
{
    return false;
}

static void run_for(struct ev_loop *loop, double seconds)
{
    run_until(loop, never, NULL, seconds);
}

static bool nmsg_at_least(void *arg)
{
    return C.nmsg >= *(int *)arg;
}

static bool nclose_at_least(void *arg)
{
    return C.nclose >= *(int *)arg;
}

static bool naccept_at_least(void *arg)
{
    return C.naccept >= *(int *)arg;
}

static void wait_msgs(int n)
{
    assert_true(run_until(C.loop, nmsg_at_least, &n, 5.0));
}

static void wait_closes(int n)
{
    assert_true(run_until(C.loop, nclose_at_least, &n, 5.0));
}

static void wait_accepts(int n)
{
    assert_true(run_until(C.loop, naccept_at_least, &n, 5.0));
}

static int line_decode(nw_ses *ses, const void *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    if (((const char *)data)[0] == 'X')
        return -1;
    return nl ? (int)(nl - (const char *)data + 1) : 0;
}

/* 4-byte big-endian length, then the payload. */
static int len_decode(nw_ses *ses, const void *data, size_t len)
{
    const unsigned char *p = data;
    if (len < 4)
        return 0;
    size_t body = ((size_t)p[0] << 24) | ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];
    return len >= 4 + body ? (int)(4 + body) : 0;
}

/* Closes with a reason in a stack buffer that is scribbled over (and
 * goes out of scope) long before the deferred on_close runs. */
static void close_with_stack_reason(nw_ses *ses, bool flushed)
{
    char reason[128];
    snprintf(reason, sizeof(reason), "custom reason %d, and a tail that is cut off", 42);
    if (flushed)
        nw_ses_close_flushed(ses, reason);
    else
        nw_ses_close(ses, reason);
    memset(reason, 'Z', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
}

static void on_accept(nw_ses *ses)
{
    assert_true(C.naccept < MAX_SES);
    C.ses[C.naccept++] = ses;
    if (C.close_in_accept)
        nw_ses_close(ses, "rejected");
}

static void on_message(nw_ses *ses, const void *msg, size_t len)
{
    assert_true(C.nmsg < MAX_MSGS);
    C.in_message = true;
    C.msgs[C.nmsg] = malloc(len + 1);
    memcpy(C.msgs[C.nmsg], msg, len);
    C.msgs[C.nmsg][len] = '\0';
    C.lens[C.nmsg++] = len;
    if (C.close_on && len >= strlen(C.close_on) && memcmp(msg, C.close_on, strlen(C.close_on)) == 0) {
        nw_ses_close(ses, "bye");
        nw_ses_close(ses, "twice");          /* ignored */
        C.send_after_close_failed = nw_ses_send(ses, "x", 1) == -1;
        ses->privdata = ses;                 /* still valid memory */
    }
    if (len >= 4 && memcmp(msg, "kill", 4) == 0 && C.kill_index >= 0)
        nw_ses_close(C.ses[C.kill_index], "killed");
    if (len >= 4 && memcmp(msg, "echo", 4) == 0)
        nw_ses_send(ses, msg, len);
    if (len >= 3 && memcmp(msg, "big", 3) == 0)
        C.big_wanted = true;
    if (len >= 6 && memcmp(msg, "custom", 6) == 0)
        close_with_stack_reason(ses, false);
    if (len >= 5 && memcmp(msg, "flush", 5) == 0)
        close_with_stack_reason(ses, true);
    C.in_message = false;
}

static void on_close(nw_ses *ses, const char *reason)
{
    assert_true(C.nclose < MAX_SES);
    if (C.in_message)
        C.close_inside_message = true;
    C.closed_ids[C.nclose] = ses->id;
    snprintf(C.reasons[C.nclose++], sizeof(C.reasons[0]), "%s", reason);
    C.wbuf_cap_at_close = ses->wbuf.cap;
    if (C.close_other_in_close && ses == C.ses[0])
        nw_ses_close(C.ses[1], "chained");
}

/* Replies go out at the end of the batch, as the gateway sends them. */
static void on_batch_end(nw_ses *ses)
{
    C.nbatch++;
    if (C.big_wanted) {
        C.big_wanted = false;
        assert_int_equal(nw_ses_send(ses, C.big, C.big_len), 0);
        C.pending_after_big = nw_ses_pending(ses);
    }
}

static const nw_handlers line_handlers = {
    .decode = line_decode,
    .on_message = on_message,
    .on_accept = on_accept,
    .on_close = on_close,
    .on_batch_end = on_batch_end,
};

static const nw_handlers len_handlers = {
    .decode = len_decode,
    .on_message = on_message,
    .on_accept = on_accept,
    .on_close = on_close,
    .on_batch_end = on_batch_end,
};

/* Starts C.svr on 127.0.0.1 (any port); returns the port. */
static int start_server(const nw_handlers *h, nw_svr_cfg cfg)
{
    ctx_reset();
    C.loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(C.loop);
    if (!cfg.bind)
        cfg.bind = "tcp@127.0.0.1:0";
    C.svr = nw_svr_create(C.loop, &cfg, h, &C);
    assert_non_null(C.svr);
    assert_int_equal(nw_svr_start(C.svr), 0);
    assert_true(nw_svr_fd(C.svr) >= 0);
    nw_addr a;
    assert_int_equal(nw_svr_local_addr(C.svr, &a), 0);
    assert_ptr_equal(nw_svr_udata(C.svr), &C);
    return ntohs(a.u.in4.sin_port);
}

static void stop_server(void)
{
    nw_svr_free(C.svr);
    C.svr = NULL;
    ev_loop_destroy(C.loop);
    C.loop = NULL;
    ctx_reset();
}

static int raw_connect(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf)
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void raw_send(int fd, const void *data, size_t len)
{
    assert_int_equal(send(fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Sends len bytes from a non-blocking socket, running the loop meanwhile. */
static void pump_send(int fd, const char *data, size_t len)
{
    size_t off = 0;
    double end = ev_time() + 10.0;
    while (off < len && ev_time() < end) {
        ssize_t n = send(fd, data + off, len - off, MSG_NOSIGNAL);
        if (n > 0)
            off += (size_t)n;
        else
            run_for(C.loop, 0.001);
    }
    assert_int_equal(off, len);
}

typedef struct eof_wait {
    int fd;
    bool eof;
} eof_wait;

static bool peer_eof(void *arg)
{
    eof_wait *w = arg;
    char buf[4096];
    ssize_t n;
    while ((n = recv(w->fd, buf, sizeof(buf), 0)) > 0)
        ;
    if (n == 0 || (n < 0 && errno == ECONNRESET))
        w->eof = true;
    return w->eof;
}

static void assert_peer_closed(int fd)
{
    eof_wait w = { .fd = fd };
    assert_true(run_until(C.loop, peer_eof, &w, 5.0));
}

/* ---- framing ---- */

static void test_split_messages(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    nw_ses *ses = C.ses[0];
    assert_true(ses->connected);
    assert_true(ses->id > 0);
    assert_int_equal(nw_svr_count(C.svr), 1);
    assert_ptr_equal(nw_ses_svr(ses), C.svr);

    raw_send(fd, "hel", 3);
    run_for(C.loop, 0.05);
    assert_int_equal(C.nmsg, 0);
    assert_int_equal(nw_buf_len(&ses->rbuf), 3);          /* only the partial is kept */

    raw_send(fd, "lo\nwor", 6);
    wait_msgs(1);
    assert_string_equal(C.msgs[0], "hello\n");
    run_for(C.loop, 0.02);
    assert_int_equal(nw_buf_len(&ses->rbuf), 3);
    assert_memory_equal(ses->rbuf.data + ses->rbuf.rpos, "wor", 3);

    raw_send(fd, "ld\n", 3);
    wait_msgs(2);
    assert_string_equal(C.msgs[1], "world\n");
    assert_null(ses->rbuf.data);                           /* idle: no storage */
    assert_null(ses->wbuf.data);
    assert_int_equal(C.nbatch, 2);

    close(fd);
    wait_closes(1);
    assert_string_equal(C.reasons[0], "peer closed");
    assert_int_equal(nw_svr_count(C.svr), 0);
    stop_server();
}

static void test_many_in_one_read(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    char buf[16 * 1000 + 1];
    size_t off = 0;
    for (int i = 0; i < 1000; i++)
        off += (size_t)sprintf(buf + off, "message %06d\n", i);
    raw_send(fd, buf, off);
    wait_msgs(1000);
    for (int i = 0; i < 1000; i++) {
        char want[32];
        sprintf(want, "message %06d\n", i);
        assert_string_equal(C.msgs[i], want);
    }
    /* One read event carried them all: batch end ran once, not 1000 times. */
    assert_true(C.nbatch >= 1 && C.nbatch <= 3);
    close(fd);
    stop_server();
}

/* A 300 KiB message, bigger than the 64 KiB scratch buffer, arriving in
 * many reads, between two small ones. */
static void test_large_message(void **state)
{
    int port = start_server(&len_handlers, (nw_svr_cfg){ .max_msg = 1 << 20 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    size_t body = 300 * 1024;
    size_t total = 4 + 3 + 4 + body + 4 + 3;
    char *data = malloc(total);
    char *p = data;
    memcpy(p, "\0\0\0\3abc", 7);
    p += 7;
    p[0] = (char)(body >> 24);
    p[1] = (char)(body >> 16);
    p[2] = (char)(body >> 8);
    p[3] = (char)body;
    for (size_t i = 0; i < body; i++)
        p[4 + i] = (char)(i * 31 + 7);
    p += 4 + body;
    memcpy(p, "\0\0\0\3xyz", 7);
    pump_send(fd, data, total);
    wait_msgs(3);
    assert_int_equal(C.lens[0], 7);
    assert_memory_equal(C.msgs[0] + 4, "abc", 3);
    assert_int_equal(C.lens[1], 4 + body);
    assert_memory_equal(C.msgs[1], data + 7, 4 + body);
    assert_int_equal(C.lens[2], 7);
    assert_memory_equal(C.msgs[2] + 4, "xyz", 3);
    assert_null(C.ses[0]->rbuf.data);
    free(data);
    close(fd);
    stop_server();
}

static void test_max_msg(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ .max_msg = 1024 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    raw_send(fd, "short\n", 6);
    wait_msgs(1);
    char junk[2000];
    memset(junk, 'a', sizeof(junk));
    raw_send(fd, junk, sizeof(junk));     /* no newline: a partial over max_msg */
    wait_closes(1);
    assert_string_equal(C.reasons[0], "decode error");
    assert_int_equal(C.nmsg, 1);
    assert_peer_closed(fd);
    close(fd);
    stop_server();
}

static void test_decode_error(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    raw_send(fd, "ok\nXbad\nnever\n", 14);
    wait_closes(1);
    assert_string_equal(C.reasons[0], "decode error");
    assert_int_equal(C.nmsg, 1);
    assert_string_equal(C.msgs[0], "ok\n");
    assert_int_equal(C.nbatch, 1);        /* batch end still runs */
    assert_peer_closed(fd);
    close(fd);
    stop_server();
}

/* No decoder: every read chunk is one message. */
static void test_no_decoder(void **state)
{
    nw_handlers h = line_handlers;
    h.decode = NULL;
    int port = start_server(&h, (nw_svr_cfg){ 0 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    raw_send(fd, "abc", 3);
    wait_msgs(1);
    assert_string_equal(C.msgs[0], "abc");
    raw_send(fd, "de", 2);
    wait_msgs(2);
    assert_string_equal(C.msgs[1], "de");
    close(fd);
    stop_server();
}

/* The peer sends a last message and closes: it is delivered, then the
 * batch ends, then on_close. */
static void test_message_then_eof(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    raw_send(fd, "last\n", 5);
    shutdown(fd, SHUT_WR);
    wait_closes(1);
    assert_int_equal(C.nmsg, 1);
    assert_string_equal(C.msgs[0], "last\n");
    assert_int_equal(C.nbatch, 1);
    assert_string_equal(C.reasons[0], "peer closed");
    close(fd);
    stop_server();
}

/* ---- closing from callbacks ---- */

static void test_close_in_message(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    C.close_on = "quit";
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    uint64_t id = C.ses[0]->id;
    raw_send(fd, "a\nquit\nb\n", 9);
    wait_closes(1);
    run_for(C.loop, 0.05);
    assert_int_equal(C.nmsg, 2);            /* "b" is never delivered */
    assert_string_equal(C.msgs[1], "quit\n");
    assert_int_equal(C.nclose, 1);          /* once, although closed twice */
    assert_string_equal(C.reasons[0], "bye");
    assert_int_equal(C.closed_ids[0], id);
    assert_false(C.close_inside_message);   /* deferred until on_message returned */
    assert_true(C.send_after_close_failed);
    assert_int_equal(nw_svr_count(C.svr), 0);
    assert_peer_closed(fd);
    close(fd);
    stop_server();
}

static void test_close_other_session(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int a = raw_connect(port, 0);
    wait_accepts(1);
    int b = raw_connect(port, 0);
    wait_accepts(2);
    C.kill_index = 1;
    uint64_t bid = C.ses[1]->id;
    assert_true(C.ses[0]->id != bid);
    raw_send(a, "kill\necho\n", 10);
    wait_closes(1);
    assert_string_equal(C.reasons[0], "killed");
    assert_int_equal(C.closed_ids[0], bid);
    assert_peer_closed(b);
    /* The killer goes on: its next message is echoed. */
    wait_msgs(2);
    char buf[16];
    ssize_t n = -1;
    for (int i = 0; i < 500 && n <= 0; i++) {
        run_for(C.loop, 0.002);
        n = recv(a, buf, sizeof(buf), 0);
    }
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "echo\n", 5);
    assert_int_equal(nw_svr_count(C.svr), 1);
    close(a);
    close(b);
    stop_server();
}

static void close_each(nw_ses *ses, void *arg)
{
    (*(int *)arg)++;
    nw_ses_close(ses, "swept");
    /* Closing the next one too must not break the walk. */
    if (ses->next)
        nw_ses_close(ses->next, "swept");
}

static void test_foreach_close(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int fds[5];
    for (int i = 0; i < 5; i++)
        fds[i] = raw_connect(port, 0);
    wait_accepts(5);
    assert_int_equal(nw_svr_count(C.svr), 5);
    int visited = 0;
    nw_svr_foreach(C.svr, close_each, &visited);
    assert_int_equal(visited, 3);           /* 1, 3, 5: 2 and 4 went with them */
    assert_int_equal(C.nclose, 5);          /* outside callbacks: closed on return */
    assert_int_equal(nw_svr_count(C.svr), 0);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(C.reasons[i], "swept");
        assert_peer_closed(fds[i]);
        close(fds[i]);
    }
    stop_server();
}

static void test_close_in_accept(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    C.close_in_accept = true;
    int fd = raw_connect(port, 0);
    wait_closes(1);
    assert_int_equal(C.naccept, 1);
    assert_string_equal(C.reasons[0], "rejected");
    assert_peer_closed(fd);
    run_for(C.loop, 0.02);
    assert_int_equal(C.nclose, 1);
    close(fd);
    stop_server();
}

static void test_close_in_close(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int a = raw_connect(port, 0);
    wait_accepts(1);
    int b = raw_connect(port, 0);
    wait_accepts(2);
    C.close_other_in_close = true;
    close(a);
    wait_closes(2);
    assert_string_equal(C.reasons[0], "peer closed");
    assert_string_equal(C.reasons[1], "chained");
    assert_peer_closed(b);
    close(b);
    stop_server();
}

/* nw_ses_close and nw_ses_close_flushed copy the reason: the caller's
 * stack buffer is overwritten before the deferred on_close runs. A long
 * reason is cut to NW_SES_REASON_SIZE - 1 bytes. */
static void test_close_reason_copied(void **state)
{
    static const char full[] = "custom reason 42, and a tail that is cut off";
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int a = raw_connect(port, 0);
    wait_accepts(1);
    int b = raw_connect(port, 0);
    wait_accepts(2);
    raw_send(a, "custom\n", 7);
    wait_closes(1);
    assert_false(C.close_inside_message);
    assert_int_equal(strlen(C.reasons[0]), NW_SES_REASON_SIZE - 1);
    assert_int_equal(strncmp(C.reasons[0], full, NW_SES_REASON_SIZE - 1), 0);
    raw_send(b, "flush\n", 6);
    wait_closes(2);
    assert_int_equal(strlen(C.reasons[1]), NW_SES_REASON_SIZE - 1);
    assert_int_equal(strncmp(C.reasons[1], full, NW_SES_REASON_SIZE - 1), 0);
    assert_peer_closed(a);
    assert_peer_closed(b);
    close(a);
    close(b);
    stop_server();
}

static void test_free_closes_sessions(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int a = raw_connect(port, 0);
    int b = raw_connect(port, 0);
    wait_accepts(2);
    nw_svr_free(C.svr);
    C.svr = NULL;
    assert_int_equal(C.nclose, 2);
    assert_string_equal(C.reasons[0], "closed");
    assert_string_equal(C.reasons[1], "closed");
    char c;
    assert_int_equal(recv(a, &c, 1, 0), 0);
    assert_int_equal(recv(b, &c, 1, 0), 0);
    close(a);
    close(b);
    ev_loop_destroy(C.loop);
    ctx_reset();
}

/* ---- writing ---- */

typedef struct flood {
    nw_timer timer;
    size_t sent;
    size_t max_pending;
    int rc;
} flood;

static void flood_cb(nw_timer *t, void *privdata)
{
    flood *f = privdata;
    static char chunk[64 * 1024];
    nw_ses *ses = C.ses[0];
    while (f->sent < (256u << 20)) {
        f->rc = nw_ses_send(ses, chunk, sizeof(chunk));
        if (f->rc < 0)
            break;
        f->sent += sizeof(chunk);
        if (nw_ses_pending(ses) > f->max_pending)
            f->max_pending = nw_ses_pending(ses);
    }
}

/* A client that never reads: the server queues up to wbuf_limit, then
 * closes the session instead of buffering without bound. */
static void test_slow_reader(void **state)
{
    size_t limit = 256 * 1024;
    int port = start_server(&line_handlers, (nw_svr_cfg){ .wbuf_limit = limit });
    int fd = raw_connect(port, 4096);
    wait_accepts(1);
    flood f = { 0 };
    nw_timer_set(&f.timer, C.loop, 0.001, false, flood_cb, &f);
    wait_closes(1);
    assert_int_equal(f.rc, -1);
    assert_string_equal(C.reasons[0], "write buffer limit");
    assert_true(f.max_pending <= limit);
    assert_true(f.max_pending > limit / 2);
    assert_true(C.wbuf_cap_at_close <= 2 * limit);
    /* The kernel took some, the queue the rest, then it stopped. */
    assert_true(f.sent < (64u << 20));
    assert_int_equal(nw_svr_count(C.svr), 0);
    close(fd);
    stop_server();
}

static size_t queued_after_send;

static void big_send(nw_timer *t, void *privdata)
{
    nw_buf *b = privdata;
    assert_int_equal(nw_ses_send(C.ses[0], b->data, b->wpos), 0);
    queued_after_send = nw_ses_pending(C.ses[0]);
}

/* Small kernel buffers on both ends, so a 4 MiB send cannot all fit. */
static void small_kernel_buffers(int client_fd, nw_ses *ses)
{
    int sz = 64 * 1024;
    assert_int_equal(setsockopt(client_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
    assert_int_equal(setsockopt(ses->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
}

/* 4 MiB in one send to a client that reads: the kernel takes part, the
 * rest drains on EV_WRITE, the queue storage is freed afterwards. */
static void test_large_write_drains(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ .wbuf_limit = 8 << 20 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    nw_buf out;
    nw_buf_init(&out);
    size_t total = 4 << 20;
    assert_int_equal(nw_buf_reserve(&out, total), 0);
    for (size_t i = 0; i < total; i++)
        out.data[i] = (char)(i % 251);
    out.wpos = total;
    small_kernel_buffers(fd, C.ses[0]);
    queued_after_send = 0;
    nw_timer t = { 0 };
    nw_timer_set(&t, C.loop, 0.001, false, big_send, &out);
    char *in = malloc(total);
    size_t got = 0;
    double end = ev_time() + 10.0;
    while (got < total && ev_time() < end) {
        run_for(C.loop, 0.001);
        ssize_t n;
        while ((n = recv(fd, in + got, total - got, 0)) > 0)
            got += (size_t)n;
    }
    assert_int_equal(got, total);
    assert_memory_equal(in, out.data, total);
    assert_true(queued_after_send > 2 * 1024 * 1024);
    run_for(C.loop, 0.01);
    assert_int_equal(nw_ses_pending(C.ses[0]), 0);
    assert_null(C.ses[0]->wbuf.data);
    assert_int_equal(C.nclose, 0);
    free(in);
    nw_buf_free(&out);
    close(fd);
    stop_server();
}

static void big_send_and_hang_up(nw_timer *t, void *privdata)
{
    nw_buf *b = privdata;
    assert_int_equal(nw_ses_send(C.ses[0], b->data, b->wpos), 0);
    assert_true(nw_ses_pending(C.ses[0]) > 0);
    nw_ses_close_flushed(C.ses[0], "done");
    assert_int_equal(nw_ses_send(C.ses[0], "late\n", 5), -1);
}

/* close_flushed: everything queued reaches the peer, then it is closed;
 * input that arrives meanwhile is not read. */
static void test_close_flushed(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ .wbuf_limit = 8 << 20 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    nw_buf out;
    nw_buf_init(&out);
    size_t total = 4 << 20;
    assert_int_equal(nw_buf_reserve(&out, total), 0);
    for (size_t i = 0; i < total; i++)
        out.data[i] = (char)(i % 253);
    out.wpos = total;
    small_kernel_buffers(fd, C.ses[0]);
    nw_timer t = { 0 };
    nw_timer_set(&t, C.loop, 0.001, false, big_send_and_hang_up, &out);
    run_for(C.loop, 0.01);
    raw_send(fd, "ignored\n", 8);
    char *in = malloc(total + 1);
    size_t got = 0;
    bool eof = false;
    double end = ev_time() + 10.0;
    while (!eof && ev_time() < end) {
        run_for(C.loop, 0.001);
        ssize_t n;
        while ((n = recv(fd, in + got, total + 1 - got, 0)) > 0)
            got += (size_t)n;
        eof = n == 0;
    }
    assert_true(eof);
    assert_int_equal(got, total);
    assert_memory_equal(in, out.data, total);
    assert_int_equal(C.nclose, 1);
    assert_string_equal(C.reasons[0], "done");
    assert_int_equal(C.nmsg, 0);
    free(in);
    nw_buf_free(&out);
    close(fd);
    stop_server();
}

/* The kernel took everything but has not transmitted it yet (the client's
 * window is tiny) and input sits unread: closing must not reset the
 * connection, or the output still in flight would be thrown away. */
static void test_close_flushed_unread_input(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int fd = raw_connect(port, 2048);
    wait_accepts(1);
    nw_ses *ses = C.ses[0];
    int sz = 1 << 20;
    assert_int_equal(setsockopt(ses->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
    raw_send(fd, "unread\n", 7);
    usleep(20000);                        /* in the server's receive queue */
    size_t total = 200 * 1024;
    char *out = malloc(total);
    for (size_t i = 0; i < total; i++)
        out[i] = (char)(i % 241);
    assert_int_equal(nw_ses_send(ses, out, total), 0);
    assert_int_equal(nw_ses_pending(ses), 0);      /* all in the kernel */
    nw_ses_close_flushed(ses, "done");             /* outside callbacks: at once */
    assert_int_equal(C.nclose, 1);
    assert_string_equal(C.reasons[0], "done");
    char *in = malloc(total + 1);
    size_t got = 0;
    bool eof = false;
    double end = ev_time() + 10.0;
    while (!eof && ev_time() < end) {
        ssize_t n = recv(fd, in + got, total + 1 - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0)
            eof = true;
        else if (errno == EAGAIN)
            usleep(1000);
        else
            fail_msg("recv: %s after %zu bytes", strerror(errno), got);
    }
    assert_true(eof);
    assert_int_equal(got, total);
    assert_memory_equal(in, out, total);
    assert_int_equal(C.nmsg, 0);
    free(in);
    free(out);
    close(fd);
    stop_server();
}

/* ---- half-close: the peer's EOF while output is queued ---- */

static char *make_pattern(size_t len, int mod)
{
    char *p = malloc(len);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (char)(i % (size_t)mod);
    return p;
}

typedef struct drain_wait {
    nw_ses *ses;
    int nclose;          /* closes seen before; a close ends the wait too */
} drain_wait;

static bool ses_draining(void *arg)
{
    drain_wait *w = arg;
    return C.nclose > w->nclose || w->ses->peer_eof;
}

/* Asks ses's peer fd for the big reply and shuts down its sending side
 * before reading any of it; returns once the server saw the EOF. */
static void request_and_shut(int fd, nw_ses *ses)
{
    drain_wait w = { .ses = ses, .nclose = C.nclose };
    small_kernel_buffers(fd, ses);
    raw_send(fd, "big\n", 4);
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    assert_true(run_until(C.loop, ses_draining, &w, 5.0));
    assert_int_equal(C.nclose, w.nclose);
    assert_true(ses->peer_eof);
    assert_true(nw_ses_pending(ses) > 0);
}

/* Reads what is there from fd into in (at most cap); true at EOF. */
static bool read_some(int fd, char *in, size_t cap, size_t *got)
{
    ssize_t n;
    while ((n = recv(fd, in + *got, cap - *got, 0)) > 0)
        *got += (size_t)n;
    return n == 0;
}

/* A miner sends its last request and shuts down writing: the 4 MiB reply,
 * queued when the EOF arrives, still reaches it whole, and so does a send
 * made while draining; then the session closes with "peer closed". */
static void test_half_close_delivers(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ .wbuf_limit = 8 << 20 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    nw_ses *ses = C.ses[0];
    size_t total = 4 << 20;
    char *big = make_pattern(total, 239);
    C.big = big;
    C.big_len = total;
    request_and_shut(fd, ses);
    assert_true(C.pending_after_big > 1024 * 1024);
    assert_int_equal(nw_svr_count(C.svr), 1);
    assert_int_equal(nw_ses_send(ses, "tail\n", 5), 0);
    size_t want = total + 5, got = 0;
    char *in = malloc(want + 1);
    bool eof = false;
    double end = ev_time() + 10.0;
    while (!eof && ev_time() < end) {
        run_for(C.loop, 0.001);
        eof = read_some(fd, in, want + 1, &got);
    }
    assert_true(eof);
    assert_int_equal(got, want);
    assert_memory_equal(in, big, total);
    assert_memory_equal(in + total, "tail\n", 5);
    assert_int_equal(C.nclose, 1);
    assert_string_equal(C.reasons[0], "peer closed");
    assert_int_equal(C.nmsg, 1);
    assert_int_equal(nw_svr_count(C.svr), 0);
    free(in);
    free(big);
    close(fd);
    stop_server();
}

static int reason_of(uint64_t id)
{
    for (int i = 0; i < C.nclose; i++)
        if (C.closed_ids[i] == id)
            return i;
    return -1;
}

/* Three peers half-close in turn; the first and the last read their
 * replies, the middle one never does. The readers' sessions close when
 * their queue is written (leaving the drain queue from its head and its
 * tail); the middle one is cut off after drain_timeout, which the shorter
 * idle_timeout does not pre-empt. */
static void test_half_close_timeout(void **state)
{
    nw_svr_cfg cfg = { .wbuf_limit = 8 << 20, .idle_timeout = 0.1, .drain_timeout = 0.8 };
    int port = start_server(&line_handlers, cfg);
    int fds[3];
    uint64_t ids[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = raw_connect(port, 0);
        wait_accepts(i + 1);
        ids[i] = C.ses[i]->id;
    }
    size_t total = 1 << 20;
    char *big = make_pattern(total, 233);
    C.big = big;
    C.big_len = total;
    double t0 = ev_time();
    for (int i = 0; i < 3; i++)
        request_and_shut(fds[i], C.ses[i]);
    char *in = malloc(total + 1);
    size_t got[3] = { 0, 0, 0 };
    bool eof[3] = { false, false, false };
    double end = ev_time() + 5.0;
    while (!(eof[0] && eof[2]) && ev_time() < end) {
        run_for(C.loop, 0.001);
        for (int i = 0; i < 3; i += 2)
            if (!eof[i])
                eof[i] = read_some(fds[i], in, total + 1, &got[i]);
    }
    assert_true(eof[0] && eof[2]);
    assert_int_equal(got[0], total);
    assert_int_equal(got[2], total);
    assert_int_equal(nw_svr_count(C.svr), 1);
    wait_closes(3);
    double took = ev_time() - t0;
    assert_true(took >= 0.75 && took < 3.0);
    assert_string_equal(C.reasons[reason_of(ids[0])], "peer closed");
    assert_string_equal(C.reasons[reason_of(ids[2])], "peer closed");
    assert_string_equal(C.reasons[reason_of(ids[1])], "peer closed, output not delivered");
    assert_peer_closed(fds[1]);
    free(in);
    free(big);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    stop_server();
}

/* Writing to a peer that went away fails cleanly (no SIGPIPE). */
static void test_send_to_reset_peer(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int fd = raw_connect(port, 0);
    wait_accepts(1);
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);                               /* RST */
    usleep(20000);
    nw_ses *ses = C.ses[0];
    int rc = 0;
    /* The loop has not run since the reset: the session is still alive. */
    for (int i = 0; i < 4 && rc == 0; i++)
        rc = nw_ses_send(ses, "data\n", 5);
    assert_int_equal(rc, -1);
    assert_int_equal(C.nclose, 1);
    assert_true(strcmp(C.reasons[0], "Connection reset by peer") == 0 ||
                strcmp(C.reasons[0], "Broken pipe") == 0);
    stop_server();
}

/* ---- idle timeout, max_sessions, EMFILE ---- */

typedef struct idle_wait {
    int busy_fd;
    double last_ping;
} idle_wait;

static bool idle_closed(void *arg)
{
    idle_wait *w = arg;
    if (ev_time() - w->last_ping > 0.05) {
        raw_send(w->busy_fd, "ping\n", 5);
        w->last_ping = ev_time();
    }
    return C.nclose >= 1;
}

static bool keep_busy(void *arg)
{
    idle_closed(arg);
    return false;
}

static void test_idle_timeout(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ .idle_timeout = 0.3 });
    /* The busy one comes first, so the sweep only finds the quiet one if
     * sessions that read move behind it. */
    int busy = raw_connect(port, 0);
    wait_accepts(1);
    int quiet = raw_connect(port, 0);
    wait_accepts(2);
    uint64_t quiet_id = C.ses[1]->id;
    double t0 = ev_time();
    idle_wait w = { .busy_fd = busy, .last_ping = 0 };
    assert_true(run_until(C.loop, idle_closed, &w, 3.0));
    double took = ev_time() - t0;
    assert_true(took >= 0.25 && took < 1.0);
    assert_int_equal(C.closed_ids[0], quiet_id);
    assert_string_equal(C.reasons[0], "idle timeout");
    /* The busy one stays while it talks... */
    run_until(C.loop, keep_busy, &w, 0.6);
    assert_int_equal(C.nclose, 1);
    assert_true(C.nmsg >= 5);
    assert_int_equal(nw_svr_count(C.svr), 1);
    /* ...and goes once it is quiet. */
    wait_closes(2);
    assert_string_equal(C.reasons[1], "idle timeout");
    assert_peer_closed(quiet);
    assert_peer_closed(busy);
    close(quiet);
    close(busy);
    stop_server();
}

static void test_max_sessions(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ .max_sessions = 2 });
    int a = raw_connect(port, 0);
    int b = raw_connect(port, 0);
    wait_accepts(2);
    int c = raw_connect(port, 0);
    assert_peer_closed(c);
    assert_int_equal(C.naccept, 2);
    assert_int_equal(nw_svr_count(C.svr), 2);
    /* Room again after one leaves. */
    close(a);
    wait_closes(1);
    int d = raw_connect(port, 0);
    wait_accepts(3);
    close(b);
    close(c);
    close(d);
    stop_server();
}

static void test_emfile_pause(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int fds[5];
    for (int i = 0; i < 5; i++)
        fds[i] = raw_connect(port, 0);
    /* Leave room for exactly two more descriptors. */
    int probe = dup(0);
    assert_true(probe >= 0);
    close(probe);
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old;
    low.rlim_cur = (rlim_t)probe + 2;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    run_for(C.loop, 0.3);
    getrusage(RUSAGE_SELF, &r1);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(C.naccept, 2);
    /* Paused, not spinning: far less CPU than the 0.3 s that passed. */
    double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
                 (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
                 (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
                 (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    assert_true(cpu < 0.15);
    wait_accepts(5);
    for (int i = 0; i < 5; i++)
        close(fds[i]);
    stop_server();
}

/* stop closes the listener but keeps the sessions; start binds again. */
static void test_stop_start(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ 0 });
    int a = raw_connect(port, 0);
    wait_accepts(1);
    nw_svr_stop(C.svr);
    assert_int_equal(nw_svr_fd(C.svr), -1);
    assert_int_equal(nw_svr_count(C.svr), 1);
    raw_send(a, "echo still here\n", 16);
    char buf[32];
    ssize_t n = -1;
    for (int i = 0; i < 500 && n <= 0; i++) {
        run_for(C.loop, 0.002);
        n = recv(a, buf, sizeof(buf), 0);
    }
    assert_int_equal(n, 16);
    assert_memory_equal(buf, "echo still here\n", 16);
    /* Nobody listens now. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
    assert_int_equal(errno, ECONNREFUSED);
    close(fd);
    /* The spec had port 0: bind the same port again through a new spec. */
    nw_svr_free(C.svr);
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp@127.0.0.1:%d", port);
    nw_svr_cfg cfg = { .bind = spec };
    C.svr = nw_svr_create(C.loop, &cfg, &line_handlers, &C);
    assert_int_equal(nw_svr_start(C.svr), 0);
    nw_svr_stop(C.svr);
    assert_int_equal(nw_svr_start(C.svr), 0);
    int b = raw_connect(port, 0);
    wait_accepts(2);
    close(a);
    close(b);
    stop_server();
}

static void test_reuseport(void **state)
{
    int port = start_server(&line_handlers, (nw_svr_cfg){ .reuseport = true });
    char spec[64];
    snprintf(spec, sizeof(spec), "tcp@127.0.0.1:%d", port);
    nw_svr_cfg with = { .bind = spec, .reuseport = true };
    nw_svr_cfg without = { .bind = spec };
    nw_svr *twin = nw_svr_create(C.loop, &with, &line_handlers, &C);
    nw_svr *other = nw_svr_create(C.loop, &without, &line_handlers, &C);
    assert_int_equal(nw_svr_start(twin), 0);
    assert_int_equal(nw_svr_start(other), -1);
    assert_int_equal(errno, EADDRINUSE);
    assert_int_equal(nw_svr_fd(other), -1);
    /* Connections land on one of the two; all are accepted. */
    int fds[8];
    for (int i = 0; i < 8; i++)
        fds[i] = raw_connect(port, 0);
    wait_accepts(8);
    assert_int_equal(nw_svr_count(C.svr) + nw_svr_count(twin), 8);
    for (int i = 0; i < 8; i++)
        close(fds[i]);
    nw_svr_free(twin);
    nw_svr_free(other);
    stop_server();
}

static void test_ipv6(void **state)
{
    ctx_reset();
    C.loop = ev_loop_new(EVFLAG_AUTO);
    nw_svr_cfg cfg = { .bind = "tcp@[::1]:0" };
    C.svr = nw_svr_create(C.loop, &cfg, &line_handlers, &C);
    if (nw_svr_start(C.svr) < 0) {
        stop_server();
        fail_msg("cannot listen on [::1]: %s (IPv6 loopback is needed)", strerror(errno));
    }
    nw_addr a;
    assert_int_equal(nw_svr_local_addr(C.svr, &a), 0);
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, &a.u.sa, a.len), 0);
    wait_accepts(1);
    char host[64];
    assert_string_equal(nw_addr_host(&C.ses[0]->peer, host, sizeof(host)), "::1");
    assert_int_equal(strncmp(nw_ses_peer_str(C.ses[0]), "[::1]:", 6), 0);
    raw_send(fd, "six\n", 4);
    wait_msgs(1);
    assert_string_equal(C.msgs[0], "six\n");
    close(fd);
    stop_server();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_messages),
        cmocka_unit_test(test_many_in_one_read),
        cmocka_unit_test(test_large_message),
        cmocka_unit_test(test_max_msg),
        cmocka_unit_test(test_decode_error),
        cmocka_unit_test(test_no_decoder),
        cmocka_unit_test(test_message_then_eof),
        cmocka_unit_test(test_close_in_message),
        cmocka_unit_test(test_close_other_session),
        cmocka_unit_test(test_foreach_close),
        cmocka_unit_test(test_close_in_accept),
        cmocka_unit_test(test_close_in_close),
        cmocka_unit_test(test_close_reason_copied),
        cmocka_unit_test(test_free_closes_sessions),
        cmocka_unit_test(test_slow_reader),
        cmocka_unit_test(test_large_write_drains),
        cmocka_unit_test(test_close_flushed),
        cmocka_unit_test(test_close_flushed_unread_input),
        cmocka_unit_test(test_half_close_delivers),
        cmocka_unit_test(test_half_close_timeout),
        cmocka_unit_test(test_send_to_reset_peer),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_max_sessions),
        cmocka_unit_test(test_emfile_pause),
        cmocka_unit_test(test_stop_start),
        cmocka_unit_test(test_reuseport),
        cmocka_unit_test(test_ipv6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
