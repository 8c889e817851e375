/* Tests of nw_tls under nw_svr / nw_clt on loopback, with real OpenSSL and
 * certificates made at test time (nw_tls_testkit.h): an echo round trip,
 * 8 MiB each way at once under bounded write queues, a peer that never
 * reads hitting wbuf_limit, an untrusted server certificate, wrong host
 * names and IP addresses, a pinned server certificate, plaintext to a TLS
 * server and TLS to plaintext servers (no hang, no busy loop), client
 * certificates (required and missing, required and given), a handshake
 * timeout, backoff across failed handshakes, a TLS 1.2 peer asking for
 * renegotiation, and bad context files. */
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
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "network/nw_clt.h"
#include "network/nw_svr.h"
#include "network/nw_tls.h"
#include "tests/unit/nw_tls_testkit.h"

#define BIG (8u * 1024 * 1024)
#define CHUNK (64 * 1024)
#define MAX_FAILS 32

#define K tls_kit_k

typedef struct side {
    nw_ses *ses;
    size_t sent, got;          /* stream mode: pattern bytes sent and checked */
    bool bad;                  /* a received byte broke the pattern */
    char why[200];             /* on_tls_error */
    int tls_errors;
} side;

typedef struct ctx {
    struct ev_loop *loop;
    nw_svr *svr;
    nw_clt *clt;
    nw_tls_ctx *sctx, *cctx;
    int port;
    bool stream;               /* pattern bytes instead of echoed lines */
    const char *greeting;      /* sent by a plaintext server on accept */
    side s, c;
    int accepted, svr_closed, up, failed, clt_closed;
    double fail_at[MAX_FAILS];
    double closed_at[MAX_FAILS];
    char clt_close[64], clt_close_tls[200], svr_close[64];
    char last[256];
    int got_lines;
} ctx;

static ctx C;

/* ---- loop helpers ---- */

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
}

static bool run_until(bool (*cond)(void), double timeout)
{
    ev_timer tick;
    double end = ev_time() + timeout;
    bool ok;

    ev_timer_init(&tick, tick_cb, 0.002, 0.002);
    ev_timer_start(C.loop, &tick);
    while (!(ok = cond()) && ev_time() < end)
        ev_run(C.loop, EVRUN_ONCE);
    ev_timer_stop(C.loop, &tick);
    return ok;
}

static bool never(void)
{
    return false;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Runs the loop idle for secs; asserts it did not spin. */
static void run_idle(double secs)
{
    double cpu = cpu_seconds();
    run_until(never, secs);
    assert_true(cpu_seconds() - cpu < secs * 0.5);
}

/* ---- the byte pattern of stream mode ---- */

static uint8_t pat(size_t i)
{
    return (uint8_t)(i * 31 + (i >> 13) + 7);
}

static void check_stream(side *sd, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != pat(sd->got + i))
            sd->bad = true;
    sd->got += len;
}

/* Sends the next chunks while the session's queue is short. */
static void pump(side *sd, size_t total)
{
    static uint8_t buf[CHUNK];
    while (sd->ses && sd->sent < total && nw_ses_pending(sd->ses) < 4 * CHUNK) {
        size_t n = total - sd->sent < CHUNK ? total - sd->sent : CHUNK;
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(sd->sent + i);
        assert_int_equal(nw_ses_send(sd->ses, buf, n), 0);
        sd->sent += n;
    }
}

/* ---- handlers ---- */

static int line_decode(nw_ses *ses, const void *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    return nl ? (int)(nl - (const char *)data + 1) : 0;
}

static int any_decode(nw_ses *ses, const void *data, size_t len)
{
    return C.stream ? (int)len : line_decode(ses, data, len);
}

static void svr_msg(nw_ses *ses, const void *msg, size_t len)
{
    if (C.stream)
        check_stream(&C.s, msg, len);
    else
        nw_ses_send(ses, msg, len);
}

static void svr_accept(nw_ses *ses)
{
    C.accepted++;
    C.s.ses = ses;
    if (C.greeting)
        nw_ses_send(ses, C.greeting, strlen(C.greeting));
}

