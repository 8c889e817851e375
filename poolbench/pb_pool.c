/* pb_pool: one Stratum V1 client (see pb_pool.h). Lines of JSON; the
 * subscribe (id 1) and authorize (id 2) requests go out on connect, their
 * answers are noted, mining.notify is decoded, everything else ignored. */
#include "poolbench/pb_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_clt.h"
#include "network/nw_timer.h"
#include "utils/ut_log.h"

#define PB_LINE_MAX (64 * 1024)     /* a notify with a long merkle branch fits */

struct pb_pool {
    struct ev_loop *loop;
    const pb_pool_cfg *cfg;
    nw_clt *clt;
    nw_timer idle;
    double idle_timeout;
    double last_rx;
    bool stopping;              /* pb_pool_free has begun */
    pb_pool_notify_cb cb;
    void *arg;
    pb_pool_stats st;
};

/* One line: the bytes up to and including '\n'. */
static int pb_pool_decode(nw_ses *ses, const void *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    if (nl)
        return (int)(nl - (const char *)data) + 1;
    return len >= PB_LINE_MAX ? -1 : 0;
}

static void pb_pool_error(pb_pool *p, const char *what)
{
    snprintf(p->st.last_error, sizeof(p->st.last_error), "%s", what);
}

static void pb_pool_on_notify(pb_pool *p, const json_t *params, double t0)
{
    ut_snotify n;
    char err[160];
    if (ut_snotify_parse(params, &n, err, sizeof(err)) < 0) {
        p->st.bad_notifies++;
        pb_pool_error(p, err);
        log_warn("pool %s: bad mining.notify: %s", p->cfg->name, err);
        return;
    }
    p->st.notifies++;
    p->st.height = n.height;
    memcpy(p->st.prev_hex, n.prev_hex, sizeof(p->st.prev_hex));
    p->st.last_notify = t0;
    log_debug("pool %s: notify job=%s height=%u prev=%s clean=%d branch=%zu", p->cfg->name,
              n.job_id, n.height, n.prev_hex, n.clean, n.branch_count);
    p->cb(p, &n, t0, p->arg);
}

/* An answer to our subscribe (1) or authorize (2). */
static void pb_pool_on_answer(pb_pool *p, nw_ses *ses, const json_t *msg)
{
    json_int_t id = json_integer_value(json_object_get(msg, "id"));
    json_t *result = json_object_get(msg, "result");
    bool ok = result && !json_is_null(result) && !json_is_false(result);
    if (id == 1) {
        p->st.subscribed = ok;
        if (!ok)
            log_warn("pool %s: mining.subscribe refused", p->cfg->name);
    } else if (id == 2) {
        p->st.authorized = ok;
        if (ok) {
            log_info("pool %s: authorized as %s", p->cfg->name, p->cfg->user);
        } else {
            pb_pool_error(p, "mining.authorize refused");
            log_warn("pool %s: mining.authorize refused for %s", p->cfg->name, p->cfg->user);
            nw_clt_backoff(p->clt);
        }
    }
}

static void pb_pool_on_message(nw_ses *ses, const void *msg, size_t len)
{
    pb_pool *p = nw_clt_udata(nw_ses_clt(ses));
    double t0 = ev_time();
    p->last_rx = ev_now(p->loop);
    json_error_t jerr;
    json_t *o = json_loadb(msg, len, JSON_DISABLE_EOF_CHECK, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        if (len > 1)
            log_warn("pool %s: line is no JSON object", p->cfg->name);
        return;
    }
    const char *method = json_string_value(json_object_get(o, "method"));
    if (method && strcmp(method, "mining.notify") == 0)
        pb_pool_on_notify(p, json_object_get(o, "params"), t0);
    else if (!method)
        pb_pool_on_answer(p, ses, o);
    json_decref(o);
}

