/* ut_diff: the one place where a difficulty, wherever it comes from (a
 * miner's suggest_difficulty or password, mining.configure, vardiff, a
 * configuration file, a job body), becomes a number that target math may
 * use, and the one place that writes a double as text for a peer.
 *
 * Limits: target = diff1 / difficulty must stay a 256-bit number, so no
 * difficulty below UT_DIFF_MIN (2^-32: its target is 0xFFFF * 2^240, just
 * under 2^256) is ever used; UT_DIFF_MAX (2^128) is far above any real
 * network's difficulty. A difficulty outside [UT_DIFF_MIN, UT_DIFF_MAX],
 * NaN, an infinity or a denormal is never turned into a target. */
#ifndef UT_DIFF_H
#define UT_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#define UT_DIFF_MIN 0x1p-32
#define UT_DIFF_MAX 0x1p128

/* true when d is finite and within [UT_DIFF_MIN, UT_DIFF_MAX]. */
bool ut_diff_ok(double d);

/* A sane difficulty from any double: d clamped into [lo, hi] (both first
 * forced into [UT_DIFF_MIN, UT_DIFF_MAX], hi not below lo), then rounded
 * the way set_difficulty sends it (at or above 1 to an integer, below 1 to
 * three significant digits). NaN, zero and negatives give lo, +inf gives
 * hi. The result always satisfies ut_diff_ok and lo' <= result <= hi'. */
double ut_diff_clamp(double d, double lo, double hi);

/* Writes the shortest decimal text that reads back as exactly v (for
 * JSON, Redis and log lines); whole numbers below 1e17 as plain digits
 * ("1000", never "1e+03"). Returns the length, or -1 for NaN and the
 * infinities (buf then holds "") or when n is too small: a non-finite
 * number is never written. n >= 32 always fits. */
int ut_fmt_double(double v, char *buf, size_t n);

#endif
