/* ac_group: grouping and rate limiting of alerts into mails (see ac_group.h). */
#include "alertcenter/ac_group.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "network/nw_buf.h"
#include "utils/ut_log.h"

#define AC_LIST_MAX 50         /* lines a list group keeps per mail */
#define AC_OTHER_KEY "(other keys)"

typedef struct ac_grp {
    char *to, *key;
    char level[8];
    char source[160];
    char what[200];
    char *first, *last;        /* lines of this period (non-list groups) */
    nw_buf lines;              /* list groups: every line of this period, '\n' ended */
    size_t nlines;
    bool list;
    uint64_t count, total, dropped;
    double t_first, t_last;
    double due, next_ok, interval, last_mail;
    bool waiting;              /* a mail with it is in the outbox */
} ac_grp;

struct ac_group {
    ac_group_cfg cfg;
    ut_htab tab;               /* "to\0key" -> ac_grp * */
    ac_group_stats st;
};

ac_group *ac_group_create(const ac_group_cfg *cfg)
{
    ac_group *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->cfg = *cfg;
    if (g->cfg.gather < 0)
        g->cfg.gather = 0;
    if (g->cfg.interval <= 0)
        g->cfg.interval = 60;
    if (g->cfg.max_interval < g->cfg.interval)
        g->cfg.max_interval = g->cfg.interval;
    if (g->cfg.max_groups == 0)
        g->cfg.max_groups = 10000;
    ut_htab_init(&g->tab, sizeof(ac_grp *), g->cfg.max_groups + 1);
    return g;
}

static void ac_grp_free(ac_grp *r)
{
    free(r->to);
    free(r->key);
    free(r->first);
    free(r->last);
    nw_buf_free(&r->lines);
    free(r);
}

void ac_group_free(ac_group *g)
{
    ut_htab_iter it;
    ac_grp **v;

    if (!g)
        return;
    ut_htab_iter_init(&it, &g->tab);
    while ((v = ut_htab_next(&it, NULL, NULL)))
        ac_grp_free(*v);
    ut_htab_free(&g->tab);
    free(g);
}

/* The group of (to, key): found, added, or the overflow group. */
static ac_grp *ac_group_get(ac_group *g, const char *to, const char *key)
{
    char k[512];
    size_t tl = strlen(to), kl = strlen(key);
    ac_grp **v;

    if (tl + kl + 1 > sizeof(k))
        kl = sizeof(k) - tl - 1;
    memcpy(k, to, tl + 1);
    memcpy(k + tl + 1, key, kl);
    v = ut_htab_get(&g->tab, k, tl + 1 + kl);
    if (v)
        return *v;
    if (ut_htab_count(&g->tab) >= g->cfg.max_groups && strcmp(key, AC_OTHER_KEY) != 0) {
        g->st.overflow++;
        return ac_group_get(g, to, AC_OTHER_KEY);
    }
    ac_grp *r = calloc(1, sizeof(*r));
    if (!r || !(r->to = strdup(to)) || !(r->key = strndup(key, kl)) ||
        ut_htab_put(&g->tab, k, tl + 1 + kl, (void **)&v) < 0) {
        if (r)
            ac_grp_free(r);
        return NULL;
    }
    *v = r;
    r->interval = g->cfg.interval;
    return r;
}

static int ac_level_rank(const char *level)
{
    static const char *order[] = {"INFO", "NOTICE", "WARN", "ERROR", "FATAL"};
    for (int i = 0; i < 5; i++)
        if (strcmp(level, order[i]) == 0)
            return i;
    return 0;
}

static void ac_set(char **dst, const char *s)
{
    char *c = strdup(s ? s : "");
    if (c) {
        free(*dst);
        *dst = c;
    }
}

void ac_group_add(ac_group *g, const ac_item *it, double now)
{
    ac_grp *r = ac_group_get(g, it->to, it->key);

    if (!r)
        return;
    g->st.alerts++;
    r->list = it->list;
    r->count++;
    r->total++;
    r->dropped += it->dropped;
    if (r->count == 1 || ac_level_rank(it->level) > ac_level_rank(r->level))
        snprintf(r->level, sizeof(r->level), "%s", it->level);
    snprintf(r->source, sizeof(r->source), "%s", it->source);
    if (r->count == 1) {
        snprintf(r->what, sizeof(r->what), "%s", it->what);
        ac_set(&r->first, it->line);
        r->t_first = it->time;
        r->due = now + g->cfg.gather;
        if (r->due < r->next_ok)
            r->due = r->next_ok;
    }
    ac_set(&r->last, it->line);
    r->t_last = it->time;
    if (r->list && r->nlines < AC_LIST_MAX &&
        nw_buf_append(&r->lines, it->line, strlen(it->line)) == 0 &&
        nw_buf_append(&r->lines, "\n", 1) == 0)
        r->nlines++;
}