static void svr_close(nw_ses *ses, const char *reason)
{
    C.svr_closed++;
    snprintf(C.svr_close, sizeof(C.svr_close), "%s", reason);
    if (C.s.ses == ses)
        C.s.ses = NULL;
}

/* Both sides' on_tls_error. */
static void tls_error(nw_ses *ses, const char *why)
{
    side *sd = nw_ses_svr(ses) ? &C.s : &C.c;
    sd->tls_errors++;
    snprintf(sd->why, sizeof(sd->why), "%s", why);
}

static const nw_handlers svr_h = {
    .decode = any_decode, .on_message = svr_msg, .on_accept = svr_accept,
    .on_close = svr_close, .on_tls_error = tls_error,
};

/* A plaintext server that hangs up on the first byte. */
static void hangup_msg(nw_ses *ses, const void *msg, size_t len)
{
    nw_ses_close(ses, "not for me");
}

static const nw_handlers hangup_h = {.on_message = hangup_msg, .on_accept = svr_accept};

static void clt_msg(nw_ses *ses, const void *msg, size_t len)
{
    if (C.stream) {
        check_stream(&C.c, msg, len);
        return;
    }
    C.got_lines++;
    snprintf(C.last, sizeof(C.last), "%.*s", (int)len, (const char *)msg);
}

static void clt_connect(nw_ses *ses, bool ok)
{
    if (!ok) {
        if (C.failed < MAX_FAILS)
            C.fail_at[C.failed] = ev_time();
        C.failed++;
        return;
    }
    C.up++;
    C.c.ses = ses;
}

static void clt_close(nw_ses *ses, const char *reason)
{
    const char *tls = nw_ses_tls_error(ses);
    if (C.clt_closed < MAX_FAILS)
        C.closed_at[C.clt_closed] = ev_time();
    C.clt_closed++;
    snprintf(C.clt_close, sizeof(C.clt_close), "%s", reason);
    snprintf(C.clt_close_tls, sizeof(C.clt_close_tls), "%s", tls ? tls : "");
    C.c.ses = NULL;
}

static const nw_handlers clt_h = {
    .decode = any_decode, .on_message = clt_msg, .on_connect = clt_connect,
    .on_close = clt_close, .on_tls_error = tls_error,
};

/* ---- set-up ---- */

static int setup(void **state)
{
    memset(&C, 0, sizeof(C));
    C.loop = ev_loop_new(EVFLAG_AUTO);
    return 0;
}

static int teardown(void **state)
{
    nw_clt_free(C.clt);
    nw_svr_free(C.svr);
    nw_tls_ctx_free(C.cctx);
    nw_tls_ctx_free(C.sctx);
    ev_loop_destroy(C.loop);
    return 0;
}

static nw_tls_ctx *make_ctx(const nw_tls_cfg *cfg, bool server)
{
    char err[256] = "";
    nw_tls_ctx *t = nw_tls_ctx_new(cfg, server, err, sizeof(err));
    if (!t)
        fprintf(stderr, "tls context: %s\n", err);
    assert_non_null(t);
    return t;
}

/* A server on 127.0.0.1 (port 0 = any); tls NULL = plaintext. */
static void start_server_h(const nw_tls_cfg *tls, const nw_handlers *h, int port)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    if (tls)
        C.sctx = make_ctx(tls, true);
    nw_svr_cfg cfg = {.bind = addr, .max_msg = 1 << 20, .wbuf_limit = 1 << 20, .tls = C.sctx};
    C.svr = nw_svr_create(C.loop, &cfg, h, NULL);
    assert_non_null(C.svr);
    assert_int_equal(nw_svr_start(C.svr), 0);
    nw_addr a;
    assert_int_equal(nw_svr_local_addr(C.svr, &a), 0);
    C.port = ntohs(a.u.in4.sin_port);
}

static void start_server(const nw_tls_cfg *tls)
{
    start_server_h(tls, &svr_h, 0);
}

static void start_client(const nw_tls_cfg *tls)
{
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", C.port);
    if (tls)
        C.cctx = make_ctx(tls, false);
    nw_clt_cfg cfg = {.addr = addr, .max_msg = 1 << 20, .wbuf_limit = 1 << 20,
                      .reconnect_min = 0.05, .reconnect_max = 0.4, .tls = C.cctx};
    C.clt = nw_clt_create(C.loop, &cfg, &clt_h, NULL);
    assert_non_null(C.clt);
    assert_int_equal(nw_clt_start(C.clt), 0);
}

