/* bp_peer: framing, handshake, ping and reconnects of one P2P connection
 * (see bp_peer.h). Runs on the loop; nothing blocks. */
#include "bitpeer/bp_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <time.h>
#include "network/nw_clt.h"
#include "network/nw_timer.h"
#include "utils/ut_log.h"

struct bp_peer {
    struct ev_loop *loop;
    bp_peer_cfg cfg;
    char *addr;
    char *user_agent;
    bp_peer_handlers h;
    void *arg;
    nw_clt *clt;
    nw_timer hs_timer;
    nw_timer ping_timer;

    bool got_version, got_verack, ready;
    ut_p2p_version their;
    bool send_headers;
    bool cmpct_hb;
    int cmpct_version;
    uint64_t ping_nonce;           /* outstanding ping, 0: none */
    double ping_sent;
    double ping_ms;
    double ready_since;
    bp_peer_stats st;
    char last_error[96];
};

static uint64_t bp_rand64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != sizeof(v))
        v = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)&v << 16);
    return v ? v : 1;
}

int bp_peer_send(bp_peer *p, const char *cmd, const void *payload, size_t len)
{
    ut_bytes msg;
    ut_bytes_init(&msg);
    ut_p2p_msg(&msg, p->cfg.magic, cmd, payload, len);
    int rc = msg.oom ? -1 : bp_peer_send_raw(p, msg.data, msg.len, cmd);
    ut_bytes_free(&msg);
    return rc;
}

int bp_peer_send_raw(bp_peer *p, const void *msg, size_t len, const char *cmd)
{
    if (nw_clt_send(p->clt, msg, len) < 0) {
        log_warn("peer %s: cannot send %s (%zu bytes)", p->addr, cmd, len);
        return -1;
    }
    p->st.msgs_out++;
    p->st.bytes_out += len;
    return 0;
}

static void bp_peer_send_version(bp_peer *p)
{
    ut_p2p_version v = {.version = UT_P2P_PROTOCOL,
                        .services = UT_NODE_WITNESS | UT_NODE_NETWORK_LIMITED,
                        .timestamp = (int64_t)time(NULL), .recv_services = UT_NODE_NETWORK,
                        .nonce = bp_rand64(), .relay = false};
    nw_ses *ses = nw_clt_ses(p->clt);
    if (ses && ses->peer.u.sa.sa_family == AF_INET) {
        ut_p2p_ipv4_mapped((const uint8_t *)&ses->peer.u.in4.sin_addr, v.recv_ip);
        v.recv_port = ntohs(ses->peer.u.in4.sin_port);
    }
    snprintf(v.user_agent, sizeof(v.user_agent), "%s", p->user_agent);
    v.start_height = p->h.start_height ? p->h.start_height(p->arg) : 0;
    ut_bytes b;
    ut_bytes_init(&b);
    ut_p2p_version_put(&b, &v);
    bp_peer_send(p, "version", b.data, b.len);
    ut_bytes_free(&b);
}

static void bp_peer_close(bp_peer *p, const char *why)
{
    nw_ses *ses = nw_clt_ses(p->clt);
    if (ses)
        nw_ses_close(ses, why);
}

static void bp_peer_on_hs_timeout(nw_timer *t, void *privdata)
{
    bp_peer *p = privdata;
    if (!p->ready) {
        log_warn("peer %s: no handshake within %.3gs; reconnecting", p->addr,
                 p->cfg.handshake_timeout);
        bp_peer_close(p, "handshake timeout");
    }
}

static void bp_peer_on_ping(nw_timer *t, void *privdata)
{
    bp_peer *p = privdata;
    if (p->ping_nonce) {
        log_warn("peer %s: no pong within %.3gs; reconnecting", p->addr, p->cfg.ping_interval);
        bp_peer_close(p, "ping timeout");
        return;
    }
    uint8_t nonce[8];
    p->ping_nonce = bp_rand64();
    p->ping_sent = ev_time();
    ut_le64_put(nonce, p->ping_nonce);
    bp_peer_send(p, "ping", nonce, 8);
}

