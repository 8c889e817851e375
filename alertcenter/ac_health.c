/* ac_health: jobmaster and module /status polls, the pool's share rate and
 * found blocks (see ac_health.h). HTTP GETs run on worker threads
 * (libcurl), Redis reads through ac_store: the loop never waits. */
#include "alertcenter/ac_health.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "network/nw_buf.h"
#include "network/nw_job.h"
#include "utils/ut_log.h"

typedef struct ac_target {
    const char *name, *url, *backlog;
    double quiet_after, backlog_max;
    bool is_jm;
    bool busy;
    double last_ok;            /* last answer (start time before the first) */
    bool quiet;                /* "gone quiet" was said */
    double jobs;               /* jobmaster: its "jobs" counter */
    double jobs_at;            /* when it last changed */
    bool no_job;               /* "no new job" was said */
    double backlog_v;
    int growing;
    bool backlog_alerted;
} ac_target;

struct ac_health {
    ac_app *app;
    nw_job *job;
    ev_timer tick;
    ac_target *t;
    size_t nt;
    double next_share;
    bool share_busy, share_low;
    double share_recent, share_hour;
    bool blocks_busy;
    long long block_idx;       /* newblock entries seen; -1 before the first LLEN */
    uint64_t blocks;
};

typedef struct ac_get {
    ac_health *h;
    ac_target *t;
    char *url;
    nw_buf body;
    bool ok;
    char err[160];
} ac_get;

