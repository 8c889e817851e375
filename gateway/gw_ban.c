/* gw_ban: per-IP limits, strikes and bans shared by the worker processes
 * (see gw_ban.h). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "gateway/gw_ban.h"

#define GW_IP_IDLE 60.0   /* seconds quiet before an idle entry may be evicted */

int gw_ban_key(const nw_addr *addr, uint8_t key[16])
{
    memset(key, 0, 16);
    if (addr->u.sa.sa_family == AF_INET) {
        key[10] = 0xff;
        key[11] = 0xff;
        memcpy(key + 12, &addr->u.in4.sin_addr, 4);
        return 0;
    }
    if (addr->u.sa.sa_family == AF_INET6) {
        const uint8_t *a = addr->u.in6.sin6_addr.s6_addr;
        static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
        /* A v4-mapped address is its IPv4 address; other IPv6 count per /64. */
        memcpy(key, a, memcmp(a, mapped, 12) == 0 ? 16 : 8);
        return 0;
    }
    return -1;
}

bool gw_ban_exempt(const gw_ban_cfg *cfg, const uint8_t key[16])
{
    for (int i = 0; i < cfg->nexempt; i++)
        if (memcmp(cfg->exempt[i], key, 16) == 0)
            return true;
    return false;
}

double gw_ban_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int gw_ban_table_init(gw_ip_table *t)
{
    pthread_mutexattr_t a;
    int rc;

    t->seed = *ut_hash_seed();   /* the supervisor's key, before it forks */
    if (pthread_mutexattr_init(&a) != 0)
        return -1;
    rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    if (rc == 0)
        rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (rc == 0)
        rc = pthread_mutex_init(&t->lock, &a);
    pthread_mutexattr_destroy(&a);
    return rc == 0 ? 0 : -1;
}

/* A worker that died holding the lock leaves the table usable: the state
 * it was changing is one counter or one entry, nothing that chains. */
static void gw_ip_lock(gw_ip_table *t)
{
    if (pthread_mutex_lock(&t->lock) == EOWNERDEAD)
        pthread_mutex_consistent(&t->lock);
}

static void gw_ip_unlock(gw_ip_table *t)
{
    pthread_mutex_unlock(&t->lock);
}

static gw_ip_ent *gw_ip_bucket(gw_ip_table *t, const uint64_t k[2])
{
    uint64_t h = ut_hash_bytes(&t->seed, k, 16);

    return &t->ents[(h & (GW_IP_BUCKETS - 1)) * GW_IP_WAYS];
}

static void gw_ip_words(const uint8_t key[16], uint64_t k[2])
{
    memcpy(&k[0], key, 8);
    memcpy(&k[1], key + 8, 8);
}

static bool gw_ip_idle(const gw_ip_ent *e, double now)
{
    for (int w = 0; w < GW_MAX_WORKERS; w++)
        if (e->conns[w] != 0)
            return false;
    return e->banned_until <= now && now - e->touched >= GW_IP_IDLE;
}

/* The entry of key: found, or a new one in an empty or idle slot; with
 * `force`, a busy slot (the least recently used) is taken over too. NULL
 * when the bucket has no room. */
static gw_ip_ent *gw_ip_get(gw_ip_table *t, const uint8_t key[16], double now, bool force)
{
    uint64_t k[2];
    gw_ip_ent *b, *pick = NULL, *lru = NULL;

    gw_ip_words(key, k);
    b = gw_ip_bucket(t, k);
    for (int i = 0; i < GW_IP_WAYS; i++) {
        gw_ip_ent *e = &b[i];
        bool empty = !e->used;
        if (!empty && e->key[0] == k[0] && e->key[1] == k[1])
            return e;
        if (empty || gw_ip_idle(e, now)) {
            if (pick == NULL || e->touched < pick->touched)
                pick = e;
        }
        if (lru == NULL || e->touched < lru->touched)
            lru = e;
    }
    if (pick == NULL && force)
        pick = lru;
    if (pick == NULL)
        return NULL;
    memset(pick, 0, sizeof(*pick));
    pick->used = 1;
    pick->key[0] = k[0];
    pick->key[1] = k[1];
    pick->touched = now;
    pick->refill_at = now;
    pick->tokens = -1;   /* a fresh bucket: filled at the first admit */
    pick->strike_start = now;
    return pick;
}

/* Takes one token of the new-connection bucket; false when empty. */
static bool gw_ip_rate(gw_ip_ent *e, const gw_ban_cfg *cfg, double now)
{
    if (cfg->rate_per_ip <= 0)
        return true;
    if (e->tokens < 0)
        e->tokens = cfg->burst_per_ip;
    e->tokens += (now - e->refill_at) * cfg->rate_per_ip;
    if (e->tokens > cfg->burst_per_ip)
        e->tokens = cfg->burst_per_ip;
    e->refill_at = now;
    if (e->tokens < 1)
        return false;
    e->tokens -= 1;
    return true;
}

