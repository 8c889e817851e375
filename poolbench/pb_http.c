/* pb_http: /status and /metrics from struct pb_server, on the loop thread. */
#include "poolbench/pb_http.h"

#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include "poolbench/pb_server.h"
#include "utils/ut_log.h"
#include "utils/ut_metrics.h"

static json_t *pb_http_pool(pb_pool *p)
{
    const pb_pool_stats *st = pb_pool_stats_of(p);
    double age = st->last_notify > 0 ? ev_time() - st->last_notify : -1;
    json_t *o = json_pack("{s:s, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:s, s:f}",
                          "name", pb_pool_name(p), "up", pb_pool_up(p),
                          "subscribed", st->subscribed, "authorized", st->authorized,
                          "connects", (json_int_t)st->connects, "notifies",
                          (json_int_t)st->notifies, "bad_notifies",
                          (json_int_t)st->bad_notifies, "tips", (json_int_t)st->tips,
                          "height", (json_int_t)st->height, "prev_block", st->prev_hex,
                          "last_notify_age_seconds", age);
    json_object_set_new(o, "last_error", json_string(st->last_error));
    return o;
}

static json_t *pb_http_status(void *arg)
{
    pb_server *srv = arg;
    json_t *pools = json_array();
    for (size_t i = 0; i < srv->pool_count; i++) {
        json_t *o = pb_http_pool(srv->pools[i]);
        json_object_set_new(o, "addr", json_string(srv->cfg->pools[i].addr));
        json_array_append_new(pools, o);
    }
    json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:f}", "module", "poolbench", "jobmasters",
                          (json_int_t)pb_server_jobmasters(srv), "best_height",
                          (json_int_t)srv->best_height, "tips_sent",
                          (json_int_t)srv->tips_sent, "last_tip_seconds",
                          srv->last_tip_seconds);
    json_object_set_new(o, "pools", pools);
    return o;
}

/* One family, a sample per pool: the u64 at off in pb_pool_stats. */
static void pb_pool_family(ut_metrics *m, pb_server *srv, const char *name, const char *type,
                           const char *help, size_t off)
{
    ut_metrics_family(m, name, type, help);
    for (size_t i = 0; i < srv->pool_count; i++) {
        char esc[128], labels[160];
        snprintf(labels, sizeof(labels), "pool=\"%s\"",
                 ut_metrics_escape(pb_pool_name(srv->pools[i]), esc, sizeof(esc)));
        const char *st = (const char *)pb_pool_stats_of(srv->pools[i]);
        ut_metrics_sample(m, labels, (double)*(const uint64_t *)(st + off));
    }
}

/* A gauge per pool from a function of its stats. */
static void pb_pool_gauge(ut_metrics *m, pb_server *srv, const char *name, const char *help,
                          double (*get)(pb_pool *p))
{
    ut_metrics_family(m, name, "gauge", help);
    for (size_t i = 0; i < srv->pool_count; i++) {
        char esc[128], labels[160];
        snprintf(labels, sizeof(labels), "pool=\"%s\"",
                 ut_metrics_escape(pb_pool_name(srv->pools[i]), esc, sizeof(esc)));
        ut_metrics_sample(m, labels, get(srv->pools[i]));
    }
}

static double pb_get_up(pb_pool *p) { return pb_pool_up(p) && pb_pool_stats_of(p)->authorized; }
static double pb_get_height(pb_pool *p) { return pb_pool_stats_of(p)->height; }
static double pb_get_age(pb_pool *p)
{
    double t = pb_pool_stats_of(p)->last_notify;
    return t > 0 ? ev_time() - t : -1;
}

static char *pb_http_metrics(void *arg)
{
    pb_server *srv = arg;
    ut_metrics m = {.prefix = "hf_poolbench_"};
    ut_metrics_add(&m, "pools", "gauge", "Configured pools.", NULL, (double)srv->pool_count);
    ut_metrics_add(&m, "jobmasters", "gauge", "Connected jobmaster links.", NULL,
                   (double)pb_server_jobmasters(srv));
    ut_metrics_add(&m, "best_height", "gauge", "Highest notify height seen from any pool.",
                   NULL, (double)srv->best_height);
    ut_metrics_add(&m, "tips_total", "counter", "New tips told to jobmasters.", NULL,
                   (double)srv->tips_sent);
    ut_metrics_add(&m, "tip_seconds", "gauge",
                   "Last tip: notify line read -> CMD_PB_TIP written.", NULL,
                   srv->last_tip_seconds);
    pb_pool_gauge(&m, srv, "pool_up", "1 while connected and authorized.", pb_get_up);
    pb_pool_gauge(&m, srv, "pool_height", "Height its last notify builds.", pb_get_height);
    pb_pool_gauge(&m, srv, "pool_notify_age_seconds",
                  "Seconds since its last notify (-1 before the first).", pb_get_age);
    pb_pool_family(&m, srv, "pool_connects_total", "counter", "Connections made.",
                   offsetof(pb_pool_stats, connects));
    pb_pool_family(&m, srv, "pool_notifies_total", "counter", "mining.notify decoded.",
                   offsetof(pb_pool_stats, notifies));
    pb_pool_family(&m, srv, "pool_bad_notifies_total", "counter",
                   "mining.notify that did not decode.", offsetof(pb_pool_stats, bad_notifies));
    pb_pool_family(&m, srv, "pool_tips_total", "counter",
                   "Notifies that were the first above every height seen.",
                   offsetof(pb_pool_stats, tips));
    ut_metrics_add(&m, "uptime_seconds", "gauge", "Seconds since start.", NULL,
                   (double)(time(NULL) - srv->started));
    return ut_metrics_end(&m);
}

ut_status *pb_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         struct pb_server *srv)
{
    ut_status *s = ut_status_start(loop, bind, allow, pb_http_status, pb_http_metrics, srv);
    if (!s)
        log_error("poolbench: cannot serve HTTP on %s", bind);
    return s;
}