static void bp_peer_make_ready(bp_peer *p)
{
    p->ready = true;
    p->ready_since = ev_now(p->loop);
    p->st.connects++;
    nw_timer_stop(&p->hs_timer);
    nw_timer_start(&p->ping_timer);
    bp_peer_send(p, "sendheaders", NULL, 0);
    if (p->cfg.compact_hb) {
        ut_bytes b;
        ut_bytes_init(&b);
        ut_p2p_sendcmpct_put(&b, true, 2);
        bp_peer_send(p, "sendcmpct", b.data, b.len);
        ut_bytes_free(&b);
    }
    log_info("peer %s: ready, version %d services %llx agent %s height %d", p->addr,
             p->their.version, (unsigned long long)p->their.services, p->their.user_agent,
             p->their.start_height);
    if (p->h.on_ready)
        p->h.on_ready(p, p->arg);
}

static void bp_peer_on_version(bp_peer *p, const uint8_t *d, size_t n)
{
    if (p->got_version || ut_p2p_version_parse(d, n, &p->their) < 0) {
        log_warn("peer %s: bad or second version message; reconnecting", p->addr);
        bp_peer_close(p, "bad version");
        return;
    }
    p->got_version = true;
    bp_peer_send(p, "verack", NULL, 0);
    if (p->got_verack)
        bp_peer_make_ready(p);
}

static void bp_peer_on_sendcmpct(bp_peer *p, const uint8_t *d, size_t n)
{
    bool announce;
    uint64_t version;
    if (ut_p2p_sendcmpct_parse(d, n, &announce, &version) < 0 || version < 1 || version > 2)
        return;
    if ((int)version >= p->cmpct_version) {
        p->cmpct_version = (int)version;
        p->cmpct_hb = announce;
    }
}

static void bp_peer_on_pong(bp_peer *p, const uint8_t *d, size_t n)
{
    if (n != 8 || !p->ping_nonce || ut_le64_get(d) != p->ping_nonce)
        return;
    p->ping_ms = (ev_time() - p->ping_sent) * 1e3;
    p->ping_nonce = 0;
}

/* Messages the peer layer answers itself; true when handled. */
static bool bp_peer_own(bp_peer *p, const char *cmd, const uint8_t *d, size_t n)
{
    if (strcmp(cmd, "version") == 0) {
        bp_peer_on_version(p, d, n);
    } else if (strcmp(cmd, "verack") == 0) {
        p->got_verack = true;
        if (p->got_version && !p->ready)
            bp_peer_make_ready(p);
    } else if (strcmp(cmd, "ping") == 0) {
        if (n == 8)
            bp_peer_send(p, "pong", d, 8);
    } else if (strcmp(cmd, "pong") == 0) {
        bp_peer_on_pong(p, d, n);
    } else if (strcmp(cmd, "sendheaders") == 0) {
        p->send_headers = true;
    } else if (strcmp(cmd, "sendcmpct") == 0) {
        bp_peer_on_sendcmpct(p, d, n);
    } else {
        return false;
    }
    return true;
}

static int bp_peer_decode(nw_ses *ses, const void *data, size_t len)
{
    bp_peer *p = nw_clt_udata(nw_ses_clt(ses));
    ut_p2p_hdr h;
    long n = ut_p2p_frame(data, len, p->cfg.magic, p->cfg.max_message, &h);
    if (n < 0)
        log_warn("peer %s: bad message framing (magic, command or length); reconnecting",
                 p->addr);
    return n > INT32_MAX ? -1 : (int)n;
}

static void bp_peer_on_message(nw_ses *ses, const void *msg, size_t len)
{
    bp_peer *p = nw_clt_udata(nw_ses_clt(ses));
    ut_p2p_hdr h;
    if (ut_p2p_frame(msg, len, p->cfg.magic, p->cfg.max_message, &h) <= 0)
        return;
    const uint8_t *payload = (const uint8_t *)msg + UT_P2P_HDR_SIZE;
    p->st.msgs_in++;
    p->st.bytes_in += len;
    if (!ut_p2p_checksum_ok(&h, payload)) {
        p->st.bad_checksum++;
        log_warn("peer %s: bad checksum on %s; reconnecting", p->addr, h.cmd);
        nw_ses_close(ses, "bad checksum");
        return;
    }
    if (bp_peer_own(p, h.cmd, payload, h.len))
        return;
    if (p->ready && p->h.on_msg)
        p->h.on_msg(p, h.cmd, payload, h.len, p->arg);
}

static void bp_peer_reset(bp_peer *p)
{
    p->got_version = p->got_verack = p->ready = false;
    p->send_headers = p->cmpct_hb = false;
    p->cmpct_version = 0;
    p->ping_nonce = 0;
    p->ready_since = 0;
    memset(&p->their, 0, sizeof(p->their));
}