static void pb_pool_send_hello(pb_pool *p)
{
    json_t *sub = json_pack("{s:i, s:s, s:[s]}", "id", 1, "method", "mining.subscribe",
                            "params", "headframe-poolbench/0.1");
    json_t *auth = json_pack("{s:i, s:s, s:[s, s]}", "id", 2, "method", "mining.authorize",
                             "params", p->cfg->user, p->cfg->password);
    char *a = sub ? json_dumps(sub, JSON_COMPACT) : NULL;
    char *b = auth ? json_dumps(auth, JSON_COMPACT) : NULL;
    char line[1024];
    int n = a && b ? snprintf(line, sizeof(line), "%s\n%s\n", a, b) : -1;
    if (n < 0 || (size_t)n >= sizeof(line) || nw_clt_send(p->clt, line, (size_t)n) < 0)
        log_error("pool %s: cannot send subscribe/authorize", p->cfg->name);
    free(a);
    free(b);
    json_decref(sub);
    json_decref(auth);
}

static void pb_pool_on_connect(nw_ses *ses, bool ok)
{
    pb_pool *p = nw_clt_udata(nw_ses_clt(ses));
    if (!ok) {
        const char *e = nw_clt_last_error(p->clt);
        pb_pool_error(p, e ? e : "connect failed");
        log_warn("pool %s: cannot connect to %s: %s", p->cfg->name, p->cfg->addr,
                 e ? e : "?");
        return;
    }
    p->st.connects++;
    p->last_rx = ev_now(p->loop);
    log_info("pool %s: connected to %s", p->cfg->name, p->cfg->addr);
    pb_pool_send_hello(p);
}

static void pb_pool_on_close(nw_ses *ses, const char *reason)
{
    pb_pool *p = nw_clt_udata(nw_ses_clt(ses));
    p->st.subscribed = p->st.authorized = false;
    pb_pool_error(p, reason);
    log_warn("pool %s: connection closed: %s", p->cfg->name, reason);
    if (p->st.notifies == 0 && !p->stopping)
        nw_clt_backoff(p->clt);       /* nothing useful came: do not hammer it */
}

static void pb_pool_on_idle(nw_timer *t, void *privdata)
{
    pb_pool *p = privdata;
    nw_ses *ses = nw_clt_ses(p->clt);
    if (ses && ev_now(p->loop) - p->last_rx > p->idle_timeout) {
        log_warn("pool %s: nothing for %.0f s: reconnecting", p->cfg->name, p->idle_timeout);
        nw_ses_close(ses, "idle timeout");
    }
}

pb_pool *pb_pool_create(struct ev_loop *loop, const pb_pool_cfg *cfg, double reconnect_min,
                        double reconnect_max, double idle_timeout, pb_pool_notify_cb cb,
                        void *arg)
{
    static const nw_handlers h = {.decode = pb_pool_decode, .on_message = pb_pool_on_message,
                                  .on_connect = pb_pool_on_connect,
                                  .on_close = pb_pool_on_close};
    pb_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->loop = loop;
    p->cfg = cfg;
    p->cb = cb;
    p->arg = arg;
    p->idle_timeout = idle_timeout;
    nw_clt_cfg cc = {.addr = cfg->addr, .max_msg = PB_LINE_MAX,
                     .reconnect_min = reconnect_min, .reconnect_max = reconnect_max};
    p->clt = nw_clt_create(loop, &cc, &h, p);
    if (!p->clt) {
        free(p);
        return NULL;
    }
    if (idle_timeout > 0) {
        double every = idle_timeout / 4 < 1 ? idle_timeout / 4 : 1;
        nw_timer_set(&p->idle, loop, every, true, pb_pool_on_idle, p);
    }
    return p;
}

int pb_pool_start(pb_pool *p)
{
    return nw_clt_start(p->clt);
}

void pb_pool_free(pb_pool *p)
{
    if (!p)
        return;
    p->stopping = true;
    if (p->idle_timeout > 0)
        nw_timer_stop(&p->idle);
    nw_clt_free(p->clt);
    free(p);
}

const char *pb_pool_name(const pb_pool *p) { return p->cfg->name; }
bool pb_pool_up(const pb_pool *p) { return nw_clt_connected(p->clt); }
pb_pool_stats *pb_pool_stats_of(pb_pool *p) { return &p->st; }
