/* ut_merkle: merkle root and the merkle branch of the coinbase (the
 * hashes a miner folds its coinbase txid with). Hashes are in internal
 * byte order (as they appear in serialized blocks). */
#ifndef UT_MERKLE_H
#define UT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

/* Root of n hashes (n >= 1; n == 0 gives 32 zero bytes). */
void ut_merkle_root(const uint8_t (*hashes)[32], size_t n, uint8_t root[32]);
/* Branch for leaf 0 given the n other transactions' txids (the coinbase
 * excluded). Writes up to 32 steps into branch; returns the step count
 * (0 when n == 0), or SIZE_MAX when more than max_steps would be needed
 * (never with max_steps 32 and n below 2^32). */
size_t ut_merkle_branch(const uint8_t (*txids)[32], size_t n, uint8_t (*branch)[32],
                        size_t max_steps);
/* Folds a coinbase txid with a branch into the root. */
void ut_merkle_fold(const uint8_t coinbase_txid[32], const uint8_t (*branch)[32],
                    size_t steps, uint8_t root[32]);

#endif
