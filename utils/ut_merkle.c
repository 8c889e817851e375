/* ut_merkle: merkle root and the coinbase's merkle branch.
 *
 * Bitcoin's tree: each level pairs neighbours and hashes them with
 * sha256d; a level of odd length pairs its last hash with itself. Level k
 * therefore has c[k] = ceil(c[k-1] / 2) nodes, and node i of level k is
 * H(node(k-1, 2i) || node(k-1, min(2i+1, c[k-1]-1))).
 *
 * Nodes are computed recursively from the leaves, so memory is O(depth)
 * on the stack and nothing is allocated. Every node is hashed once. */
#include <string.h>

#include "utils/ut_merkle.h"
#include "utils/ut_sha256.h"

#define MERKLE_MAX_LEVELS 65   /* enough for any size_t leaf count */

typedef struct merkle_tree {
    const uint8_t (*leaves)[32];
    size_t first;                      /* index of leaves[0] in level 0 */
    size_t count[MERKLE_MAX_LEVELS];   /* nodes per level */
    int levels;                        /* index of the root level */
} merkle_tree;

static void tree_init(merkle_tree *t, const uint8_t (*leaves)[32], size_t first, size_t n)
{
    t->leaves = leaves;
    t->first = first;
    t->count[0] = n;
    t->levels = 0;
    while (t->count[t->levels] > 1) {
        size_t c = t->count[t->levels];
        t->levels++;
        t->count[t->levels] = c / 2 + c % 2;
    }
}

static void hash_pair(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
    uint8_t buf[64];
    memcpy(buf, left, 32);
    memcpy(buf + 32, right, 32);
    ut_sha256d_64(buf, out);
}

/* Node i of level k. Level-0 nodes below t->first are never asked for. */
static void tree_node(const merkle_tree *t, int k, size_t i, uint8_t out[32])
{
    if (k == 0) {
        memcpy(out, t->leaves[i - t->first], 32);
        return;
    }
    uint8_t left[32], right[32];
    tree_node(t, k - 1, 2 * i, left);
    if (2 * i + 1 < t->count[k - 1])
        tree_node(t, k - 1, 2 * i + 1, right);
    else
        memcpy(right, left, 32);
    hash_pair(left, right, out);
}

void ut_merkle_root(const uint8_t (*hashes)[32], size_t n, uint8_t root[32])
{
    if (n == 0) {
        memset(root, 0, 32);
        return;
    }
    merkle_tree t;
    tree_init(&t, hashes, 0, n);
    tree_node(&t, t.levels, 0, root);
}

size_t ut_merkle_branch(const uint8_t (*txids)[32], size_t n, uint8_t (*branch)[32],
                        size_t max_steps)
{
    /* Level 0 is the coinbase (unknown, index 0) then txids at 1..n. The
     * sibling of the leftmost node at level k is node 1 of level k, whose
     * subtree never reaches leaf 0. */
    merkle_tree t;
    tree_init(&t, txids, 1, n + 1);
    size_t steps = (size_t)t.levels;
    if (steps > max_steps)
        return SIZE_MAX;
    for (int k = 0; k < t.levels; k++)
        tree_node(&t, k, 1, branch[k]);
    return steps;
}

void ut_merkle_fold(const uint8_t coinbase_txid[32], const uint8_t (*branch)[32],
                    size_t steps, uint8_t root[32])
{
    /* The running hash stays in the first half of the node being hashed. */
    uint8_t node[64];
    memcpy(node, coinbase_txid, 32);
    for (size_t i = 0; i < steps; i++) {
        memcpy(node + 32, branch[i], 32);
        ut_sha256d_64(node, node);
    }
    memcpy(root, node, 32);
}
