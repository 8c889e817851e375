/* bp_server: builds bitpeer's parts and carries messages between them:
 * P2P announcements -> bp_watch -> CMD_BP_TIP to jobmasters; CMD_BP_BLOCK
 * -> bp_push -> every peer; peers' requests -> bp_push. */
#include "bitpeer/bp_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bitpeer/bp_http.h"
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_sha256.h"

#define BP_MAX_HDRS UT_P2P_MAX_HEADERS

/* ---- to jobmasters ---- */

typedef struct bp_body {
    const char *s;
    size_t len;
} bp_body;

static void bp_push_one(ut_rpc_link *link, void *arg)
{
    const bp_body *b = arg;
    ut_rpc_push(link, CMD_BP_TIP, b->s, b->len);
}

static void bp_on_tip(const bp_tip *tip, void *from, const char *via, void *arg)
{
    bp_server *srv = arg;
    char hash[65], header[161], body[512];
    ut_hash_to_hex(tip->hash, hash);
    ut_hex_encode(tip->header, 80, header);
    const char *peer = from ? bp_peer_addr(from) : "";
    int n = snprintf(body, sizeof(body), "{\"v\":1,\"height\":%u,\"hash\":\"%s\",\"header\":"
                     "\"%s\",\"peer\":\"%s\",\"via\":\"%s\"}", tip->height, hash, header, peer,
                     via);
    bp_body b = {body, (size_t)n};
    ut_rpc_svr_foreach(srv->rpc, bp_push_one, &b);
    srv->st.tips_sent++;
    srv->st.last_tip_ms = (ev_time() - srv->msg_t0) * 1e3;
    log_notice("watch: new tip height=%u hash=%s from peer %s via %s; told %zu jobmaster(s) in "
               "%.3f ms", tip->height, hash, peer, via, ut_rpc_svr_count(srv->rpc),
               srv->st.last_tip_ms);
}

/* ---- P2P ---- */

static void bp_send_getheaders(bp_server *srv, bp_peer *peer, const uint8_t *stop)
{
    uint8_t loc[10][32];
    size_t n = bp_watch_locator(srv->watch, loc, 10);
    if (n == 0)
        return;                         /* no anchor yet: nothing to ask from */
    ut_bytes pl;
    ut_bytes_init(&pl);
    ut_p2p_getheaders_put(&pl, UT_P2P_PROTOCOL, (const uint8_t (*)[32])loc, n, stop);
    bp_peer_send(peer, "getheaders", pl.data, pl.len);
    ut_bytes_free(&pl);
}

/* One announced header; asks for the gap when its parent is unknown. */
static bool bp_header(bp_server *srv, bp_peer *peer, const uint8_t raw[80], const char *via)
{
    uint8_t hash[32];
    ut_header_hash(raw, hash);
    bp_push_seen(srv->push, peer, hash);
    int rc = bp_watch_header(srv->watch, raw, peer, via);
    if (rc == BP_HDR_BAD_POW) {
        srv->st.bad_pow++;
        log_warn("watch: peer %s sent a header above its own target (via %s)",
                 bp_peer_addr(peer), via);
    }
    return rc == BP_HDR_ORPHAN;
}

static void bp_on_headers(bp_server *srv, bp_peer *peer, const uint8_t *d, size_t n)
{
    static uint8_t hdrs[BP_MAX_HDRS][80];
    long count = ut_p2p_headers_parse(d, n, hdrs, BP_MAX_HDRS);
    if (count < 0) {
        log_warn("watch: peer %s: malformed headers (%zu bytes)", bp_peer_addr(peer), n);
        return;
    }
    bool orphan = false;
    for (long i = 0; i < count; i++)
        orphan |= bp_header(srv, peer, hdrs[i], "headers");
    if (count > 0)
        bp_peer_stats_of(peer)->tips_heard++;
    if (orphan) {
        srv->st.orphan_headers++;
        bp_send_getheaders(srv, peer, NULL);
    }
}

static void bp_on_inv(bp_server *srv, bp_peer *peer, const uint8_t *d, size_t n)
{
    static ut_p2p_inv items[UT_P2P_MAX_INV];
    long count = ut_p2p_inv_parse(d, n, items, UT_P2P_MAX_INV);
    for (long i = 0; i < count; i++) {
        if ((items[i].type & ~UT_INV_WITNESS_FLAG) != UT_INV_BLOCK)
            continue;
        bp_peer_stats_of(peer)->tips_heard++;
        bp_push_seen(srv->push, peer, items[i].hash);
        if (!bp_watch_known(srv->watch, items[i].hash))
            bp_send_getheaders(srv, peer, items[i].hash);   /* header in one round trip */
    }
}

