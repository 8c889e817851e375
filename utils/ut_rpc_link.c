/* ut_rpc_link: request/reply/push links of ut_rpc frames over nw_clt
 * (client side, reconnecting by itself) and nw_svr (server side, with a
 * peer allow-list).
 *
 * Each link keeps:
 *  - a heartbeat timer: every `heartbeat` seconds it sends a type 4 frame,
 *    and closes the link ("heartbeat timeout") when nothing at all has been
 *    received for 3 intervals;
 *  - its pending requests, in a FIFO ordered by deadline (one timer armed
 *    for the head) and in a hash by request id (to match replies). Every
 *    request's callback runs exactly once: reply, "timeout" or "link down";
 *  - per-direction sequence numbers (a gap is logged as a warning);
 *  - with agent authentication, whether it is up yet: a server sends the
 *    challenge when the link opens and checks the answer; a client answers
 *    the challenge; until then only the exchange and heartbeats may cross
 *    (anything else closes the link), and a link that is not up within
 *    auth_timeout is closed. TLS is below all this, in network/nw_tls.
 *
 * Lifetime: a link is freed when its session closes. User callbacks may
 * close the link or send on it, so every entry point holds the link
 * (depth counter) and the free is deferred until the outermost one ends. */
#include "utils/ut_rpc_link.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_timer.h"
#include "utils/ut_log.h"

#define UT_RPC_DEFAULT_HEARTBEAT 2.0
#define UT_RPC_DEFAULT_TIMEOUT 10.0
#define UT_RPC_DEFAULT_WBUF (64u * 1024 * 1024)
#define UT_RPC_SILENT_INTERVALS 3
#define UT_RPC_STACK_FRAME 4096
#define UT_RPC_MIN_BUCKETS 64

/* What clients and servers share: the loop, the user's handlers, limits. */
typedef struct ut_rpc_side {
    struct ev_loop *loop;
    ut_rpc_handlers h;
    void *udata;
    double heartbeat;
    double request_timeout;
    size_t max_body;
    size_t wbuf_limit;
    char *addr;
    nw_tls_ctx *tls;           /* NULL: plaintext */
    ut_auth_table *agents;     /* server with agent authentication */
    char *agent_id;            /* client with agent authentication */
    char *agent_secret;
    double auth_timeout;
} ut_rpc_side;

typedef struct ut_rpc_pending {
    uint64_t id;
    uint16_t command;
    double deadline;
    ut_rpc_reply_cb cb;
    void *arg;
    struct ut_rpc_pending *prev, *next;  /* FIFO by deadline */
    struct ut_rpc_pending *hnext;        /* hash chain */
} ut_rpc_pending;

struct ut_rpc_link {
    ut_rpc_side *side;
    ut_rpc_clt *clt;          /* the owner: exactly one of clt and svr */
    ut_rpc_svr *svr;
    nw_ses *ses;              /* NULL once down */
    char peer[64];
    uint64_t next_id;
    uint32_t send_seq;
    uint32_t recv_seq;
    bool got_frame;
    double last_recv;
    double peer_heartbeat;    /* the peer's interval when it said so, else 0 */
    uint64_t bytes_in, bytes_out;   /* whole frames, heartbeats included */
    nw_timer hb_timer;
    nw_timer req_timer;
    ut_rpc_pending *head, *tail;
    ut_rpc_pending **buckets;
    size_t nbuckets;
    size_t npending;
    char reason[128];         /* why we closed it (bad frame, heartbeat, user) */
    void *data;
    int depth;
    bool up;                  /* on_up ran (with authentication: after it) */
    bool closing;             /* close requested, session not gone yet */
    bool down;                /* session gone, on_down called */
    bool challenged;          /* client: a challenge came */
    double born;              /* when the session opened (auth deadline) */
    uint8_t challenge[UT_AUTH_CHALLENGE_SIZE];   /* server: the one sent */
    char agent[UT_AUTH_ID_MAX + 1];              /* authenticated id */
};

struct ut_rpc_clt {
    ut_rpc_side side;
    nw_clt *clt;
    ut_rpc_link *link;
    bool connect_warned;
    char tls_warned[160];     /* the last handshake failure logged */
};

struct ut_rpc_svr {
    ut_rpc_side side;
    nw_svr *svr;
    char **allow;             /* NULL-terminated copies, or NULL */
    size_t count;
};

/* ---- link lifetime ---- */

static void ut_rpc_link_free(ut_rpc_link *l)
{
    free(l->buckets);
    free(l);
}

static void ut_rpc_link_hold(ut_rpc_link *l)
{
    l->depth++;
}

/* Returns false when the link was freed. */
static bool ut_rpc_link_release(ut_rpc_link *l)
{
    if (--l->depth == 0 && l->down) {
        ut_rpc_link_free(l);
        return false;
    }
    return true;
}

/* ---- pending requests ---- */

static size_t ut_rpc_bucket(const ut_rpc_link *l, uint64_t id)
{
    return (size_t)(id * 0x9e3779b97f4a7c15ull >> 32) & (l->nbuckets - 1);
}

