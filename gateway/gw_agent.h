/* gw_agent: the gateway's agent port, where mineragents from mining farms
 * hold their one link (ut_rpc over TLS, each agent authenticated by id and
 * secret: utils/ut_auth.h). Per agent link:
 *
 *   CMD_AG_HELLO        the agent says who it is; the reply gives its
 *                       extranonce1 (ff + its 3-byte num from agents.list,
 *                       the same on every gateway) and the extranonce2
 *                       size; then the current job is pushed.
 *   CMD_JM_JOB          every job from the jobmaster is pushed to every
 *                       agent that said HELLO, byte for byte as received.
 *   CMD_JM_BLOCK_FOUND  a block an agent's miner found: checked to carry
 *                       the agent's own extranonce1, stamped with this
 *                       gateway's id and relayed to the jobmaster; the
 *                       jobmaster's reply goes back to the agent.
 *   CMD_MW_BATCH        the agent's per-minute counts: checked (the batch
 *                       must be the agent's own: source "ag-<id>"; every
 *                       number: utils/ut_meta_check.h) and relayed to
 *                       agents.relay (metarelay); its answer goes back. The
 *                       gateway keeps nothing: the agent spools and resends,
 *                       metawriter applies each batch once.
 *
 * A second link from the same agent id replaces the first (a reconnect
 * after a half-open drop). Only worker 0 of a gateway listens. */
#ifndef GW_AGENT_H
#define GW_AGENT_H

#include <stddef.h>
#include "gateway/gw_server.h"

typedef struct gw_agent gw_agent;

/* NULL (logged) when the TLS files, the agent list or the address do not
 * work. */
gw_agent *gw_agent_create(gw_server *srv);
int gw_agent_start(gw_agent *ga);
void gw_agent_free(gw_agent *ga);

/* A job body from the jobmaster: kept as the current one and pushed. */
void gw_agent_job(gw_agent *ga, const void *body, size_t len);

/* Agents with a live, authenticated link. */
size_t gw_agent_count(const gw_agent *ga);

/* The extranonce1 of agent number num (size bytes, 4..8). */
void gw_agent_en1(uint32_t num, uint8_t *out, size_t size);

#endif
