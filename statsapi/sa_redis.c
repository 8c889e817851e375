/* sa_redis: the refresh thread (see sa_redis.h). */
#include "statsapi/sa_redis.h"

#include <curl/curl.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utils/ut_log.h"

#define SA_PIPE 256                    /* targets per pipeline round trip */
#define SA_LOAD_MINUTES (25 * 60)      /* back to the 24 h window's start */
#define SA_FIRST_MINUTES 62            /* an entity's first read: the 1 h window and more */
#define SA_AGAIN 3                     /* minutes read again every time */
#define SA_BACKFILL_MIN 1.0            /* back-fill seconds per round at least, and */
#define SA_BACKFILL_SHARE 0.8          /* at most this part of `refresh` minus the round */

struct sa_redis {
    sa_store *st;
    const sa_config *cfg;
    pthread_t thread;
    _Atomic bool stop;
    redisContext *c;
    double next_rescan;
    size_t newworker_read, newblock_read;
    bool full_warned;
    /* the field names of this round: minute fields[i] = base + 60 * i */
    int64_t base;
    char (*fields)[24];
    const char **argv;
    size_t *argl;
};

/* One entity to read this round and the keys it reads. */
typedef struct sa_target {
    sa_ent *e;
    char who[2 * SA_MAX_NAME + 2];    /* "user" or "user:worker"; "" = the pool */
    int64_t from, to;                 /* minutes read */
    bool backfill;                    /* older minutes below e->back, not the new ones */
} sa_target;

static double sa_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sa_key_split(const char *rest, char *user, char *worker, size_t cap)
{
    size_t len = strlen(rest);
    const char *colon;

    if (len >= 7 && strcmp(rest + len - 7, ":reject") == 0)
        len -= 7;
    colon = memchr(rest, ':', len);
    size_t ul = colon ? (size_t)(colon - rest) : len;
    size_t wl = colon ? len - ul - 1 : 0;
    if (ul == 0 || ul >= cap || wl >= cap || ul > SA_MAX_NAME || wl > SA_MAX_NAME)
        return -1;
    memcpy(user, rest, ul);
    user[ul] = '\0';
    if (colon)
        memcpy(worker, colon + 1, wl);
    worker[wl] = '\0';
    return colon ? 1 : 0;
}

