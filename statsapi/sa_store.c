/* sa_store: the in-memory picture of the pool (see sa_store.h). */
#include "statsapi/sa_store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utils/ut_node.h"

const char *const sa_win_names[SA_NWIN] = {"1m", "10m", "1h", "24h"};
static const int sa_win_minutes[SA_NWIN - 1] = {1, 10, 60};

#define SA_TWO32 4294967296.0
#define SA_BLOCKS_SHOWN 20

void sa_store_init(sa_store *st)
{
    memset(st, 0, sizeof(*st));
    pthread_rwlock_init(&st->lock, NULL);
    ut_htab_init(&st->users, sizeof(sa_user *), 0);
    st->loading = true;
    st->history_loading = true;
}

static void sa_user_free(sa_user *u)
{
    for (size_t i = 0; i < u->nworkers; i++) {
        free(u->workers[i]->name);
        free(u->workers[i]);
    }
    free(u->workers);
    ut_htab_free(&u->by_name);
    free(u->name);
    free(u);
}

void sa_store_free(sa_store *st)
{
    ut_htab_iter it;
    sa_user **up;

    ut_htab_iter_init(&it, &st->users);
    while ((up = ut_htab_next(&it, NULL, NULL)) != NULL)
        sa_user_free(*up);
    ut_htab_free(&st->users);
    free(st->blocks);
    pthread_rwlock_destroy(&st->lock);
}

sa_user *sa_store_find_user(const sa_store *st, const char *user)
{
    sa_user **up = ut_htab_get(&st->users, user, strlen(user));
    return up ? *up : NULL;
}

sa_user *sa_store_user(sa_store *st, const char *user)
{
    size_t len = strlen(user);
    sa_user **up;
    int rc;

    if (len > SA_MAX_NAME)
        return NULL;
    rc = ut_htab_put(&st->users, user, len, (void **)&up);
    if (rc == 0)
        return *up;
    if (rc != 1)
        return NULL;
    sa_user *u = calloc(1, sizeof(*u));
    if (u && !(u->name = strdup(user))) {
        free(u);
        u = NULL;
    }
    if (!u) {
        ut_htab_del(&st->users, user, len);
        return NULL;
    }
    ut_htab_init(&u->by_name, sizeof(sa_worker *), 0);
    *up = u;
    return u;
}

sa_worker *sa_store_worker(sa_store *st, sa_user *u, const char *worker)
{
    size_t len = strlen(worker);
    sa_worker **wp;

    if (len > SA_MAX_NAME)
        return NULL;
    wp = ut_htab_get(&u->by_name, worker, len);
    if (wp)
        return *wp;
    if (u->nworkers == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 4;
        sa_worker **v = realloc(u->workers, cap * sizeof(*v));
        if (!v)
            return NULL;
        u->workers = v;
        u->cap = cap;
    }
    sa_worker *w = calloc(1, sizeof(*w));
    if (!w || !(w->name = strdup(worker)) ||
        ut_htab_put(&u->by_name, worker, len, (void **)&wp) != 1) {
        if (w)
            free(w->name);
        free(w);
        return NULL;
    }
    *wp = w;
    u->workers[u->nworkers++] = w;
    st->nworkers++;
    return w;
}

static void sa_hour_add(sa_ent *e, int64_t t, double p, int64_t s, int64_t r, int64_t x)
{
    uint32_t h = (uint32_t)(t / 3600);
    sa_cell *c = &e->h[h % SA_HRING];

    if (c->tag > h)
        return;                          /* older than the hours kept */
    if (c->tag < h)
        *c = (sa_cell){.tag = h};
    c->p += p;
    c->s = (uint32_t)((int64_t)c->s + s);
    c->r = (uint32_t)((int64_t)c->r + r);
    c->x = (uint32_t)((int64_t)c->x + x);
}

