/* ac_miner: worker offline/back and hashrate-drop alerts for subscribed
 * users (see ac_miner.h). */
#include "alertcenter/ac_miner.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utils/ut_hash.h"
#include "utils/ut_log.h"

#define AC_RING 60
#define AC_NEWWORKER_CHUNK 10000

enum { AC_UNKNOWN = 0, AC_ONLINE, AC_OFFLINE };

typedef struct ac_ent {
    char *user, *worker;       /* worker "" = the user's own keys */
    bool filled;               /* the first (hour-long) read is done */
    int state;
    double last_share;
    double p0, p1;             /* this minute's and the last one's pow, as last read */
    long m0;                   /* the minute p0 belongs to */
    float ring[AC_RING];       /* pow per minute */
    long ring_min[AC_RING];    /* the minute each slot holds */
    bool drop_alerted;
} ac_ent;

struct ac_miner {
    ac_app *app;
    ev_timer tick;
    ut_htab ents;              /* "user\0worker" -> ac_ent * */
    ut_htab emails;            /* user -> char * (from the Redis hash) */
    long long nw_idx;          /* newworker entries read */
    bool busy;
    ac_ent **batch;            /* entities of the pipeline in flight */
    size_t nbatch;
    double next_subs;
    uint64_t offline_alerts, back_alerts, drop_alerts, checks;
    size_t online, offline;
};

static const ac_sub *ac_sub_of(const ac_miner *m, const char *user)
{
    const ac_config *cfg = m->app->cfg;
    for (size_t i = 0; i < cfg->nsubs; i++)
        if (strcmp(cfg->subs[i].user, user) == 0)
            return &cfg->subs[i];
    return NULL;
}

/* The address for user's alerts about worker, or NULL: not subscribed. */
static const char *ac_email(const ac_miner *m, const char *user, const char *worker)
{
    const ac_sub *s = ac_sub_of(m, user);
    if (s) {
        if (s->workers && *worker) {
            size_t i = 0;
            while (s->workers[i] && strcmp(s->workers[i], worker) != 0)
                i++;
            if (!s->workers[i])
                return NULL;
        }
        return s->email;
    }
    char **e = ut_htab_get(&m->emails, user, strlen(user));
    return e ? *e : NULL;
}

static ac_ent *ac_ent_get(ac_miner *m, const char *user, const char *worker)
{
    char k[512];
    size_t ul = strlen(user), wl = strlen(worker);
    ac_ent **v;
    if (ul + wl + 1 > sizeof(k))
        return NULL;
    memcpy(k, user, ul + 1);
    memcpy(k + ul + 1, worker, wl);
    int rc = ut_htab_put(&m->ents, k, ul + 1 + wl, (void **)&v);
    if (rc < 0)
        return NULL;
    if (rc == 1) {
        *v = calloc(1, sizeof(ac_ent));
        if (*v) {
            (*v)->user = strdup(user);
            (*v)->worker = strdup(worker);
        }
    }
    return *v;
}

static void ac_memit(ac_miner *m, const ac_ent *e, const char *email, const char *level,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void ac_memit(ac_miner *m, const ac_ent *e, const char *email, const char *level,
                     const char *fmt, ...)
{
    char who[300], what[700], line[800], key[300], when[40];
    double now = ev_now(m->app->loop);
    time_t t = (time_t)now;
    struct tm tm;
    va_list ap;

    snprintf(who, sizeof(who), "%s%s%s", e->user, *e->worker ? "." : "", e->worker);
    va_start(ap, fmt);
    char msg[300];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    snprintf(what, sizeof(what), "%s %s", who, msg);
    snprintf(line, sizeof(line), "%s  %s", when, what);
    snprintf(key, sizeof(key), "miner:%s", e->user);
    ac_item it = {.to = email, .key = key, .level = level, .source = "alertcenter",
                  .what = what, .line = line, .time = now, .list = true};
    log_info("miner: %s (mail to %s)", what, email);
    ac_app_emit(&it, m->app);
}

static void ac_fmt_hms(char *buf, size_t n, double t)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, n, "%H:%M:%S UTC", &tm);
}

