/* ut_meta_check: validation of a whole CMD_MW_BATCH body before metarelay
 * holds it or metawriter turns it into Redis writes (see ut_meta_check.h
 * for the limits and why they keep every sum finite). */
#include "utils/ut_meta_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_diff.h"

#define MC_TEXT_MAX 48            /* a bad value is quoted up to this many bytes */

/* What a record list is checked with. */
typedef int (*mc_rec_fn)(const json_t *rec, const char *list, size_t i, char *err,
                         size_t errlen);

bool ut_meta_num_ok(double v)
{
    return v >= 0 && v <= UT_META_NUM_MAX;         /* false for NaN */
}

bool ut_meta_minute_ok(int64_t t)
{
    return t >= UT_META_T_MIN && t <= UT_META_T_MAX && t % 60 == 0;
}

bool ut_meta_time_ok(double t)
{
    return t >= (double)UT_META_T_MIN && t <= (double)UT_META_T_MAX;
}

/* A JSON real as its shortest text, with ".0" when it looks integral (so
 * that "1.0 is not an integer" reads right). */
static void mc_real_text(double v, char *buf, size_t n)
{
    if (ut_fmt_double(v, buf, n) >= 0 && !strpbrk(buf, ".e"))
        snprintf(buf + strlen(buf), n - strlen(buf), ".0");
}

/* The JSON text of v, cut to MC_TEXT_MAX bytes; "(missing)" for NULL. */
static void mc_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_real(v)) {
        mc_real_text(json_real_value(v), buf, n);
        return;
    }
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (!s) {
        snprintf(buf, n, "%s", v ? "(unprintable)" : "(missing)");
        return;
    }
    if (strlen(s) > MC_TEXT_MAX)
        snprintf(buf, n, "%.*s...", MC_TEXT_MAX, s);
    else
        snprintf(buf, n, "%s", s);
    free(s);
}

/* Writes "<list>[i].<field>: <value> is not <what>" and returns -1. */
static int mc_fail(char *err, size_t errlen, const char *list, size_t i, const char *field,
                   const json_t *v, const char *what)
{
    char text[MC_TEXT_MAX + 8];
    mc_text(v, text, sizeof(text));
    snprintf(err, errlen, "%s[%zu].%s: %s is not %s", list, i, field, text, what);
    return -1;
}

/* "t": a unix minute in the sane range. */
static int mc_minute(const json_t *rec, const char *list, size_t i, char *err, size_t errlen)
{
    json_t *t = json_object_get(rec, "t");
    if (!json_is_integer(t) || !ut_meta_minute_ok((int64_t)json_integer_value(t)))
        return mc_fail(err, errlen, list, i, "t", t,
                       "a unix minute (a multiple of 60 in [1230768000, 7258118400])");
    return 0;
}

/* An optional integer: absent, or in [0, max] (what: its text). */
static int mc_int(const json_t *rec, const char *field, long long max, const char *what,
                  const char *list, size_t i, char *err, size_t errlen)
{
    json_t *v = json_object_get(rec, field);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return mc_fail(err, errlen, list, i, field, v, what);
    return 0;
}

/* An optional count: absent, or an integer in [0, UT_META_COUNT_MAX]. */
static int mc_count(const json_t *rec, const char *field, const char *list, size_t i,
                    char *err, size_t errlen)
{
    return mc_int(rec, field, UT_META_COUNT_MAX, "an integer in [0, 2^40]", list, i, err,
                  errlen);
}

/* An optional float sum: absent, or a number in [0, UT_META_NUM_MAX]. */
static int mc_num(const json_t *rec, const char *field, const char *list, size_t i,
                  char *err, size_t errlen)
{
    json_t *v = json_object_get(rec, field);
    if (!v)
        return 0;
    if (!json_is_number(v) || !ut_meta_num_ok(json_number_value(v)))
        return mc_fail(err, errlen, list, i, field, v, "a finite number in [0, 1e60]");
    return 0;
}

/* A string field, required or optional. */
static int mc_str(const json_t *rec, const char *field, bool required, const char *list,
                  size_t i, char *err, size_t errlen)
{
    json_t *v = json_object_get(rec, field);
    if ((v || required) && !json_is_string(v))
        return mc_fail(err, errlen, list, i, field, v, "a string");
    return 0;
}

static int mc_share(const json_t *rec, const char *list, size_t i, char *err, size_t errlen)
{
    if (mc_minute(rec, list, i, err, errlen) != 0 ||
        mc_str(rec, "user", true, list, i, err, errlen) != 0 ||
        mc_str(rec, "worker", true, list, i, err, errlen) != 0)
        return -1;
    if (mc_count(rec, "s", list, i, err, errlen) != 0 ||
        mc_count(rec, "r", list, i, err, errlen) != 0 ||
        mc_count(rec, "st", list, i, err, errlen) != 0)
        return -1;
    if (mc_num(rec, "p", list, i, err, errlen) != 0 ||
        mc_num(rec, "g", list, i, err, errlen) != 0)
        return -1;
    return 0;
}

