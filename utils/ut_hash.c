/* ut_hash: SipHash and a seeded, chained hash table (see ut_hash.h).
 *
 * An entry is one allocation: the header, the value at HENT_VAL (aligned
 * for any type, as malloc's memory is), then the key bytes. */
#include "utils/ut_hash.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "utils/ut_log.h"

#define HTAB_FIRST 16            /* buckets at the first entry */

struct ut_hent {
    ut_hent *next;
    uint64_t hash;
    size_t klen;
};

#define HENT_VAL ((sizeof(ut_hent) + alignof(max_align_t) - 1) & \
                  ~(alignof(max_align_t) - 1))

/* ---- SipHash ---- */

static uint64_t rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl(v[1], 13) ^ v[0];
    v[0] = rotl(v[0], 32);
    v[2] += v[3];
    v[3] = rotl(v[3], 16) ^ v[2];
    v[0] += v[3];
    v[3] = rotl(v[3], 21) ^ v[0];
    v[2] += v[1];
    v[1] = rotl(v[1], 17) ^ v[2];
    v[2] = rotl(v[2], 32);
}

static void sip_block(uint64_t v[4], uint64_t m, int c)
{
    v[3] ^= m;
    for (int i = 0; i < c; i++)
        sip_round(v);
    v[0] ^= m;
}