/* Doubles the hash table (or creates it). Returns 0 or -1. */
static int ut_rpc_rehash(ut_rpc_link *l)
{
    size_t n = l->nbuckets ? l->nbuckets * 2 : UT_RPC_MIN_BUCKETS;
    ut_rpc_pending **b = calloc(n, sizeof(*b));

    if (!b)
        return -1;
    free(l->buckets);
    l->buckets = b;
    l->nbuckets = n;
    for (ut_rpc_pending *p = l->head; p; p = p->next) {
        size_t i = ut_rpc_bucket(l, p->id);
        p->hnext = b[i];
        b[i] = p;
    }
    return 0;
}

static void ut_rpc_on_req_timer(nw_timer *t, void *privdata);

/* Arms the request timer for the head's deadline (stops it when none). */
static void ut_rpc_req_timer_arm(ut_rpc_link *l)
{
    nw_timer_stop(&l->req_timer);
    if (!l->head)
        return;
    double wait = l->head->deadline - ev_now(l->side->loop);
    nw_timer_set(&l->req_timer, l->side->loop, wait > 0 ? wait : 0, false,
                 ut_rpc_on_req_timer, l);   /* starts it */
}

static int ut_rpc_pending_add(ut_rpc_link *l, ut_rpc_pending *p)
{
    if (l->npending >= l->nbuckets && ut_rpc_rehash(l) != 0)
        return -1;
    size_t i = ut_rpc_bucket(l, p->id);
    p->hnext = l->buckets[i];
    l->buckets[i] = p;
    p->next = NULL;
    p->prev = l->tail;
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    l->npending++;
    if (l->head == p)
        ut_rpc_req_timer_arm(l);
    return 0;
}

/* Unlinks p from the hash and the FIFO; re-arms the timer if it was head. */
static void ut_rpc_pending_unlink(ut_rpc_link *l, ut_rpc_pending *p)
{
    ut_rpc_pending **pp = &l->buckets[ut_rpc_bucket(l, p->id)];
    bool was_head = l->head == p;

    while (*pp != p)
        pp = &(*pp)->hnext;
    *pp = p->hnext;
    if (p->prev)
        p->prev->next = p->next;
    else
        l->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        l->tail = p->prev;
    l->npending--;
    if (was_head && !l->down)
        ut_rpc_req_timer_arm(l);
}

static ut_rpc_pending *ut_rpc_pending_find(ut_rpc_link *l, uint64_t id)
{
    if (!l->nbuckets)
        return NULL;
    for (ut_rpc_pending *p = l->buckets[ut_rpc_bucket(l, id)]; p; p = p->hnext) {
        if (p->id == id)
            return p;
    }
    return NULL;
}

/* Calls p's callback once and frees p (already unlinked). */
static void ut_rpc_pending_finish(ut_rpc_pending *p, const ut_rpc_msg *msg, const char *err)
{
    p->cb(msg, err, p->arg);
    free(p);
}

static void ut_rpc_on_req_timer(nw_timer *t, void *privdata)
{
    ut_rpc_link *l = privdata;
    double now = ev_now(l->side->loop);

    ut_rpc_link_hold(l);
    while (l->head && l->head->deadline <= now + 0.0005 && !l->down) {
        ut_rpc_pending *p = l->head;
        log_warn("rpc link %s: request %llu (command 0x%04x) timed out after %.3g s", l->peer,
                 (unsigned long long)p->id, p->command, l->side->request_timeout);
        ut_rpc_pending_unlink(l, p);
        ut_rpc_pending_finish(p, NULL, "timeout");
    }
    ut_rpc_link_release(l);
}

/* ---- sending ---- */

static int ut_rpc_send(ut_rpc_link *l, uint8_t type, uint16_t command, uint64_t id,
                       uint32_t status, const void *body, size_t len)
{
    uint8_t stack[UT_RPC_STACK_FRAME];
    uint8_t *buf = stack;
    size_t total = UT_RPC_HEADER_SIZE + len;
    int rc;

    if (!l->ses || l->closing || l->down)
        return -1;
    if (len > l->side->max_body) {
        log_error("rpc link %s: refusing to send a %zu-byte body (limit %zu)", l->peer, len,
                  l->side->max_body);
        return -1;
    }
    if (total > sizeof(stack) && !(buf = malloc(total)))
        return -1;
    ut_rpc_msg m = {.version = UT_RPC_VERSION, .type = type, .command = command,
                    .sequence = ++l->send_seq, .request_id = id, .status = status,
                    .body_len = (uint32_t)len, .body = body};
    ut_rpc_pack(&m, buf);
    ut_rpc_link_hold(l);
    rc = nw_ses_send(l->ses, buf, total);
    if (rc == 0)
        l->bytes_out += total;
    ut_rpc_link_release(l);   /* callers hold the link too: never freed here */
    if (buf != stack)
        free(buf);
    return rc;
}

