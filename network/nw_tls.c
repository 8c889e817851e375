/* nw_tls: contexts (SSL_CTX) and the TLS state of one session: its SSL,
 * the non-blocking handshake (with a timeout), and the read/write calls
 * that nw_ses makes instead of recv/send. The SSL talks to the socket
 * through a small BIO of our own, so writes use MSG_NOSIGNAL (no SIGPIPE,
 * like plaintext sessions) and the first bytes the peer sent are kept to
 * explain a failed handshake ("the peer is not speaking TLS").
 *
 * Non-blocking rules kept here: SSL_read may need the socket writable and
 * SSL_write readable (read_wants_write / write_wants_read, which
 * nw_tls_events and nw_tls_revents fold into the io watcher); a write
 * refused with WANT_WRITE is retried with the same bytes at the head of
 * the session's queue (partial writes and moving buffers are enabled, so
 * a queue that grew or moved meanwhile is fine); read-ahead may leave
 * whole records inside OpenSSL, so reading goes on while SSL_has_pending
 * says so. The error queue is cleared before every SSL call. */
#include "network/nw_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "network/nw_int.h"

#define NW_TLS_HANDSHAKE_TIMEOUT 10.0
#define NW_TLS_ERR_SIZE 160
#define NW_TLS_SNIFF 4            /* first bytes of the peer kept for diagnosis */
#define NW_TLS_RECORD_HANDSHAKE 0x16

struct nw_tls_ctx {
    SSL_CTX *ssl_ctx;
    BIO_METHOD *bio;
    bool server;
    char *host;                   /* client: expected name or IP, or NULL */
    double handshake_timeout;
};

struct nw_tls_conn {
    SSL *ssl;
    nw_tls_ctx *ctx;
    nw_ses *ses;
    ev_timer timer;               /* handshake deadline */
    bool done;                    /* handshake finished */
    bool fatal;                   /* a fatal error: no close_notify, no more SSL calls */
    bool read_wants_write;
    bool write_wants_read;
    bool eof;                     /* the BIO saw the peer's EOF */
    bool got_data;                /* application bytes were read */
    unsigned char sniff[NW_TLS_SNIFF];
    size_t nsniff;
    char err[NW_TLS_ERR_SIZE];
};

/* ---- the socket BIO ---- */

static int nw_tls_bio_write(BIO *b, const char *buf, int len)
{
    nw_tls_conn *c = BIO_get_data(b);
    ssize_t n = send(c->ses->fd, buf, (size_t)len, MSG_NOSIGNAL);

    BIO_clear_retry_flags(b);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int nw_tls_bio_read(BIO *b, char *buf, int len)
{
    nw_tls_conn *c = BIO_get_data(b);
    ssize_t n = recv(c->ses->fd, buf, (size_t)len, 0);

    BIO_clear_retry_flags(b);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    if (n == 0)
        c->eof = true;
    for (ssize_t i = 0; i < n && c->nsniff < NW_TLS_SNIFF; i++)
        c->sniff[c->nsniff++] = (unsigned char)buf[i];
    return (int)n;
}

static long nw_tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    nw_tls_conn *c = BIO_get_data(b);

    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_EOF:
        return c && c->eof;
    default:
        return 0;
    }
}

static int nw_tls_bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static BIO_METHOD *nw_tls_bio_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nw socket");

    if (m && (!BIO_meth_set_write(m, nw_tls_bio_write) ||
              !BIO_meth_set_read(m, nw_tls_bio_read) ||
              !BIO_meth_set_ctrl(m, nw_tls_bio_ctrl) ||
              !BIO_meth_set_create(m, nw_tls_bio_create))) {
        BIO_meth_free(m);
        m = NULL;
    }
    return m;
}

/* ---- error texts ---- */

/* The reason of the oldest queued OpenSSL error ("no start line"), and
 * clears the queue. */