/* Hashrate in H/s of a minute's pow (pow * 2^32 hashes in 60 s). */
static double ac_hps(double pow)
{
    return pow * 4294967296.0 / 60.0;
}

static void ac_ring_put(ac_ent *e, long minute, double v)
{
    int slot = (int)((minute / 60) % AC_RING);
    e->ring[slot] = (float)v;
    e->ring_min[slot] = minute;
}

/* The average pow of the complete minutes in [from, to], and how many the ring had. */
static double ac_ring_avg(const ac_ent *e, long from, long to, int *have)
{
    double sum = 0;
    *have = 0;
    for (long mm = from; mm <= to; mm += 60) {
        int slot = (int)((mm / 60) % AC_RING);
        if (e->ring_min[slot] == mm) {
            sum += e->ring[slot];
            (*have)++;
        }
    }
    return *have ? sum / *have : 0;
}

static void ac_check_drop(ac_miner *m, ac_ent *e, const char *email, long m0)
{
    const ac_config *cfg = m->app->cfg;
    int hr, hh;
    double recent = ac_ring_avg(e, m0 - 60L * (cfg->drop_window + 1), m0 - 120, &hr);
    double hour = ac_ring_avg(e, m0 - 60L * 61, m0 - 120, &hh);
    if (hh < 30 || hr < cfg->drop_window || hour <= 0)
        return;
    if (!e->drop_alerted && recent < cfg->drop_fraction * hour && e->state == AC_ONLINE) {
        e->drop_alerted = true;
        m->drop_alerts++;
        ac_memit(m, e, email, "WARN", "hashrate dropped: %.3g H/s over the last %d minutes, "
                 "%.0f%% of its hour average %.3g H/s", ac_hps(recent), cfg->drop_window,
                 100 * recent / hour, ac_hps(hour));
    } else if (e->drop_alerted && recent >= cfg->drop_fraction * hour) {
        e->drop_alerted = false;
    }
}

/* One entity's fresh fields: v[0] this minute, v[1] the last, v[2..] older. */
static void ac_ent_update(ac_miner *m, ac_ent *e, const double *v, size_t n, long m0,
                          double now)
{
    const ac_config *cfg = m->app->cfg;
    const char *email = ac_email(m, e->user, e->worker);
    bool grew;
    char at[40];

    for (size_t i = 1; i < n; i++)
        ac_ring_put(e, m0 - 60L * (long)i, v[i]);
    if (!e->filled) {
        e->filled = true;
        for (size_t i = 0; i < n; i++) {
            if (v[i] > 0) {
                e->last_share = i == 0 ? now : (double)(m0 - 60L * ((long)i - 1));
                break;
            }
        }
        grew = false;
        e->state = e->last_share > 0 && now - e->last_share < cfg->offline_after ? AC_ONLINE
                                                                                 : AC_UNKNOWN;
    } else {
        grew = (m0 == e->m0 && v[0] > e->p0) || (m0 != e->m0 && v[0] > 0) ||
               (m0 == e->m0 && v[1] > e->p1) || (m0 == e->m0 + 60 && v[1] > e->p0);
        if (grew)
            e->last_share = now;
    }
    e->m0 = m0;
    e->p0 = v[0];
    e->p1 = n > 1 ? v[1] : 0;
    if (!email || !*e->worker) {
        if (email)
            ac_check_drop(m, e, email, m0);
        return;
    }
    if (grew && e->state == AC_OFFLINE) {
        e->state = AC_ONLINE;
        m->back_alerts++;
        ac_memit(m, e, email, "INFO", "back: hashing again");
    } else if (grew) {
        e->state = AC_ONLINE;
    } else if (e->state == AC_ONLINE && now - e->last_share >= cfg->offline_after) {
        e->state = AC_OFFLINE;
        m->offline_alerts++;
        ac_fmt_hms(at, sizeof(at), e->last_share);
        ac_memit(m, e, email, "WARN", "offline: no share for %.0f s (last share seen %s)",
                 now - e->last_share, at);
    }
    ac_check_drop(m, e, email, m0);
}

static double ac_num(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_STRING ? atof(r->str) : 0;
}