redisContext *sa_redis_open(const ut_cfg_redis *rc, char *err, size_t errlen)
{
    struct timeval tv = {(time_t)rc->timeout,
                         (suseconds_t)((rc->timeout - (time_t)rc->timeout) * 1e6)};
    redisContext *c = redisConnectWithTimeout(rc->host, rc->port, tv);
    redisReply *rep;
    bool ok;

    if (!c || c->err) {
        snprintf(err, errlen, "redis %s:%d: %s", rc->host, rc->port,
                 c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (rc->password)
        freeReplyObject(redisCommand(c, "AUTH %s", rc->password));
    rep = redisCommand(c, "SELECT %d", rc->db);
    ok = rep && rep->type != REDIS_REPLY_ERROR;
    freeReplyObject(rep);
    if (!ok) {
        snprintf(err, errlen, "redis SELECT %d failed", rc->db);
        redisFree(c);
        return NULL;
    }
    return c;
}

static int sa_connect(sa_redis *r)
{
    const sa_config *cfg = r->cfg;
    char err[256];

    if (r->c && !r->c->err)
        return 0;
    if (r->c)
        redisFree(r->c);
    r->c = sa_redis_open(&cfg->redis, err, sizeof(err));
    if (!r->c) {
        log_error("statsapi: %s", err);
        return -1;
    }
    log_info("statsapi: connected to redis %s:%d db %d", cfg->redis.host, cfg->redis.port,
             cfg->redis.db);
    return 0;
}

/* Registers user[:worker] (the caller holds the write lock). */
static void sa_register(sa_redis *r, const char *user, const char *worker, bool is_worker)
{
    sa_store *st = r->st;
    sa_user *u = sa_store_find_user(st, user);

    if (!u && !(u = sa_store_user(st, user)))
        return;
    if (!is_worker || ut_htab_get(&u->by_name, worker, strlen(worker)))
        return;
    if (st->nworkers >= r->cfg->max_workers) {
        if (!r->full_warned)
            log_error("statsapi: max_workers %zu reached, worker %s.%s and later ones not "
                      "shown", r->cfg->max_workers, user, worker);
        r->full_warned = true;
        return;
    }
    sa_store_worker(st, u, worker);
}

static void sa_register_key(sa_redis *r, const char *rest)
{
    char user[SA_MAX_NAME + 1], worker[SA_MAX_NAME + 1];
    int kind = sa_key_split(rest, user, worker, sizeof(user));

    if (kind >= 0)
        sa_register(r, user, worker, kind == 1);
}

/* SCAN <coin>:s:* : every user and worker with a key. */
static int sa_rescan(sa_redis *r)
{
    char cursor[32] = "0", match[128];
    size_t plen = (size_t)snprintf(match, sizeof(match), "%s:s:*", r->cfg->coin) - 1;

    do {
        redisReply *rep = redisCommand(r->c, "SCAN %s MATCH %s COUNT 1000", cursor, match);
        if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
            freeReplyObject(rep);
            return -1;
        }
        snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
        redisReply *keys = rep->element[1];
        pthread_rwlock_wrlock(&r->st->lock);
        for (size_t i = 0; i < keys->elements; i++)
            if (keys->element[i]->type == REDIS_REPLY_STRING)
                sa_register_key(r, keys->element[i]->str + plen);
        pthread_rwlock_unlock(&r->st->lock);
        freeReplyObject(rep);
    } while (strcmp(cursor, "0") != 0 && !atomic_load(&r->stop));
    return 0;
}

/* The new entries of the newworker list ({"user","worker","coin"}). */
static int sa_new_workers(sa_redis *r)
{
    redisReply *rep = redisCommand(r->c, "LRANGE newworker %lld -1", (long long)r->newworker_read);

    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return -1;
    }
    pthread_rwlock_wrlock(&r->st->lock);
    for (size_t i = 0; i < rep->elements; i++) {
        json_t *j = json_loads(rep->element[i]->str ? rep->element[i]->str : "", 0, NULL);
        const char *u = json_string_value(json_object_get(j, "user"));
        const char *w = json_string_value(json_object_get(j, "worker"));
        if (u && *u && w && strlen(u) <= SA_MAX_NAME && strlen(w) <= SA_MAX_NAME)
            sa_register(r, u, w, true);
        json_decref(j);
    }
    pthread_rwlock_unlock(&r->st->lock);
    r->newworker_read += rep->elements;
    freeReplyObject(rep);
    return 0;
}

static int sa_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Each block's minute: the minutes of <coin>:m:block, each repeated by
 * its count, matched to the newblock list (n entries) from its end. t[i]
 * is block i's minute, or 0 where the hash has fewer (keep what it has). */
static void sa_block_times(sa_redis *r, int64_t *out, size_t n)
{
    redisReply *rep = redisCommand(r->c, "HGETALL %s:m:block", r->cfg->coin);
    size_t nt = 0, cap = 0;
    int64_t *t = NULL;

    for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2) {
        int64_t minute = strtoll(rep->element[i]->str, NULL, 10);
        int64_t count = strtoll(rep->element[i + 1]->str, NULL, 10);
        for (int64_t k = 0; k < count && k < 1000; k++) {
            if (nt == cap) {
                cap = cap ? cap * 2 : 16;
                int64_t *v = realloc(t, cap * sizeof(*t));
                if (!v)
                    goto out;
                t = v;
            }
            t[nt++] = minute;
        }
    }
    qsort(t, nt, sizeof(*t), sa_cmp_i64);
    for (size_t i = 0; i < n && i < nt; i++)
        out[n - 1 - i] = t[nt - 1 - i];