static const char *nw_tls_err_pop(unsigned long *code)
{
    unsigned long e = ERR_get_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;

    *code = e;
    ERR_clear_error();
    return r ? r : "unknown error";
}

static void nw_tls_file_err(char *err, size_t errlen, const char *what, const char *path)
{
    unsigned long code;
    const char *r = nw_tls_err_pop(&code);
    snprintf(err, errlen, "cannot load %s '%s': %s", what, path, r);
}

/* ---- contexts ---- */

static int nw_tls_ctx_files(nw_tls_ctx *t, const nw_tls_cfg *cfg, char *err, size_t errlen)
{
    SSL_CTX *s = t->ssl_ctx;

    if (cfg->cert_file && !SSL_CTX_use_certificate_chain_file(s, cfg->cert_file)) {
        nw_tls_file_err(err, errlen, "certificate", cfg->cert_file);
        return -1;
    }
    if (cfg->key_file && !SSL_CTX_use_PrivateKey_file(s, cfg->key_file, SSL_FILETYPE_PEM)) {
        nw_tls_file_err(err, errlen, "key", cfg->key_file);
        return -1;
    }
    if (cfg->cert_file && !SSL_CTX_check_private_key(s)) {
        nw_tls_file_err(err, errlen, "key (does it match the certificate?)",
                        cfg->key_file ? cfg->key_file : cfg->cert_file);
        return -1;
    }
    if (cfg->ca_file && !SSL_CTX_load_verify_file(s, cfg->ca_file)) {
        nw_tls_file_err(err, errlen, "CA file", cfg->ca_file);
        return -1;
    }
    return 0;
}

/* Who verifies whom (see the header). */
static int nw_tls_ctx_verify(nw_tls_ctx *t, const nw_tls_cfg *cfg, char *err, size_t errlen)
{
    SSL_CTX *s = t->ssl_ctx;

    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(s), X509_V_FLAG_PARTIAL_CHAIN);
    if (!t->server) {
        SSL_CTX_set_verify(s, SSL_VERIFY_PEER, NULL);
        return 0;
    }
    if (!cfg->ca_file)
        return 0;
    STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca_file);
    if (!names) {
        nw_tls_file_err(err, errlen, "client CA names", cfg->ca_file);
        return -1;
    }
    SSL_CTX_set_client_CA_list(s, names);
    SSL_CTX_set_verify(s, SSL_VERIFY_PEER |
                       (cfg->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
    return 0;
}

/* What the configuration must hold before any file is read. */
static const char *nw_tls_cfg_problem(const nw_tls_cfg *cfg, bool server)
{
    if (server && (!cfg->cert_file || !cfg->key_file))
        return "a TLS server needs cert_file and key_file";
    if (server && cfg->require_client_cert && !cfg->ca_file)
        return "require_client_cert needs ca_file";
    if (!server && !cfg->ca_file)
        return "a TLS client needs ca_file to verify the server";
    if (!server && !cfg->cert_file != !cfg->key_file)
        return "a client certificate needs both cert_file and key_file";
    return NULL;
}

static void nw_tls_ctx_policy(SSL_CTX *s, bool server)
{
    SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION);
    SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                           SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_read_ahead(s, 1);
    SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
    if (server)
        SSL_CTX_set_num_tickets(s, 0);
}

