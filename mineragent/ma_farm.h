/* ma_farm: the Stratum V1 server for the farm's miners (stratum/), with
 * the agent's extranonce layout: a miner's extranonce1 is the agent's own
 * extranonce1 from the gateway followed by a per-miner prefix (the rest of
 * the gateway's extranonce2 but 4 bytes), and the miner's extranonce2 is
 * those last 4 bytes. So every miner of every agent hashes its own work:
 * the gateway keeps agents apart by extranonce1, the agent its miners by
 * prefix (stratum/st_ids.h: never reused while a miner holds it).
 *
 * Shares are validated here and counted into ut_meta (per minute, per
 * user and worker); a share that is a block goes to ma_upstream at once.
 * The farm keeps working on the last job while the upstream link is down. */
#ifndef MA_FARM_H
#define MA_FARM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mineragent/ma_agent.h"
#include "stratum/st_server.h"

#define MA_MINER_EN2 4   /* extranonce2 bytes a farm miner rolls */

/* The farm server for an upstream extranonce1 of en1_size bytes and an
 * upstream extranonce2 of en2_size bytes (7..8: the prefix needs 3 bytes).
 * NULL (logged) when the layout does not work or listening fails. */
ma_farm *ma_farm_create(ma_agent *ag, const uint8_t *en1, size_t en1_size, size_t en2_size);
void ma_farm_free(ma_farm *f);

/* Whether the farm was made for this upstream layout. */
bool ma_farm_matches(const ma_farm *f, const uint8_t *en1, size_t en1_size, size_t en2_size);
/* A job from upstream. */
void ma_farm_job(ma_farm *f, const json_t *body);
/* Once a second. */
void ma_farm_sweep(ma_farm *f);
/* Every miner is told to reconnect (client.reconnect) and is closed. */
void ma_farm_reconnect_all(ma_farm *f);

st_server *ma_farm_server(ma_farm *f);
size_t ma_farm_upstream_en1_size(const ma_farm *f);

#endif