static int mc_system(const json_t *rec, const char *list, size_t i, char *err, size_t errlen)
{
    static const char *counts[] = {"share", "reject", "stale", "block", "connections"};
    if (mc_minute(rec, list, i, err, errlen) != 0 || mc_num(rec, "pow", list, i, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        if (mc_count(rec, counts[k], list, i, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int mc_event(const json_t *rec, const char *list, size_t i, char *err, size_t errlen)
{
    static const char *strs[] = {"user", "worker", "peer", "event", "hash"};
    if (mc_str(rec, "type", true, list, i, err, errlen) != 0)
        return -1;
    for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++) {
        if (mc_str(rec, strs[k], false, list, i, err, errlen) != 0)
            return -1;
    }
    if (mc_int(rec, "height", UT_META_HEIGHT_MAX, "an integer in [0, 2^31 - 1]", list, i,
               err, errlen) != 0 ||
        mc_int(rec, "reward", UT_META_REWARD_MAX, "an integer in [0, 2.1e15]", list, i, err,
               errlen) != 0)
        return -1;
    return 0;
}

/* Every record of an optional list must be an object that fn accepts. */
static int mc_each(const json_t *root, const char *list, mc_rec_fn fn, char *err,
                   size_t errlen)
{
    json_t *arr = json_object_get(root, list);
    if (!arr)
        return 0;
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "%s: not an array", list);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *rec = json_array_get(arr, i);
        if (!json_is_object(rec)) {
            char text[MC_TEXT_MAX + 8];
            mc_text(rec, text, sizeof(text));
            snprintf(err, errlen, "%s[%zu]: %s is not an object", list, i, text);
            return -1;
        }
        if (fn(rec, list, i, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Writes "<field>: <value> is not <what>" and returns -1. */
static int mc_head_fail(char *err, size_t errlen, const char *field, const json_t *v,
                        const char *what)
{
    char text[MC_TEXT_MAX + 8];
    mc_text(v, text, sizeof(text));
    snprintf(err, errlen, "%s: %s is not %s", field, text, what);
    return -1;
}

static int mc_header(const json_t *root, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, "v");
    json_t *coin = json_object_get(root, "coin"), *host = json_object_get(root, "host");
    json_t *name = json_object_get(root, "coin_name"), *when = json_object_get(root, "time");
    ut_meta_ident id;
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return mc_head_fail(err, errlen, "v", v, "an integer >= 1");
    if (ut_meta_ident_parse(root, &id) != 0) {
        snprintf(err, errlen, "source/epoch/seq: missing or malformed");
        return -1;
    }
    if (!json_is_string(coin) || !*json_string_value(coin))
        return mc_head_fail(err, errlen, "coin", coin, "a non-empty string");
    if (!json_is_string(host) || !*json_string_value(host))
        return mc_head_fail(err, errlen, "host", host, "a non-empty string");
    if (name && !json_is_string(name))
        return mc_head_fail(err, errlen, "coin_name", name, "a string");
    if (when && (!json_is_integer(when) || json_integer_value(when) < 0 ||
                 json_integer_value(when) > UT_META_T_MAX))
        return mc_head_fail(err, errlen, "time", when, "an integer in [0, 7258118400]");
    return 0;
}

int ut_meta_body_check(const json_t *root, char *err, size_t errlen)
{
    if (!json_is_object(root)) {
        snprintf(err, errlen, "the body is not a JSON object");
        return -1;
    }
    if (mc_header(root, err, errlen) != 0 || mc_each(root, "shares", mc_share, err, errlen) != 0 ||
        mc_each(root, "system", mc_system, err, errlen) != 0 ||
        mc_each(root, "events", mc_event, err, errlen) != 0)
        return -1;
    return 0;
}

/* Replaces what is not printable ASCII (a parser's quote of raw input). */
static void mc_printable(char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
    }
}

json_t *ut_meta_body_load(const void *body, size_t len, ut_meta_ident *id, char *err,
                          size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (id && (!root || ut_meta_ident_parse(root, id) != 0))
        id->source[0] = '\0';
    if (!root) {
        snprintf(err, errlen, "not JSON (line %d, column %d): %s", jerr.line, jerr.column,
                 jerr.text);
        mc_printable(err);
        return NULL;
    }
    if (ut_meta_body_check(root, err, errlen) != 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

const char *ut_meta_body_id(const ut_meta_ident *id, char *buf, size_t n)
{
    if (!id->source[0]) {
        snprintf(buf, n, "(no identity)");
        return buf;
    }
    return ut_meta_ident_str(id, buf, n);
}
