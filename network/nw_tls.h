/* nw_tls: optional TLS (OpenSSL 3) under the sessions of nw_svr and
 * nw_clt. Give a server or a client a context (nw_svr_cfg.tls,
 * nw_clt_cfg.tls) and each of its TCP or Unix stream sessions runs a
 * non-blocking handshake inside the loop before it counts as connected:
 * on_accept / on_connect(true) run once the peer is verified, a failed
 * handshake ends in on_tls_error (with the reason) and, on a client, in a
 * failed attempt with the usual backoff. After the handshake the session
 * behaves as a plaintext one: same framing, same bounded write queue, same
 * half-close drain. Without a context nothing changes (one pointer test
 * per read and per write).
 *
 * Policy: TLS 1.2 or newer, renegotiation refused, no session resumption,
 * a peer that closes without close_notify is treated as a plain EOF (the
 * framing above detects truncation). A client always verifies the server:
 * its chain against ca_file (the server's own certificate can be pinned
 * there: partial chains are accepted) and the host it expects (a name, or
 * an IP address matched against the certificate's IP entries). A server
 * asks for client certificates when it has a ca_file, and refuses clients
 * without one when require_client_cert is set.
 *
 * Limits: no certificate reload (build a new context and restart the
 * server or client); no OCSP or CRL checks; no ALPN or SNI-based
 * certificate choice on the server (the client does send SNI for names). */
#ifndef NW_TLS_H
#define NW_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include "network/nw_ses.h"

typedef struct nw_tls_cfg {
    const char *cert_file;   /* PEM chain: required on a server; a client's own (optional) */
    const char *key_file;    /* PEM private key of cert_file */
    const char *ca_file;     /* PEM trust anchors. Client: required (the CA of the server,
                                or the server's certificate itself). Server: the CA of
                                client certificates; NULL = do not ask for them */
    bool require_client_cert;   /* server: refuse clients without a valid certificate */
    const char *host;        /* client: the name or IP the server's certificate must carry;
                                NULL = the host of the address connected to (for a Unix
                                socket: no host check, the chain is still verified) */
    double handshake_timeout;   /* seconds; default 10 */
} nw_tls_cfg;

typedef struct nw_tls_ctx nw_tls_ctx;

/* A server (server=true) or client context: loads and checks the files at
 * once. NULL on failure, with the reason in err ("cannot load certificate
 * 'x.pem': no start line", "a client needs ca_file", ...). The context is
 * borrowed by servers and clients: free it after them. */
nw_tls_ctx *nw_tls_ctx_new(const nw_tls_cfg *cfg, bool server, char *err, size_t errlen);
void nw_tls_ctx_free(nw_tls_ctx *ctx);
bool nw_tls_ctx_server(const nw_tls_ctx *ctx);

/* Whether the session runs TLS, and its protocol once connected
 * ("TLSv1.3"; NULL for plaintext). */
bool nw_ses_tls(const nw_ses *ses);
const char *nw_ses_tls_version(const nw_ses *ses);
/* The whole text of the TLS failure that ended (or is ending) the session:
 * "certificate verify failed (self-signed certificate)", "tlsv13 alert
 * certificate required", "handshake timeout", ... NULL when none. The
 * session's close reason is only the short "tls error" / "tls handshake
 * failed". Valid until the session is freed (on_close, on_connect(false)). */
const char *nw_ses_tls_error(const nw_ses *ses);

#endif
