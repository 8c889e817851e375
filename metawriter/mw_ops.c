/* mw_ops: CMD_MW_BATCH body -> Redis writes (see mw_ops.h and the
 * CMD_MW_BATCH section of docs/protocol-bodies.md for the key layout). */
#include "metawriter/mw_ops.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_diff.h"
#include "utils/ut_log.h"
#include "utils/ut_meta_check.h"

/* What the ops of one batch are built from. */
typedef struct mw_ctx {
    mw_ops *ops;
    const char *coin, *coin_name, *host;
    char why[200];            /* why a record could not be added ("" = out of memory) */
} mw_ctx;

#define MW_KEY_STACK 1024     /* merge keys up to this long are built on the stack */

/* Appends an op; NULL when out of memory (nothing appended then). */
static mw_op *mw_append(mw_ops *o, char kind, const char *key, const char *arg)
{
    if (nw_buf_reserve(&o->vbuf, sizeof(mw_op)) != 0)
        return NULL;
    o->v = (mw_op *)(void *)o->vbuf.data;
    mw_op *op = &o->v[o->n];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->key = strdup(key);
    op->arg = strdup(arg);
    if (!op->key || !op->arg) {
        free(op->key);
        free(op->arg);
        return NULL;
    }
    nw_buf_commit(&o->vbuf, sizeof(*op));
    o->n++;
    o->bytes += sizeof(*op) + strlen(key) + strlen(arg) + 2;
    return op;
}

/* An op that merges with an equal (kind, key, arg) earlier in the batch. */
static mw_op *mw_merge(mw_ops *o, char kind, const char *key, const char *arg)
{
    size_t kl = strlen(key), al = strlen(arg), len = 1 + kl + 1 + al;
    char stack[MW_KEY_STACK];
    char *k = len <= sizeof(stack) ? stack : malloc(len);
    if (!k)
        return NULL;
    k[0] = kind;
    memcpy(k + 1, key, kl + 1);
    memcpy(k + 2 + kl, arg, al);
    void *v = NULL;
    mw_op *op = NULL;
    int rc = ut_htab_put(&o->index, k, len, &v);
    if (rc == 0)
        op = &o->v[*(size_t *)v];
    else if (rc == 1 && (op = mw_append(o, kind, key, arg)) == NULL)
        ut_htab_del(&o->index, k, len);
    else if (rc == 1)
        *(size_t *)v = o->n - 1;
    if (k != stack)
        free(k);
    return op;
}

/* Adds v to the integer write (key, minute); a sum past int64 refuses the batch. */
static int mw_incr(mw_ctx *c, const char *key, int64_t minute, int64_t v)
{
    char field[24];
    snprintf(field, sizeof(field), "%" PRId64, minute);
    mw_op *op = mw_merge(c->ops, MW_OP_HINCRBY, key, field);
    if (!op)
        return -1;
    if (__builtin_add_overflow(op->ival, v, &op->ival)) {
        snprintf(c->why, sizeof(c->why), "%s field %s: the sum overflows a 64-bit integer",
                 key, field);
        return -1;
    }
    return 0;
}

/* Adds v to the float write (key, minute); a sum that is not finite refuses the batch. */
static int mw_incrf(mw_ctx *c, const char *key, int64_t minute, double v)
{
    char field[24];
    snprintf(field, sizeof(field), "%" PRId64, minute);
    mw_op *op = mw_merge(c->ops, MW_OP_ADDFLOAT, key, field);
    if (!op)
        return -1;
    double sum = op->fval + v;
    if (!isfinite(sum)) {
        snprintf(c->why, sizeof(c->why), "%s field %s: the sum is not a finite number", key,
                 field);
        return -1;
    }
    op->fval = sum;
    return 0;
}

static int mw_sadd(mw_ops *o, const char *key, const char *member)
{
    return mw_merge(o, MW_OP_SADD, key, member) ? 0 : -1;
}

static int mw_rpush(mw_ops *o, const char *key, const char *value)
{
    return mw_append(o, MW_OP_RPUSH, key, value) ? 0 : -1;
}

/* A name usable inside a key: no ':' (it would shift the key's parts) and
 * no control characters. */