static void bp_on_cmpct(bp_server *srv, bp_peer *peer, const uint8_t *d, size_t n)
{
    ut_p2p_cmpct c;
    if (ut_p2p_cmpct_parse(d, n, &c) < 0) {
        log_warn("watch: peer %s: malformed cmpctblock (%zu bytes)", bp_peer_addr(peer), n);
        return;
    }
    bp_peer_stats_of(peer)->tips_heard++;
    if (bp_header(srv, peer, c.header, "cmpctblock")) {
        srv->st.orphan_headers++;
        bp_send_getheaders(srv, peer, NULL);
    }
}

static void bp_on_msg(bp_peer *peer, const char *cmd, const uint8_t *d, size_t n, void *arg)
{
    bp_server *srv = arg;
    srv->msg_t0 = ev_time();
    if (strcmp(cmd, "headers") == 0)
        bp_on_headers(srv, peer, d, n);
    else if (strcmp(cmd, "inv") == 0)
        bp_on_inv(srv, peer, d, n);
    else if (strcmp(cmd, "cmpctblock") == 0)
        bp_on_cmpct(srv, peer, d, n);
    else if (strcmp(cmd, "block") == 0 && n >= 80)
        bp_header(srv, peer, d, "block");
    else if (strcmp(cmd, "getdata") == 0)
        bp_push_on_getdata(srv->push, peer, d, n);
    else if (strcmp(cmd, "getblocktxn") == 0)
        bp_push_on_getblocktxn(srv->push, peer, d, n);
    else if (strcmp(cmd, "getheaders") == 0)
        bp_push_on_getheaders(srv->push, peer, d, n);
}

static void bp_on_ready(bp_peer *peer, void *arg)
{
    bp_send_getheaders(arg, peer, NULL);   /* anything newer than what we know */
}

static int32_t bp_start_height(void *arg)
{
    bp_server *srv = arg;
    const bp_tip *t = bp_watch_best(srv->watch);
    return t ? (int32_t)t->height : 0;
}

/* ---- from jobmasters ---- */

static int bp_hash_field(const json_t *body, uint8_t hash[32])
{
    const char *s = json_string_value(json_object_get(body, "hash"));
    return s && strlen(s) == 64 ? ut_hash_from_hex(s, hash) : -1;
}

static void bp_on_block(bp_server *srv, ut_rpc_link *link, const json_t *body, double t0)
{
    const char *hex = json_string_value(json_object_get(body, "block"));
    json_int_t height = json_integer_value(json_object_get(body, "height"));
    size_t hexlen = hex ? strlen(hex) : 0, len = 0;
    uint8_t *raw = hexlen >= 162 && hexlen % 2 == 0 ? malloc(hexlen / 2) : NULL;
    char err[128] = "";
    if (!raw || ut_hex_decode_any(hex, hexlen, raw, hexlen / 2, &len) < 0 ||
        bp_push_block(srv->push, raw, len, (uint32_t)height, srv->peers, srv->peer_count, t0,
                      err, sizeof(err)) < 0) {
        srv->st.bad_requests++;
        log_error("push: bad CMD_BP_BLOCK from jobmaster %s: %s", ut_rpc_link_peer(link),
                  err[0] ? err : "block: expected hex of a serialized block");
    }
    free(raw);
}

static void bp_on_best(bp_server *srv, ut_rpc_link *link, const json_t *body)
{
    uint8_t hash[32];
    json_t *h = json_object_get(body, "height");
    if (bp_hash_field(body, hash) < 0 || !json_is_integer(h) || json_integer_value(h) < 0 ||
        json_integer_value(h) > INT32_MAX) {
        srv->st.bad_requests++;
        log_error("watch: bad CMD_BP_BEST from jobmaster %s", ut_rpc_link_peer(link));
        return;
    }
    bool first = bp_watch_best(srv->watch) == NULL;
    bp_watch_anchor(srv->watch, (uint32_t)json_integer_value(h), hash);
    if (first)                        /* now we can ask every peer what is newer */
        for (size_t i = 0; i < srv->peer_count; i++)
            if (bp_peer_ready(srv->peers[i]))
                bp_send_getheaders(srv, srv->peers[i], NULL);
}

