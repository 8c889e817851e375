/* jm_submit: hands a found block to every configured node at once (one
 * jm_node per node, each with its own urgent lane): per node, submitblock
 * (retried only while that node is unreachable, UT_NODE_ERR_TRANSPORT,
 * within attempts and a deadline; the node's answer, a result string or an
 * error object, is final), then getbestblockhash on that node to see
 * whether its tip moved to the block. Never blocks the loop.
 *
 * The block counts accepted as soon as any node accepts it: the callback
 * runs at the first acceptance, or once every node has answered (or given
 * up) without one. The other nodes' submissions go on after an early
 * callback; each node's outcome is logged ("submit: hash=.. node=..") and
 * counted per node (jm_submit_node_stats). */
#ifndef JM_SUBMIT_H
#define JM_SUBMIT_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include "jobmaster/jm_found.h"
#include "jobmaster/jm_node.h"

#define JM_SUBMIT_MAX_NODES 16

typedef struct jm_submit jm_submit;

/* The verdict (v->hash and v->height as given to jm_submit_block). */
typedef void (*jm_submit_cb)(const jm_found_verdict *v, void *arg);

/* Per-node counts since start. */
typedef struct jm_submit_node_stats {
    char label[64];             /* "127.0.0.1:48332" */
    uint64_t submitted;         /* blocks handed to this node */
    uint64_t accepted;
    uint64_t rejected;          /* the node answered: not accepted */
    uint64_t unreachable;       /* gave up: the node never answered */
    double last_seconds;        /* last block: first submitblock -> this node's verdict */
} jm_submit_node_stats;

/* attempts: submitblock tries at most per node; retry_delay between tries;
 * deadline: no new try starts later than this many seconds after the
 * first. node (may be NULL) is the first node, labelled "node". */
jm_submit *jm_submit_create(struct ev_loop *loop, jm_node *node, int attempts,
                            double retry_delay, double deadline);
/* One more node every block goes to (at most JM_SUBMIT_MAX_NODES).
 * 0, or -1 when full. The jm_node stays the caller's. */
int jm_submit_add_node(jm_submit *s, jm_node *node, const char *label);
/* Blocks still in progress get their callback (if not given yet) with
 * accepted=false and "jobmaster shutting down". Free the jm_nodes first. */
void jm_submit_free(jm_submit *s);

/* Queues raw (copied) for submission to every node. Returns 0 (cb runs
 * exactly once, possibly before this returns), or -1 (cb will not run; also
 * when no node is configured). */
int jm_submit_block(jm_submit *s, const char *hash_hex, uint32_t height, const uint8_t *raw,
                    size_t len, jm_submit_cb cb, void *arg);
/* Blocks with at least one node still busy. */
size_t jm_submit_inflight(const jm_submit *s);
size_t jm_submit_node_count(const jm_submit *s);
const jm_submit_node_stats *jm_submit_node_stats_get(const jm_submit *s, size_t i);

/* The node's submitblock result turned into (accepted, reason): null is
 * accepted; "duplicate" / "inconclusive" (Core) and "rejected: duplicate"
 * (bcoin) only when the block is the tip; anything else ("rejected: bad-txnmrklroot", "high-hash", or the
 * text of an error object, "node 127.0.0.1:8332: -22: Block decode
 * failed") is not. */
void jm_submit_judge(const char *result, bool is_tip, jm_found_verdict *v);

#endif
