/* ut_target: difficulty <-> 256-bit target, compact nBits, hash checks.
 *
 * target = diff1 / difficulty with diff1 = 0xFFFF * 2^208. A double
 * difficulty is exactly m * 2^e (m a 53-bit integer), so the target is
 * floor(0xFFFF * 2^(208-e) / m): an exact integer division of a shifted
 * constant by a 64-bit number, done here on 64-bit limbs. That is exact
 * for every difficulty ut_diff_ok accepts, from 2^-32 (a target just under
 * 2^256) to 2^128; anything else gives no target at all. The reverse direction
 * (target -> difficulty) only needs a double, computed in long double.
 *
 * Targets and hashes are 32-byte little-endian numbers: byte 31 is the
 * most significant, as in a header hash straight out of sha256d. */
#include <math.h>
#include <string.h>

#include "utils/ut_diff.h"
#include "utils/ut_target.h"

#define LIMBS 6   /* 384-bit scratch numbers for the division */

/* Writes the low four limbs of x as 32 little-endian bytes. */
static void limbs_to_bytes(const uint64_t *x, uint8_t out[32])
{
    for (int i = 0; i < 32; i++)
        out[i] = (uint8_t)(x[i / 8] >> (8 * (i % 8)));
}

/* x = 0xFFFF << s (s < 64 * LIMBS - 16). */
static void diff1_shifted(uint64_t x[LIMBS], int s)
{
    memset(x, 0, LIMBS * sizeof(x[0]));
    x[s / 64] = (uint64_t)0xffff << (s % 64);
    if (s % 64 > 48)
        x[s / 64 + 1] = (uint64_t)0xffff >> (64 - s % 64);
}

/* x = floor(x / d) for d > 0. */
static void limbs_div(uint64_t x[LIMBS], uint64_t d)
{
    unsigned __int128 rem = 0;
    for (int i = LIMBS - 1; i >= 0; i--) {
        unsigned __int128 cur = rem << 64 | x[i];
        x[i] = (uint64_t)(cur / d);
        rem = cur % d;
    }
}

int ut_target_from_diff(double diff, uint8_t target[32])
{
    if (!ut_diff_ok(diff)) {           /* NaN, inf, <= 0, denormal, huge */
        memset(target, 0, 32);
        return -1;
    }
    int exp;
    double f = frexp(diff, &exp);      /* diff = f * 2^exp, 0.5 <= f < 1 */
    uint64_t m = (uint64_t)ldexp(f, 53);
    int s = 208 - (exp - 53);          /* target = 0xFFFF * 2^s / m; s < 294 */
    uint64_t x[LIMBS];
    diff1_shifted(x, s);
    limbs_div(x, m);
    if (x[4] || x[5]) {                /* cannot happen for diff >= 2^-32 */
        memset(target, 0, 32);
        return -1;
    }
    limbs_to_bytes(x, target);
    return 0;
}

/* The 256-bit number as a long double (rounded), one 64-bit limb at a time. */
static long double bytes_to_ld(const uint8_t n[32])
{
    long double v = 0;
    for (int i = 3; i >= 0; i--) {
        uint64_t limb = 0;
        for (int j = 7; j >= 0; j--)
            limb = limb << 8 | n[8 * i + j];
        v = v * 0x1p64L + (long double)limb;
    }
    return v;
}

double ut_target_to_diff(const uint8_t target[32])
{
    long double t = bytes_to_ld(target);
    if (t == 0)
        return INFINITY;
    long double diff1 = ldexpl(65535.0L, 208);
    return (double)(diff1 / t);
}

int ut_target_from_nbits(uint32_t nbits, uint8_t target[32])
{
    int size = (int)(nbits >> 24);
    uint32_t mant = nbits & 0x007fffff;
    memset(target, 0, 32);
    if (mant == 0 || (nbits & 0x00800000))
        return -1;                     /* zero or negative */
    if (size <= 3) {
        mant >>= 8 * (3 - size);
        if (mant == 0)
            return -1;
        for (int i = 0; i < 3; i++)
            target[i] = (uint8_t)(mant >> (8 * i));
        return 0;
    }
    /* mant occupies bytes size-3 .. size-1; everything must fit in 32. */
    for (int i = 0; i < 3; i++) {
        uint8_t b = (uint8_t)(mant >> (8 * i));
        int pos = size - 3 + i;
        if (pos >= 32) {
            if (b != 0) {
                memset(target, 0, 32);
                return -1;             /* overflow */
            }
            continue;
        }
        target[pos] = b;
    }
    return 0;
}

double ut_nbits_to_diff(uint32_t nbits)
{
    uint8_t target[32];
    if (ut_target_from_nbits(nbits, target) != 0)
        return 0.0;
    return ut_target_to_diff(target);
}

bool ut_hash_meets(const uint8_t hash[32], const uint8_t target[32])
{
    for (int i = 31; i >= 0; i--) {
        if (hash[i] != target[i])
            return hash[i] < target[i];
    }
    return true;
}

double ut_hash_to_diff(const uint8_t hash[32])
{
    return ut_target_to_diff(hash);
}