void sa_ent_set(sa_ent *e, int64_t t, double p, uint32_t s, uint32_t r, uint32_t x)
{
    uint32_t m = (uint32_t)(t / 60);
    sa_cell *c = &e->m[m % SA_MRING];

    if (t <= 0)
        return;
    if (s > 0) {
        if (t > e->last_share)
            e->last_share = t;
        if (e->first_seen == 0 || t < e->first_seen)
            e->first_seen = t;
    }
    if (c->tag > m) {                    /* older than the ring: the first load */
        sa_hour_add(e, t, p, s, r, x);
        return;
    }
    if (c->tag < m)
        *c = (sa_cell){.tag = m};
    sa_hour_add(e, t, p - c->p, (int64_t)s - c->s, (int64_t)r - c->r, (int64_t)x - c->x);
    c->p = p;
    c->s = s;
    c->r = r;
    c->x = x;
}

static void sa_win_add(sa_win *out, const sa_cell *c)
{
    out->diff += c->p;
    out->accepted += c->s;
    out->rejected += c->r;
    out->stale += c->x;
}

void sa_ent_window(const sa_ent *e, int w, int64_t now, sa_win *out)
{
    memset(out, 0, sizeof(*out));
    if (w < SA_NWIN - 1) {
        int64_t cur = now / 60, W = sa_win_minutes[w];
        for (int i = 0; i < SA_MRING; i++) {
            const sa_cell *c = &e->m[i];
            if (c->tag && (int64_t)c->tag >= cur - W && (int64_t)c->tag <= cur)
                sa_win_add(out, c);
        }
        out->seconds = (double)(W * 60 + (now - cur * 60));
    } else {
        int64_t cur = now / 3600;
        for (int i = 0; i < SA_HRING; i++) {
            const sa_cell *c = &e->h[i];
            if (c->tag && (int64_t)c->tag >= cur - 23 && (int64_t)c->tag <= cur)
                sa_win_add(out, c);
        }
        out->seconds = (double)(23 * 3600 + (now - cur * 3600));
    }
    out->hashrate = out->seconds > 0 ? out->diff * SA_TWO32 / out->seconds : 0;
}

static bool sa_alive(const sa_ent *e, int64_t now, int64_t alive_s)
{
    return e->last_share > 0 && e->last_share + 60 > now - alive_s;
}

void sa_store_counts(const sa_store *st, int64_t now, int64_t alive_s, size_t *users,
                     size_t *users_alive, size_t *workers, size_t *workers_alive)
{
    ut_htab_iter it;
    sa_user **up;

    *users = *users_alive = *workers = *workers_alive = 0;
    ut_htab_iter_init(&it, &st->users);
    while ((up = ut_htab_next(&it, NULL, NULL)) != NULL) {
        (*users)++;
        *users_alive += sa_alive(&(*up)->e, now, alive_s);
        for (size_t i = 0; i < (*up)->nworkers; i++) {
            (*workers)++;
            *workers_alive += sa_alive(&(*up)->workers[i]->e, now, alive_s);
        }
    }
}

static double sa_pct(uint64_t part, uint64_t all)
{
    return all ? 100.0 * (double)part / (double)all : 0.0;
}

static json_t *sa_time_json(int64_t t)
{
    return t > 0 ? json_integer((json_int_t)t) : json_null();
}

/* "hashrate": {...}, "windows": {...}, and the 24 h counts with their
 * pyasic names, set on o. */