nw_tls_ctx *nw_tls_ctx_new(const nw_tls_cfg *cfg, bool server, char *err, size_t errlen)
{
    const char *problem = cfg ? nw_tls_cfg_problem(cfg, server) : "no TLS configuration";
    nw_tls_ctx *t;

    if (problem) {
        snprintf(err, errlen, "%s", problem);
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->server = server;
    t->handshake_timeout = cfg->handshake_timeout > 0 ? cfg->handshake_timeout
                                                      : NW_TLS_HANDSHAKE_TIMEOUT;
    ERR_clear_error();
    t->ssl_ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    t->bio = nw_tls_bio_method();
    if (!t->ssl_ctx || !t->bio || (cfg->host && !(t->host = strdup(cfg->host)))) {
        snprintf(err, errlen, "cannot set up TLS: %s", "out of memory");
        nw_tls_ctx_free(t);
        return NULL;
    }
    nw_tls_ctx_policy(t->ssl_ctx, server);
    if (nw_tls_ctx_files(t, cfg, err, errlen) < 0 || nw_tls_ctx_verify(t, cfg, err, errlen) < 0) {
        nw_tls_ctx_free(t);
        return NULL;
    }
    return t;
}

void nw_tls_ctx_free(nw_tls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    BIO_meth_free(ctx->bio);
    free(ctx->host);
    free(ctx);
}

bool nw_tls_ctx_server(const nw_tls_ctx *ctx)
{
    return ctx->server;
}

/* ---- failures ---- */

/* The peer's first bytes say it speaks something else than TLS. */
static const char *nw_tls_sniff_text(const nw_tls_conn *c)
{
    if (c->nsniff == 0 || c->sniff[0] == NW_TLS_RECORD_HANDSHAKE ||
        c->sniff[0] == 0x15 /* alert */)
        return NULL;
    if (c->nsniff == NW_TLS_SNIFF && memcmp(c->sniff, "HFM1", 4) == 0)
        return "the peer is not speaking TLS (it sent a plaintext HFM1 frame)";
    return "the peer is not speaking TLS (plaintext?)";
}

/* "certificate verify failed (self-signed certificate)" and friends. */
static void nw_tls_ssl_text(nw_tls_conn *c)
{
    unsigned long code;
    const char *r = nw_tls_err_pop(&code);
    long vr = SSL_get_verify_result(c->ssl);

    if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK)
        snprintf(c->err, sizeof(c->err), "%s (%s)", r, X509_verify_cert_error_string(vr));
    else
        snprintf(c->err, sizeof(c->err), "%s", r);
}

/* Fills c->err for a failed SSL call (e is SSL_get_error's answer). */
static void nw_tls_fail_text(nw_tls_conn *c, int e, int sys_errno)
{
    const char *sniff = c->done ? NULL : nw_tls_sniff_text(c);

    if (sniff) {
        snprintf(c->err, sizeof(c->err), "%s", sniff);
        ERR_clear_error();
    } else if (e == SSL_ERROR_SSL) {
        nw_tls_ssl_text(c);
    } else if (sys_errno && (c->done || sys_errno != ECONNRESET)) {
        snprintf(c->err, sizeof(c->err), "%s", strerror(sys_errno));
        ERR_clear_error();
    } else {
        snprintf(c->err, sizeof(c->err), "%s", c->done ? "peer closed the connection"
                 : "peer closed the connection during the handshake (not a TLS port?)");
        ERR_clear_error();
    }
}

/* Maps a failed SSL_read/SSL_write/handshake to the recv/send convention:
 * -1 with errno EAGAIN (retry when the socket is ready: the want flags say
 * for what), 0 for EOF (reads), or -1 with EPROTO/the socket's errno and
 * c->err set. */
static ssize_t nw_tls_fail(nw_tls_conn *c, int ret, bool reading)
{
    int sys_errno = errno;
    int e = SSL_get_error(c->ssl, ret);

    switch (e) {
    case SSL_ERROR_WANT_READ:
        c->write_wants_read = !reading;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        c->read_wants_write = reading;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        if (reading && c->done)
            return 0;
        break;
    case SSL_ERROR_SYSCALL:
        if (sys_errno == EINTR || sys_errno == EAGAIN) {
            errno = sys_errno;
            return -1;
        }
        if (reading && c->done && c->eof) {
            ERR_clear_error();
            return 0;
        }
        if (!c->eof && ret != 0 && sys_errno) {
            c->fatal = true;
            nw_tls_fail_text(c, e, sys_errno);
            errno = sys_errno;
            return -1;
        }
        break;
    default:
        break;
    }
    c->fatal = true;
    nw_tls_fail_text(c, e, 0);
    errno = EPROTO;
    return -1;
}

