/* ma_upstream: the agent's one link to a gateway's agent port: TLS with
 * the gateway's certificate verified, agent id + secret authentication
 * (utils/ut_auth.h), then CMD_AG_HELLO for the agent's extranonce1. On it
 * travel the jobs (pushed by the gateway, once for the whole farm), found
 * blocks (sent at once, queued while no gateway is reachable) and the
 * accounting batches (ut_meta borrows the link).
 *
 * Failover: the gateways of upstream.gateways are tried in order; when the
 * current one has had no working link for upstream.failover_after seconds
 * the next is tried, round and round. Every gateway gives the agent the
 * same extranonce1 (its num in the gateways' agents.list), so miners keep
 * their work across a failover; if a gateway answers another one, every
 * miner is asked to reconnect. */
#ifndef MA_UPSTREAM_H
#define MA_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "mineragent/ma_agent.h"
#include "stratum/st_sink.h"

#define MA_MAX_BLOCKS 64     /* found blocks kept while no gateway is reachable */

typedef struct ma_upstream_stats {
    uint64_t links_up;         /* links that reached HELLO */
    uint64_t failovers;
    uint64_t jobs;
    uint64_t blocks_found, blocks_sent, blocks_accepted, blocks_rejected, blocks_skipped;
    uint64_t blocks_lost;
    uint64_t bytes_out, bytes_in;   /* of links that went down: ma_upstream_bytes */
} ma_upstream_stats;

ma_upstream *ma_upstream_create(ma_agent *ag);
int ma_upstream_start(ma_upstream *u);
/* Before start: the farm from the layout and job of the last run
 * (ma_state.h), when there is one. 0, or -1 when it cannot be used. */
int ma_upstream_restore(ma_upstream *u);
void ma_upstream_free(ma_upstream *u);

/* A block candidate from the farm: sent now, or queued. */
void ma_upstream_block(ma_upstream *u, const st_block_ev *ev);
/* Once a second: failover. */
void ma_upstream_tick(ma_upstream *u);

bool ma_upstream_up(const ma_upstream *u);
const char *ma_upstream_gateway(const ma_upstream *u);   /* the one in use */
const char *ma_upstream_en1_hex(const ma_upstream *u);   /* "" before the first HELLO */
size_t ma_upstream_queued(const ma_upstream *u);
const ma_upstream_stats *ma_upstream_stats_get(const ma_upstream *u);
/* Bytes of whole frames received and sent upstream since the start, over
 * every link (heartbeats, accounting batches and the TLS-less frame bytes;
 * TLS records add a few percent on the wire). */
void ma_upstream_bytes(const ma_upstream *u, uint64_t *in, uint64_t *out);

#endif