static void sa_ent_fields(json_t *o, const sa_ent *e, int64_t now, int64_t alive_s)
{
    json_t *hr = json_object(), *wins = json_object();
    sa_win w[SA_NWIN];

    for (int i = 0; i < SA_NWIN; i++) {
        sa_ent_window(e, i, now, &w[i]);
        json_object_set_new(hr, sa_win_names[i], json_real(w[i].hashrate));
        json_object_set_new(wins, sa_win_names[i],
                            json_pack("{s:f, s:f, s:f, s:I, s:I, s:I}", "seconds", w[i].seconds,
                                      "hashrate", w[i].hashrate, "accepted_diff", w[i].diff,
                                      "accepted", (json_int_t)w[i].accepted, "rejected",
                                      (json_int_t)w[i].rejected, "stale",
                                      (json_int_t)w[i].stale));
    }
    const sa_win *d = &w[SA_NWIN - 1];
    uint64_t all = d->accepted + d->rejected;
    json_object_set_new(o, "hashrate", hr);
    json_object_set_new(o, "windows", wins);
    json_object_set_new(o, "accepted", json_integer((json_int_t)d->accepted));
    json_object_set_new(o, "rejected", json_integer((json_int_t)d->rejected));
    json_object_set_new(o, "stale", json_integer((json_int_t)d->stale));
    json_object_set_new(o, "pool_rejected_percent", json_real(sa_pct(d->rejected, all)));
    json_object_set_new(o, "pool_stale_percent", json_real(sa_pct(d->stale, all)));
    json_object_set_new(o, "last_share", sa_time_json(e->last_share));
    json_object_set_new(o, "first_seen", sa_time_json(e->first_seen));
    json_object_set_new(o, "alive", json_boolean(sa_alive(e, now, alive_s)));
}

const char *const sa_block_status_names[3] = {"accepted", "orphaned", "unknown"};

bool sa_block_due(const sa_block *b, size_t i, size_t n, int64_t now, double interval)
{
    int64_t t = b->time > 0 ? b->time : b->seen;

    if (i >= n || n - i > SA_BLOCK_RECENT || !b->hash[0] || now - t > SA_BLOCK_MAX_AGE)
        return false;
    if (b->status == SA_BLOCK_ACCEPTED && b->confirmations >= SA_BLOCK_FINAL)
        return false;
    return b->checked == 0 || (double)(now - b->checked) >= interval;
}

static bool sa_has_nocase(const char *s, const char *word)
{
    size_t n = strlen(word);

    for (; s && *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return true;
    return false;
}

int sa_block_judge(const char *hash, int hdr_rc, const json_t *hdr, const char *hdr_err,
                   const char *main_hash, int64_t *conf)
{
    *conf = -1;
    if (hdr_rc == UT_NODE_ERR_NODE)
        return sa_has_nocase(hdr_err, "not found") ? SA_BLOCK_UNKNOWN : -1;
    if (hdr_rc != 0)
        return -1;
    if (json_is_null(hdr))
        return SA_BLOCK_UNKNOWN;
    json_t *c = json_object_get(hdr, "confirmations");
    if (!json_is_integer(c))
        return -1;
    if (json_integer_value(c) < 0)
        return SA_BLOCK_ORPHANED;
    if (!main_hash)
        return -1;
    if (strcasecmp(main_hash, hash) != 0)
        return SA_BLOCK_ORPHANED;
    *conf = (int64_t)json_integer_value(c);
    return SA_BLOCK_ACCEPTED;
}

static json_t *sa_blocks_json(const sa_store *st)
{
    json_t *recent = json_array();

    for (size_t i = st->nblocks; i > 0 && st->nblocks - i < SA_BLOCKS_SHOWN; i--) {
        const sa_block *b = &st->blocks[i - 1];
        char finder[2 * SA_MAX_NAME + 2];
        snprintf(finder, sizeof(finder), "%s%s%s", b->user, b->worker[0] ? "." : "", b->worker);
        json_array_append_new(recent,
                              json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:o}", "hash",
                                        b->hash, "height",
                                        b->height >= 0 ? json_integer(b->height) : json_null(),
                                        "reward",
                                        b->reward >= 0 ? json_integer(b->reward) : json_null(),
                                        "finder", finder, "user", b->user, "worker", b->worker,
                                        "time", sa_time_json(b->time)));
        json_t *o = json_array_get(recent, json_array_size(recent) - 1);
        int k = b->status >= 0 && b->status <= 2 ? b->status : SA_BLOCK_ACCEPTED;
        json_object_set_new(o, "status", json_string(sa_block_status_names[k]));
        json_object_set_new(o, "confirmations", b->confirmations >= 0
                                                    ? json_integer(b->confirmations)
                                                    : json_null());
    }
    return json_pack("{s:I, s:o}", "total", (json_int_t)st->nblocks, "recent", recent);
}