/* ---- the handshake ---- */

static void nw_tls_handshake_failed(nw_ses *ses)
{
    nw_tls_conn *c = ses->tls;
    nw_owner *own = ses->owner;

    ev_timer_stop(ses->loop, &c->timer);
    if (own->h.on_tls_error)
        own->h.on_tls_error(ses, c->err);
    nw_ses_close(ses, "tls handshake failed");
}

static void nw_tls_handshake_done(nw_ses *ses)
{
    nw_tls_conn *c = ses->tls;
    nw_owner *own = ses->owner;

    c->done = true;
    ev_timer_stop(ses->loop, &c->timer);
    ev_set_cb(&ses->io, nw_ses_io_cb);
    own->tls_ready(ses);
    /* Read-ahead may already hold the peer's first records: the socket
     * would not wake us for them. */
    if (!ses->closing && ses->tls && SSL_has_pending(c->ssl))
        ev_feed_event(ses->loop, &ses->io, EV_READ);
}

/* One step of the handshake; runs again on every readiness event. */
static void nw_tls_step(nw_ses *ses)
{
    nw_tls_conn *c = ses->tls;

    ERR_clear_error();
    errno = 0;
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        nw_tls_handshake_done(ses);
        return;
    }
    if (nw_tls_fail(c, r, true) < 0 && errno == EAGAIN) {
        nw_ses_watch(ses, c->read_wants_write ? EV_WRITE : EV_READ);
        c->read_wants_write = false;
        return;
    }
    if (errno == EINTR)
        return;
    if (!c->err[0])
        snprintf(c->err, sizeof(c->err), "peer closed the connection during the handshake");
    nw_tls_handshake_failed(ses);
}

static void nw_tls_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    nw_ses *ses = w->data;

    nw_enter();
    if (!ses->closing)
        nw_tls_step(ses);
    nw_leave();
}

static void nw_tls_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    nw_ses *ses = w->data;

    nw_enter();
    if (!ses->closing && ses->tls && !ses->tls->done) {
        ses->tls->fatal = true;
        snprintf(ses->tls->err, sizeof(ses->tls->err), "handshake timeout (%.3g s)",
                 ses->tls->ctx->handshake_timeout);
        nw_tls_handshake_failed(ses);
    }
    nw_leave();
}

/* The client checks the host it expects: a name (also sent as SNI) or an
 * IP address. */
static int nw_tls_set_host(SSL *ssl, const char *host)
{
    unsigned char ip[sizeof(struct in6_addr)];

    if (!host || !host[0])
        return 1;
    if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
    return SSL_set1_host(ssl, host) && SSL_set_tlsext_host_name(ssl, host);
}

static nw_tls_conn *nw_tls_conn_new(nw_ses *ses, nw_tls_ctx *ctx, const char *host)
{
    nw_tls_conn *c = calloc(1, sizeof(*c));
    BIO *bio = NULL;

    if (!c)
        return NULL;
    c->ctx = ctx;
    c->ses = ses;
    ERR_clear_error();
    c->ssl = SSL_new(ctx->ssl_ctx);
    if (c->ssl)
        bio = BIO_new(ctx->bio);
    if (!c->ssl || !bio || (!ctx->server && !nw_tls_set_host(c->ssl, ctx->host ? ctx->host
                                                                               : host))) {
        BIO_free(bio);
        SSL_free(c->ssl);
        free(c);
        ERR_clear_error();
        return NULL;
    }
    BIO_set_data(bio, c);
    SSL_set_bio(c->ssl, bio, bio);
    if (ctx->server)
        SSL_set_accept_state(c->ssl);
    else
        SSL_set_connect_state(c->ssl);
    return c;
}

