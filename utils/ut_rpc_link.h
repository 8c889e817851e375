/* ut_rpc_link: request/reply/push over ut_rpc frames on top of network/,
 * with heartbeats (a link silent for 3 intervals is closed and, on the
 * client side, reconnected) and per-request timeouts. Bodies are opaque
 * bytes to this layer; modules send JSON bodies carrying a "v" version.
 *
 * Optional, per server or client (docs/protocol.md, "TLS and agent
 * authentication"): TLS (cfg.tls, see network/nw_tls.h) and agent
 * authentication (cfg.agents on a server, cfg.agent_id + agent_secret on
 * a client, see utils/ut_auth.h). With authentication a link is only "up"
 * (on_up, ut_rpc_clt_link, ut_rpc_svr_foreach, ut_rpc_svr_count) once the
 * exchange succeeded; before that only the exchange and heartbeats may
 * cross it, anything else closes it. A refused client backs off before
 * it tries again. Both are off by default: plaintext links behave as
 * before. */
#ifndef UT_RPC_LINK_H
#define UT_RPC_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include "network/nw_clt.h"
#include "network/nw_svr.h"
#include "network/nw_tls.h"
#include "utils/ut_auth.h"
#include "utils/ut_rpc.h"

typedef struct ut_rpc_link ut_rpc_link;   /* one connection, either side */
typedef struct ut_rpc_clt ut_rpc_clt;
typedef struct ut_rpc_svr ut_rpc_svr;

typedef struct ut_rpc_handlers {
    /* A request or push arrived; answer requests with ut_rpc_reply. */
    void (*on_msg)(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata);
    /* Link up (client connected / server accepted; with agent
     * authentication: once the agent is authenticated, see
     * ut_rpc_link_agent) and down (only for links that were up). */
    void (*on_up)(ut_rpc_link *link, void *udata);
    void (*on_down)(ut_rpc_link *link, const char *reason, void *udata);
} ut_rpc_handlers;

/* Reply callback: msg is NULL on timeout or when the link went down
 * (error says which). Called exactly once per request. */
typedef void (*ut_rpc_reply_cb)(const ut_rpc_msg *msg, const char *error, void *arg);

typedef struct ut_rpc_cfg {
    const char *addr;          /* connect (client) or bind (server) spec */
    double heartbeat;          /* seconds; default 2 */
    double request_timeout;    /* seconds; default 10 */
    size_t max_body;           /* default UT_RPC_DEFAULT_MAX_BODY */
    size_t wbuf_limit;         /* default 64 MiB */
    const char **allow;        /* server: NULL or a NULL-terminated list of peer hosts */
    /* TLS: NULL = plaintext. Server: cert_file + key_file (+ ca_file and
     * require_client_cert for client certificates). Client: ca_file (+ host,
     * + cert_file/key_file). Files are loaded by *_create (errors logged). */
    const nw_tls_cfg *tls;
    /* Agent authentication. Server: the agents it accepts, ended by {NULL}
     * (copied); non-NULL turns it on. Client: its id and secret (both, or
     * neither). Secrets are never logged. */
    const ut_auth_agent *agents;
    const char *agent_id;
    const char *agent_secret;
    double auth_timeout;       /* seconds for the exchange; default request_timeout.
                                  Checked on heartbeat ticks */
} ut_rpc_cfg;

ut_rpc_clt *ut_rpc_clt_create(struct ev_loop *loop, const ut_rpc_cfg *cfg,
                              const ut_rpc_handlers *h, void *udata);
int ut_rpc_clt_start(ut_rpc_clt *clt);
void ut_rpc_clt_free(ut_rpc_clt *clt);   /* not from inside its own callbacks */
ut_rpc_link *ut_rpc_clt_link(ut_rpc_clt *clt);     /* NULL while down */
bool ut_rpc_clt_up(const ut_rpc_clt *clt);

ut_rpc_svr *ut_rpc_svr_create(struct ev_loop *loop, const ut_rpc_cfg *cfg,
                              const ut_rpc_handlers *h, void *udata);
int ut_rpc_svr_start(ut_rpc_svr *svr);
void ut_rpc_svr_free(ut_rpc_svr *svr);
size_t ut_rpc_svr_count(const ut_rpc_svr *svr);
/* The bound TCP port (the real one after binding port 0), or -1. */
int ut_rpc_svr_port(const ut_rpc_svr *svr);
void ut_rpc_svr_foreach(ut_rpc_svr *svr, void (*fn)(ut_rpc_link *link, void *arg), void *arg);

/* Sending. All return 0, or -1 when the link is down or over its limit.
 * A request that returned -1 never calls its callback; one that returned 0
 * calls it exactly once. Request ids start at 1 on every new link. */
int ut_rpc_request(ut_rpc_link *link, uint16_t command, const void *body, size_t len,
                   ut_rpc_reply_cb cb, void *arg);
int ut_rpc_reply(ut_rpc_link *link, const ut_rpc_msg *req, uint32_t status,
                 const void *body, size_t len);
int ut_rpc_push(ut_rpc_link *link, uint16_t command, const void *body, size_t len);

const char *ut_rpc_link_peer(const ut_rpc_link *link);  /* "host:port" */
/* The authenticated agent id: on a server the peer's, on a client its own;
 * NULL on links without agent authentication. */
const char *ut_rpc_link_agent(const ut_rpc_link *link);
/* This side's heartbeat interval. A link is closed after 3 intervals of
 * silence; when the peer heartbeats less often (it says so in a module's
 * hello), set_peer_heartbeat makes that 3 of the longer interval. */
double ut_rpc_link_heartbeat(const ut_rpc_link *link);
void ut_rpc_link_set_peer_heartbeat(ut_rpc_link *link, double secs);
/* Bytes of whole frames received and sent on this link, heartbeats included. */
void ut_rpc_link_bytes(const ut_rpc_link *link, uint64_t *in, uint64_t *out);
/* "TLSv1.3" on a TLS link, NULL on a plaintext one. */
const char *ut_rpc_link_tls(const ut_rpc_link *link);
void ut_rpc_link_set_data(ut_rpc_link *link, void *data);
void *ut_rpc_link_data(const ut_rpc_link *link);
/* Closes the link: pending requests fail with "link down", on_down runs
 * (at once, or when the current callback returns) and the link is freed
 * after it: do not keep link pointers past on_down. */
void ut_rpc_link_close(ut_rpc_link *link, const char *reason);

#endif