static nw_tls_cfg server_cfg(void)
{
    return (nw_tls_cfg){.cert_file = K.srv, .key_file = K.srv_key};
}

static nw_tls_cfg client_cfg(void)
{
    return (nw_tls_cfg){.ca_file = K.ca};
}

static bool is_up(void) { return C.up > 0 && C.accepted > 0; }
static bool got_line(void) { return C.got_lines > 0; }
static bool clt_failed(void) { return C.failed > 0; }
static bool clt_failed_and_svr_error(void) { return C.failed > 0 && C.s.tls_errors > 0; }
static bool svr_tls_failed(void) { return C.s.tls_errors > 0; }
static bool four_fails(void) { return C.failed >= 4; }

/* ---- tests ---- */

static void test_echo_round_trip(void **state)
{
    nw_tls_cfg s = server_cfg(), c = client_cfg();

    start_server(&s);
    start_client(&c);
    assert_true(run_until(is_up, 5));
    assert_true(nw_ses_tls(C.c.ses));
    assert_non_null(nw_ses_tls_version(C.c.ses));
    assert_string_equal(nw_ses_tls_version(C.s.ses), "TLSv1.3");
    assert_int_equal(nw_clt_send(C.clt, "hello tls\n", 10), 0);
    assert_true(run_until(got_line, 3));
    assert_string_equal(C.last, "hello tls\n");
    assert_null(nw_ses_tls_error(C.c.ses));
    assert_int_equal(C.failed, 0);
    assert_int_equal(nw_svr_count(C.svr), 1);
}

static bool big_done(void)
{
    pump(&C.c, BIG);
    pump(&C.s, BIG);
    return C.s.got == BIG && C.c.got == BIG;
}

/* 8 MiB each way at once; the senders keep their queues short, so the
 * bounded queues and TLS partial writes / WANT_WRITE are exercised. */
static void test_big_both_ways(void **state)
{
    nw_tls_cfg s = server_cfg(), c = client_cfg();

    C.stream = true;
    start_server(&s);
    start_client(&c);
    assert_true(run_until(is_up, 5));
    assert_true(run_until(big_done, 60));
    assert_false(C.s.bad);
    assert_false(C.c.bad);
    assert_int_equal(C.clt_closed + C.svr_closed, 0);
}

/* ---- a raw non-blocking OpenSSL client, driven together with the loop ---- */

typedef struct raw_tls {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
} raw_tls;

