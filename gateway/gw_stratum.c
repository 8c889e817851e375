/* gw_stratum: Stratum V1 request handling and notifications (behaviour in
 * gw_stratum.h). mining.submit lives in gw_submit.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/gw_conn.h"
#include "gateway/gw_share.h"
#include "gateway/gw_stratum.h"
#include "gateway/gw_submit.h"
#include "utils/ut_diff.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

/* Copies at most n bytes of s into buf (size cap), printable ASCII only,
 * for log lines. */
static const char *gw_safe(const char *s, size_t n, char *buf, size_t cap)
{
    size_t j = 0;

    for (size_t i = 0; i < n && j + 1 < cap; i++)
        buf[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[j] = '\0';
    return buf;
}

double gw_stratum_floor(const gw_conn *c)
{
    const gw_vardiff_cfg *v = &c->srv->cfg->vardiff;
    double f = c->floor > v->min ? c->floor : v->min;

    return f < v->max ? f : v->max;
}

double gw_stratum_job_diff(const gw_conn *c, uint64_t job_seq)
{
    if (job_seq >= c->diff_seq)
        return c->diff;
    return c->prev_diff < c->diff ? c->prev_diff : c->diff;
}

static void gw_send_diff(gw_conn *c)
{
    char num[40], line[128];
    int n;

    if (ut_fmt_double(c->diff, num, sizeof(num)) < 0) {   /* a bug: never on the wire */
        log_error("set_difficulty not sent: peer=%s conn=%llu diff is not finite", c->peer,
                  (unsigned long long)c->id);
        return;
    }
    n = snprintf(line, sizeof(line),
                 "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[%s]}\n", num);
    gw_out(c, line, (size_t)n);
}

void gw_stratum_set_diff(gw_conn *c, double diff)
{
    diff = ut_diff_clamp(diff, gw_stratum_floor(c), c->srv->cfg->vardiff.max);
    if (diff == c->diff)
        return;
    if (!c->started) {
        c->diff = c->prev_diff = diff;
        return;
    }
    /* Keep the old difficulty for jobs sent under it, unless none was. */
    if (c->last_job_seq >= c->diff_seq)
        c->prev_diff = c->diff;
    c->diff = diff;
    c->diff_seq = c->srv->jobs.next_seq;
    gw_send_diff(c);
}

/* Sends job to c; the first job a connection gets is always clean. */
static void gw_send_job(gw_conn *c, const gw_job *job, bool force_clean)
{
    static const char f[] = "false]}\n";
    static const char t[] = "true]}\n";

    c->last_job_seq = job->seq;
    if (job->clean || !force_clean) {
        gw_out(c, job->notify, job->notify_len);
        return;
    }
    gw_out(c, job->notify, job->notify_len - (sizeof(f) - 1));
    gw_out(c, t, sizeof(t) - 1);
}

/* Subscribed and authorized: the first difficulty and job. */
static void gw_maybe_start(gw_conn *c)
{
    gw_job *job;

    if (c->started || !c->subscribed || c->nnames == 0)
        return;
    c->started = true;
    c->diff_seq = 0;
    gw_vardiff_reset(&c->vd, gw_now(c->srv));
    gw_send_diff(c);
    job = gw_job_store_current(&c->srv->jobs);
    if (job != NULL)
        gw_send_job(c, job, true);
}

void gw_stratum_notify_all(gw_server *srv, const gw_job *job)
{
    gw_conn *next;

    for (gw_conn *c = srv->conns; c != NULL; c = next) {
        next = c->next;
        if (c->started && !c->closing)
            gw_send_job(c, job, false);
    }
    gw_flush(srv);
}

void gw_stratum_reconnect_all(gw_server *srv)
{
    static const char line[] = "{\"id\":null,\"method\":\"client.reconnect\",\"params\":[]}\n";
    gw_conn *next;

    for (gw_conn *c = srv->conns; c != NULL; c = next) {
        next = c->next;
        if (!c->closing)
            gw_out(c, line, sizeof(line) - 1);
    }
    gw_flush(srv);
}

/* ---- mining.subscribe ---- */

static void gw_m_subscribe(gw_conn *c, const gw_req *req, const char *id, size_t idlen)
{
    gw_server *srv = c->srv;
    char result[256];
    int n;

    if (!c->has_en1) {
        if (gw_en1_alloc(&srv->en1, &c->en1_counter) != 0) {
            log_error("subscribe refused: peer=%s conn=%llu: extranonce1 space exhausted",
                      c->peer, (unsigned long long)c->id);
            gw_reply_error(c, id, idlen, GW_ERR_OTHER, "Server full");
            gw_conn_close(c, "extranonce1 space exhausted");
            return;
        }
        c->has_en1 = true;
        gw_en1_bytes(&srv->en1, c->en1_counter, c->en1, srv->cfg->en1_size);
        ut_hex_encode(c->en1, srv->cfg->en1_size, c->en1_hex);
    }
    if (req->params_array && req->nparams > 0 && req->params[0].type == GW_JV_STRING)
        gw_safe(req->params[0].p, req->params[0].n, c->agent, sizeof(c->agent));
    if (!c->subscribed) {
        c->subscribed = true;
        gw_stat_add(&srv->stats->subscribed, 1);
    }
    n = snprintf(result, sizeof(result),
                 "[[[\"mining.set_difficulty\",\"%s\"],[\"mining.notify\",\"%s\"]],\"%s\",%zu]",
                 c->en1_hex, c->en1_hex, c->en1_hex, srv->cfg->en2_size);
    gw_reply_result(c, id, idlen, result, (size_t)n);
    log_info("subscribed: peer=%s conn=%llu en1=%s agent=\"%s\"", c->peer,
             (unsigned long long)c->id, c->en1_hex, c->agent);
    gw_maybe_start(c);
}

/* ---- mining.authorize ---- */

static bool gw_name_part_ok(const char *s, size_t n, size_t min)
{
    if (n < min || n > GW_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* "user" or "user.worker" -> out. 0 or -1. */
static int gw_parse_name(const char *s, size_t n, gw_wname *out)
{
    const char *dot = memchr(s, '.', n);
    size_t ulen = dot ? (size_t)(dot - s) : n;
    size_t wlen = dot ? n - ulen - 1 : 0;

    if (!gw_name_part_ok(s, ulen, 1) || (dot && !gw_name_part_ok(dot + 1, wlen, 0)))
        return -1;
    memset(out, 0, sizeof(*out));
    memcpy(out->full, s, n);
    memcpy(out->user, s, ulen);
    if (dot)
        memcpy(out->worker, dot + 1, wlen);
    return 0;
}

/* A password of "d=512" or "x,d=512": the difficulty the miner wants. */
static void gw_password_diff(gw_conn *c, const gw_jv *pw)
{
    char buf[128], *item, *save = NULL;

    if (pw->type != GW_JV_STRING || pw->n >= sizeof(buf))
        return;
    memcpy(buf, pw->p, pw->n);
    buf[pw->n] = '\0';
    for (item = strtok_r(buf, ",; ", &save); item; item = strtok_r(NULL, ",; ", &save)) {
        char *end;
        double d;
        if (strncmp(item, "d=", 2) != 0)
            continue;
        d = strtod(item + 2, &end);
        if (end != item + 2 && *end == '\0' && d > 0 && isfinite(d))
            gw_stratum_set_diff(c, d);
    }
}

static const gw_wname *gw_find_name(const gw_conn *c, const char *s, size_t n)
{
    for (size_t i = 0; i < c->nnames; i++)
        if (strlen(c->names[i].full) == n && memcmp(c->names[i].full, s, n) == 0)
            return &c->names[i];
    return NULL;
}

static void gw_m_authorize(gw_conn *c, const gw_req *req, const char *id, size_t idlen)
{
    gw_server *srv = c->srv;
    const gw_jv *name = &req->params[0];
    gw_wname w, *grown;
    char safe[80];

    if (!req->params_array || req->nparams < 1 || name->type != GW_JV_STRING ||
        gw_parse_name(name->p, name->n, &w) != 0) {
        log_info("authorize refused: peer=%s conn=%llu worker=\"%s\": invalid name", c->peer,
                 (unsigned long long)c->id,
                 name->type == GW_JV_STRING ? gw_safe(name->p, name->n, safe, sizeof(safe)) : "");
        gw_reply_error(c, id, idlen, GW_ERR_UNAUTH, "Invalid worker name");
        return;
    }
    if (gw_find_name(c, name->p, name->n) == NULL) {
        if (c->nnames >= srv->cfg->max_workers) {
            gw_reply_error(c, id, idlen, GW_ERR_UNAUTH, "Too many workers");
            return;
        }
        grown = realloc(c->names, (c->nnames + 1) * sizeof(*grown));
        if (grown == NULL) {
            gw_reply_error(c, id, idlen, GW_ERR_OTHER, "Out of memory");
            return;
        }
        c->names = grown;
        c->names[c->nnames++] = w;
        gw_stat_add(&srv->stats->workers, 1);
        if (srv->meta != NULL) {
            ut_meta_event(srv->meta, w.user, w.worker, c->host, "connected");
            if (gw_names_add(&srv->seen, w.full) == 1)
                ut_meta_new_worker(srv->meta, w.user, w.worker);
        }
        log_info("authorized: peer=%s conn=%llu worker=%s", c->peer, (unsigned long long)c->id,
                 w.full);
    }
    if (req->nparams > 1)
        gw_password_diff(c, &req->params[1]);
    gw_reply_true(c, id, idlen);
    gw_maybe_start(c);
}

/* ---- mining.configure (BIP310) ---- */

static void gw_cfg_version_rolling(gw_conn *c, json_t *opts, json_t *result)
{
    json_t *jm = json_object_get(opts, "version-rolling.mask");
    json_t *jb = json_object_get(opts, "version-rolling.min-bit-count");
    uint32_t miner = 0xffffffffu, granted;
    char hex[9];

    if (jm != NULL && (!json_is_string(jm) ||
                       gw_hex_u32(json_string_value(jm), json_string_length(jm), &miner) != 0)) {
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

static void gw_cfg_min_diff(gw_conn *c, json_t *opts, json_t *result)
{
    json_t *v = json_object_get(opts, "minimum-difficulty.value");
    const gw_vardiff_cfg *vc = &c->srv->cfg->vardiff;
    double d = json_is_number(v) ? json_number_value(v) : -1;

    if (!(d >= 0) || !isfinite(d)) {
        json_object_set_new(result, "minimum-difficulty", json_false());
        return;
    }
    /* 0 asks for no floor; anything else is kept within the pool's range. */
    c->floor = d > 0 ? ut_diff_clamp(d, vc->min, vc->max) : 0;
    if (c->diff < gw_stratum_floor(c))
        gw_stratum_set_diff(c, gw_stratum_floor(c));
    json_object_set_new(result, "minimum-difficulty", json_true());
}

static void gw_m_configure(gw_conn *c, const gw_req *req, const char *id, size_t idlen)
{
    json_t *exts = req->nparams > 0 ? req->params[0].json : NULL;
    json_t *opts = req->nparams > 1 ? req->params[1].json : NULL;
    json_t *result = json_object();
    char *text;
    size_t i;
    json_t *e;

    if (!req->params_array || !json_is_array(exts) || result == NULL) {
        json_decref(result);
        gw_reply_error(c, id, idlen, GW_ERR_OTHER, "Malformed params");
        return;
    }
    json_array_foreach(exts, i, e) {
        const char *name = json_string_value(e);
        if (name == NULL)
            continue;
        if (strcmp(name, "version-rolling") == 0)
            gw_cfg_version_rolling(c, opts, result);
        else if (strcmp(name, "minimum-difficulty") == 0)
            gw_cfg_min_diff(c, opts, result);
        else
            json_object_set_new(result, name, json_false());
    }
    text = json_dumps(result, JSON_COMPACT);
    json_decref(result);
    if (text == NULL) {
        gw_reply_error(c, id, idlen, GW_ERR_OTHER, "Out of memory");
        return;
    }
    gw_reply_result(c, id, idlen, text, strlen(text));
    log_info("configured: peer=%s conn=%llu version_mask=%08x floor=%g", c->peer,
             (unsigned long long)c->id, c->vmask, c->floor);
    free(text);
}

/* ---- mining.suggest_difficulty ---- */

/* A positive finite number from a number, a numeric string, or an array
 * whose first element is one. */
static int gw_jv_number(const gw_jv *v, double *out)
{
    char buf[72], *end;

    if (v->json != NULL && json_is_array(v->json)) {
        json_t *first = json_array_get(v->json, 0);
        gw_jv inner = { .type = GW_JV_ABSENT };
        if (json_is_number(first)) {
            *out = json_number_value(first);
            return 0;
        }
        if (!json_is_string(first))
            return -1;
        inner.type = GW_JV_STRING;
        inner.p = json_string_value(first);
        inner.n = json_string_length(first);
        return gw_jv_number(&inner, out);
    }
    if (v->type == GW_JV_NUMBER && v->json != NULL) {
        *out = json_number_value(v->json);
        return 0;
    }
    if ((v->type != GW_JV_NUMBER && v->type != GW_JV_STRING) || v->n == 0 || v->n >= sizeof(buf))
        return -1;
    memcpy(buf, v->p, v->n);
    buf[v->n] = '\0';
    *out = strtod(buf, &end);
    return *end == '\0' ? 0 : -1;
}

static void gw_m_suggest(gw_conn *c, const gw_req *req, const char *id, size_t idlen)
{
    double d;

    if (req->nparams < 1 || gw_jv_number(&req->params[0], &d) != 0 || !(d > 0) || !isfinite(d)) {
        gw_reply_error(c, id, idlen, GW_ERR_OTHER, "Invalid difficulty");
        return;
    }
    gw_stratum_set_diff(c, d);
    log_info("suggest_difficulty: peer=%s conn=%llu asked=%g diff=%g", c->peer,
             (unsigned long long)c->id, d, c->diff);
    gw_reply_true(c, id, idlen);
}

/* ---- dispatch ---- */

static void gw_m_extranonce(gw_conn *c, const gw_req *req, const char *id, size_t idlen)
{
    (void)req;
    gw_reply_true(c, id, idlen);
}

typedef void (*gw_method_fn)(gw_conn *c, const gw_req *req, const char *id, size_t idlen);

static const struct {
    const char *name;
    gw_method_fn fn;
} gw_methods[] = {
    { "mining.submit", gw_submit },
    { "mining.subscribe", gw_m_subscribe },
    { "mining.authorize", gw_m_authorize },
    { "mining.configure", gw_m_configure },
    { "mining.suggest_difficulty", gw_m_suggest },
    { "mining.extranonce.subscribe", gw_m_extranonce },
};

void gw_stratum_dispatch(gw_conn *c, const gw_req *req)
{
    const char *id = "null";
    size_t idlen = 4;
    char safe[80];

    if (req->id.type != GW_JV_ABSENT) {
        id = req->id.p;
        idlen = req->id.n;
    }
    if (req->method.type == GW_JV_ABSENT && req->has_result)
        return;   /* a reply from the miner */
    for (size_t i = 0; i < sizeof(gw_methods) / sizeof(gw_methods[0]); i++) {
        if (gw_jv_is(&req->method, gw_methods[i].name)) {
            gw_methods[i].fn(c, req, id, idlen);
            return;
        }
    }
    log_info("unknown method: peer=%s conn=%llu method=\"%s\"", c->peer,
             (unsigned long long)c->id,
             req->method.type == GW_JV_STRING
                 ? gw_safe(req->method.p, req->method.n, safe, sizeof(safe)) : "");
    gw_reply_error(c, id, idlen, GW_ERR_OTHER, "Unknown method");
    gw_conn_strike(c, true);
}

void gw_stratum_line(gw_conn *c, const char *line, size_t len)
{
    gw_req req;
    json_t *root = NULL;
    json_error_t jerr;
    char idbuf[GW_REQ_MAX_ID + 16];

    if (!gw_req_parse_fast(line, len, &req)) {
        root = json_loadb(line, len, 0, &jerr);
        if (root == NULL || gw_req_from_json(root, &req, idbuf, sizeof(idbuf)) != 0) {
            gw_stat_add(&c->srv->stats->parse_errors, 1);
            log_warn("parse error: peer=%s conn=%llu worker=%s: %s", c->peer,
                     (unsigned long long)c->id, c->nnames ? c->names[0].full : "-",
                     root ? "not a JSON object" : jerr.text);
            json_decref(root);
            gw_reply_error(c, "null", 4, GW_ERR_OTHER, "Parse error");
            gw_conn_strike(c, true);
            return;
        }
    }
    gw_stratum_dispatch(c, &req);
    json_decref(root);
}