static void ac_on_fields(redisReply **r, size_t n, void *arg)
{
    ac_miner *m = arg;
    double now = ev_now(m->app->loop), v[AC_RING + 2];
    long m0 = ((long)now / 60) * 60;

    m->busy = false;
    if (r && n == m->nbatch) {
        m->checks++;
        for (size_t i = 0; i < n; i++) {
            if (r[i]->type != REDIS_REPLY_ARRAY)
                continue;
            size_t k = r[i]->elements < AC_RING + 2 ? r[i]->elements : AC_RING + 2;
            for (size_t j = 0; j < k; j++)
                v[j] = ac_num(r[i]->element[j]);
            ac_ent_update(m, m->batch[i], v, k, m0, now);
        }
    }
    m->online = m->offline = 0;
    ut_htab_iter it;
    ac_ent **pe;
    ut_htab_iter_init(&it, &m->ents);
    while ((pe = ut_htab_next(&it, NULL, NULL))) {
        m->online += (*pe)->state == AC_ONLINE && *(*pe)->worker;
        m->offline += (*pe)->state == AC_OFFLINE;
    }
    free(m->batch);
    m->batch = NULL;
    m->nbatch = 0;
}

/* HMGET <coin>:p:<who> of 3 minutes (61 at the first read). */
static void ac_add_hmget(ac_miner *m, ac_cmds *c, const ac_ent *e, long m0)
{
    const char *argv[AC_RING + 4];
    char key[600], f[AC_RING + 2][24];
    int argc = 0, nf = e->filled ? 3 : AC_RING + 1;
    snprintf(key, sizeof(key), "%s:p:%s%s%s", m->app->cfg->coin, e->user, *e->worker ? ":" : "",
             e->worker);
    argv[argc++] = "HMGET";
    argv[argc++] = key;
    for (int i = 0; i < nf; i++) {
        snprintf(f[i], sizeof(f[i]), "%ld", m0 - 60L * i);
        argv[argc++] = f[i];
    }
    char *wire;
    int len = redisFormatCommandArgv(&wire, argc, argv, NULL);
    if (len < 0)
        return;
    if (nw_buf_append(&c->wire, wire, (size_t)len) == 0)
        c->n++;
    redisFreeCommand(wire);
}

static void ac_check(ac_miner *m, double now)
{
    ac_cmds c = {0};
    ut_htab_iter it;
    ac_ent **pe;
    long m0 = ((long)now / 60) * 60;
    size_t n = 0;

    m->batch = calloc(ut_htab_count(&m->ents) + 1, sizeof(*m->batch));
    if (!m->batch)
        return;
    ut_htab_iter_init(&it, &m->ents);
    while ((pe = ut_htab_next(&it, NULL, NULL))) {
        ac_ent *e = *pe;
        if (!ac_email(m, e->user, e->worker))
            continue;
        size_t before = c.n;
        ac_add_hmget(m, &c, e, m0);
        if (c.n > before)
            m->batch[n++] = e;
    }
    m->nbatch = n;
    if (n == 0 || ac_store_run(m->app->store, &c, ac_on_fields, m) != 0) {
        free(m->batch);
        m->batch = NULL;
        m->nbatch = 0;
        return;
    }
    m->busy = true;
}

/* newworker entries, the subscription hash, then the check. */
static void ac_on_index(redisReply **r, size_t n, void *arg)
{
    ac_miner *m = arg;
    m->busy = false;
    if (!r)
        return;
    size_t i = 0;
    if (m->app->cfg->sub_hash && i < n && r[i]->type == REDIS_REPLY_ARRAY) {
        redisReply *h = r[i++];
        for (size_t j = 0; j + 1 < h->elements; j += 2) {
            const char *u = h->element[j]->str, *em = h->element[j + 1]->str;
            char **v;
            if (!u || !em || ut_htab_put(&m->emails, u, strlen(u), (void **)&v) < 0)
                continue;
            if (!*v || strcmp(*v, em) != 0) {
                free(*v);
                *v = strdup(em);
            }
        }
    }
    if (i < n && r[i]->type == REDIS_REPLY_ARRAY) {
        redisReply *l = r[i];
        for (size_t j = 0; j < l->elements; j++, m->nw_idx++) {
            json_t *w = l->element[j]->str ? json_loads(l->element[j]->str, 0, NULL) : NULL;
            const char *u = json_string_value(json_object_get(w, "user"));
            const char *wk = json_string_value(json_object_get(w, "worker"));
            if (u && *u) {
                if (wk && *wk)
                    ac_ent_get(m, u, wk);
                ac_ent_get(m, u, "");
            }
            json_decref(w);
        }
    }
    ac_check(m, ev_now(m->app->loop));
}

