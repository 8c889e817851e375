/* ut_target: difficulty <-> 256-bit target, compact nBits, and the
 * hash-vs-target compare. Targets and hashes are 32-byte little-endian
 * numbers (a header hash as sha256d outputs it). diff1 is
 * 0x00000000FFFF0000000000000000000000000000000000000000000000000000.
 * Fractional difficulties (below 1) work. */
#ifndef UT_TARGET_H
#define UT_TARGET_H

#include <stdbool.h>
#include <stdint.h>

/* Exact floor(diff1 / diff) for the double diff. Returns 0, or -1 with a
 * zero target (no hash meets it) when diff is not ut_diff_ok: NaN, an
 * infinity, zero, negative, below UT_DIFF_MIN or above UT_DIFF_MAX. So the
 * largest target it ever gives is that of UT_DIFF_MIN, 0xFFFF * 2^240. */
int ut_target_from_diff(double diff, uint8_t target[32]);
/* diff1 / target; INFINITY for a zero target. */
double ut_target_to_diff(const uint8_t target[32]);
/* nBits (compact) -> target as Bitcoin Core's SetCompact; returns -1 (and
 * a zero target) for a negative, zero or overflowing value. */
int ut_target_from_nbits(uint32_t nbits, uint8_t target[32]);
double ut_nbits_to_diff(uint32_t nbits);   /* 0.0 for invalid nBits */
/* true when hash <= target, both little-endian 256-bit numbers. */
bool ut_hash_meets(const uint8_t hash[32], const uint8_t target[32]);
/* Difficulty a hash achieves: diff1 / hash (as doubles; INFINITY for 0). */
double ut_hash_to_diff(const uint8_t hash[32]);

#endif
