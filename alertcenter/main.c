/* alertcenter: receives the ERROR/FATAL alerts every module sends
 * (utils/ut_alert.h), stores them in Redis, and mails them grouped and
 * rate limited (ac_group, ac_mail), with the pool's health (ac_health)
 * and miner alerts for subscribed users (ac_miner).
 *
 *   alertcenter --config FILE | -c FILE
 *
 * SIGTERM/SIGINT stop: alertcenter stops taking alerts, mails at once what
 * it holds (gather and interval notwithstanding) and waits up to
 * mail.shutdown_wait s for the outbox to empty; what is still undelivered
 * then is logged as lost, an ERROR line per mail or group (a second
 * SIGTERM stops the wait). SIGHUP reopens the log file. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alertcenter/ac_app.h"
#include "alertcenter/ac_config.h"
#include "alertcenter/ac_health.h"
#include "alertcenter/ac_http.h"
#include "alertcenter/ac_miner.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

static char ac_host[64];

/* "message" out of "2026-... [pid] LEVEL file.c:42 message". */
static const char *ac_message(const ut_alert_rec *rec)
{
    const char *p = strstr(rec->line, rec->key);
    if (p && p[strlen(rec->key)] == ' ')
        return p + strlen(rec->key) + 1;
    return rec->line;
}

static void ac_store_rec(ac_app *a, const ut_alert_rec *rec, const char *gkey)
{
    char buf[UT_ALERT_DGRAM_MAX + 8];
    ut_alert_format(buf, sizeof(buf), rec);
    ac_store_alert(a->store, buf, gkey);
}

static void ac_on_alert(const ut_alert_rec *rec, void *arg)
{
    ac_app *a = arg;
    char key[200], source[160], what[300];

    snprintf(key, sizeof(key), "%s %s", rec->module, rec->key);
    ac_store_rec(a, rec, key);
    if (rec->level < a->cfg->mail_level)
        return;
    snprintf(source, sizeof(source), "%s@%s pid %ld", rec->module, rec->host, rec->pid);
    snprintf(what, sizeof(what), "%s %.150s", rec->key, ac_message(rec));
    ac_item it = {.to = "", .key = key, .level = ut_alert_level_name(rec->level),
                  .source = source, .what = what, .line = rec->line, .time = rec->time,
                  .dropped = rec->dropped};
    ac_group_add(a->grp, &it, ev_now(a->loop));
}

void ac_app_emit(const ac_item *it, void *arg)
{
    ac_app *a = arg;
    ut_alert_rec rec = {.pid = getpid(), .level = UT_LOG_WARN, .time = it->time};

    a->emitted++;
    ut_alert_level_parse(it->level, &rec.level);
    snprintf(rec.module, sizeof(rec.module), "alertcenter");
    snprintf(rec.host, sizeof(rec.host), "%s", ac_host);
    snprintf(rec.key, sizeof(rec.key), "%s", it->key);
    snprintf(rec.line, sizeof(rec.line), "%s", it->line);
    ac_store_rec(a, &rec, it->key);
    ac_group_add(a->grp, it, ev_now(a->loop));
}

static int ac_app_start(ac_app *a, struct ev_loop *loop, const ac_config *cfg)
{
    ac_store_cfg sc = {.host = cfg->redis.host, .port = cfg->redis.port, .db = cfg->redis.db,
                       .password = cfg->redis.password, .timeout = cfg->redis.timeout,
                       .list = cfg->redis_list, .list_max = cfg->redis_list_max,
                       .counts = cfg->redis_counts};
    ac_group_cfg gc = {.gather = cfg->gather, .interval = cfg->interval,
                       .max_interval = cfg->max_interval, .max_groups = cfg->max_groups,
                       .prefix = cfg->mail_prefix, .host = ac_host};
    a->loop = loop;
    a->cfg = cfg;
    a->started = ev_now(loop);
    if (!(a->store = ac_store_create(loop, &sc)) || !(a->grp = ac_group_create(&gc)) ||
        !(a->mail = ac_mail_create(loop, cfg, a->grp)) ||
        !(a->recv = ac_recv_start(loop, cfg->recv.bind, cfg->recv.allow, ac_on_alert, a)))
        return -1;
    if (cfg->http.bind && !(a->http = ac_http_start(a))) {
        log_fatal("alertcenter: cannot serve HTTP on %s: %m", cfg->http.bind);
        return -1;
    }
    a->health = ac_health_start(a);
    if (cfg->miners)
        a->miner = ac_miner_start(a);
    return 0;
}