/* A request on a link that may not be up yet (the auth exchange). */
static int ut_rpc_request_any(ut_rpc_link *link, uint16_t command, const void *body,
                              size_t len, ut_rpc_reply_cb cb, void *arg)
{
    ut_rpc_pending *p;
    int rc = -1;

    if (link->closing || link->down)
        return -1;
    p = calloc(1, sizeof(*p));
    if (!p)
        return -1;
    ut_rpc_link_hold(link);
    p->id = link->next_id++;
    p->command = command;
    p->cb = cb;
    p->arg = arg;
    p->deadline = ev_now(link->side->loop) + link->side->request_timeout;
    if (ut_rpc_send(link, UT_RPC_REQUEST, command, p->id, 0, body, len) == 0 &&
        !link->down && ut_rpc_pending_add(link, p) == 0) {
        p = NULL;
        rc = 0;
    }
    free(p);
    ut_rpc_link_release(link);
    return rc;
}

int ut_rpc_request(ut_rpc_link *link, uint16_t command, const void *body, size_t len,
                   ut_rpc_reply_cb cb, void *arg)
{
    if (!link || !link->up)
        return -1;
    return ut_rpc_request_any(link, command, body, len, cb, arg);
}

int ut_rpc_reply(ut_rpc_link *link, const ut_rpc_msg *req, uint32_t status,
                 const void *body, size_t len)
{
    int rc;

    if (!link || !link->up)
        return -1;
    ut_rpc_link_hold(link);
    rc = ut_rpc_send(link, UT_RPC_REPLY, req->command, req->request_id, status, body, len);
    ut_rpc_link_release(link);
    return rc;
}

int ut_rpc_push(ut_rpc_link *link, uint16_t command, const void *body, size_t len)
{
    int rc;

    if (!link || !link->up)
        return -1;
    ut_rpc_link_hold(link);
    rc = ut_rpc_send(link, UT_RPC_PUSH, command, 0, 0, body, len);
    ut_rpc_link_release(link);
    return rc;
}

/* ---- link accessors ---- */

const char *ut_rpc_link_peer(const ut_rpc_link *link)
{
    return link->peer;
}

const char *ut_rpc_link_agent(const ut_rpc_link *link)
{
    return link->agent[0] ? link->agent : NULL;
}

void ut_rpc_link_set_peer_heartbeat(ut_rpc_link *link, double secs)
{
    if (secs > 0 && secs <= 3600)
        link->peer_heartbeat = secs;
}

double ut_rpc_link_heartbeat(const ut_rpc_link *link)
{
    return link->side->heartbeat;
}

void ut_rpc_link_bytes(const ut_rpc_link *link, uint64_t *in, uint64_t *out)
{
    *in = link->bytes_in;
    *out = link->bytes_out;
}

const char *ut_rpc_link_tls(const ut_rpc_link *link)
{
    return link->ses ? nw_ses_tls_version(link->ses) : NULL;
}

void ut_rpc_link_set_data(ut_rpc_link *link, void *data)
{
    link->data = data;
}

void *ut_rpc_link_data(const ut_rpc_link *link)
{
    return link->data;
}

void ut_rpc_link_close(ut_rpc_link *link, const char *reason)
{
    if (!link || link->closing || link->down)
        return;
    link->closing = true;
    if (!link->reason[0])
        snprintf(link->reason, sizeof(link->reason), "%s", reason ? reason : "closed");
    ut_rpc_link_hold(link);
    /* nw keeps the reason pointer past our free: give it a literal; on_down
     * gets link->reason. */
    nw_ses_close(link->ses, "closed");
    ut_rpc_link_release(link);
}

/* Closes once the queued output (a refusal) is written; l->reason is set. */
static void ut_rpc_link_close_flushed(ut_rpc_link *l)
{
    if (l->closing || l->down)
        return;
    l->closing = true;
    nw_ses_close_flushed(l->ses, "closed");
}

/* ---- agent authentication (ut_auth.h) ---- */

static bool ut_rpc_auth_on(const ut_rpc_side *side)
{
    return side->agents || side->agent_id;
}

static void ut_rpc_link_up(ut_rpc_link *l);
static void ut_rpc_on_reply(ut_rpc_link *l, const ut_rpc_msg *msg);

static const char *ut_rpc_type_name(uint8_t type)
{
    switch (type) {
    case UT_RPC_REQUEST:
        return "request";
    case UT_RPC_REPLY:
        return "reply";
    default:
        return "push";
    }
}

/* Server: answers req (when it is a request) with status and {"error":
 * why}, then closes once that is written. */
static void ut_rpc_auth_refuse(ut_rpc_link *l, const ut_rpc_msg *req, uint32_t status,
                               const char *why)
{
    char body[UT_AUTH_BODY_MAX];
    size_t n = ut_auth_error_body(why, body);

    if (req->type == UT_RPC_REQUEST)
        ut_rpc_send(l, UT_RPC_REPLY, req->command, req->request_id, status, body, n);
    snprintf(l->reason, sizeof(l->reason), "agent auth refused: %.100s", why);
    ut_rpc_link_close_flushed(l);
}

