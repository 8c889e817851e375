/* ut_meta_check: the one check a CMD_MW_BATCH body (docs/protocol-bodies.md)
 * passes before anything of it is relayed, spooled or written to Redis.
 * Every number in a batch crossed a trust boundary (a gateway, a
 * mineragent in someone's farm, a disk), so a whole batch is refused when
 * any field is of the wrong type or out of range: never half applied,
 * never turned into inf, NaN, a negative count or a wrapped integer.
 *
 * Limits, and why no sum can overflow:
 * - counts (s, r, st, share, reject, stale, block, connections): JSON integers in
 *   [0, UT_META_COUNT_MAX = 2^40]. A body of ut_rpc's 16 MiB holds fewer
 *   than 2^20 records, so their sums stay below 2^60 (metawriter still
 *   checks every integer sum for overflow).
 * - float sums (p, g, pow): finite JSON numbers in [0, UT_META_NUM_MAX =
 *   1e60]. A share's difficulty is at most 2^128 (ut_diff.h), so 2^40 of
 *   them stay below 1e60; and no sum of records can reach the double range
 *   (1.8e308), so a batch (or a Redis field adding up batches) never
 *   becomes inf.
 * - t: a unix minute (a multiple of 60) in [UT_META_T_MIN, UT_META_T_MAX]
 *   (2009-01-01 .. 2200-01-01 UTC); "time", when present, an integer in
 *   [0, UT_META_T_MAX].
 * NaN, Infinity and numbers beyond the double range (1e999) are not JSON:
 * jansson refuses them while parsing (ut_meta_body_load). */
#ifndef UT_META_CHECK_H
#define UT_META_CHECK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utils/ut_meta.h"

#define UT_META_COUNT_MAX (1LL << 40)
#define UT_META_NUM_MAX 1e60
#define UT_META_T_MIN 1230768000LL      /* 2009-01-01 00:00:00 UTC */
#define UT_META_T_MAX 7258118400LL      /* 2200-01-01 00:00:00 UTC */
#define UT_META_HEIGHT_MAX 2147483647LL /* a block height: [0, 2^31 - 1] */
#define UT_META_REWARD_MAX 2100000000000000LL /* satoshis: [0, 21 M BTC] */

/* true when v is a finite number in [0, UT_META_NUM_MAX] (false for NaN). */
bool ut_meta_num_ok(double v);
/* true when t is a unix minute in [UT_META_T_MIN, UT_META_T_MAX]. */
bool ut_meta_minute_ok(int64_t t);
/* true when t (seconds, maybe fractional) is in [UT_META_T_MIN, UT_META_T_MAX]. */
bool ut_meta_time_ok(double t);

/* Checks a whole parsed batch body: the header ("v" an integer >= 1, the
 * identity, "coin"/"host" non-empty strings, "coin_name" a string when
 * present, "time" as above), every "shares" record (t; user and worker
 * strings; s, r, st counts; p, g float sums), every "system" record (t; pow a
 * float sum; share, reject, stale, block, connections counts) and every "events"
 * record (an object with a string "type"; user, worker, peer, event and
 * hash strings when present; height an integer in [0, UT_META_HEIGHT_MAX]
 * and reward one in [0, UT_META_REWARD_MAX] when present). Absent counts and sums are 0. Returns 0, or
 * -1 with the first problem in err, naming the field and its index, e.g.
 * "shares[3].p: -5 is not a finite number in [0, 1e60]". */
int ut_meta_body_check(const json_t *root, char *err, size_t errlen);

/* Parses body (duplicate keys are refused too) and checks it. Returns the
 * JSON (the caller json_decref's it), or NULL with the reason in err.
 * id, when not NULL, gets the batch identity whenever it can be read,
 * even from a body the check refuses; otherwise id->source is "". */
json_t *ut_meta_body_load(const void *body, size_t len, ut_meta_ident *id, char *err,
                          size_t errlen);

/* "source/epoch/seq" of id, or "(no identity)" when id->source is "". */
const char *ut_meta_body_id(const ut_meta_ident *id, char *buf, size_t n);

#endif