static void ac_app_free(ac_app *a)
{
    ut_status_free(a->http);
    ac_miner_free(a->miner);
    ac_health_free(a->health);
    ac_recv_free(a->recv);
    ac_mail_free(a->mail);
    ac_group_free(a->grp);
    ac_store_free(a->store);
}

static void ac_on_drain(struct ev_loop *loop, ev_timer *w, int revents)
{
    ac_app *a = w->data;
    ac_group_flush(a->grp, ev_now(loop));
    if (ac_mail_idle(a->mail) && ac_group_due(a->grp) == 0)
        ev_break(loop, EVBREAK_ALL);
}

static void ac_on_drain_end(struct ev_loop *loop, ev_timer *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

/* Stopped: no more alerts in; what is held goes out now, for at most
 * shutdown_wait s. */
static void ac_drain(ac_app *a)
{
    ev_timer tick, end;
    ac_mail_stats ms;
    ac_recv_stop(a->recv);      /* health and miner checks go on: their Redis and */
                                /* HTTP answers may still be on the way */
    if (a->cfg->shutdown_wait > 0) {
        ev_timer_init(&tick, ac_on_drain, 0, 0.1);
        ev_timer_init(&end, ac_on_drain_end, a->cfg->shutdown_wait, 0);
        tick.data = a;
        ev_timer_start(a->loop, &tick);
        ev_timer_start(a->loop, &end);
        ev_run(a->loop, 0);
        ev_timer_stop(a->loop, &tick);
        ev_timer_stop(a->loop, &end);
    }
    ac_mail_stats_get(a->mail, &ms);
    size_t lost = ac_group_log_unmailed(a->grp);
    log_notice("alertcenter: stopping with %llu mail(s) undelivered and %zu group(s) of alerts "
               "in no mail (%llu mail(s) sent since start)", (unsigned long long)ms.outbox,
               lost, (unsigned long long)ms.sent);
}

static int ac_run(struct ev_loop *loop, const ac_config *cfg)
{
    ac_app app = {0};
    int rc = 1;
    if (ac_app_start(&app, loop, cfg) == 0) {
        log_notice("alertcenter: started, config %s, alerts on %s, http %s, redis %s:%d, "
                   "mail %s to %s%s", cfg->file, cfg->recv.bind,
                   cfg->http.bind ? cfg->http.bind : "off", cfg->redis.host, cfg->redis.port,
                   cfg->mail_url, cfg->mail_to[0], cfg->mail_to[1] ? " and more" : "");
        ev_run(loop, 0);
        ac_drain(&app);
        log_notice("alertcenter: stopped");
        rc = 0;
    }
    ac_app_free(&app);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: alertcenter --config FILE\n", ac_config_keys,
                          &path);
    if (rc != UT_PROC_RUN)
        return rc;

    ac_config cfg;
    char err[768];
    if (ac_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "alertcenter: %s\n", err);
        return 1;
    }
    if (gethostname(ac_host, sizeof(ac_host)) != 0)
        snprintf(ac_host, sizeof(ac_host), "localhost");
    ac_host[sizeof(ac_host) - 1] = '\0';
    ut_proc proc;
    /* alertcenter sends no alerts to itself (it has no "alert" section). */
    if (ut_proc_start(&proc, "alertcenter", &cfg.log) < 0) {
        ac_config_free(&cfg);
        return 1;
    }
    rc = ac_run(proc.loop, &cfg);
    ut_proc_end(&proc);
    ac_config_free(&cfg);
    return rc;
}