/* Server: a new link gets its challenge. */
static void ut_rpc_auth_challenge(ut_rpc_link *l)
{
    char body[UT_AUTH_BODY_MAX];
    size_t n = 0;

    if (ut_auth_challenge_new(l->challenge) == 0)
        n = ut_auth_challenge_body(l->challenge, body);
    if (!n || ut_rpc_send(l, UT_RPC_PUSH, CMD_LINK_AUTH_CHALLENGE, 0, 0, body, n) != 0) {
        log_error("rpc link %s: cannot send the agent auth challenge, closing", l->peer);
        ut_rpc_link_close(l, "auth challenge failed");
    }
}

/* Server: the answer to the challenge. */
static void ut_rpc_auth_check(ut_rpc_link *l, const ut_rpc_msg *m)
{
    char agent[UT_AUTH_ID_MAX + 1], why[128], body[UT_AUTH_BODY_MAX];
    uint32_t st = ut_auth_verify(l->side->agents, l->challenge, m->body, m->body_len, agent,
                                 why, sizeof(why));

    if (st != UT_AUTH_OK) {
        log_warn("rpc link %s: agent auth refused: %s", l->peer, why);
        ut_rpc_auth_refuse(l, m, st, why);
        return;
    }
    snprintf(l->agent, sizeof(l->agent), "%s", agent);
    ut_rpc_send(l, UT_RPC_REPLY, m->command, m->request_id, UT_AUTH_OK, body,
                ut_auth_ok_body(agent, body));
    ut_rpc_link_up(l);
}

/* Server, before authentication: only the answer may come. */
static void ut_rpc_auth_server_msg(ut_rpc_link *l, const ut_rpc_msg *m)
{
    if (m->type == UT_RPC_REQUEST && m->command == CMD_LINK_AUTH) {
        ut_rpc_auth_check(l, m);
        return;
    }
    log_warn("rpc link %s: %s (command 0x%04x) before agent authentication, closing", l->peer,
             ut_rpc_type_name(m->type), m->command);
    ut_rpc_auth_refuse(l, m, UT_AUTH_ERR_REQUIRED, ut_auth_strstatus(UT_AUTH_ERR_REQUIRED));
}

/* Client: the server's verdict on our answer. */
static void ut_rpc_auth_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    ut_rpc_link *l = arg;
    char why[128];

    if (!msg) {
        if (!l->down)
            log_error("agent auth with %s: no answer (%s), closing", l->peer, error);
        ut_rpc_link_close(l, "agent auth timeout");
        return;
    }
    if (msg->status != UT_AUTH_OK) {
        ut_auth_error_parse(msg->body, msg->body_len, msg->status, why, sizeof(why));
        log_error("agent auth refused by %s: %s", l->peer, why);
        snprintf(l->reason, sizeof(l->reason), "agent auth refused: %.100s", why);
        ut_rpc_link_close(l, NULL);
        return;
    }
    snprintf(l->agent, sizeof(l->agent), "%s", l->side->agent_id);
    ut_rpc_link_up(l);
}

/* Client: answers the challenge with HMAC(secret, challenge || id). */
static void ut_rpc_auth_answer(ut_rpc_link *l, const ut_rpc_msg *m)
{
    const ut_rpc_side *side = l->side;
    uint8_t ch[UT_AUTH_CHALLENGE_SIZE], mac[UT_AUTH_MAC_SIZE];
    char body[UT_AUTH_BODY_MAX];
    size_t n = 0;

    l->challenged = true;
    if (ut_auth_challenge_parse(m->body, m->body_len, ch) != 0) {
        log_error("rpc link %s: malformed agent auth challenge, closing", l->peer);
        ut_rpc_link_close(l, "malformed auth challenge");
        return;
    }
    if (ut_auth_mac(side->agent_secret, ch, side->agent_id, mac) == 0)
        n = ut_auth_request_body(side->agent_id, mac, body);
    OPENSSL_cleanse(mac, sizeof(mac));
    if (!n || ut_rpc_request_any(l, CMD_LINK_AUTH, body, n, ut_rpc_auth_reply, l) != 0)
        ut_rpc_link_close(l, "agent auth request failed");
}

/* Client, before authentication: the challenge, then the verdict. */
static void ut_rpc_auth_client_msg(ut_rpc_link *l, const ut_rpc_msg *m)
{
    if (m->type == UT_RPC_REPLY) {
        ut_rpc_on_reply(l, m);
        return;
    }
    if (m->type == UT_RPC_PUSH && m->command == CMD_LINK_AUTH_CHALLENGE && !l->challenged) {
        ut_rpc_auth_answer(l, m);
        return;
    }
    log_warn("rpc link %s: %s (command 0x%04x) before agent authentication, closing", l->peer,
             ut_rpc_type_name(m->type), m->command);
    ut_rpc_link_close(l, "frame before authentication");
}

