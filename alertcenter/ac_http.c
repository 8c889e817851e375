/* ac_http: /status and /metrics from the counters of alertcenter's parts. */
#include "alertcenter/ac_http.h"

#include <jansson.h>
#include "alertcenter/ac_health.h"
#include "alertcenter/ac_miner.h"
#include "utils/ut_metrics.h"

typedef struct ac_snap {
    ac_recv_stats r;
    ac_group_stats g;
    ac_mail_stats m;
    ac_store_stats s;
} ac_snap;

static void ac_snap_get(const ac_app *a, ac_snap *x)
{
    ac_recv_stats_get(a->recv, &x->r);
    ac_group_stats_get(a->grp, &x->g);
    ac_mail_stats_get(a->mail, &x->m);
    ac_store_stats_get(a->store, &x->s);
}

static json_t *ac_http_status(void *arg)
{
    ac_app *a = arg;
    ac_snap x;
    ac_snap_get(a, &x);
    json_t *o = json_pack("{s:f, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I}, "
                          "s:{s:I, s:I, s:I, s:I, s:I, s:f, s:s}, s:{s:b, s:I, s:I, s:I}}",
        "uptime", ev_now(a->loop) - a->started,
        "recv", "received", (json_int_t)x.r.received, "bad", (json_int_t)x.r.bad,
        "refused", (json_int_t)x.r.refused,
        "groups", "groups", (json_int_t)x.g.groups, "alerts", (json_int_t)x.g.alerts,
        "mailed", (json_int_t)x.g.mailed, "overflow", (json_int_t)x.g.overflow,
        "emitted", (json_int_t)a->emitted,
        "mail", "sent", (json_int_t)x.m.sent, "outbox", (json_int_t)x.m.outbox,
        "attempts_failed", (json_int_t)x.m.attempts_failed,
        "hooks_sent", (json_int_t)x.m.hooks_sent, "hooks_failed", (json_int_t)x.m.hooks_failed,
        "last_sent", x.m.last_sent, "last_error", x.m.last_error,
        "redis", "up", x.s.up != 0, "stored", (json_int_t)x.s.stored,
        "lost", (json_int_t)x.s.lost, "failures", (json_int_t)x.s.failures);
    if (o && a->health)
        json_object_set_new(o, "health", ac_health_status(a->health));
    if (o && a->miner)
        json_object_set_new(o, "miners", ac_miner_status(a->miner));
    return o;
}

static void ac_c(ut_metrics *m, const char *name, const char *help, double v)
{
    ut_metrics_add(m, name, "counter", help, NULL, v);
}

static void ac_g(ut_metrics *m, const char *name, const char *help, double v)
{
    ut_metrics_add(m, name, "gauge", help, NULL, v);
}

static char *ac_http_metrics(void *arg)
{
    ac_app *a = arg;
    ut_metrics m = {.prefix = "alertcenter_"};
    ac_snap x;
    ac_snap_get(a, &x);
    ac_c(&m, "alerts_received_total", "alert datagrams received and parsed", x.r.received);
    ac_c(&m, "alerts_bad_total", "datagrams that did not parse", x.r.bad);
    ac_c(&m, "alerts_refused_total", "datagrams from hosts not in recv.allow", x.r.refused);
    ac_c(&m, "alerts_emitted_total", "alerts of alertcenter's own (health, miners)",
         (double)a->emitted);
    ac_g(&m, "groups", "alert groups (recipient, key) known", (double)x.g.groups);
    ac_c(&m, "alerts_mailed_total", "alerts reported in composed mails", (double)x.g.mailed);
    ac_c(&m, "mails_sent_total", "mails the SMTP server accepted", (double)x.m.sent);
    ac_c(&m, "mail_attempts_failed_total", "SMTP attempts that failed",
         (double)x.m.attempts_failed);
    ac_g(&m, "mail_outbox", "mails waiting for delivery", (double)x.m.outbox);
    ac_c(&m, "webhooks_sent_total", "webhook posts accepted", (double)x.m.hooks_sent);
    ac_c(&m, "webhooks_failed_total", "webhook attempts that failed", (double)x.m.hooks_failed);
    ac_g(&m, "redis_up", "1 when the last Redis pipeline succeeded", x.s.up);
    ac_c(&m, "alerts_stored_total", "alerts written to Redis", (double)x.s.stored);
    ac_c(&m, "alerts_store_lost_total", "alerts not written to Redis", (double)x.s.lost);
    if (a->miner)
        ac_miner_metrics(a->miner, &m);
    return ut_metrics_end(&m);
}

ut_status *ac_http_start(ac_app *app)
{
    return ut_status_start(app->loop, app->cfg->http.bind,
                           (const char *const *)app->cfg->http.allow, ac_http_status,
                           ac_http_metrics, app);
}
