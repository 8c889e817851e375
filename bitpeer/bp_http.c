/* bp_http: /status and /metrics from struct bp_server, on the loop thread. */
#include "bitpeer/bp_http.h"

#include <stdio.h>
#include <time.h>
#include "bitpeer/bp_server.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_metrics.h"

static json_t *bp_http_peer(bp_peer *p)
{
    const bp_peer_stats *st = bp_peer_stats_of(p);
    const ut_p2p_version *v = bp_peer_version(p);
    bool ready = bp_peer_ready(p);
    json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:b, s:b, s:i, s:f}", "addr", bp_peer_addr(p),
                          "ready", ready, "connects", (json_int_t)st->connects, "height",
                          (json_int_t)(ready ? v->start_height : 0), "sendheaders",
                          bp_peer_wants_headers(p), "compact_hb", bp_peer_compact_hb(p),
                          "compact_version", bp_peer_compact_version(p), "ping_ms",
                          bp_peer_ping_ms(p));
    json_object_set_new(o, "agent", json_string(ready ? v->user_agent : ""));
    json_object_set_new(o, "last_error", json_string(bp_peer_last_error(p)));
    json_t *push = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "pushes",
                             (json_int_t)st->pushes, "cmpct_sent", (json_int_t)st->cmpct_sent,
                             "headers_sent", (json_int_t)st->headers_sent, "inv_sent",
                             (json_int_t)st->inv_sent, "blocks_sent",
                             (json_int_t)st->blocks_sent, "blocktxn_sent",
                             (json_int_t)st->blocktxn_sent, "echoes", (json_int_t)st->echoes,
                             "tips_heard", (json_int_t)st->tips_heard, "last_echo_ms",
                             st->last_echo_ms);
    json_object_set_new(o, "push", push);
    json_object_set_new(o, "msgs_in", json_integer((json_int_t)st->msgs_in));
    json_object_set_new(o, "msgs_out", json_integer((json_int_t)st->msgs_out));
    return o;
}

static json_t *bp_http_best(const bp_server *srv)
{
    const bp_tip *t = bp_watch_best(srv->watch);
    if (!t)
        return json_null();
    char hash[65];
    ut_hash_to_hex(t->hash, hash);
    return json_pack("{s:I, s:s}", "height", (json_int_t)t->height, "hash", hash);
}

static json_t *bp_http_status(void *arg)
{
    bp_server *srv = arg;
    const bp_push_stats *ps = bp_push_get_stats(srv->push);
    json_t *peers = json_array();
    for (size_t i = 0; i < srv->peer_count; i++)
        json_array_append_new(peers, bp_http_peer(srv->peers[i]));
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I}", "module", "bitpeer", "network",
                          srv->cfg->network, "peers_ready",
                          (json_int_t)bp_server_ready_peers(srv), "jobmasters",
                          (json_int_t)bp_server_jobmasters(srv), "uptime",
                          (json_int_t)(time(NULL) - srv->started));
    json_object_set_new(o, "peers", peers);
    json_object_set_new(o, "best", bp_http_best(srv));
    json_object_set_new(o, "tips_sent", json_integer((json_int_t)srv->st.tips_sent));
    json_object_set_new(o, "last_tip_ms", json_real(srv->st.last_tip_ms));
    json_object_set_new(o, "push", json_pack("{s:I, s:I, s:s, s:f, s:f, s:i}", "blocks",
                                             (json_int_t)ps->blocks, "last_height",
                                             (json_int_t)ps->last_height, "last_hash",
                                             ps->last_hash, "last_wire_ms", ps->last_wire_ms,
                                             "max_wire_ms", ps->max_wire_ms, "last_peers",
                                             (int)ps->last_peers));
    return o;
}

static void bp_metric(ut_metrics *m, const char *name, const char *type, const char *help,
                      double v)
{
    ut_metrics_add(m, name, type, help, NULL, v);
}

/* One family with a sample per peer. */
static void bp_peer_family(ut_metrics *m, const bp_server *srv, const char *name,
                           const char *type, const char *help, size_t off)
{
    for (size_t i = 0; i < srv->peer_count; i++) {
        char labels[160];
        snprintf(labels, sizeof(labels), "peer=\"%s\"", bp_peer_addr(srv->peers[i]));
        const char *st = (const char *)bp_peer_stats_of(srv->peers[i]);
        double v = (double)*(const uint64_t *)(st + off);
        ut_metrics_add(m, name, i == 0 ? type : NULL, i == 0 ? help : NULL, labels, v);
    }
}

static char *bp_http_metrics(void *arg)
{
    bp_server *srv = arg;
    const bp_push_stats *ps = bp_push_get_stats(srv->push);
    ut_metrics m = {.prefix = "hf_bitpeer_"};
    bp_metric(&m, "peers", "gauge", "Configured P2P peers.", (double)srv->peer_count);
    bp_metric(&m, "peers_ready", "gauge", "Peers with a finished handshake.",
              (double)bp_server_ready_peers(srv));
    bp_metric(&m, "jobmasters", "gauge", "Connected jobmaster links.",
              (double)bp_server_jobmasters(srv));
    bp_metric(&m, "blocks_pushed_total", "counter", "Found blocks announced to the peers.",
              (double)ps->blocks);
    bp_metric(&m, "bad_blocks_total", "counter", "Found blocks that did not parse.",
              (double)ps->bad_blocks);
    bp_metric(&m, "getdata_served_total", "counter", "Kept blocks sent on getdata.",
              (double)ps->getdata_served);
    bp_metric(&m, "push_wire_seconds", "gauge", "Last block: received -> written to all peers.",
              ps->last_wire_ms / 1e3);
    bp_metric(&m, "tips_total", "counter", "New tips told to jobmasters.",
              (double)srv->st.tips_sent);
    bp_metric(&m, "tip_seconds", "gauge", "Last tip: P2P message read -> CMD_BP_TIP written.",
              srv->st.last_tip_ms / 1e3);
    bp_metric(&m, "orphan_headers_total", "counter", "Headers with an unknown parent.",
              (double)srv->st.orphan_headers);
    bp_metric(&m, "bad_pow_total", "counter", "Headers above their own target.",
              (double)srv->st.bad_pow);
    bp_peer_family(&m, srv, "peer_connects_total", "counter", "Handshakes completed.",
                   offsetof(bp_peer_stats, connects));
    bp_peer_family(&m, srv, "peer_pushes_total", "counter", "Found blocks announced to it.",
                   offsetof(bp_peer_stats, pushes));
    bp_peer_family(&m, srv, "peer_echoes_total", "counter",
                   "Pushed blocks it announced back.", offsetof(bp_peer_stats, echoes));
    bp_peer_family(&m, srv, "peer_tips_heard_total", "counter",
                   "Block announcements received from it.",
                   offsetof(bp_peer_stats, tips_heard));
    bp_metric(&m, "uptime_seconds", "gauge", "Seconds since start.",
              (double)(time(NULL) - srv->started));
    return ut_metrics_end(&m);
}

ut_status *bp_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         struct bp_server *srv)
{
    ut_status *s = ut_status_start(loop, bind, allow, bp_http_status, bp_http_metrics, srv);
    if (!s)
        log_error("bitpeer: cannot serve HTTP on %s", bind);
    return s;
}