static void ac_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    ac_miner *m = w->data;
    ac_cmds c = {0};
    char from[24], to[24];
    double now = ev_now(loop);

    if (m->busy)
        return;
    if (m->app->cfg->sub_hash && now >= m->next_subs) {
        m->next_subs = now + 60;
        ac_cmds_add(&c, "HGETALL %s", m->app->cfg->sub_hash);
    } else if (m->app->cfg->sub_hash) {
        ac_cmds_add(&c, "PING");   /* keeps the replies' order the same */
    }
    snprintf(from, sizeof(from), "%lld", m->nw_idx);
    snprintf(to, sizeof(to), "%lld", m->nw_idx + AC_NEWWORKER_CHUNK - 1);
    ac_cmds_add(&c, "LRANGE newworker %s %s", from, to);
    if (ac_store_run(m->app->store, &c, ac_on_index, m) == 0)
        m->busy = true;
}

ac_miner *ac_miner_start(ac_app *app)
{
    ac_miner *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->app = app;
    ut_htab_init(&m->ents, sizeof(ac_ent *), 0);
    ut_htab_init(&m->emails, sizeof(char *), 1000000);
    /* Configured subscriptions with workers named are tracked at once. */
    for (size_t i = 0; i < app->cfg->nsubs; i++) {
        const ac_sub *s = &app->cfg->subs[i];
        ac_ent_get(m, s->user, "");
        for (size_t j = 0; s->workers && s->workers[j]; j++)
            ac_ent_get(m, s->user, s->workers[j]);
    }
    ev_timer_init(&m->tick, ac_on_tick, 0.5, app->cfg->miner_interval);
    m->tick.data = m;
    ev_timer_start(app->loop, &m->tick);
    return m;
}

void ac_miner_free(ac_miner *m)
{
    ut_htab_iter it;
    void **v;
    if (!m)
        return;
    ev_timer_stop(m->app->loop, &m->tick);
    ut_htab_iter_init(&it, &m->ents);
    while ((v = ut_htab_next(&it, NULL, NULL))) {
        ac_ent *e = *v;
        free(e->user);
        free(e->worker);
        free(e);
    }
    ut_htab_free(&m->ents);
    ut_htab_iter_init(&it, &m->emails);
    while ((v = ut_htab_next(&it, NULL, NULL)))
        free(*v);
    ut_htab_free(&m->emails);
    free(m->batch);
    free(m);
}

json_t *ac_miner_status(const ac_miner *m)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "tracked",
                     (json_int_t)ut_htab_count(&m->ents), "online", (json_int_t)m->online,
                     "offline", (json_int_t)m->offline, "checks", (json_int_t)m->checks,
                     "offline_alerts", (json_int_t)m->offline_alerts, "back_alerts",
                     (json_int_t)m->back_alerts, "drop_alerts", (json_int_t)m->drop_alerts,
                     "newworker_read", (json_int_t)m->nw_idx);
}

void ac_miner_metrics(const ac_miner *m, ut_metrics *out)
{
    ut_metrics_add(out, "miners_tracked", "gauge", "workers and users known", NULL,
                   (double)ut_htab_count(&m->ents));
    ut_metrics_add(out, "miners_online", "gauge", "subscribed workers hashing", NULL,
                   (double)m->online);
    ut_metrics_add(out, "miners_offline", "gauge", "subscribed workers offline (alerted)",
                   NULL, (double)m->offline);
    ut_metrics_add(out, "miner_alerts_total", "counter", "miner alerts", "kind=\"offline\"",
                   (double)m->offline_alerts);
    ut_metrics_add(out, "miner_alerts_total", NULL, NULL, "kind=\"back\"",
                   (double)m->back_alerts);
    ut_metrics_add(out, "miner_alerts_total", NULL, NULL, "kind=\"drop\"",
                   (double)m->drop_alerts);
}