static void bp_rpc_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    bp_server *srv = udata;
    double t0 = ev_time();
    json_error_t jerr;
    json_t *body = json_loadb(msg->body, msg->body_len, 0, &jerr);
    if (!json_is_object(body)) {
        srv->st.bad_requests++;
        log_error("rpc: jobmaster %s: command %04x with a body that is no JSON object",
                  ut_rpc_link_peer(link), msg->command);
    } else if (msg->command == CMD_BP_BLOCK) {
        bp_on_block(srv, link, body, t0);
    } else if (msg->command == CMD_BP_BEST) {
        bp_on_best(srv, link, body);
    } else {
        log_warn("rpc: jobmaster %s: unknown command %04x", ut_rpc_link_peer(link),
                 msg->command);
    }
    json_decref(body);
}

static void bp_rpc_on_up(ut_rpc_link *link, void *udata)
{
    log_info("rpc: jobmaster %s connected", ut_rpc_link_peer(link));
}

static void bp_rpc_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    log_warn("rpc: jobmaster %s gone: %s", ut_rpc_link_peer(link), reason);
}

/* ---- life cycle ---- */

static int bp_server_peers(bp_server *srv)
{
    const bp_config *cfg = srv->cfg;
    static const bp_peer_handlers ph = {.on_ready = bp_on_ready, .on_msg = bp_on_msg,
                                        .start_height = bp_start_height};
    srv->peers = calloc(cfg->peer_count, sizeof(bp_peer *));
    if (!srv->peers)
        return -1;
    for (size_t i = 0; i < cfg->peer_count; i++) {
        bp_peer_cfg pc = {.addr = cfg->peers[i], .index = (int)i, .magic = cfg->magic,
                          .max_message = cfg->max_message, .reconnect_min = cfg->reconnect_min,
                          .reconnect_max = cfg->reconnect_max,
                          .handshake_timeout = cfg->handshake_timeout,
                          .ping_interval = cfg->ping_interval, .compact_hb = cfg->compact_hb,
                          .user_agent = cfg->user_agent};
        srv->peers[i] = bp_peer_create(srv->loop, &pc, &ph, srv);
        if (!srv->peers[i] || bp_peer_start(srv->peers[i]) < 0) {
            log_fatal("peer %s: cannot start", cfg->peers[i]);
            return -1;
        }
        srv->peer_count = i + 1;
    }
    return 0;
}

static int bp_server_listen(bp_server *srv)
{
    const bp_config *cfg = srv->cfg;
    static const ut_rpc_handlers rh = {.on_msg = bp_rpc_on_msg, .on_up = bp_rpc_on_up,
                                       .on_down = bp_rpc_on_down};
    ut_rpc_cfg rc = {.addr = cfg->rpc.bind, .heartbeat = cfg->rpc_heartbeat,
                     .allow = (const char **)cfg->rpc.allow};
    srv->rpc = ut_rpc_svr_create(srv->loop, &rc, &rh, srv);
    if (!srv->rpc || ut_rpc_svr_start(srv->rpc) < 0) {
        log_fatal("rpc: cannot listen on %s", cfg->rpc.bind);
        return -1;
    }
    if (cfg->http.bind) {
        srv->http = bp_http_start(srv->loop, cfg->http.bind,
                                  (const char *const *)cfg->http.allow, srv);
        if (!srv->http) {
            log_fatal("http: cannot listen on %s", cfg->http.bind);
            return -1;
        }
    }
    return 0;
}

bp_server *bp_server_create(struct ev_loop *loop, const bp_config *cfg)
{
    bp_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->loop = loop;
    srv->cfg = cfg;
    srv->started = (double)time(NULL);
    srv->push = bp_push_create(loop, cfg->keep_blocks, cfg->peer_count, cfg->magic);
    srv->watch = bp_watch_create(cfg->known_headers, bp_on_tip, srv);
    if (!srv->push || !srv->watch || bp_server_listen(srv) < 0 || bp_server_peers(srv) < 0) {
        bp_server_free(srv);
        return NULL;
    }
    return srv;
}

void bp_server_free(bp_server *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < srv->peer_count; i++)
        bp_peer_free(srv->peers[i]);
    free(srv->peers);
    ut_status_free(srv->http);
    if (srv->rpc)
        ut_rpc_svr_free(srv->rpc);
    bp_push_free(srv->push);
    bp_watch_free(srv->watch);
    free(srv);
}

size_t bp_server_ready_peers(const bp_server *srv)
{
    size_t n = 0;
    for (size_t i = 0; i < srv->peer_count; i++)
        n += bp_peer_ready(srv->peers[i]);
    return n;
}

size_t bp_server_jobmasters(const bp_server *srv)
{
    return srv->rpc ? ut_rpc_svr_count(srv->rpc) : 0;
}
