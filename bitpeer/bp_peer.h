/* bp_peer: one outbound P2P connection to a node: TCP through nw_clt
 * (reconnects by itself with exponential backoff between reconnect_min
 * and reconnect_max; a connection that ends before its handshake counts
 * as a failed attempt), message framing and checksums, the handshake
 * (version -> verack both ways; then sendheaders and sendcmpct), ping/pong
 * with a round-trip time, and a timeout for each. Every other message of a
 * peer whose handshake is done goes to on_msg. */
#ifndef BP_PEER_H
#define BP_PEER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "utils/ut_p2p.h"

typedef struct bp_peer bp_peer;

typedef struct bp_peer_cfg {
    const char *addr;
    int index;                 /* its place in the peer list (per-peer arrays) */
    uint32_t magic;
    size_t max_message;
    double reconnect_min, reconnect_max;
    double handshake_timeout;
    double ping_interval;
    bool compact_hb;           /* send sendcmpct(1, 2) after the handshake */
    const char *user_agent;
} bp_peer_cfg;

typedef struct bp_peer_handlers {
    void (*on_ready)(bp_peer *p, void *arg);                    /* handshake done */
    void (*on_down)(bp_peer *p, const char *why, void *arg);    /* was ready, ended */
    void (*on_msg)(bp_peer *p, const char *cmd, const uint8_t *payload, size_t len,
                   void *arg);
    int32_t (*start_height)(void *arg);                         /* for our version */
} bp_peer_handlers;

typedef struct bp_peer_stats {
    uint64_t connects;         /* handshakes completed */
    uint64_t msgs_in, msgs_out;
    uint64_t bytes_in, bytes_out;
    uint64_t bad_checksum;
    uint64_t pushes;           /* found blocks announced or pushed to it */
    uint64_t cmpct_sent, headers_sent, inv_sent, blocks_sent, blocktxn_sent;
    uint64_t tips_heard;       /* block announcements from it */
    uint64_t echoes;           /* our pushed blocks it announced back */
    double last_echo_ms;       /* push -> its announcement, last one */
} bp_peer_stats;

bp_peer *bp_peer_create(struct ev_loop *loop, const bp_peer_cfg *cfg,
                        const bp_peer_handlers *h, void *arg);
int bp_peer_start(bp_peer *p);
void bp_peer_free(bp_peer *p);

/* Sends one message; -1 when not connected or over the output limit. */
int bp_peer_send(bp_peer *p, const char *cmd, const void *payload, size_t len);
/* Sends an already framed message (header and payload). */
int bp_peer_send_raw(bp_peer *p, const void *msg, size_t len, const char *cmd);

bool bp_peer_ready(const bp_peer *p);
const char *bp_peer_addr(const bp_peer *p);
int bp_peer_index(const bp_peer *p);
bool bp_peer_wants_headers(const bp_peer *p);      /* it sent sendheaders */
bool bp_peer_compact_hb(const bp_peer *p);         /* it asked for HB cmpctblock */
int bp_peer_compact_version(const bp_peer *p);     /* 0: none, 1 or 2 */
const ut_p2p_version *bp_peer_version(const bp_peer *p);   /* valid once ready */
double bp_peer_ping_ms(const bp_peer *p);          /* last round trip, -1: none yet */
double bp_peer_ready_since(const bp_peer *p);      /* ev_now of the handshake, 0: down */
const char *bp_peer_last_error(const bp_peer *p);
bp_peer_stats *bp_peer_stats_of(bp_peer *p);

#endif