uint64_t ut_siphash(const ut_hash_key *key, int c, int d, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t v[4] = {key->k0 ^ 0x736f6d6570736575ull, key->k1 ^ 0x646f72616e646f6dull,
                     key->k0 ^ 0x6c7967656e657261ull, key->k1 ^ 0x7465646279746573ull};
    size_t whole = len & ~(size_t)7;
    for (size_t i = 0; i < whole; i += 8)
        sip_block(v, le64(p + i), c);
    /* The last block: the 0..7 bytes left and the length's low byte on top. */
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < (len & 7); i++)
        last |= (uint64_t)p[whole + i] << (8 * i);
    sip_block(v, last, c);
    v[2] ^= 0xff;
    for (int i = 0; i < d; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- the process key ---- */

static ut_hash_key g_seed;
static pthread_once_t g_seed_once = PTHREAD_ONCE_INIT;

static int seed_urandom(unsigned char *b, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t r = fd >= 0 ? read(fd, b, n) : -1;
    if (fd >= 0)
        close(fd);
    return r == (ssize_t)n ? 0 : -1;
}

static void seed_init(void)
{
    unsigned char b[16];
    ssize_t r;
    do {
        r = getrandom(b, sizeof(b), 0);
    } while (r < 0 && errno == EINTR);
    if (r != (ssize_t)sizeof(b) && seed_urandom(b, sizeof(b)) != 0) {
        /* Weak, but still different per process and per start. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t a = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uintptr_t)&ts;
        uint64_t z = ((uint64_t)getpid() << 32) ^ (uintptr_t)b ^ (uintptr_t)&seed_init;
        memcpy(b, &a, 8);
        memcpy(b + 8, &z, 8);
        log_error("hash: no random bytes from the kernel, hash tables keyed from the clock");
    }
    g_seed.k0 = le64(b);
    g_seed.k1 = le64(b + 8);
}

const ut_hash_key *ut_hash_seed(void)
{
    pthread_once(&g_seed_once, seed_init);
    return &g_seed;
}

uint64_t ut_hash_bytes(const ut_hash_key *key, const void *data, size_t len)
{
    return ut_siphash(key ? key : ut_hash_seed(), 1, 3, data, len);
}

/* ---- the table ---- */

static void *hent_val(ut_hent *e)
{
    return (char *)e + HENT_VAL;
}

static unsigned char *hent_key(const ut_htab *t, ut_hent *e)
{
    return (unsigned char *)e + HENT_VAL + t->vsize;
}

static size_t hent_size(const ut_htab *t, size_t klen)
{
    return HENT_VAL + t->vsize + klen;
}

void ut_htab_init(ut_htab *t, size_t vsize, size_t max)
{
    memset(t, 0, sizeof(*t));
    t->vsize = vsize;
    t->max = max;
    t->key = *ut_hash_seed();
}

void ut_htab_clear(ut_htab *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (ut_hent *e = t->buckets[i], *n; e; e = n) {
            n = e->next;
            free(e);
        }
        t->buckets[i] = NULL;
    }
    t->count = 0;
    t->bytes = t->nbuckets * sizeof(*t->buckets);
}

void ut_htab_free(ut_htab *t)
{
    ut_htab_clear(t);
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = 0;
    t->bytes = 0;
}

size_t ut_htab_count(const ut_htab *t)
{
    return t->count;
}

static int htab_grow(ut_htab *t)
{
    size_t nb = t->nbuckets ? t->nbuckets * 2 : HTAB_FIRST;
    if (nb > SIZE_MAX / sizeof(ut_hent *))
        return -1;
    ut_hent **b = calloc(nb, sizeof(*b));
    if (!b)
        return -1;
    for (size_t i = 0; i < t->nbuckets; i++) {
        for (ut_hent *e = t->buckets[i], *n; e; e = n) {
            n = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(t->buckets);
    t->bytes += (nb - t->nbuckets) * sizeof(*b);
    t->buckets = b;
    t->nbuckets = nb;
    return 0;
}

/* The link pointing at key k's entry (at a NULL link when it is absent). */
static ut_hent **htab_find(const ut_htab *t, uint64_t h, const void *k, size_t klen)
{
    ut_hent **pp = &t->buckets[h & (t->nbuckets - 1)];
    for (; *pp; pp = &(*pp)->next) {
        ut_hent *e = *pp;
        if (e->hash == h && e->klen == klen && memcmp(hent_key(t, e), k, klen) == 0)
            break;
    }
    return pp;
}

void *ut_htab_get(const ut_htab *t, const void *k, size_t klen)
{
    if (!t->count)
        return NULL;
    ut_hent *e = *htab_find(t, ut_hash_bytes(&t->key, k, klen), k, klen);
    return e ? hent_val(e) : NULL;
}

int ut_htab_put(ut_htab *t, const void *k, size_t klen, void **val)
{
    uint64_t h = ut_hash_bytes(&t->key, k, klen);
    ut_hent **pp = t->nbuckets ? htab_find(t, h, k, klen) : NULL;
    if (pp && *pp) {
        if (val)
            *val = hent_val(*pp);
        return 0;
    }
    if (t->max && t->count >= t->max)
        return -2;
    if (klen > SIZE_MAX - hent_size(t, 0))
        return -1;
    if (t->count >= t->nbuckets) {
        if (htab_grow(t) != 0)
            return -1;
        pp = htab_find(t, h, k, klen);
    }
    ut_hent *e = calloc(1, hent_size(t, klen));
    if (!e)
        return -1;
    e->hash = h;
    e->klen = klen;
    if (klen)
        memcpy(hent_key(t, e), k, klen);
    *pp = e;
    t->count++;
    t->bytes += hent_size(t, klen);
    if (val)
        *val = hent_val(e);
    return 1;
}

int ut_htab_del(ut_htab *t, const void *k, size_t klen)
{
    if (!t->count)
        return 0;
    ut_hent **pp = htab_find(t, ut_hash_bytes(&t->key, k, klen), k, klen);
    ut_hent *e = *pp;
    if (!e)
        return 0;
    *pp = e->next;
    t->count--;
    t->bytes -= hent_size(t, e->klen);
    free(e);
    return 1;
}

const void *ut_htab_key(const ut_htab *t, const void *val, size_t *klen)
{
    ut_hent *e = (ut_hent *)((char *)val - HENT_VAL);
    if (klen)
        *klen = e->klen;
    return hent_key(t, e);
}

void ut_htab_iter_init(ut_htab_iter *it, const ut_htab *t)
{
    it->t = t;
    it->bucket = 0;
    it->next = NULL;
}

void *ut_htab_next(ut_htab_iter *it, const void **k, size_t *klen)
{
    const ut_htab *t = it->t;
    while (!it->next && it->bucket < t->nbuckets)
        it->next = t->buckets[it->bucket++];
    ut_hent *e = it->next;
    if (!e)
        return NULL;
    it->next = e->next;
    if (k)
        *k = hent_key(t, e);
    if (klen)
        *klen = e->klen;
    return hent_val(e);
}