double ac_group_due(const ac_group *g)
{
    ut_htab_iter it;
    ac_grp **v;
    double due = 0;

    ut_htab_iter_init(&it, &g->tab);
    while ((v = ut_htab_next(&it, NULL, NULL))) {
        ac_grp *r = *v;
        if (r->count > 0 && !r->waiting && (due == 0 || r->due < due))
            due = r->due;
    }
    return due;
}

static void ac_fmt_time(char *buf, size_t n, double t)
{
    time_t s = (time_t)t;
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void ac_printf(nw_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ac_printf(nw_buf *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        nw_buf_append(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* "gateway@pool1" out of "gateway@pool1 pid 4242". */
static void ac_short_source(char *out, size_t n, const char *source)
{
    size_t len = strcspn(source, " ");
    snprintf(out, n, "%.*s", (int)len, source);
}

static void ac_subject(nw_buf *b, const ac_group *g, ac_grp **v, size_t n, uint64_t alerts)
{
    ac_grp *r = v[0];
    char src[160];

    ac_short_source(src, sizeof(src), r->source);
    ac_printf(b, "%s ", g->cfg.prefix ? g->cfg.prefix : "[headframe]");
    if (n > 1)
        ac_printf(b, "%llu alerts of %zu kinds, first: ", (unsigned long long)alerts, n);
    if (r->list) {
        ac_printf(b, "%s", r->what);
        if (n == 1 && r->count > 1)
            ac_printf(b, " (+%llu more)", (unsigned long long)(r->count - 1));
        return;
    }
    ac_printf(b, "%s ", r->level);
    if (n == 1 && r->count > 1)
        ac_printf(b, "x%llu ", (unsigned long long)r->count);
    ac_printf(b, "%s: %s", src, r->what);
}

static void ac_block(nw_buf *b, const ac_grp *r)
{
    char t1[40], t2[40];

    ac_fmt_time(t1, sizeof(t1), r->t_first);
    ac_fmt_time(t2, sizeof(t2), r->t_last);
    if (r->list) {
        nw_buf_append(b, r->lines.data + r->lines.rpos, nw_buf_len(&r->lines));
        if (r->count > r->nlines)
            ac_printf(b, "... and %llu more\n", (unsigned long long)(r->count - r->nlines));
        return;
    }
    ac_printf(b, "%s %s, key %s\n", r->level, r->source, r->key);
    ac_printf(b, "count: %llu since the last mail (%llu since alertcenter started)\n",
              (unsigned long long)r->count, (unsigned long long)r->total);
    ac_printf(b, "first: %s  %s\n", t1, r->first ? r->first : "");
    if (r->count > 1)
        ac_printf(b, "last:  %s  %s\n", t2, r->last ? r->last : "");
    if (r->dropped > 0)
        ac_printf(b, "the senders left out %llu more alerts (their rate limit)\n",
                  (unsigned long long)r->dropped);
}

static int ac_cmp(const void *a, const void *b)
{
    const ac_grp *x = *(ac_grp *const *)a, *y = *(ac_grp *const *)b;
    int d = ac_level_rank(y->level) - ac_level_rank(x->level);
    if (d)
        return d;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->key, y->key);
}

/* Marks r as mailed at now: its next mail no sooner than interval later,
 * the interval doubling while the group keeps firing. */
static void ac_grp_mailed(const ac_group *g, ac_grp *r, double now)
{
    if (r->last_mail > 0 && now - r->last_mail < 2 * r->interval + g->cfg.gather)
        r->interval = r->interval * 2 < g->cfg.max_interval ? r->interval * 2
                                                            : g->cfg.max_interval;
    else
        r->interval = g->cfg.interval;
    r->last_mail = now;
    r->next_ok = now + r->interval;
    r->waiting = true;
    r->count = 0;
    r->dropped = 0;
    r->nlines = 0;
    nw_buf_reset(&r->lines);
}

static ac_out *ac_compose(ac_group *g, ac_grp **v, size_t n, double now)
{
    ac_out *o = calloc(1, sizeof(*o));
    nw_buf subj = {0}, body = {0};
    double next = 0;

    qsort(v, n, sizeof(*v), ac_cmp);
    for (size_t i = 0; i < n; i++)
        o->alerts += v[i]->count;
    ac_subject(&subj, g, v, n, o->alerts);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            nw_buf_append(&body, "\n", 1);
        ac_block(&body, v[i]);
    }
    o->to = strdup(v[0]->to);
    o->keys = calloc(n, sizeof(char *));
    for (size_t i = 0; o->keys && i < n; i++) {
        o->keys[i] = strdup(v[i]->key);
        o->nkeys++;
        ac_grp_mailed(g, v[i], now);
        if (next == 0 || v[i]->interval < next)
            next = v[i]->interval;
    }
    ac_printf(&body, "\n-- \nalertcenter on %s. Repeats are counted, not mailed: the next "
              "mail about %s comes no sooner than %.0f s from now.\n",
              g->cfg.host ? g->cfg.host : "?", n > 1 ? "these" : "this", next);
    nw_buf_append(&subj, "", 1);
    nw_buf_append(&body, "", 1);
    o->subject = strdup(subj.data ? subj.data + subj.rpos : "");
    o->body = strdup(body.data ? body.data + body.rpos : "");
    nw_buf_free(&subj);
    nw_buf_free(&body);
    g->st.mailed += o->alerts;
    return o;
}

ac_out *ac_group_next(ac_group *g, double now)
{
    ut_htab_iter it;
    ac_grp **pv, *first = NULL, **due;
    size_t n = 0;

    ut_htab_iter_init(&it, &g->tab);
    while ((pv = ut_htab_next(&it, NULL, NULL))) {
        ac_grp *r = *pv;
        if (r->count > 0 && !r->waiting && r->due <= now) {
            if (!first)
                first = r;
            if (strcmp(r->to, first->to) == 0)
                n++;
        }
    }
    if (!first || !(due = calloc(n, sizeof(*due))))
        return NULL;
    n = 0;
    ut_htab_iter_init(&it, &g->tab);
    while ((pv = ut_htab_next(&it, NULL, NULL))) {
        ac_grp *r = *pv;
        if (r->count > 0 && !r->waiting && r->due <= now && strcmp(r->to, first->to) == 0)
            due[n++] = r;
    }
    ac_out *o = ac_compose(g, due, n, now);
    free(due);
    return o;
}

void ac_group_done(ac_group *g, const ac_out *out)
{
    for (size_t i = 0; i < out->nkeys; i++) {
        ac_grp *r = ac_group_get(g, out->to, out->keys[i]);
        if (r) {
            r->waiting = false;
            if (r->count > 0 && r->due < r->next_ok)
                r->due = r->next_ok;
        }
    }
}

void ac_group_flush(ac_group *g, double now)
{
    ut_htab_iter it;
    ac_grp **v;

    ut_htab_iter_init(&it, &g->tab);
    while ((v = ut_htab_next(&it, NULL, NULL)))
        if ((*v)->count > 0 && (*v)->due > now)
            (*v)->due = now;
}

size_t ac_group_log_unmailed(const ac_group *g)
{
    ut_htab_iter it;
    ac_grp **v;
    size_t n = 0;

    ut_htab_iter_init(&it, &g->tab);
    while ((v = ut_htab_next(&it, NULL, NULL))) {
        const ac_grp *r = *v;
        if (r->count == 0)
            continue;
        n++;
        log_error("alerts lost at shutdown, in no mail: %llu of %s to %s (%s %s)",
                  (unsigned long long)r->count, r->key, r->to[0] ? r->to : "operators",
                  r->level, r->what);
    }
    return n;
}

void ac_out_free(ac_out *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->nkeys; i++)
        free(o->keys[i]);
    free(o->keys);
    free(o->to);
    free(o->subject);
    free(o->body);
    free(o);
}

void ac_group_stats_get(const ac_group *g, ac_group_stats *out)
{
    *out = g->st;
    out->groups = ut_htab_count(&g->tab);
}