/* Link-level frames on a link that is up; true when handled here. */
static bool ut_rpc_auth_link_level(ut_rpc_link *l, const ut_rpc_msg *m)
{
    char body[UT_AUTH_BODY_MAX];

    if (l->clt && m->type == UT_RPC_PUSH && m->command == CMD_LINK_AUTH_CHALLENGE) {
        log_error("rpc link %s: the server asks for agent authentication%s, closing", l->peer,
                  l->agent[0] ? " again" : " but no agent_id/agent_secret is configured");
        nw_clt_backoff(l->clt->clt);
        ut_rpc_link_close(l, "agent authentication required");
        return true;
    }
    if (l->svr && l->side->agents && m->type == UT_RPC_REQUEST && m->command == CMD_LINK_AUTH) {
        ut_rpc_send(l, UT_RPC_REPLY, m->command, m->request_id, UT_AUTH_ERR_MALFORMED, body,
                    ut_auth_error_body("already authenticated", body));
        return true;
    }
    return false;
}

/* Heartbeat tick of a link that is not up yet: past auth_timeout it goes. */
static void ut_rpc_auth_deadline(ut_rpc_link *l)
{
    double age = ev_now(l->side->loop) - l->born;

    if (age < l->side->auth_timeout - 0.001)
        return;
    if (l->svr)
        log_warn("rpc link %s: agent auth timeout (no valid answer within %.3g s), closing",
                 l->peer, l->side->auth_timeout);
    else
        log_error("rpc link %s: no agent auth challenge from the server within %.3g s (is "
                  "agent authentication on there?), closing", l->peer, l->side->auth_timeout);
    ut_rpc_link_close(l, "agent auth timeout");
}

/* ---- heartbeats ---- */

static void ut_rpc_on_hb_timer(nw_timer *t, void *privdata)
{
    ut_rpc_link *l = privdata;
    double silent = ev_now(l->side->loop) - l->last_recv;

    if (l->down)
        return;
    if (l->closing) {              /* a refusal still flushing: one tick is enough */
        nw_ses_close(l->ses, "closed");
        return;
    }
    ut_rpc_link_hold(l);
    double beat = l->peer_heartbeat > l->side->heartbeat ? l->peer_heartbeat : l->side->heartbeat;
    if (silent >= UT_RPC_SILENT_INTERVALS * beat - 0.001) {
        log_warn("rpc link %s: heartbeat timeout (nothing received for %.3g s), closing",
                 l->peer, silent);
        ut_rpc_link_close(l, "heartbeat timeout");
    } else {
        ut_rpc_send(l, UT_RPC_HEARTBEAT, 0, 0, 0, NULL, 0);
        if (!l->up)
            ut_rpc_auth_deadline(l);
    }
    ut_rpc_link_release(l);
}

/* ---- link up and down ---- */

static ut_rpc_link *ut_rpc_link_new(ut_rpc_side *side, nw_ses *ses)
{
    ut_rpc_link *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    l->side = side;
    l->ses = ses;
    l->next_id = 1;
    l->last_recv = ev_now(side->loop);
    l->born = l->last_recv;
    snprintf(l->peer, sizeof(l->peer), "%s", nw_ses_peer_str(ses));
    /* nw_timer_set also starts the timer: the request timer waits for a request. */
    nw_timer_set(&l->req_timer, side->loop, side->request_timeout, false,
                 ut_rpc_on_req_timer, l);
    nw_timer_stop(&l->req_timer);
    nw_timer_set(&l->hb_timer, side->loop, side->heartbeat, true, ut_rpc_on_hb_timer, l);
    ses->privdata = l;
    return l;
}

static void ut_rpc_link_up(ut_rpc_link *l)
{
    ut_rpc_side *side = l->side;
    const char *tls = ut_rpc_link_tls(l);

    l->up = true;
    if (l->svr)
        l->svr->count++;
    if (tls || l->agent[0])
        log_info("rpc link %s: up (%s%s%s%s)", l->peer, tls ? tls : "plaintext",
                 l->agent[0] ? ", agent '" : "", l->agent, l->agent[0] ? "'" : "");
    else
        log_info("rpc link %s: up", l->peer);
    if (!side->h.on_up)
        return;
    ut_rpc_link_hold(l);
    side->h.on_up(l, side->udata);
    ut_rpc_link_release(l);
}

/* A new session's link: up at once, or after the agent auth exchange. */
static void ut_rpc_link_start(ut_rpc_link *l)
{
    if (!ut_rpc_auth_on(l->side)) {
        ut_rpc_link_up(l);
        return;
    }
    if (l->svr)
        ut_rpc_auth_challenge(l);
}

/* The session is going away: fail pending requests, tell the user, and
 * free the link (or leave that to the outermost holder). */
static void ut_rpc_link_down(ut_rpc_link *l, const char *reason)
{
    ut_rpc_side *side = l->side;

    if (l->down)
        return;
    if (l->reason[0])
        reason = l->reason;
    ut_rpc_link_hold(l);
    l->down = true;
    nw_timer_stop(&l->hb_timer);
    nw_timer_stop(&l->req_timer);
    l->ses->privdata = NULL;
    l->ses = NULL;
    if (l->clt && l->clt->link == l)
        l->clt->link = NULL;
    if (l->svr && l->up)
        l->svr->count--;
    if (l->clt && !l->up && ut_rpc_auth_on(side))
        nw_clt_backoff(l->clt->clt);       /* refused or never answered: back off */
    log_info("rpc link %s: down: %s", l->peer, reason);
    while (l->head) {
        ut_rpc_pending *p = l->head;
        ut_rpc_pending_unlink(l, p);
        ut_rpc_pending_finish(p, NULL, "link down");
    }
    if (side->h.on_down && l->up)
        side->h.on_down(l, reason, side->udata);
    ut_rpc_link_release(l);
}