static uint32_t gw_ip_conns(const gw_ip_ent *e)
{
    uint32_t n = 0;

    for (int w = 0; w < GW_MAX_WORKERS; w++)
        n += e->conns[w];
    return n;
}

const char *gw_ban_admit(gw_shm *shm, const gw_ban_cfg *cfg, int worker, const uint8_t key[16],
                         double now, double *left)
{
    gw_ip_table *t = &shm->ips;
    const char *why = NULL;
    gw_ip_ent *e;

    *left = 0;
    if (gw_ban_exempt(cfg, key))
        return NULL;
    gw_ip_lock(t);
    e = gw_ip_get(t, key, now, false);
    if (e == NULL) {
        t->untracked++;
    } else {
        e->touched = now;
        if (e->banned_until > now) {
            *left = e->banned_until - now;
            why = "banned";
        } else if (cfg->conns_per_ip > 0 && gw_ip_conns(e) >= cfg->conns_per_ip) {
            why = "too many connections from this address";
        } else if (!gw_ip_rate(e, cfg, now)) {
            why = "connecting too fast";
        } else {
            e->conns[worker]++;
        }
    }
    gw_ip_unlock(t);
    return why;
}

void gw_ban_release(gw_shm *shm, int worker, const uint8_t key[16])
{
    gw_ip_table *t = &shm->ips;
    uint64_t k[2];
    gw_ip_ent *b;

    gw_ip_words(key, k);
    gw_ip_lock(t);
    b = gw_ip_bucket(t, k);
    for (int i = 0; i < GW_IP_WAYS; i++)
        if (b[i].used && b[i].key[0] == k[0] && b[i].key[1] == k[1] && b[i].conns[worker] > 0) {
            b[i].conns[worker]--;
            break;
        }
    gw_ip_unlock(t);
}

void gw_ban_worker_reset(gw_shm *shm, int worker)
{
    gw_ip_table *t = &shm->ips;

    gw_ip_lock(t);
    for (size_t i = 0; i < GW_IP_SLOTS; i++)
        t->ents[i].conns[worker] = 0;
    gw_ip_unlock(t);
}

bool gw_ban_strike(gw_shm *shm, const st_strike_cfg *s, const uint8_t key[16], double now,
                   bool is_junk, uint32_t counts[2])
{
    gw_ip_table *t = &shm->ips;
    gw_ip_ent *e;
    bool over = false;

    counts[0] = counts[1] = 0;
    gw_ip_lock(t);
    e = gw_ip_get(t, key, now, true);
    e->touched = now;
    if (now - e->strike_start >= s->window) {
        e->strike_start = now;
        e->invalid = e->junk = 0;
    }
    if (is_junk)
        e->junk++;
    else
        e->invalid++;
    counts[0] = e->invalid;
    counts[1] = e->junk;
    over = s->enabled && ((s->junk_lines && e->junk >= s->junk_lines) ||
                          (s->invalid_shares && e->invalid >= s->invalid_shares));
    gw_ip_unlock(t);
    return over;
}

void gw_ban_add(gw_shm *shm, const uint8_t key[16], double now, double seconds)
{
    gw_ip_table *t = &shm->ips;
    gw_ip_ent *e;

    gw_ip_lock(t);
    e = gw_ip_get(t, key, now, true);
    e->touched = now;
    e->banned_until = now + seconds;
    e->strike_start = now;   /* a ban starts a clean window */
    e->invalid = e->junk = 0;
    gw_ip_unlock(t);
}

double gw_ban_check(gw_shm *shm, const uint8_t key[16], double now)
{
    gw_ip_table *t = &shm->ips;
    uint64_t k[2];
    gw_ip_ent *b;
    double left = 0;

    gw_ip_words(key, k);
    gw_ip_lock(t);
    b = gw_ip_bucket(t, k);
    for (int i = 0; i < GW_IP_WAYS; i++)
        if (b[i].used && b[i].key[0] == k[0] && b[i].key[1] == k[1] &&
            b[i].banned_until > now)
            left = b[i].banned_until - now;
    gw_ip_unlock(t);
    return left;
}

void gw_ban_totals_get(gw_shm *shm, double now, gw_ban_totals *out)
{
    gw_ip_table *t = &shm->ips;

    memset(out, 0, sizeof(*out));
    gw_ip_lock(t);
    for (size_t i = 0; i < GW_IP_SLOTS; i++) {
        const gw_ip_ent *e = &t->ents[i];
        if (!e->used)
            continue;
        out->tracked++;
        out->banned += e->banned_until > now;
    }
    out->untracked = t->untracked;
    gw_ip_unlock(t);
}
