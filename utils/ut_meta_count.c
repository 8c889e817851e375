/* ut_meta_count: per-minute aggregation. ut_meta_share adds into a table
 * of (minute, user, worker) cells (a ut_htab: seeded SipHash, as the names
 * come from miners) plus per-minute system counters; no allocation per
 * share once a cell exists (but for names of over 240 bytes together,
 * whose look-up key is built on the heap). Shares whose numbers cannot be
 * counted are refused (logged at most once a second). The connection
 * count is sampled into every minute that ends. */
#include "utils/ut_meta_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_log.h"
#include "utils/ut_meta_check.h"

double mt_now(ut_meta *m)
{
    if (m->cfg.clock)
        return m->cfg.clock(m->cfg.clock_arg);
    return ev_now(m->loop);
}

/* The unix minute of t. NaN and times beyond +-UT_META_T_MAX are clamped
 * first, so the conversion to int64 is always defined. */
int64_t mt_minute(double t)
{
    if (isnan(t))
        t = 0;
    else if (t > (double)UT_META_T_MAX)
        t = (double)UT_META_T_MAX;
    else if (t < -(double)UT_META_T_MAX)
        t = -(double)UT_META_T_MAX;
    int64_t s = (int64_t)floor(t);
    return s - (((s % 60) + 60) % 60);
}

#define MT_KEY_STACK 256     /* cell keys up to this long are built on the stack */

/* A new cell (its key already in the table): names, order, journal. */
static void mt_rec_init(ut_meta *m, mt_rec *r, int64_t minute, const char *names, size_t ul)
{
    r->minute = minute;
    r->names = names;
    r->wpos = ul + 1;
    r->jid = (uint32_t)(ut_htab_count(&m->cells) - 1);
    if (m->last)
        m->last->order = r;
    else
        m->first = r;
    m->last = r;
    if (m->jon)
        jr_cell(m, r);
}

/* The cell of (minute, user, worker), made when new; NULL out of memory. */
mt_rec *mt_rec_get(ut_meta *m, const char *user, const char *worker, int64_t minute)
{
    size_t ul = strlen(user), wl = strlen(worker), klen = 8 + ul + 1 + wl + 1;
    unsigned char stack[MT_KEY_STACK];
    unsigned char *k = klen <= sizeof(stack) ? stack : malloc(klen);
    if (!k)
        return NULL;
    memcpy(k, &minute, 8);
    memcpy(k + 8, user, ul + 1);
    memcpy(k + 8 + ul + 1, worker, wl + 1);
    void *v = NULL;
    int rc = ut_htab_put(&m->cells, k, klen, &v);
    if (k != stack)
        free(k);
    if (rc < 0)
        return NULL;
    if (rc == 1)
        mt_rec_init(m, v, minute, (const char *)ut_htab_key(&m->cells, v, NULL) + 8, ul);
    return v;
}

mt_sys *mt_sys_get(ut_meta *m, int64_t minute)
{
    mt_sys **pp = &m->sys;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->minute == minute)
            return *pp;
        if ((*pp)->minute > minute)
            break;
    }
    mt_sys *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->minute = minute;
    s->next = *pp;
    *pp = s;
    return s;
}

/* Emits the connection count of every minute that ended since the last
 * call: the value held at the minute's end. */
void mt_roll_connections(ut_meta *m, double now)
{
    int64_t cur = mt_minute(now);
    if (cur - m->conn_next > 60 * 60)
        m->conn_next = cur - 60 * 60;       /* a clock jump: keep the last hour */
    for (; m->conn_next < cur; m->conn_next += 60) {
        mt_sys *s = mt_sys_get(m, m->conn_next);
        if (!s)
            return;
        s->connections = m->conn_value;
        s->has_conn = true;
    }
}

void mt_count(mt_rec *r, mt_sys *s, double diff, double goal, bool accepted)
{
    if (accepted) {
        r->s++;
        r->p += diff;
        r->g += goal;
        s->share++;
        s->pow += diff;
    } else {
        r->r++;
        s->reject++;
    }
}