json_t *sa_pool_json(const sa_store *st, int64_t now, int64_t alive_s, const char *url)
{
    size_t users, users_alive, workers, workers_alive;
    const sa_pool_info *in = &st->info;
    json_t *o = json_object();
    sa_win h1;

    sa_store_counts(st, now, alive_s, &users, &users_alive, &workers, &workers_alive);
    sa_ent_fields(o, &st->pool, now, alive_s);
    sa_ent_window(&st->pool, 2, now, &h1);
    json_object_set_new(o, "url", json_string(url ? url : ""));
    json_object_set_new(o, "connections", json_integer((json_int_t)in->connections));
    json_object_set_new(o, "users", json_integer((json_int_t)users));
    json_object_set_new(o, "users_alive", json_integer((json_int_t)users_alive));
    json_object_set_new(o, "workers", json_integer((json_int_t)workers));
    json_object_set_new(o, "workers_alive", json_integer((json_int_t)workers_alive));
    json_object_set_new(o, "network",
                        json_pack("{s:f, s:o, s:o, s:f, s:b}", "difficulty", in->network_diff,
                                  "height", in->height ? json_integer(in->height) : json_null(),
                                  "reward", in->reward ? json_integer(in->reward) : json_null(),
                                  "hashrate", in->network_diff * SA_TWO32 / 600.0,
                                  "jobmaster_up", in->jobmaster_ok));
    json_object_set_new(o, "expected_block_seconds",
                        in->network_diff > 0 && h1.hashrate > 0
                            ? json_real(in->network_diff * SA_TWO32 / h1.hashrate)
                            : json_null());
    json_object_set_new(o, "blocks", sa_blocks_json(st));
    return o;
}

static int sa_worker_cmp(const void *a, const void *b)
{
    const sa_worker *x = *(sa_worker *const *)a, *y = *(sa_worker *const *)b;
    return strcmp(x->name, y->name);
}

json_t *sa_user_json(const sa_store *st, const sa_user *u, int64_t now, int64_t alive_s,
                     const char *url)
{
    json_t *o = json_object(), *arr = json_array();
    sa_worker **sorted = malloc((u->nworkers ? u->nworkers : 1) * sizeof(*sorted));
    size_t alive = 0;

    if (!o || !arr || !sorted) {
        json_decref(o);
        json_decref(arr);
        free(sorted);
        return NULL;
    }
    memcpy(sorted, u->workers, u->nworkers * sizeof(*sorted));
    qsort(sorted, u->nworkers, sizeof(*sorted), sa_worker_cmp);
    for (size_t i = 0; i < u->nworkers; i++) {
        const sa_worker *w = sorted[i];
        char full[2 * SA_MAX_NAME + 2];
        json_t *wo = json_object();
        snprintf(full, sizeof(full), "%s%s%s", u->name, w->name[0] ? "." : "", w->name);
        json_object_set_new(wo, "name", json_string(w->name));
        json_object_set_new(wo, "user", json_string(full));
        sa_ent_fields(wo, &w->e, now, alive_s);
        json_object_set_new(wo, "active", json_incref(json_object_get(wo, "alive")));
        json_object_set_new(wo, "url", json_string(url ? url : ""));
        alive += json_is_true(json_object_get(wo, "alive"));
        json_array_append_new(arr, wo);
    }
    free(sorted);
    json_object_set_new(o, "user", json_string(u->name));
    sa_ent_fields(o, &u->e, now, alive_s);
    json_object_set_new(o, "workers_total", json_integer((json_int_t)u->nworkers));
    json_object_set_new(o, "workers_alive", json_integer((json_int_t)alive));
    json_object_set_new(o, "workers", arr);
    return o;
}