static bool mw_name_ok(const char *s, bool may_be_empty)
{
    if (!s || (!*s && !may_be_empty) || strlen(s) > 256)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == ':' || *p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

/* The records passed ut_meta_body_check: a count is a JSON integer in
 * range, a sum a finite number in range, t a unix minute; absent is 0. */
static int64_t mw_int(json_t *rec, const char *name)
{
    json_t *v = json_object_get(rec, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

static double mw_num(json_t *rec, const char *name)
{
    json_t *v = json_object_get(rec, name);
    return json_is_number(v) ? json_number_value(v) : 0.0;
}

/* s/p/g/reject/stale of one key prefix ("<user>" or "<user>:<worker>").
 * Stale goes to <coin>:st:<who>, outside the <coin>:s:* names billing reads. */
static int mw_share_keys(mw_ctx *c, const char *who, int64_t t, int64_t s, double p,
                         double g, int64_t r, int64_t st)
{
    char skey[600], pkey[600], gkey[600], rkey[600], stkey[600];
    snprintf(skey, sizeof(skey), "%s:s:%s", c->coin, who);
    snprintf(pkey, sizeof(pkey), "%s:p:%s", c->coin, who);
    snprintf(gkey, sizeof(gkey), "%s:g:%s", c->coin, who);
    snprintf(rkey, sizeof(rkey), "%s:s:%s:reject", c->coin, who);
    snprintf(stkey, sizeof(stkey), "%s:st:%s", c->coin, who);
    if (s > 0 && (mw_incr(c, skey, t, s) || mw_incrf(c, pkey, t, p) || mw_incrf(c, gkey, t, g)))
        return -1;
    if (r > 0 && mw_incr(c, rkey, t, r))
        return -1;
    if (st > 0 && mw_incr(c, stkey, t, st))
        return -1;
    return 0;
}

static int mw_share_record(mw_ctx *c, json_t *rec)
{
    const char *user = json_string_value(json_object_get(rec, "user"));
    const char *worker = json_string_value(json_object_get(rec, "worker"));
    int64_t t = mw_int(rec, "t");
    if (!mw_name_ok(user, false) || !mw_name_ok(worker, true)) {
        log_error("batch %s: share record of user '%s' worker '%s' skipped (unusable name)",
                  c->ops->idstr, user, worker);
        return 0;
    }
    int64_t s = mw_int(rec, "s"), r = mw_int(rec, "r"), st = mw_int(rec, "st");
    double p = mw_num(rec, "p"), g = mw_num(rec, "g");
    int rc = mw_share_keys(c, user, t, s, p, g, r, st);
    if (rc == 0 && *worker) {
        char who[520];
        snprintf(who, sizeof(who), "%s:%s", user, worker);
        rc = mw_share_keys(c, who, t, s, p, g, r, st);
    }
    return rc;
}

/* One system key of one minute: pool-wide, per host, and the key sets.
 * The kind of write follows the key, never the JSON number's type: "pow"
 * is a float sum (MW_OP_ADDFLOAT), the counts are integers (HINCRBY). */
static int mw_system_key(mw_ctx *c, const char *name, int64_t t, json_t *v)
{
    char key[600], mkey[300];
    snprintf(mkey, sizeof(mkey), "%s:m:%s", c->coin, name);
    snprintf(key, sizeof(key), "%s:mh:%s:%s", c->coin, c->host, name);
    double f = json_number_value(v);
    int64_t n = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    int rc = strcmp(name, "pow") == 0 ? mw_incrf(c, mkey, t, f) || mw_incrf(c, key, t, f)
                                      : mw_incr(c, mkey, t, n) || mw_incr(c, key, t, n);
    snprintf(key, sizeof(key), "%s:mk:%s", c->coin, name);
    if (rc || mw_sadd(c->ops, key, c->host) || mw_sadd(c->ops, "monitor:keys", mkey))
        return -1;
    return 0;
}

static int mw_system_record(mw_ctx *c, json_t *rec)
{
    static const char *names[] = {"pow", "share", "reject", "stale", "block", "connections"};
    int64_t t = mw_int(rec, "t");
    int rc = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && rc == 0; i++) {
        json_t *v = json_object_get(rec, names[i]);
        if (v)
            rc = mw_system_key(c, names[i], t, v);
    }
    return rc;
}

static const char *mw_str(json_t *rec, const char *name)
{
    const char *s = json_string_value(json_object_get(rec, name));
    return s ? s : "";
}

/* The seed's event JSON, keys in the seed's order. */
static json_t *mw_event_json(mw_ctx *c, json_t *rec, const char *type)
{
    if (strcmp(type, "newblock") == 0) {
        /* height and reward (satoshis) only when the sender knew them:
         * the seed's four keys first, unchanged */
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", c->coin_name, "hash",
                              mw_str(rec, "hash"), "user", mw_str(rec, "user"), "worker",
                              mw_str(rec, "worker"));
        static const char *const extra[] = {"height", "reward"};
        for (int k = 0; k < 2 && o; k++) {
            json_t *v = json_object_get(rec, extra[k]);
            if (json_is_integer(v))
                json_object_set_new(o, extra[k], json_integer(json_integer_value(v)));
        }
        return o;
    }
    if (strcmp(type, "newevent") == 0)
        return json_pack("{s:s, s:s, s:s, s:s, s:s}", "user", mw_str(rec, "user"), "worker",
                         mw_str(rec, "worker"), "coin", c->coin_name, "peer",
                         mw_str(rec, "peer"), "event", mw_str(rec, "event"));
    if (strcmp(type, "newworker") == 0)
        return json_pack("{s:s, s:s, s:s}", "user", mw_str(rec, "user"), "worker",
                         mw_str(rec, "worker"), "coin", c->coin_name);
    return NULL;
}

static int mw_event_record(mw_ctx *c, json_t *rec)
{
    const char *type = mw_str(rec, "type");
    json_t *ev = mw_event_json(c, rec, type);
    if (!ev) {
        log_error("batch %s: event of unknown type '%s' skipped", c->ops->idstr, type);
        return 0;
    }
    char *text = json_dumps(ev, JSON_PRESERVE_ORDER);
    json_decref(ev);
    if (!text)
        return -1;
    int rc = mw_rpush(c->ops, type, text);
    free(text);
    return rc;
}

typedef int (*mw_rec_fn)(mw_ctx *c, json_t *rec);

static int mw_each(mw_ctx *c, json_t *root, const char *name, mw_rec_fn fn, char *err,
                   size_t errlen)
{
    json_t *arr = json_object_get(root, name);
    size_t i;
    json_t *rec;
    json_array_foreach(arr, i, rec) {
        if (fn(c, rec) != 0) {
            snprintf(err, errlen, "%s[%zu]: %s", name, i, c->why[0] ? c->why : "out of memory");
            return -1;
        }
        c->ops->records++;
    }
    return 0;
}

/* Fills the text of every increment. Returns 0, or -1 when a float sum
 * cannot be written (never sent to Redis as text such as "inf"). */
static int mw_ops_finish(mw_ops *o, char *err, size_t errlen)
{
    for (size_t i = 0; i < o->n; i++) {
        mw_op *op = &o->v[i];
        if (op->kind == MW_OP_HINCRBY) {
            snprintf(op->val, sizeof(op->val), "%" PRId64, op->ival);
        } else if (op->kind == MW_OP_ADDFLOAT &&
                   ut_fmt_double(op->fval, op->val, sizeof(op->val)) < 0) {
            snprintf(err, errlen, "%s field %s: the sum is not a finite number", op->key,
                     op->arg);
            return -1;
        }
    }
    return 0;
}

/* The checked header: the identity, and the coin and host as key parts. */
static int mw_header(json_t *root, mw_ctx *c, const char *coin, char *err, size_t errlen)
{
    if (ut_meta_ident_parse(root, &c->ops->id) != 0) {
        snprintf(err, errlen, "missing or bad source/epoch/seq");
        return -1;
    }
    ut_meta_ident_str(&c->ops->id, c->ops->idstr, sizeof(c->ops->idstr));
    c->coin = json_string_value(json_object_get(root, "coin"));
    c->coin_name = json_string_value(json_object_get(root, "coin_name"));
    c->host = json_string_value(json_object_get(root, "host"));
    if (!mw_name_ok(c->coin, false) || (coin && strcmp(coin, c->coin) != 0)) {
        snprintf(err, errlen, "coin '%s' is not this writer's coin '%s'",
                 c->coin ? c->coin : "(none)", coin ? coin : "");
        return -1;
    }
    if (!mw_name_ok(c->host, false)) {
        snprintf(err, errlen, "host '%s' cannot be part of a key (':', control characters"
                 " or over 256 bytes)", c->host);
        return -1;
    }
    if (!c->coin_name || !*c->coin_name)
        c->coin_name = c->coin;
    return 0;
}

mw_ops *mw_ops_from_body(const void *body, size_t len, const char *coin, ut_meta_ident *id,
                         char *err, size_t errlen)
{
    json_t *root = ut_meta_body_load(body, len, id, err, errlen);
    if (!root)
        return NULL;
    mw_ops *o = calloc(1, sizeof(*o));
    if (o) {
        nw_buf_init(&o->vbuf);
        ut_htab_init(&o->index, sizeof(size_t), 0);
    }
    mw_ctx c = {.ops = o};
    int rc = o ? mw_header(root, &c, coin, err, errlen) : -1;
    if (rc == 0)
        rc = mw_each(&c, root, "shares", mw_share_record, err, errlen);
    if (rc == 0)
        rc = mw_each(&c, root, "system", mw_system_record, err, errlen);
    if (rc == 0)
        rc = mw_each(&c, root, "events", mw_event_record, err, errlen);
    json_decref(root);
    if (rc == 0)
        rc = mw_ops_finish(o, err, errlen);
    if (rc != 0) {
        if (!o)
            snprintf(err, errlen, "out of memory");
        mw_ops_free(o);
        return NULL;
    }
    return o;
}

void mw_ops_free(mw_ops *ops)
{
    if (!ops)
        return;
    for (size_t i = 0; i < ops->n; i++) {
        free(ops->v[i].key);
        free(ops->v[i].arg);
    }
    nw_buf_free(&ops->vbuf);
    ut_htab_free(&ops->index);
    free(ops);
}