int nw_tls_start(nw_ses *ses, nw_tls_ctx *ctx, const char *host)
{
    nw_tls_conn *c = nw_tls_conn_new(ses, ctx, host);

    if (!c)
        return -1;
    ses->tls = c;
    ev_timer_init(&c->timer, nw_tls_timeout_cb, ctx->handshake_timeout, 0.0);
    c->timer.data = ses;
    ev_timer_start(ses->loop, &c->timer);
    ev_set_cb(&ses->io, nw_tls_io_cb);
    nw_tls_step(ses);
    return 0;
}

/* ---- after the handshake ---- */

/* One SSL_read (reading) or SSL_write, with the recv/send convention. */
static ssize_t nw_tls_io(nw_ses *ses, void *buf, size_t len, bool reading)
{
    nw_tls_conn *c = ses->tls;
    int want = len > INT_MAX ? INT_MAX : (int)len;

    if (c->fatal) {
        errno = EPROTO;
        return -1;
    }
    if (reading)
        c->read_wants_write = false;
    else
        c->write_wants_read = false;
    ERR_clear_error();
    errno = 0;
    int n = reading ? SSL_read(c->ssl, buf, want) : SSL_write(c->ssl, buf, want);
    if (n <= 0)
        return nw_tls_fail(c, n, reading);
    c->got_data |= reading;
    return n;
}

ssize_t nw_tls_recv(nw_ses *ses, void *buf, size_t len)
{
    return nw_tls_io(ses, buf, len, true);
}

ssize_t nw_tls_send(nw_ses *ses, const void *buf, size_t len)
{
    return nw_tls_io(ses, (void *)buf, len, false);
}

bool nw_tls_more(const nw_ses *ses)
{
    return SSL_has_pending(ses->tls->ssl) == 1;
}

int nw_tls_events(const nw_ses *ses, int events)
{
    const nw_tls_conn *c = ses->tls;

    if (c->read_wants_write)
        return events | EV_WRITE;
    if (c->write_wants_read && (events & EV_WRITE))
        return (events & ~EV_WRITE) | EV_READ;
    return events;
}

int nw_tls_revents(const nw_ses *ses, int revents)
{
    const nw_tls_conn *c = ses->tls;

    if (c->read_wants_write && (revents & EV_WRITE))
        revents |= EV_READ;
    if (c->write_wants_read && (revents & EV_READ))
        revents |= EV_WRITE;
    return revents;
}

const char *nw_tls_strerror(const nw_ses *ses, int err)
{
    return ses->tls->err[0] ? "tls error" : strerror(err);
}

bool nw_tls_failed_early(const nw_ses *ses)
{
    const nw_tls_conn *c = ses->tls;
    return c && c->fatal && !c->got_data;
}

/* Sends close_notify when the session ends cleanly (one try: the socket
 * is closed right after), never after a fatal error. */
void nw_tls_shutdown(nw_ses *ses)
{
    nw_tls_conn *c = ses->tls;

    ev_timer_stop(ses->loop, &c->timer);
    if (c->done && !c->fatal && ses->fd >= 0) {
        ERR_clear_error();
        SSL_shutdown(c->ssl);
        ERR_clear_error();
    }
}

void nw_tls_free(nw_ses *ses)
{
    nw_tls_conn *c = ses->tls;

    if (!c)
        return;
    ev_timer_stop(ses->loop, &c->timer);
    SSL_free(c->ssl);
    free(c);
    ses->tls = NULL;
}

/* ---- queries ---- */

bool nw_ses_tls(const nw_ses *ses)
{
    return ses->tls != NULL;
}

const char *nw_ses_tls_version(const nw_ses *ses)
{
    return ses->tls && ses->tls->done ? SSL_get_version(ses->tls->ssl) : NULL;
}

const char *nw_ses_tls_error(const nw_ses *ses)
{
    return ses->tls && ses->tls->err[0] ? ses->tls->err : NULL;
}