/* Runs SSL_do_handshake (or op) until it stops wanting I/O. */
static int raw_drive(raw_tls *r, int (*op)(SSL *))
{
    double end = ev_time() + 5;
    for (;;) {
        int rc = op(r->ssl);
        int e = SSL_get_error(r->ssl, rc);
        if (rc > 0 || (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
            ev_time() > end)
            return rc;
        ev_run(C.loop, EVRUN_NOWAIT);
        usleep(1000);
    }
}

static void raw_tls_open(raw_tls *r, int max_version)
{
    r->ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(r->ctx);
    if (max_version)
        SSL_CTX_set_max_proto_version(r->ctx, max_version);
    assert_int_equal(SSL_CTX_load_verify_file(r->ctx, K.ca), 1);
    SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
    r->fd = tls_kit_raw_connect(C.port);
    r->ssl = SSL_new(r->ctx);
    SSL_set_fd(r->ssl, r->fd);
    SSL_set_connect_state(r->ssl);
    assert_int_equal(raw_drive(r, SSL_do_handshake), 1);
}

static void raw_tls_close(raw_tls *r)
{
    SSL_free(r->ssl);
    SSL_CTX_free(r->ctx);
    close(r->fd);
    ERR_clear_error();
}

static bool svr_closed(void)
{
    if (C.s.ses && C.s.sent < 256u * 1024 * 1024)
        while (C.s.ses && nw_ses_send(C.s.ses, C.last, sizeof(C.last)) == 0)
            C.s.sent += sizeof(C.last);
    return C.svr_closed > 0;
}

static bool accepted(void) { return C.accepted > 0; }

/* A TLS peer that never reads: the server's queue reaches wbuf_limit and
 * the session is closed, memory bounded. */
static void test_never_reading_peer_hits_limit(void **state)
{
    nw_tls_cfg s = server_cfg();
    raw_tls r;

    start_server(&s);
    raw_tls_open(&r, 0);
    assert_true(run_until(accepted, 3));
    assert_true(run_until(svr_closed, 30));
    assert_string_equal(C.svr_close, "write buffer limit");
    raw_tls_close(&r);
}

static void test_untrusted_server_cert(void **state)
{
    nw_tls_cfg s = {.cert_file = K.rogue, .key_file = K.rogue_key}, c = client_cfg();

    start_server(&s);
    start_client(&c);
    assert_true(run_until(clt_failed_and_svr_error, 5));
    assert_int_equal(C.up, 0);
    assert_int_equal(C.accepted, 0);
    assert_string_equal(C.c.why, "certificate verify failed (self-signed certificate)");
    assert_non_null(strstr(C.s.why, "alert"));     /* the client told the server why */
    assert_string_equal(nw_clt_last_error(C.clt), "tls handshake failed");
    assert_int_equal(nw_svr_count(C.svr), 0);
}

/* The client expects host; the certificate (IP 127.0.0.1, DNS localhost) says otherwise. */
static void expect_host_refused(const char *host, const char *why)
{
    nw_tls_cfg s = server_cfg(), c = client_cfg();

    c.host = host;
    start_server(&s);
    start_client(&c);
    assert_true(run_until(clt_failed, 5));
    assert_int_equal(C.up, 0);
    assert_string_equal(C.c.why, why);
}

static void test_wrong_host_name(void **state)
{
    expect_host_refused("gateway.example.org", "certificate verify failed (hostname mismatch)");
}

static void test_wrong_ip(void **state)
{
    expect_host_refused("127.0.0.2", "certificate verify failed (IP address mismatch)");
}

static void test_host_name_ok(void **state)
{
    nw_tls_cfg s = server_cfg(), c = client_cfg();

    c.host = "localhost";
    start_server(&s);
    start_client(&c);
    assert_true(run_until(is_up, 5));
}

/* The server's own certificate as the client's only trust anchor, for a
 * leaf signed by a CA the client does not know and for a self-signed one. */
static void test_pinned_server_cert(void **state)
{
    nw_tls_cfg s = server_cfg(), c = {.ca_file = K.srv};

    start_server(&s);
    start_client(&c);
    assert_true(run_until(is_up, 5));
    nw_clt_free(C.clt);
    C.clt = NULL;
    nw_svr_free(C.svr);
    nw_tls_ctx_free(C.sctx);
    nw_tls_ctx_free(C.cctx);
    C.up = C.accepted = 0;
    s = (nw_tls_cfg){.cert_file = K.rogue, .key_file = K.rogue_key};
    c = (nw_tls_cfg){.ca_file = K.rogue};
    start_server(&s);
    start_client(&c);
    assert_true(run_until(is_up, 5));
}

static bool raw_saw_eof(int fd)
{
    char b[256];
    double end = ev_time() + 5;
    while (ev_time() < end) {
        ssize_t n = recv(fd, b, sizeof(b), 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return true;
        ev_run(C.loop, EVRUN_NOWAIT);
        usleep(1000);
    }
    return false;
}

static void test_plaintext_client_to_tls_server(void **state)
{
    nw_tls_cfg s = server_cfg();
    const char frame[] = "HFM1\x01\x04\x00\x00\x00\x00\x00\x01 plaintext heartbeat-ish";

    start_server(&s);
    int fd = tls_kit_raw_connect(C.port);
    assert_int_equal(send(fd, frame, sizeof(frame) - 1, 0), (ssize_t)sizeof(frame) - 1);
    assert_true(run_until(svr_tls_failed, 3));
    assert_string_equal(C.s.why, "the peer is not speaking TLS (it sent a plaintext HFM1 frame)");
    assert_true(raw_saw_eof(fd));
    assert_int_equal(C.accepted, 0);
    close(fd);
    run_idle(0.2);
}

/* TLS to a plaintext server that hangs up, and to one that speaks first. */
static void test_tls_client_to_plaintext_server(void **state)
{
    nw_tls_cfg c = client_cfg();

    start_server_h(NULL, &hangup_h, 0);
    start_client(&c);
    assert_true(run_until(clt_failed, 5));
    assert_int_equal(C.up, 0);
    assert_string_equal(C.c.why,
                        "peer closed the connection during the handshake (not a TLS port?)");
    nw_clt_free(C.clt);
    C.clt = NULL;
    nw_tls_ctx_free(C.cctx);
    nw_svr_free(C.svr);
    C.failed = 0;

    C.greeting = "HFM1 a plaintext greeting that is not a TLS record\n";
    start_server_h(NULL, &svr_h, 0);
    start_client(&c);
    assert_true(run_until(clt_failed, 5));
    assert_int_equal(C.up, 0);
    assert_string_equal(C.c.why, "the peer is not speaking TLS (it sent a plaintext HFM1 frame)");
    run_idle(0.1);
}

static bool four_closes(void) { return C.clt_closed >= 4; }

/* TLS 1.3: the client finishes its side of the handshake first (it is up),
 * then gets the server's alert on its first read. That ends the session on
 * a TLS error before any data: a failed attempt, so the client backs off. */
static void test_client_cert_required_missing(void **state)
{
    nw_tls_cfg s = server_cfg(), c = client_cfg();

    s.ca_file = K.ca;
    s.require_client_cert = true;
    start_server(&s);
    start_client(&c);
    assert_true(run_until(four_closes, 5));
    assert_int_equal(C.accepted, 0);
    assert_string_equal(C.s.why, "peer did not return a certificate");
    assert_string_equal(C.clt_close, "tls error");
    assert_string_equal(C.clt_close_tls, "tlsv13 alert certificate required");
    double g1 = C.closed_at[1] - C.closed_at[0], g3 = C.closed_at[3] - C.closed_at[2];
    assert_true(g1 >= 0.04);
    assert_true(g3 >= 0.15);          /* 0.05 doubled twice; ~0.05 without backoff */
}

static void test_client_cert_required_given(void **state)
{
    nw_tls_cfg s = server_cfg(), c = client_cfg();

    s.ca_file = K.ca;
    s.require_client_cert = true;
    c.cert_file = K.cli;
    c.key_file = K.cli_key;
    start_server(&s);
    start_client(&c);
    assert_true(run_until(is_up, 5));
    assert_int_equal(nw_clt_send(C.clt, "with cert\n", 10), 0);
    assert_true(run_until(got_line, 3));
    assert_string_equal(C.last, "with cert\n");
}

static void test_handshake_timeout(void **state)
{
    nw_tls_cfg s = server_cfg();

    s.handshake_timeout = 0.2;
    start_server(&s);
    int fd = tls_kit_raw_connect(C.port);            /* says nothing */
    double t0 = ev_time();
    assert_true(run_until(svr_tls_failed, 3));
    assert_true(ev_time() - t0 >= 0.19);
    assert_string_equal(C.s.why, "handshake timeout (0.2 s)");
    assert_true(raw_saw_eof(fd));
    assert_int_equal(nw_svr_count(C.svr), 0);
    close(fd);
}

/* Failed handshakes back off like failed connects: 0.05, 0.1, 0.2, ... */
static void test_backoff_across_failed_handshakes(void **state)
{
    nw_tls_cfg s = {.cert_file = K.rogue, .key_file = K.rogue_key}, c = client_cfg();

    start_server(&s);
    start_client(&c);
    assert_true(run_until(four_fails, 5));
    double g1 = C.fail_at[1] - C.fail_at[0], g3 = C.fail_at[3] - C.fail_at[2];
    assert_true(g1 >= 0.04);
    assert_true(g3 >= 0.15);          /* 0.05 doubled twice; ~0.05 without backoff */
}

static bool got_line_after_send(void)
{
    static nw_ses *sent_on;
    if (C.c.ses && sent_on != C.c.ses) {
        assert_int_equal(nw_ses_send(C.c.ses, "again\n", 6), 0);
        sent_on = C.c.ses;
    }
    return C.got_lines > 0;
}

static int do_renegotiate(SSL *ssl)
{
    return SSL_renegotiate(ssl) == 1 ? SSL_do_handshake(ssl) : -1;
}

/* A TLS 1.2 peer works, and its renegotiation is refused without taking
 * the server down or spinning. */
static void test_tls12_renegotiation_refused(void **state)
{
    nw_tls_cfg s = server_cfg();
    raw_tls r;
    char buf[64];

    start_server(&s);
    raw_tls_open(&r, TLS1_2_VERSION);
    assert_true(run_until(accepted, 3));
    assert_string_equal(nw_ses_tls_version(C.s.ses), "TLSv1.2");
    assert_int_equal(SSL_write(r.ssl, "tls12\n", 6), 6);
    int n = 0;
    double end = ev_time() + 3;
    while (n <= 0 && ev_time() < end) {
        ev_run(C.loop, EVRUN_NOWAIT);
        n = SSL_read(r.ssl, buf, sizeof(buf));
    }
    assert_int_equal(n, 6);
    assert_int_equal(raw_drive(&r, do_renegotiate), -1);
    assert_int_equal(ERR_GET_REASON(ERR_peek_error()), SSL_R_NO_RENEGOTIATION);
    ERR_clear_error();
    run_idle(0.3);
    raw_tls_close(&r);
    run_until(never, 0.05);

    /* The server still serves. */
    nw_tls_cfg c = client_cfg();
    start_client(&c);
    assert_true(run_until(got_line_after_send, 5));
}

static void expect_ctx_error(const nw_tls_cfg *cfg, bool server, const char *want)
{
    char err[256] = "";
    assert_null(nw_tls_ctx_new(cfg, server, err, sizeof(err)));
    if (!strstr(err, want))
        fprintf(stderr, "got '%s', want '%s'\n", err, want);
    assert_non_null(strstr(err, want));
}

static void test_bad_context_files(void **state)
{
    nw_tls_cfg c = {.cert_file = "/nonexistent.pem", .key_file = K.srv_key};
    expect_ctx_error(&c, true, "cannot load certificate '/nonexistent.pem'");
    c = (nw_tls_cfg){.cert_file = K.srv, .key_file = K.cli_key};
    expect_ctx_error(&c, true, "key values mismatch");
    c = (nw_tls_cfg){.cert_file = K.srv};
    expect_ctx_error(&c, true, "needs cert_file and key_file");
    c = (nw_tls_cfg){.cert_file = K.srv, .key_file = K.srv_key, .require_client_cert = true};
    expect_ctx_error(&c, true, "require_client_cert needs ca_file");
    c = (nw_tls_cfg){0};
    expect_ctx_error(&c, false, "needs ca_file");
    c = (nw_tls_cfg){.ca_file = K.srv_key};
    expect_ctx_error(&c, false, "cannot load CA file");
    /* A server context cannot make a client and the other way round; no UDP. */
    c = server_cfg();
    C.sctx = make_ctx(&c, true);
    nw_clt_cfg cc = {.addr = "tcp@127.0.0.1:1", .tls = C.sctx};
    assert_null(nw_clt_create(C.loop, &cc, &clt_h, NULL));
    nw_svr_cfg sc = {.bind = "udp@127.0.0.1:0", .tls = C.sctx};
    assert_null(nw_svr_create(C.loop, &sc, &svr_h, NULL));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_echo_round_trip),
        T(test_big_both_ways),
        T(test_never_reading_peer_hits_limit),
        T(test_untrusted_server_cert),
        T(test_wrong_host_name),
        T(test_wrong_ip),
        T(test_host_name_ok),
        T(test_pinned_server_cert),
        T(test_plaintext_client_to_tls_server),
        T(test_tls_client_to_plaintext_server),
        T(test_client_cert_required_missing),
        T(test_client_cert_required_given),
        T(test_handshake_timeout),
        T(test_backoff_across_failed_handshakes),
        T(test_tls12_renegotiation_refused),
        T(test_bad_context_files),
    };
    return cmocka_run_group_tests(tests, tls_kit_group_setup, tls_kit_group_teardown);
}
