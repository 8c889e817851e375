/* st_auth: the handshake: mining.subscribe (an extranonce1 from the
 * allocator) and mining.authorize (worker names, a difficulty in the
 * password). A session starts once it has both (st_sess_start). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stratum/st_methods.h"
#include "stratum/st_out.h"
#include "stratum/st_sess.h"
#include "stratum/st_share.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"

/* ---- mining.subscribe ---- */

/* Takes an extranonce1 for c; -1 (answered and closed) when none is left. */
static int st_take_en1(st_conn *c, const char *id, size_t idlen)
{
    st_server *srv = c->srv;

    if (c->has_en1)
        return 0;
    if (srv->en1.alloc(srv->en1.arg, c->en1, srv->cfg->en1_size, &c->en1_handle) != 0) {
        log_error("subscribe refused: peer=%s conn=%llu: extranonce1 space exhausted",
                  c->peer, (unsigned long long)c->id);
        st_reply_error(c, id, idlen, ST_ERR_OTHER, "Server full");
        st_conn_close(c, "extranonce1 space exhausted");
        return -1;
    }
    c->has_en1 = true;
    ut_hex_encode(c->en1, srv->cfg->en1_size, c->en1_hex);
    return 0;
}

void st_m_subscribe(st_conn *c, const st_req *req, const char *id, size_t idlen)
{
    st_server *srv = c->srv;
    char result[256];
    int n;

    if (st_take_en1(c, id, idlen) != 0)
        return;
    if (req->params_array && req->nparams > 0 && req->params[0].type == ST_JV_STRING)
        st_safe(req->params[0].p, req->params[0].n, c->agent, sizeof(c->agent));
    if (!c->subscribed) {
        c->subscribed = true;
        st_stat_add(&srv->stats->subscribed, 1);
    }
    n = snprintf(result, sizeof(result),
                 "[[[\"mining.set_difficulty\",\"%s\"],[\"mining.notify\",\"%s\"]],\"%s\",%zu]",
                 c->en1_hex, c->en1_hex, c->en1_hex, srv->cfg->en2_size);
    st_reply_result(c, id, idlen, result, (size_t)n);
    log_debug("subscribed: peer=%s conn=%llu en1=%s agent=\"%s\"", c->peer,
              (unsigned long long)c->id, c->en1_hex, c->agent);
    st_sess_start(c);
}

/* ---- mining.authorize ---- */

/* "user" or "user.worker" -> out. 0 or -1. */
static int st_parse_name(const char *s, size_t n, st_wname *out)
{
    const char *dot = memchr(s, '.', n);
    size_t ulen = dot ? (size_t)(dot - s) : n;
    size_t wlen = dot ? n - ulen - 1 : 0;

    if (!st_word_ok(s, ulen, 1, ST_NAME_MAX) ||
        (dot && !st_word_ok(dot + 1, wlen, 0, ST_NAME_MAX)))
        return -1;
    memset(out, 0, sizeof(*out));
    memcpy(out->full, s, n);
    memcpy(out->user, s, ulen);
    if (dot)
        memcpy(out->worker, dot + 1, wlen);
    return 0;
}

/* A password of "d=512" or "x,d=512": the difficulty the miner wants. */
static void st_password_diff(st_conn *c, const st_jv *pw)
{
    char buf[128], *item, *save = NULL;

    if (pw->type != ST_JV_STRING || pw->n >= sizeof(buf))
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
            st_sess_set_diff(c, d);
    }
}

/* Adds w to c's names (the sink hears of it at its first accepted share,
 * st_submit.c). 0, or -1 (answered, a junk strike) when it cannot be added. */
static int st_add_name(st_conn *c, const st_wname *w, const char *id, size_t idlen)
{
    static ut_log_rl rl;
    st_server *srv = c->srv;
    st_wname *grown;

    if (c->nnames >= srv->cfg->max_workers) {
        UT_LOG_LIMITED(&rl, st_now(srv), UT_LOG_INFO,
                       "authorize refused: peer=%s conn=%llu worker=%s: over %zu names",
                       c->peer, (unsigned long long)c->id, w->full, srv->cfg->max_workers);
        st_reply_error(c, id, idlen, ST_ERR_UNAUTH, "Too many workers");
        st_conn_strike(c, true);
        return -1;
    }
    grown = realloc(c->names, (c->nnames + 1) * sizeof(*grown));
    if (grown == NULL) {
        st_reply_error(c, id, idlen, ST_ERR_OTHER, "Out of memory");
        return -1;
    }
    c->names = grown;
    c->names[c->nnames++] = *w;
    st_stat_add(&srv->stats->workers, 1);
    log_debug("authorized: peer=%s conn=%llu worker=%s", c->peer, (unsigned long long)c->id,
              w->full);
    /* A name that did work on this server before (a reconnect) is active
     * at once; a new one waits for its first accepted share. */
    if (st_names_has(&srv->seen, w->full))
        st_conn_activate(c, &c->names[c->nnames - 1], false);
    return 0;
}

void st_m_authorize(st_conn *c, const st_req *req, const char *id, size_t idlen)
{
    static ut_log_rl rl;
    const st_jv *name = &req->params[0];
    st_wname w;
    char safe[80];

    if (!req->params_array || req->nparams < 1 || name->type != ST_JV_STRING ||
        st_parse_name(name->p, name->n, &w) != 0) {
        UT_LOG_LIMITED(&rl, st_now(c->srv), UT_LOG_INFO,
                       "authorize refused: peer=%s conn=%llu worker=\"%s\": invalid name",
                       c->peer, (unsigned long long)c->id,
                       name->type == ST_JV_STRING ? st_safe(name->p, name->n, safe, sizeof(safe))
                                                  : "");
        st_reply_error(c, id, idlen, ST_ERR_UNAUTH, "Invalid worker name");
        st_conn_strike(c, true);
        return;
    }
    if (st_conn_worker(c, name->p, name->n) == NULL && st_add_name(c, &w, id, idlen) != 0)
        return;
    if (req->nparams > 1)
        st_password_diff(c, &req->params[1]);
    st_reply_true(c, id, idlen);
    st_sess_start(c);
}
