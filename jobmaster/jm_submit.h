/* jm_submit: hands a found block to the node: submitblock (retried only
 * while the node is unreachable, UT_NODE_ERR_TRANSPORT, within attempts
 * and a deadline; the node's answer, a result string or an error object,
 * is final), then getbestblockhash to see whether the tip moved to it.
 * Both calls go on jm_node's urgent lane: never queued behind template
 * polls, never refused for a full queue. Never blocks the loop. */
#ifndef JM_SUBMIT_H
#define JM_SUBMIT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include "jobmaster/jm_found.h"
#include "jobmaster/jm_node.h"

typedef struct jm_submit jm_submit;

/* The node's verdict (v->hash and v->height as given to jm_submit_block). */
typedef void (*jm_submit_cb)(const jm_found_verdict *v, void *arg);

/* attempts: submitblock tries at most; retry_delay between tries; deadline:
 * no new try starts later than this many seconds after the first. */
jm_submit *jm_submit_create(struct ev_loop *loop, jm_node *node, int attempts,
                            double retry_delay, double deadline);
/* Blocks still in progress get their callback with accepted=false and
 * "jobmaster shutting down". Free the jm_node first. */
void jm_submit_free(jm_submit *s);

/* Queues raw (copied) for submission. Returns 0 (cb runs exactly once,
 * possibly before this returns), or -1 (cb will not run). */
int jm_submit_block(jm_submit *s, const char *hash_hex, uint32_t height, const uint8_t *raw,
                    size_t len, jm_submit_cb cb, void *arg);
size_t jm_submit_inflight(const jm_submit *s);

/* The node's submitblock result turned into (accepted, reason): null is
 * accepted; "duplicate" / "inconclusive" (Core) and "rejected: duplicate"
 * (bcoin) only when the block is the tip; anything else ("rejected: bad-txnmrklroot", "high-hash", or the
 * text of an error object, "node 127.0.0.1:8332: -22: Block decode
 * failed") is not. */
void jm_submit_judge(const char *result, bool is_tip, jm_found_verdict *v);

#endif