/* ---- nw callbacks shared by both sides ---- */

static int ut_rpc_nw_decode(nw_ses *ses, const void *data, size_t len)
{
    ut_rpc_link *l = ses->privdata;
    int rc;

    if (!l)
        return -1;
    rc = ut_rpc_decode(data, len, l->side->max_body);
    if (rc > 0)
        l->bytes_in += (uint64_t)rc;
    if (rc < 0) {
        log_error("rpc link %s: bad frame: %s, closing", l->peer, ut_rpc_strerror(rc));
        snprintf(l->reason, sizeof(l->reason), "bad frame: %s", ut_rpc_strerror(rc));
    }
    return rc;
}

static void ut_rpc_check_sequence(ut_rpc_link *l, uint32_t seq)
{
    if (l->got_frame && seq != (uint32_t)(l->recv_seq + 1))
        log_warn("rpc link %s: sequence gap: expected %u, got %u", l->peer,
                 (unsigned)(l->recv_seq + 1), (unsigned)seq);
    l->got_frame = true;
    l->recv_seq = seq;
}

static void ut_rpc_on_reply(ut_rpc_link *l, const ut_rpc_msg *msg)
{
    ut_rpc_pending *p = ut_rpc_pending_find(l, msg->request_id);

    if (!p) {
        log_warn("rpc link %s: reply to unknown request %llu (command 0x%04x), dropped",
                 l->peer, (unsigned long long)msg->request_id, msg->command);
        return;
    }
    ut_rpc_pending_unlink(l, p);
    ut_rpc_pending_finish(p, msg, NULL);
}

static void ut_rpc_nw_message(nw_ses *ses, const void *data, size_t len)
{
    ut_rpc_link *l = ses->privdata;
    ut_rpc_msg msg;

    if (!l || l->closing || l->down)
        return;
    if (ut_rpc_parse(data, len, &msg) != 0) {
        ut_rpc_link_close(l, "bad frame: unparsable");
        return;
    }
    ut_rpc_link_hold(l);
    l->last_recv = ev_now(l->side->loop);
    ut_rpc_check_sequence(l, msg.sequence);
    if (msg.type == UT_RPC_HEARTBEAT)
        ;
    else if (!l->up && l->svr)
        ut_rpc_auth_server_msg(l, &msg);
    else if (!l->up)
        ut_rpc_auth_client_msg(l, &msg);
    else if (msg.type == UT_RPC_REPLY)
        ut_rpc_on_reply(l, &msg);
    else if (!ut_rpc_auth_link_level(l, &msg) && l->side->h.on_msg)
        l->side->h.on_msg(l, &msg, l->side->udata);
    ut_rpc_link_release(l);
}

static void ut_rpc_nw_close(nw_ses *ses, const char *reason)
{
    ut_rpc_link *l = ses->privdata;
    const char *tls = nw_ses_tls_error(ses);

    if (!l)
        return;
    if (tls && !l->reason[0])
        snprintf(l->reason, sizeof(l->reason), "tls: %s", tls);
    ut_rpc_link_down(l, reason);
}

/* The TLS context and the agent authentication of a side. 0 or -1 (logged
 * as "rpc <kind> <addr>: ..."). Secrets are copied, never logged. */
static int ut_rpc_side_secure(ut_rpc_side *side, const ut_rpc_cfg *cfg, bool server)
{
    const char *kind = server ? "server" : "client";
    char err[256];

    if (cfg->tls && !(side->tls = nw_tls_ctx_new(cfg->tls, server, err, sizeof(err)))) {
        log_error("rpc %s %s: tls: %s", kind, side->addr, err);
        return -1;
    }
    if (server && cfg->agents && !(side->agents = ut_auth_table_new(cfg->agents, err,
                                                                    sizeof(err)))) {
        log_error("rpc server %s: agents: %s", side->addr, err);
        return -1;
    }
    if (server || (!cfg->agent_id && !cfg->agent_secret))
        return 0;
    const char *problem = !ut_auth_id_valid(cfg->agent_id) ? "bad or missing agent_id"
                                                           : ut_auth_secret_problem(cfg->agent_secret);
    if (problem) {
        log_error("rpc client %s: agent auth: %s", side->addr, problem);
        return -1;
    }
    side->agent_id = strdup(cfg->agent_id);
    side->agent_secret = strdup(cfg->agent_secret);
    return side->agent_id && side->agent_secret ? 0 : -1;
}

