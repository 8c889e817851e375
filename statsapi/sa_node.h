/* sa_node: the orphan check of found blocks. With a "node" section in the
 * config, a thread of its own (never the HTTP loop, never the Redis
 * refresh thread, so a slow node delays neither) asks the node about each
 * recent block (sa_block_due: the last SA_BLOCK_RECENT, younger than a
 * day, every node_interval seconds, until SA_BLOCK_FINAL confirmations):
 *   getblockheader <hash> true, then getblockhash <its height>
 * and writes what sa_block_judge makes of the answers into the store.
 * Blocks are checked one at a time, so 100 due blocks with a node that
 * times out take 100 timeouts per round: the limit of one thread. */
#ifndef SA_NODE_H
#define SA_NODE_H

#include "statsapi/sa_config.h"
#include "statsapi/sa_store.h"

typedef struct sa_node sa_node;

/* Starts the thread; NULL without a node section (nothing to do) or when
 * it cannot start (*failed set then). */
sa_node *sa_node_start(sa_store *st, const sa_config *cfg, bool *failed);
/* Stops the thread (within a second or the node timeout) and frees n. */
void sa_node_stop(sa_node *n);

#endif