/* Why an accepted share's numbers cannot be counted, or NULL. r and s
 * (NULL: not known yet) are the record and the minute it would add to:
 * no sum may pass what ut_meta_body_check accepts, so a batch of ours is
 * never refused for its numbers. */
const char *mt_share_why(const mt_rec *r, const mt_sys *s, double diff, double goal)
{
    if (!ut_meta_num_ok(diff))
        return "the difficulty is not a finite number in [0, 1e60]";
    if (!ut_meta_num_ok(goal))
        return "the goal is not a finite number in [0, 1e60]";
    if ((r && (!ut_meta_num_ok(r->p + diff) || !ut_meta_num_ok(r->g + goal))) ||
        (s && !ut_meta_num_ok(s->pow + diff)))
        return "it would take a sum of the minute past 1e60";
    return NULL;
}

/* Logs the refused ones: at most one line per MT_REFUSED_LOG seconds. */
void mt_refused_log(ut_meta *m, const char *what)
{
    double now = ev_now(m->loop);
    if (what && now < m->refused_log_at + MT_REFUSED_LOG) {
        m->refused_unlogged++;
        return;
    }
    if (!what && (!m->refused_unlogged || now < m->refused_log_at + MT_REFUSED_LOG))
        return;
    log_error("meta %s: %s%" PRIu64 " more shares refused since the last line, %" PRIu64
              " in all", m->source, what ? what : "", m->refused_unlogged, m->refused);
    m->refused_unlogged = 0;
    m->refused_log_at = now;
}

static void mt_refuse(ut_meta *m, const char *user, const char *worker, double diff,
                      double goal, const char *why)
{
    char what[512];
    m->refused++;
    snprintf(what, sizeof(what), "share of %s.%s (diff %g, goal %g) refused, not counted: %s; ",
             user, worker, diff, goal, why);
    mt_refused_log(m, what);
}

/* A stale reject: a reject that is also counted as stale. */
void mt_count_stale(mt_rec *r, mt_sys *s)
{
    mt_count(r, s, 0, 0, false);
    r->st++;
    s->stale++;
}

void ut_meta_stale(ut_meta *m, const char *user, const char *worker)
{
    user = user ? user : "";
    worker = worker ? worker : "";
    int64_t minute = mt_minute(mt_now(m));
    mt_rec *r = mt_rec_get(m, user, worker, minute);
    mt_sys *s = mt_sys_get(m, minute);
    if (!r || !s) {
        log_fatal("meta %s: out of memory, a share of %s.%s is lost", m->source, user, worker);
        return;
    }
    mt_count_stale(r, s);
    if (m->jon)
        jr_stale(m, r);
}

void ut_meta_share(ut_meta *m, const char *user, const char *worker, double diff,
                   double goal, bool accepted)
{
    user = user ? user : "";
    worker = worker ? worker : "";
    const char *why = accepted ? mt_share_why(NULL, NULL, diff, goal) : NULL;
    if (why) {
        mt_refuse(m, user, worker, diff, goal, why);
        return;
    }
    int64_t minute = mt_minute(mt_now(m));
    mt_rec *r = mt_rec_get(m, user, worker, minute);
    mt_sys *s = mt_sys_get(m, minute);
    if (!r || !s) {
        log_fatal("meta %s: out of memory, a share of %s.%s is lost", m->source, user, worker);
        return;
    }
    if (accepted && (why = mt_share_why(r, s, diff, goal)) != NULL) {
        mt_refuse(m, user, worker, diff, goal, why);
        return;
    }
    mt_count(r, s, diff, goal, accepted);
    if (m->jon)
        jr_share(m, r, diff, goal, accepted);
}

void mt_connections_at(ut_meta *m, double now, int64_t n)
{
    mt_roll_connections(m, now);
    m->conn_value = n;
}

void ut_meta_connections(ut_meta *m, int64_t n)
{
    if (n < 0 || n > UT_META_COUNT_MAX) {   /* a caller's bug: never a refused batch */
        log_error("meta %s: connection count %" PRId64 " out of range, not sampled", m->source,
                  n);
        return;
    }
    double now = mt_now(m);
    mt_connections_at(m, now, n);
    if (m->jon)
        jr_pair(m, 'N', &now, &n);
}