out:
    free(t);
    freeReplyObject(rep);
}

static void sa_block_parse(sa_block *x, const char *s, int64_t now)
{
    json_t *j = json_loads(s ? s : "", 0, NULL);
    const char *h = json_string_value(json_object_get(j, "hash"));
    const char *u = json_string_value(json_object_get(j, "user"));
    const char *w = json_string_value(json_object_get(j, "worker"));
    snprintf(x->hash, sizeof(x->hash), "%s", h ? h : "");
    snprintf(x->user, sizeof(x->user), "%s", u ? u : "");
    snprintf(x->worker, sizeof(x->worker), "%s", w ? w : "");
    json_t *hv = json_object_get(j, "height"), *rv = json_object_get(j, "reward");
    x->height = json_is_integer(hv) ? (int64_t)json_integer_value(hv) : -1;
    x->reward = json_is_integer(rv) ? (int64_t)json_integer_value(rv) : -1;
    x->status = SA_BLOCK_ACCEPTED;
    x->confirmations = -1;
    x->seen = now;
    json_decref(j);
}

/* The new entries of newblock ({"name","hash","user","worker"}, and
 * "height", "reward" when the sender knew them). The block array is
 * grown under the write lock: the node checker (sa_node) writes the
 * status fields of the blocks already there. */
static int sa_blocks(sa_redis *r)
{
    redisReply *rep = redisCommand(r->c, "LRANGE newblock %lld -1", (long long)r->newblock_read);
    sa_store *st = r->st;

    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return -1;
    }
    if (rep->elements == 0) {
        freeReplyObject(rep);
        return 0;
    }
    size_t old = st->nblocks, n = old + rep->elements;  /* nblocks: only this thread writes it */
    sa_block *b = calloc(rep->elements, sizeof(*b));
    int64_t *t = calloc(n, sizeof(*t));
    sa_block *all = NULL;
    if (!b || !t) {
        free(b);
        free(t);
        freeReplyObject(rep);
        return -1;
    }
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < rep->elements; i++)
        sa_block_parse(&b[i], rep->element[i]->str, now);
    freeReplyObject(rep);
    sa_block_times(r, t, n);
    pthread_rwlock_wrlock(&st->lock);
    all = realloc(st->blocks, n * sizeof(*all));
    if (all) {
        memcpy(all + old, b, (n - old) * sizeof(*b));
        for (size_t i = 0; i < n; i++)
            if (t[i])
                all[i].time = t[i];
        st->blocks = all;
        st->nblocks = n;
        r->newblock_read += n - old;
    }
    pthread_rwlock_unlock(&st->lock);
    free(b);
    free(t);
    return all ? 0 : -1;
}

/* The field names of minutes [base, base + 60 * n). */
static int sa_fields(sa_redis *r, int64_t cur)
{
    size_t n = SA_LOAD_MINUTES + SA_AGAIN + 1;

    r->base = cur - 60 * (int64_t)(n - 1);
    if (!r->fields) {
        r->fields = malloc(n * sizeof(*r->fields));
        r->argv = malloc((n + 2) * sizeof(*r->argv));
        r->argl = malloc((n + 2) * sizeof(*r->argl));
        if (!r->fields || !r->argv || !r->argl)
            return -1;
    }
    for (size_t i = 0; i < n; i++)
        snprintf(r->fields[i], sizeof(r->fields[i]), "%" PRId64, r->base + 60 * (int64_t)i);
    return 0;
}

static void sa_hmget(sa_redis *r, const char *key, const sa_target *t)
{
    size_t first = (size_t)((t->from - r->base) / 60), n = (size_t)((t->to - t->from) / 60) + 1;

    r->argv[0] = "HMGET";
    r->argl[0] = 5;
    r->argv[1] = key;
    r->argl[1] = strlen(key);
    for (size_t i = 0; i < n; i++) {
        r->argv[2 + i] = r->fields[first + i];
        r->argl[2 + i] = strlen(r->fields[first + i]);
    }
    redisAppendCommandArgv(r->c, (int)(n + 2), r->argv, r->argl);
}