static void bp_peer_on_connect(nw_ses *ses, bool ok)
{
    bp_peer *p = nw_clt_udata(nw_ses_clt(ses));
    if (!ok) {
        const char *e = nw_clt_last_error(p->clt);
        if (strcmp(p->last_error, e ? e : "") != 0)
            log_warn("peer %s: connect failed: %s", p->addr, e ? e : "?");
        snprintf(p->last_error, sizeof(p->last_error), "%s", e ? e : "?");
        return;
    }
    bp_peer_reset(p);
    log_info("peer %s: connected, handshaking", p->addr);
    nw_timer_start(&p->hs_timer);
    bp_peer_send_version(p);
}

static void bp_peer_on_close(nw_ses *ses, const char *reason)
{
    bp_peer *p = nw_clt_udata(nw_ses_clt(ses));
    bool was_ready = p->ready;
    nw_timer_stop(&p->hs_timer);
    nw_timer_stop(&p->ping_timer);
    snprintf(p->last_error, sizeof(p->last_error), "%s", reason);
    if (!was_ready)
        nw_clt_backoff(p->clt);      /* accepted then dropped us: do not hammer it */
    log_warn("peer %s: disconnected (%s)%s", p->addr, reason,
             was_ready ? "" : " before the handshake; backing off");
    bp_peer_reset(p);
    if (was_ready && p->h.on_down)
        p->h.on_down(p, reason, p->arg);
}

bp_peer *bp_peer_create(struct ev_loop *loop, const bp_peer_cfg *cfg,
                        const bp_peer_handlers *h, void *arg)
{
    static const nw_handlers nh = {.decode = bp_peer_decode, .on_message = bp_peer_on_message,
                                   .on_connect = bp_peer_on_connect,
                                   .on_close = bp_peer_on_close};
    bp_peer *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->loop = loop;
    p->cfg = *cfg;
    p->addr = strdup(cfg->addr);
    p->user_agent = strdup(cfg->user_agent ? cfg->user_agent : "");
    p->cfg.addr = p->addr;
    p->cfg.user_agent = p->user_agent;
    p->h = *h;
    p->arg = arg;
    p->ping_ms = -1;
    nw_clt_cfg cc = {.addr = cfg->addr, .max_msg = cfg->max_message + UT_P2P_HDR_SIZE,
                     .wbuf_limit = 256u * 1024 * 1024, .reconnect_min = cfg->reconnect_min,
                     .reconnect_max = cfg->reconnect_max,
                     .connect_timeout = cfg->handshake_timeout};
    p->clt = p->addr && p->user_agent ? nw_clt_create(loop, &cc, &nh, p) : NULL;
    if (!p->clt) {
        bp_peer_free(p);
        return NULL;
    }
    nw_timer_set(&p->hs_timer, loop, cfg->handshake_timeout, false, bp_peer_on_hs_timeout, p);
    nw_timer_stop(&p->hs_timer);
    nw_timer_set(&p->ping_timer, loop, cfg->ping_interval, true, bp_peer_on_ping, p);
    nw_timer_stop(&p->ping_timer);
    return p;
}

int bp_peer_start(bp_peer *p)
{
    return nw_clt_start(p->clt);
}

void bp_peer_free(bp_peer *p)
{
    if (!p)
        return;
    nw_timer_stop(&p->hs_timer);
    nw_timer_stop(&p->ping_timer);
    p->h.on_down = NULL;
    if (p->clt)
        nw_clt_free(p->clt);
    free(p->addr);
    free(p->user_agent);
    free(p);
}

bool bp_peer_ready(const bp_peer *p) { return p->ready; }
const char *bp_peer_addr(const bp_peer *p) { return p->addr; }
int bp_peer_index(const bp_peer *p) { return p->cfg.index; }
bool bp_peer_wants_headers(const bp_peer *p) { return p->send_headers; }
bool bp_peer_compact_hb(const bp_peer *p) { return p->cmpct_hb; }
int bp_peer_compact_version(const bp_peer *p) { return p->cmpct_version; }
const ut_p2p_version *bp_peer_version(const bp_peer *p) { return &p->their; }
double bp_peer_ping_ms(const bp_peer *p) { return p->ping_ms; }
double bp_peer_ready_since(const bp_peer *p) { return p->ready_since; }
const char *bp_peer_last_error(const bp_peer *p) { return p->last_error; }
bp_peer_stats *bp_peer_stats_of(bp_peer *p) { return &p->st; }
