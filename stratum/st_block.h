/* st_block: the CMD_JM_BLOCK_FOUND body of a block candidate
 * (docs/protocol-bodies.md), built the same way by every sender. The
 * coinbase carries en1 || en2 of the session; split says how many of
 * those bytes are the extranonce1 the receiver knows (the gateway: the
 * whole session extranonce1; a mineragent: only its own extranonce1 from
 * the gateway, the miner's prefix then leads the extranonce2). */
#ifndef ST_BLOCK_H
#define ST_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "stratum/st_sink.h"

#define ST_BLOCK_BODY_MAX 2048

/* Writes the body (NUL-terminated) into buf. Returns its length, or 0
 * when it does not fit or split is larger than the session extranonce1. */
size_t st_block_body(const st_block_ev *ev, size_t split, int gateway_id, const char *peer,
                     char *buf, size_t cap);

/* The verdict in a CMD_JM_BLOCK_FOUND reply (status, body). *taken: the node
 * took the block (the parent is extended: rationing, st_guard_done, uses
 * this). Returns whether it counts as found: taken and, when the reply says
 * so, the node's tip (a sibling earns nothing). why gets the reason of a
 * block that does not count (the reply's "reason" or "error"). */
bool st_block_verdict(uint32_t status, const void *body, size_t len, bool *taken, char *why,
                      size_t n);

#endif