#define SA_NKEYS 4           /* pow, share, reject, stale */

static void sa_keys_of(const sa_redis *r, const sa_target *t, char k[SA_NKEYS][600])
{
    const char *coin = r->cfg->coin;

    if (!t->who[0]) {
        snprintf(k[0], 600, "%s:m:pow", coin);
        snprintf(k[1], 600, "%s:m:share", coin);
        snprintf(k[2], 600, "%s:m:reject", coin);
        snprintf(k[3], 600, "%s:m:stale", coin);
    } else {
        snprintf(k[0], 600, "%s:p:%s", coin, t->who);
        snprintf(k[1], 600, "%s:s:%s", coin, t->who);
        snprintf(k[2], 600, "%s:s:%s:reject", coin, t->who);
        snprintf(k[3], 600, "%s:st:%s", coin, t->who);
    }
}

static double sa_num(const redisReply *x)
{
    return x && x->type == REDIS_REPLY_STRING ? strtod(x->str, NULL) : 0.0;
}

/* Reads the replies of one target's SA_NKEYS HMGETs and applies them. */
static int sa_apply(sa_redis *r, sa_target *t)
{
    redisReply *rep[SA_NKEYS] = {NULL, NULL, NULL, NULL};
    int rc = 0;
    size_t n = (size_t)((t->to - t->from) / 60) + 1;

    for (int k = 0; k < SA_NKEYS; k++) {
        if (redisGetReply(r->c, (void **)&rep[k]) != REDIS_OK || !rep[k] ||
            rep[k]->type != REDIS_REPLY_ARRAY || rep[k]->elements != n)
            rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        double p = sa_num(rep[0]->element[i]), s = sa_num(rep[1]->element[i]);
        double rj = sa_num(rep[2]->element[i]), x = sa_num(rep[3]->element[i]);
        if (p > 0 || s > 0 || rj > 0)
            sa_ent_set(t->e, t->from + 60 * (int64_t)i, p, (uint32_t)s, (uint32_t)rj,
                       (uint32_t)x);
    }
    if (rc == 0 && !t->backfill)
        t->e->fetched = t->to;
    if (rc == 0 && (t->e->back == 0 || t->from < t->e->back))
        t->e->back = t->from;
    for (int k = 0; k < SA_NKEYS; k++)
        freeReplyObject(rep[k]);
    return rc;
}

/* Sends the HMGETs of targets [0, n), then applies their replies under
 * the write lock. */
static int sa_fetch(sa_redis *r, sa_target *t, size_t n)
{
    char keys[SA_NKEYS][600];
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        sa_keys_of(r, &t[i], keys);
        for (int k = 0; k < SA_NKEYS; k++)
            sa_hmget(r, keys[k], &t[i]);
    }
    pthread_rwlock_wrlock(&r->st->lock);
    for (size_t i = 0; i < n; i++)
        if (sa_apply(r, &t[i]) != 0)
            rc = -1;
    pthread_rwlock_unlock(&r->st->lock);
    return rc;
}

/* Whether e is read this round, and from which minute. */
static bool sa_due(const sa_redis *r, sa_ent *e, int64_t cur, int64_t *from)
{
    bool idle = e != &r->st->pool && e->last_share < cur - 3600;

    if (e->fetched == 0) {                  /* the first read: the last hour only */
        *from = cur - 60 * SA_FIRST_MINUTES;
        return true;
    }
    if (idle && cur - e->fetched < (int64_t)r->cfg->idle_refresh)
        return false;
    *from = e->fetched - 60 * SA_AGAIN;
    if (*from < cur - 60 * SA_LOAD_MINUTES)
        *from = cur - 60 * SA_LOAD_MINUTES;
    return true;
}