static void ut_rpc_side_free(ut_rpc_side *side)
{
    if (side->agent_secret)
        OPENSSL_cleanse(side->agent_secret, strlen(side->agent_secret));
    free(side->agent_secret);
    free(side->agent_id);
    ut_auth_table_free(side->agents);
    nw_tls_ctx_free(side->tls);
    free(side->addr);
}

/* Fills side from cfg with defaults. Returns 0 or -1 (side_free cleans up). */
static int ut_rpc_side_init(ut_rpc_side *side, struct ev_loop *loop, const ut_rpc_cfg *cfg,
                            const ut_rpc_handlers *h, void *udata, bool server)
{
    side->loop = loop;
    if (h)
        side->h = *h;
    side->udata = udata;
    side->heartbeat = cfg->heartbeat > 0 ? cfg->heartbeat : UT_RPC_DEFAULT_HEARTBEAT;
    side->request_timeout = cfg->request_timeout > 0 ? cfg->request_timeout
                                                     : UT_RPC_DEFAULT_TIMEOUT;
    side->max_body = cfg->max_body ? cfg->max_body : UT_RPC_DEFAULT_MAX_BODY;
    side->wbuf_limit = cfg->wbuf_limit ? cfg->wbuf_limit : UT_RPC_DEFAULT_WBUF;
    side->auth_timeout = cfg->auth_timeout > 0 ? cfg->auth_timeout : side->request_timeout;
    side->addr = strdup(cfg->addr ? cfg->addr : "");
    return side->addr ? ut_rpc_side_secure(side, cfg, server) : -1;
}

/* nw's on_tls_error, both sides: the handshake failed. */
static void ut_rpc_nw_tls_error(nw_ses *ses, const char *why)
{
    nw_svr *svr = nw_ses_svr(ses);
    ut_rpc_clt *c;

    if (svr) {
        ut_rpc_svr *s = nw_svr_udata(svr);
        log_warn("rpc server %s: tls handshake with %s failed: %s", s->side.addr,
                 nw_ses_peer_str(ses), why);
        return;
    }
    c = nw_clt_udata(nw_ses_clt(ses));
    if (strcmp(c->tls_warned, why) == 0)
        return;                   /* the same as the last attempt: said already */
    snprintf(c->tls_warned, sizeof(c->tls_warned), "%s", why);
    log_warn("rpc client %s: tls handshake with %s failed: %s", c->side.addr,
             nw_ses_peer_str(ses), why);
}

/* ---- client ---- */

static void ut_rpc_clt_on_connect(nw_ses *ses, bool ok)
{
    ut_rpc_clt *c = nw_clt_udata(nw_ses_clt(ses));
    ut_rpc_link *l;

    if (!ok) {
        if (!c->connect_warned && !nw_ses_tls_error(ses))
            log_warn("rpc client %s: connect failed, retrying", c->side.addr);
        c->connect_warned = true;
        return;
    }
    c->connect_warned = false;
    c->tls_warned[0] = '\0';
    l = ut_rpc_link_new(&c->side, ses);
    if (!l) {
        nw_ses_close(ses, "out of memory");
        return;
    }
    l->clt = c;
    c->link = l;
    ut_rpc_link_start(l);
}

static const nw_handlers ut_rpc_clt_nw = {
    .decode = ut_rpc_nw_decode,
    .on_message = ut_rpc_nw_message,
    .on_connect = ut_rpc_clt_on_connect,
    .on_close = ut_rpc_nw_close,
    .on_tls_error = ut_rpc_nw_tls_error,
};

ut_rpc_clt *ut_rpc_clt_create(struct ev_loop *loop, const ut_rpc_cfg *cfg,
                              const ut_rpc_handlers *h, void *udata)
{
    ut_rpc_clt *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (ut_rpc_side_init(&c->side, loop, cfg, h, udata, false) != 0) {
        ut_rpc_side_free(&c->side);
        free(c);
        return NULL;
    }
    nw_clt_cfg ncfg = {
        .addr = c->side.addr,
        .max_msg = UT_RPC_HEADER_SIZE + c->side.max_body,
        .wbuf_limit = c->side.wbuf_limit,
        .tls = c->side.tls,
    };
    c->clt = nw_clt_create(loop, &ncfg, &ut_rpc_clt_nw, c);
    if (!c->clt) {
        log_error("rpc client: bad address '%s'", c->side.addr);
        ut_rpc_side_free(&c->side);
        free(c);
        return NULL;
    }
    return c;
}

int ut_rpc_clt_start(ut_rpc_clt *clt)
{
    return nw_clt_start(clt->clt);
}

void ut_rpc_clt_free(ut_rpc_clt *clt)
{
    if (!clt)
        return;
    nw_clt_free(clt->clt);    /* closes the session: the link goes down */
    ut_rpc_side_free(&clt->side);
    free(clt);
}

ut_rpc_link *ut_rpc_clt_link(ut_rpc_clt *clt)
{
    return ut_rpc_clt_up(clt) ? clt->link : NULL;
}

bool ut_rpc_clt_up(const ut_rpc_clt *clt)
{
    const ut_rpc_link *l = clt->link;
    return l && l->up && !l->closing && !l->down;
}

/* ---- server ---- */

