/* st_configure: what a miner may ask for: mining.configure (BIP310:
 * version rolling within the pool's mask, a minimum difficulty) and
 * mining.suggest_difficulty. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stratum/st_methods.h"
#include "stratum/st_out.h"
#include "stratum/st_sess.h"
#include "stratum/st_share.h"
#include "utils/ut_diff.h"
#include "utils/ut_log.h"

/* ---- mining.configure (BIP310) ---- */

static void st_cfg_version_rolling(st_conn *c, json_t *opts, json_t *result)
{
    json_t *jm = json_object_get(opts, "version-rolling.mask");
    json_t *jb = json_object_get(opts, "version-rolling.min-bit-count");
    uint32_t miner = 0xffffffffu, granted;
    char hex[9];

    if (jm != NULL && (!json_is_string(jm) ||
                       st_hex_u32(json_string_value(jm), json_string_length(jm), &miner) != 0)) {
        json_object_set_new(result, "version-rolling", json_false());
        return;
    }
    granted = c->srv->cfg->version_mask & miner;
    /* min-bit-count, when given, is an integer 0..32 (BIP310). */
    if (jb != NULL && (!json_is_integer(jb) || json_integer_value(jb) < 0 ||
                       json_integer_value(jb) > 32))
        granted = 0;
    if (granted == 0 || (jb != NULL && json_integer_value(jb) > __builtin_popcount(granted))) {
        json_object_set_new(result, "version-rolling", json_false());
        return;
    }
    c->vmask = granted;
    snprintf(hex, sizeof(hex), "%08x", granted);
    json_object_set_new(result, "version-rolling", json_true());
    json_object_set_new(result, "version-rolling.mask", json_string(hex));
}

static void st_cfg_min_diff(st_conn *c, json_t *opts, json_t *result)
{
    json_t *v = json_object_get(opts, "minimum-difficulty.value");
    const st_vardiff_cfg *vc = &c->srv->cfg->vardiff;
    double d = json_is_number(v) ? json_number_value(v) : -1;

    if (!(d >= 0) || !isfinite(d)) {
        json_object_set_new(result, "minimum-difficulty", json_false());
        return;
    }
    /* 0 asks for no floor; anything else is kept within the pool's range. */
    c->floor = d > 0 ? ut_diff_clamp(d, vc->min, vc->max) : 0;
    if (c->diff < st_sess_floor(c))
        st_sess_set_diff(c, st_sess_floor(c));
    json_object_set_new(result, "minimum-difficulty", json_true());
}

void st_m_configure(st_conn *c, const st_req *req, const char *id, size_t idlen)
{
    json_t *exts = req->nparams > 0 ? req->params[0].json : NULL;
    json_t *opts = req->nparams > 1 ? req->params[1].json : NULL;
    json_t *result = json_object();
    char *text;
    size_t i;
    json_t *e;

    if (!req->params_array || !json_is_array(exts) || result == NULL) {
        json_decref(result);
        st_reply_error(c, id, idlen, ST_ERR_OTHER, "Malformed params");
        return;
    }
    json_array_foreach(exts, i, e) {
        const char *name = json_string_value(e);
        if (name == NULL)
            continue;
        if (strcmp(name, "version-rolling") == 0)
            st_cfg_version_rolling(c, opts, result);
        else if (strcmp(name, "minimum-difficulty") == 0)
            st_cfg_min_diff(c, opts, result);
        else
            json_object_set_new(result, name, json_false());
    }
    text = json_dumps(result, JSON_COMPACT);
    json_decref(result);
    if (text == NULL) {
        st_reply_error(c, id, idlen, ST_ERR_OTHER, "Out of memory");
        return;
    }
    st_reply_result(c, id, idlen, text, strlen(text));
    log_debug("configured: peer=%s conn=%llu version_mask=%08x floor=%g", c->peer,
             (unsigned long long)c->id, c->vmask, c->floor);
    free(text);
}

/* ---- mining.suggest_difficulty ---- */

/* A positive finite number from a number, a numeric string, or an array
 * whose first element is one. */
static int st_jv_number(const st_jv *v, double *out)
{
    char buf[72], *end;

    if (v->json != NULL && json_is_array(v->json)) {
        json_t *first = json_array_get(v->json, 0);
        st_jv inner = { .type = ST_JV_ABSENT };
        if (json_is_number(first)) {
            *out = json_number_value(first);
            return 0;
        }
        if (!json_is_string(first))
            return -1;
        inner.type = ST_JV_STRING;
        inner.p = json_string_value(first);
        inner.n = json_string_length(first);
        return st_jv_number(&inner, out);
    }
    if (v->type == ST_JV_NUMBER && v->json != NULL) {
        *out = json_number_value(v->json);
        return 0;
    }
    if ((v->type != ST_JV_NUMBER && v->type != ST_JV_STRING) || v->n == 0 || v->n >= sizeof(buf))
        return -1;
    memcpy(buf, v->p, v->n);
    buf[v->n] = '\0';
    *out = strtod(buf, &end);
    return *end == '\0' ? 0 : -1;
}

void st_m_suggest(st_conn *c, const st_req *req, const char *id, size_t idlen)
{
    double d;

    if (req->nparams < 1 || st_jv_number(&req->params[0], &d) != 0 || !(d > 0) || !isfinite(d)) {
        st_reply_error(c, id, idlen, ST_ERR_OTHER, "Invalid difficulty");
        return;
    }
    st_sess_set_diff(c, d);
    log_debug("suggest_difficulty: peer=%s conn=%llu asked=%g diff=%g", c->peer,
             (unsigned long long)c->id, d, c->diff);
    st_reply_true(c, id, idlen);
}