/* backfill: the minutes of e from the 24 h window's start to below
 * e->back, once, after its first read (the back-fill), instead of the new
 * ones. */
static int sa_add_target(sa_redis *r, sa_target *t, size_t *n, sa_ent *e, const char *user,
                         const char *worker, int64_t cur, bool backfill)
{
    int64_t from, to = cur;

    if (backfill) {
        from = cur - 60 * SA_LOAD_MINUTES;
        to = e->back - 60;
        if (e->back == 0 || to < from)
            return 0;
    } else if (!sa_due(r, e, cur, &from)) {
        return 0;
    }
    t[*n].e = e;
    t[*n].from = from;
    t[*n].to = to;
    t[*n].backfill = backfill;
    snprintf(t[*n].who, sizeof(t[*n].who), "%s%s%s", user, worker && *worker ? ":" : "",
             worker && *worker ? worker : "");
    if (++*n < SA_PIPE)
        return 0;
    int rc = sa_fetch(r, t, *n);
    *n = 0;
    return rc;
}

/* Reads the due entities: the pool, then every user and its workers. Only
 * this thread adds users and workers, so it walks them without the lock.
 * backfill: the older minutes of the entities read for the first time
 * (SA_FIRST_MINUTES), until the time until (sa_now); *done tells whether
 * every entity has its 24 h now. */
static int sa_read_all(sa_redis *r, int64_t cur, bool backfill, double until, bool *done)
{
    sa_target *t = calloc(SA_PIPE, sizeof(*t));
    ut_htab_iter it;
    sa_user **up;
    size_t n = 0;
    int rc = 0;

    if (!t || sa_fields(r, cur) != 0) {
        free(t);
        return -1;
    }
    if (done)
        *done = false;
    rc |= sa_add_target(r, t, &n, &r->st->pool, "", NULL, cur, backfill);
    ut_htab_iter_init(&it, &r->st->users);
    while (rc == 0 && (up = ut_htab_next(&it, NULL, NULL)) != NULL && !atomic_load(&r->stop)) {
        sa_user *u = *up;
        if (backfill && sa_now() > until)
            break;
        rc |= sa_add_target(r, t, &n, &u->e, u->name, NULL, cur, backfill);
        for (size_t i = 0; rc == 0 && i < u->nworkers; i++)
            rc |= sa_add_target(r, t, &n, &u->workers[i]->e, u->name, u->workers[i]->name, cur,
                                backfill);
    }
    if (done && rc == 0 && up == NULL)
        *done = true;
    if (rc == 0 && n)
        rc = sa_fetch(r, t, n);
    free(t);
    return rc;
}

/* The connections gauge: the newest whole minute that has one. */
static void sa_connections(sa_redis *r, int64_t cur)
{
    redisReply *rep = redisCommand(r->c, "HMGET %s:m:connections %" PRId64 " %" PRId64,
                                   r->cfg->coin, cur - 60, cur - 120);
    int64_t v = 0;

    if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2)
        v = (int64_t)(rep->element[0]->type == REDIS_REPLY_STRING ? sa_num(rep->element[0])
                                                                  : sa_num(rep->element[1]));
    freeReplyObject(rep);
    pthread_rwlock_wrlock(&r->st->lock);
    r->st->info.connections = v;
    pthread_rwlock_unlock(&r->st->lock);
}

static size_t sa_curl_write(char *data, size_t size, size_t n, void *arg)
{
    char **buf = arg;
    size_t old = *buf ? strlen(*buf) : 0, add = size * n;
    char *v = old + add < 1024 * 1024 ? realloc(*buf, old + add + 1) : NULL;

    if (!v)
        return 0;
    memcpy(v + old, data, add);
    v[old + add] = '\0';
    *buf = v;
    return add;
}