static bool ut_rpc_svr_allowed(const ut_rpc_svr *s, const char *host)
{
    if (!s->allow)
        return true;
    for (char **a = s->allow; *a; a++) {
        if (strcmp(*a, host) == 0)
            return true;
    }
    return false;
}

static void ut_rpc_svr_on_accept(nw_ses *ses)
{
    ut_rpc_svr *s = nw_svr_udata(nw_ses_svr(ses));
    char host[128];
    ut_rpc_link *l;

    nw_addr_host(&ses->peer, host, sizeof(host));
    if (!ut_rpc_svr_allowed(s, host)) {
        log_warn("rpc server %s: peer %s is not in the allow list, closing", s->side.addr,
                 nw_ses_peer_str(ses));
        nw_ses_close(ses, "not allowed");
        return;
    }
    l = ut_rpc_link_new(&s->side, ses);
    if (!l) {
        nw_ses_close(ses, "out of memory");
        return;
    }
    l->svr = s;
    ut_rpc_link_start(l);
}

static const nw_handlers ut_rpc_svr_nw = {
    .decode = ut_rpc_nw_decode,
    .on_message = ut_rpc_nw_message,
    .on_accept = ut_rpc_svr_on_accept,
    .on_close = ut_rpc_nw_close,
    .on_tls_error = ut_rpc_nw_tls_error,
};

static void ut_rpc_allow_free(char **allow)
{
    if (!allow)
        return;
    for (char **a = allow; *a; a++)
        free(*a);
    free(allow);
}

/* NULL-terminated deep copy of the allow list (NULL stays NULL). */
static int ut_rpc_allow_copy(char ***out, const char **allow)
{
    size_t n = 0;

    *out = NULL;
    if (!allow)
        return 0;
    while (allow[n])
        n++;
    char **copy = calloc(n + 1, sizeof(*copy));
    if (!copy)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(copy[i] = strdup(allow[i]))) {
            ut_rpc_allow_free(copy);
            return -1;
        }
    }
    *out = copy;
    return 0;
}

ut_rpc_svr *ut_rpc_svr_create(struct ev_loop *loop, const ut_rpc_cfg *cfg,
                              const ut_rpc_handlers *h, void *udata)
{
    ut_rpc_svr *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    if (ut_rpc_side_init(&s->side, loop, cfg, h, udata, true) != 0 ||
        ut_rpc_allow_copy(&s->allow, cfg->allow) != 0) {
        ut_rpc_side_free(&s->side);
        free(s);
        return NULL;
    }
    nw_svr_cfg ncfg = {
        .bind = s->side.addr,
        .max_msg = UT_RPC_HEADER_SIZE + s->side.max_body,
        .wbuf_limit = s->side.wbuf_limit,
        .tls = s->side.tls,
    };
    s->svr = nw_svr_create(loop, &ncfg, &ut_rpc_svr_nw, s);
    if (!s->svr) {
        log_error("rpc server: bad bind address '%s'", s->side.addr);
        ut_rpc_allow_free(s->allow);
        ut_rpc_side_free(&s->side);
        free(s);
        return NULL;
    }
    return s;
}

int ut_rpc_svr_start(ut_rpc_svr *svr)
{
    if (nw_svr_start(svr->svr) != 0) {
        log_error("rpc server %s: cannot listen", svr->side.addr);
        return -1;
    }
    return 0;
}

void ut_rpc_svr_free(ut_rpc_svr *svr)
{
    if (!svr)
        return;
    nw_svr_free(svr->svr);    /* closes every session: links go down */
    ut_rpc_allow_free(svr->allow);
    ut_rpc_side_free(&svr->side);
    free(svr);
}

int ut_rpc_svr_port(const ut_rpc_svr *svr)
{
    nw_addr a;

    if (nw_svr_local_addr(svr->svr, &a) != 0)
        return -1;
    if (a.u.sa.sa_family == AF_INET)
        return ntohs(a.u.in4.sin_port);
    if (a.u.sa.sa_family == AF_INET6)
        return ntohs(a.u.in6.sin6_port);
    return -1;
}

size_t ut_rpc_svr_count(const ut_rpc_svr *svr)
{
    return svr->count;
}

typedef struct ut_rpc_foreach_ctx {
    void (*fn)(ut_rpc_link *link, void *arg);
    void *arg;
} ut_rpc_foreach_ctx;

static void ut_rpc_svr_foreach_ses(nw_ses *ses, void *arg)
{
    ut_rpc_foreach_ctx *ctx = arg;
    ut_rpc_link *l = ses->privdata;

    if (!l || !l->up || l->closing || l->down)
        return;
    ut_rpc_link_hold(l);
    ctx->fn(l, ctx->arg);
    ut_rpc_link_release(l);
}

void ut_rpc_svr_foreach(ut_rpc_svr *svr, void (*fn)(ut_rpc_link *link, void *arg), void *arg)
{
    ut_rpc_foreach_ctx ctx = {fn, arg};
    nw_svr_foreach(svr->svr, ut_rpc_svr_foreach_ses, &ctx);
}