static void ac_emit(ac_health *h, const char *key, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void ac_emit(ac_health *h, const char *key, const char *level, const char *fmt, ...)
{
    char msg[600], line[700], when[40], src[100];
    time_t now = (time_t)ev_now(h->app->loop);
    struct tm tm;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    snprintf(line, sizeof(line), "%s  %s %s", when, level, msg);
    snprintf(src, sizeof(src), "alertcenter");
    ac_item it = {.to = "", .key = key, .level = level, .source = src, .what = msg,
                  .line = line, .time = ev_now(h->app->loop), .list = true};
    log_notice("health: %s", msg);
    ac_app_emit(&it, h->app);
}

/* ---- HTTP GET on a worker thread ---- */

static size_t ac_write(char *p, size_t size, size_t nmemb, void *arg)
{
    ac_get *g = arg;
    size_t n = size * nmemb;
    if (nw_buf_len(&g->body) + n > (4u << 20) || nw_buf_append(&g->body, p, n) != 0)
        return 0;
    return n;
}

static void ac_on_get(nw_job_entry *e, void *ctx)
{
    ac_get *g = e->request;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = curl_easy_init();
    if (!c)
        return;
    curl_easy_setopt(c, CURLOPT_URL, g->url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ac_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(c);
    g->ok = rc == CURLE_OK;
    if (!g->ok)
        snprintf(g->err, sizeof(g->err), "%.150s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_easy_cleanup(c);
}

/* A number at a dotted path ("meta.pending_batches"); NAN when absent. */
static double ac_path_num(json_t *o, const char *path)
{
    char part[128];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(part, sizeof(part), "%.*s", (int)n, path);
        o = json_object_get(o, part);
        path += n + (path[n] == '.');
    }
    return json_is_number(o) ? json_number_value(o) : NAN;
}

static void ac_check_jobs(ac_health *h, ac_target *t, json_t *st, double now)
{
    double jobs = ac_path_num(st, "jobs");
    const ac_config *cfg = h->app->cfg;
    char key[160];
    snprintf(key, sizeof(key), "health:no_job");
    if (isnan(jobs))
        return;
    if (jobs != t->jobs) {
        if (t->no_job)
            ac_emit(h, key, "INFO", "jobmaster %s: new jobs again (jobs %.0f)", t->url, jobs);
        t->jobs = jobs;
        t->jobs_at = now;
        t->no_job = false;
    } else if (!t->no_job && now - t->jobs_at >= cfg->no_job_after) {
        t->no_job = true;
        ac_emit(h, key, "FATAL", "jobmaster %s: no new job for %.0f s (jobs %.0f, height %.0f); "
                "is the node reachable?", t->url, now - t->jobs_at, jobs,
                ac_path_num(st, "height"));
    }
}

static void ac_check_backlog(ac_health *h, ac_target *t, json_t *st)
{
    double v = ac_path_num(st, t->backlog);
    char key[160];
    snprintf(key, sizeof(key), "health:backlog:%s", t->name);
    if (isnan(v))
        return;
    t->growing = v > t->backlog_v ? t->growing + 1 : 0;
    if (!t->backlog_alerted && v > t->backlog_max && t->growing >= 3) {
        t->backlog_alerted = true;
        ac_emit(h, key, "ERROR", "%s: backlog %s is %.0f and growing (limit %.0f): accounting "
                "falls behind", t->name, t->backlog, v, t->backlog_max);
    } else if (t->backlog_alerted && v <= t->backlog_max) {
        t->backlog_alerted = false;
        ac_emit(h, key, "INFO", "%s: backlog %s down to %.0f", t->name, t->backlog, v);
    }
    t->backlog_v = v;
}

static void ac_on_got(nw_job_entry *e, void *udata)
{
    ac_health *h = udata;
    ac_get *g = e->request;
    ac_target *t = g->t;
    double now = ev_now(h->app->loop);
    char key[160];
    snprintf(key, sizeof(key), "health:quiet:%s", t->name);
    t->busy = false;
    json_t *st = NULL;
    if (g->ok) {
        nw_buf_append(&g->body, "", 1);
        st = json_loads(g->body.data + g->body.rpos, 0, NULL);
    }
    if (!st) {
        if (!t->quiet && now - t->last_ok >= t->quiet_after) {
            t->quiet = true;
            ac_emit(h, key, "FATAL", "%s gone quiet: %s unanswered for %.0f s (%s)", t->name,
                    t->url, now - t->last_ok, g->ok ? "not JSON" : g->err);
        }
        return;
    }
    if (t->quiet)
        ac_emit(h, key, "INFO", "%s answers again (%s)", t->name, t->url);
    t->quiet = false;
    t->last_ok = now;
    if (t->is_jm)
        ac_check_jobs(h, t, st, now);
    if (t->backlog)
        ac_check_backlog(h, t, st);
    json_decref(st);
}

static void ac_on_get_cleanup(nw_job_entry *e, void *udata)
{
    ac_get *g = e->request;
    nw_buf_free(&g->body);
    free(g->url);
    free(g);
}

static void ac_poll(ac_health *h, ac_target *t)
{
    ac_get *g;
    if (t->busy || !(g = calloc(1, sizeof(*g))))
        return;
    g->h = h;
    g->t = t;
    g->url = strdup(t->url);
    if (!g->url || nw_job_add(h->job, 0, g, NULL) != 0) {
        free(g->url);
        free(g);
        return;
    }
    t->busy = true;
}

/* ---- Redis: share rate and blocks ---- */

static void ac_on_share(redisReply **r, size_t n, void *arg)
{
    ac_health *h = arg;
    const ac_config *cfg = h->app->cfg;
    int w = cfg->share_window;
    double recent = 0, hour = 0;
    h->share_busy = false;
    if (!r || n != 1 || r[0]->type != REDIS_REPLY_ARRAY || r[0]->elements != (size_t)(w + 60))
        return;
    for (int i = 0; i < w + 60; i++) {
        redisReply *e = r[0]->element[i];
        double v = e->type == REDIS_REPLY_STRING ? atof(e->str) : 0;
        if (i < w)
            recent += v;
        else
            hour += v;
    }
    recent /= w;
    hour /= 60;
    h->share_recent = recent;
    h->share_hour = hour;
    if (!h->share_low && hour >= cfg->min_hour_shares && recent < (1 - cfg->share_drop) * hour) {
        h->share_low = true;
        ac_emit(h, "health:share_rate", "ERROR", "pool share rate dropped to %.1f/min over the "
                "last %d minutes, %.0f%% below the hour before (%.1f/min)", recent, w,
                100 * (1 - recent / hour), hour);
    } else if (h->share_low && recent >= (1 - cfg->share_drop) * hour) {
        h->share_low = false;
        ac_emit(h, "health:share_rate", "INFO", "pool share rate back to %.1f/min (hour before "
                "%.1f/min)", recent, hour);
    }
}

/* HMGET <coin>:m:share of the share_window complete minutes before the
 * current one and the last, then the 60 before those. */
static void ac_share_poll(ac_health *h, double now)
{
    const ac_config *cfg = h->app->cfg;
    char key[96];
    long m0 = ((long)now / 60) * 60;
    ac_cmds c = {0};
    if (h->share_busy || now < h->next_share)
        return;
    h->next_share = now + 60;
    snprintf(key, sizeof(key), "%s:m:share", cfg->coin);
    const char *argv[64 + 60 + 2];
    char fields[64 + 60][24];
    int argc = 0;
    argv[argc++] = "HMGET";
    argv[argc++] = key;
    for (int i = 0; i < cfg->share_window + 60; i++) {
        snprintf(fields[i], sizeof(fields[i]), "%ld", m0 - 120 - 60L * i);
        argv[argc++] = fields[i];
    }
    char *wire;
    int len = redisFormatCommandArgv(&wire, argc, argv, NULL);
    if (len < 0)
        return;
    nw_buf_append(&c.wire, wire, (size_t)len);
    c.n = 1;
    redisFreeCommand(wire);
    if (ac_store_run(h->app->store, &c, ac_on_share, h) == 0)
        h->share_busy = true;
}

static void ac_on_blocks(redisReply **r, size_t n, void *arg)
{
    ac_health *h = arg;
    h->blocks_busy = false;
    if (!r || n != 2 || r[0]->type != REDIS_REPLY_INTEGER || r[1]->type != REDIS_REPLY_ARRAY)
        return;
    if (h->block_idx < 0 || r[0]->integer < h->block_idx) {    /* start, or list trimmed */
        h->block_idx = r[0]->integer;
        return;
    }
    for (size_t i = 0; i < r[1]->elements; i++) {
        redisReply *e = r[1]->element[i];
        json_t *b = e->type == REDIS_REPLY_STRING ? json_loads(e->str, 0, NULL) : NULL;
        const char *hash = json_string_value(json_object_get(b, "hash"));
        const char *user = json_string_value(json_object_get(b, "user"));
        const char *worker = json_string_value(json_object_get(b, "worker"));
        h->blocks++;
        ac_emit(h, "health:block", "INFO", "block found by %s%s%s: %s", user ? user : "?",
                worker && *worker ? "." : "", worker ? worker : "", hash ? hash : "?");
        json_decref(b);
        h->block_idx++;
    }
}

static void ac_blocks_poll(ac_health *h)
{
    ac_cmds c = {0};
    char from[24];
    if (h->blocks_busy)
        return;
    snprintf(from, sizeof(from), "%lld", h->block_idx < 0 ? 0 : h->block_idx);
    ac_cmds_add(&c, "LLEN newblock");
    if (h->block_idx < 0)
        ac_cmds_add(&c, "LRANGE newblock 1 0");      /* nothing: the start counts only */
    else
        ac_cmds_add(&c, "LRANGE newblock %s -1", from);
    if (ac_store_run(h->app->store, &c, ac_on_blocks, h) == 0)
        h->blocks_busy = true;
}

static void ac_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    ac_health *h = w->data;
    double now = ev_now(loop);
    for (size_t i = 0; i < h->nt; i++)
        ac_poll(h, &h->t[i]);
    ac_share_poll(h, now);
    if (h->app->cfg->blocks)
        ac_blocks_poll(h);
}

static const nw_job_handlers ac_get_handlers = {
    .on_job = ac_on_get, .on_finish = ac_on_got, .on_cleanup = ac_on_get_cleanup,
};

ac_health *ac_health_start(ac_app *app)
{
    const ac_config *cfg = app->cfg;
    ac_health *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->app = app;
    h->block_idx = -1;
    h->t = calloc(cfg->nwatch + 1, sizeof(*h->t));
    h->job = nw_job_create(app->loop, 2, &ac_get_handlers, h);
    if (!h->t || !h->job) {
        ac_health_free(h);
        return NULL;
    }
    double now = ev_now(app->loop);
    if (cfg->jm_url)
        h->t[h->nt++] = (ac_target){.name = "jobmaster", .url = cfg->jm_url, .is_jm = true,
                                    .quiet_after = cfg->jm_quiet_after, .jobs = -1};
    for (size_t i = 0; i < cfg->nwatch; i++)
        h->t[h->nt++] = (ac_target){.name = cfg->watch[i].name, .url = cfg->watch[i].url,
                                    .quiet_after = cfg->watch[i].quiet_after,
                                    .backlog = cfg->watch[i].backlog,
                                    .backlog_max = cfg->watch[i].backlog_max};
    for (size_t i = 0; i < h->nt; i++)
        h->t[i].last_ok = h->t[i].jobs_at = now;
    h->next_share = now + 5;
    ev_timer_init(&h->tick, ac_on_tick, 0.5, cfg->health_interval);
    h->tick.data = h;
    ev_timer_start(app->loop, &h->tick);
    return h;
}

void ac_health_free(ac_health *h)
{
    if (!h)
        return;
    ev_timer_stop(h->app->loop, &h->tick);
    if (h->job)
        nw_job_free(h->job);
    free(h->t);
    free(h);
}

json_t *ac_health_status(const ac_health *h)
{
    json_t *t = json_array();
    for (size_t i = 0; i < h->nt; i++)
        json_array_append_new(t, json_pack("{s:s, s:s, s:b, s:f}", "name", h->t[i].name, "url",
                                           h->t[i].url, "quiet", h->t[i].quiet, "last_ok",
                                           h->t[i].last_ok));
    /* blocks_watching: the newblock list has been read once; blocks found
     * before that (alertcenter starting or down) are not mailed. */
    return json_pack("{s:o, s:f, s:f, s:b, s:I, s:b}", "targets", t, "share_rate_recent",
                     h->share_recent, "share_rate_hour", h->share_hour, "share_low",
                     h->share_low, "blocks", (json_int_t)h->blocks, "blocks_watching",
                     h->block_idx >= 0);
}