/* The jobmaster's /status: network_diff, height, coinbase_value. */
static void sa_jobmaster(sa_redis *r)
{
    CURL *h;
    char *body = NULL;
    sa_pool_info in;

    if (!r->cfg->jobmaster_status || !(h = curl_easy_init()))
        return;
    curl_easy_setopt(h, CURLOPT_URL, r->cfg->jobmaster_status);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sa_curl_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    CURLcode cc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    json_t *j = cc == CURLE_OK && body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    pthread_rwlock_rdlock(&r->st->lock);
    in = r->st->info;
    pthread_rwlock_unlock(&r->st->lock);
    in.jobmaster_ok = json_is_number(json_object_get(j, "network_diff"));
    if (in.jobmaster_ok) {
        in.network_diff = json_number_value(json_object_get(j, "network_diff"));
        in.height = (int64_t)json_integer_value(json_object_get(j, "height"));
        in.reward = (int64_t)json_integer_value(json_object_get(j, "coinbase_value"));
    }
    json_decref(j);
    pthread_rwlock_wrlock(&r->st->lock);
    r->st->info = in;
    pthread_rwlock_unlock(&r->st->lock);
}

static int sa_round(sa_redis *r)
{
    double t0 = sa_now();
    int64_t cur = (int64_t)t0 / 60 * 60;
    int rc = 0;

    if (sa_connect(r) != 0)
        return -1;
    if (t0 >= r->next_rescan) {
        rc |= sa_rescan(r);
        r->next_rescan = t0 + r->cfg->rescan;
    }
    rc |= sa_new_workers(r);
    rc |= sa_read_all(r, cur, false, 0, NULL);
    /* The first rounds read every entity's last hour and serve it; the
     * older hours of the 24 h window follow in what is left of each
     * refresh interval (SA_BACKFILL_SHARE of it, SA_BACKFILL_MIN at least). */
    bool done = false;
    double spare = SA_BACKFILL_SHARE * r->cfg->refresh - (sa_now() - t0);
    if (rc == 0 && !r->st->loading)
        rc |= sa_read_all(r, cur, true, sa_now() + (spare > SA_BACKFILL_MIN ? spare
                                                                             : SA_BACKFILL_MIN),
                          &done);
    rc |= sa_blocks(r);
    sa_connections(r, cur);
    sa_jobmaster(r);
    pthread_rwlock_wrlock(&r->st->lock);
    r->st->refresh_ms = (sa_now() - t0) * 1000;
    r->st->updated = (int64_t)sa_now();
    r->st->refreshes++;
    if (rc == 0 && !r->st->loading && done)
        r->st->history_loading = false;
    if (rc == 0)
        r->st->loading = false;
    else
        r->st->errors++;
    pthread_rwlock_unlock(&r->st->lock);
    return rc;
}

static void *sa_thread(void *arg)
{
    sa_redis *r = arg;

    while (!atomic_load(&r->stop)) {
        double t0 = sa_now();
        if (sa_round(r) != 0) {
            log_error("statsapi: refresh failed%s%s; next try in %.0fs",
                      r->c && r->c->err ? ": " : "", r->c && r->c->err ? r->c->errstr : "",
                      r->cfg->refresh);
            if (r->c && r->c->err) {
                redisFree(r->c);
                r->c = NULL;
            }
        }
        while (!atomic_load(&r->stop) && sa_now() < t0 + r->cfg->refresh) {
            struct timespec ts = {0, 100 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

sa_redis *sa_redis_start(sa_store *st, const sa_config *cfg)
{
    sa_redis *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->st = st;
    r->cfg = cfg;
    if (pthread_create(&r->thread, NULL, sa_thread, r) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

void sa_redis_stop(sa_redis *r)
{
    if (!r)
        return;
    atomic_store(&r->stop, true);
    pthread_join(r->thread, NULL);
    if (r->c)
        redisFree(r->c);
    free(r->fields);
    free(r->argv);
    free(r->argl);
    free(r);
}
