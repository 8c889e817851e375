/* ut_hash: a keyed hash of byte strings and a hash table built on it, for
 * every table whose keys come from outside (worker names from miners, key
 * names from batches): with a per-process random key an attacker cannot
 * choose names that all land in one bucket (hash flooding).
 *
 * The hash is SipHash-1-3 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", with one compression and three finalization rounds,
 * as Rust and CPython use it for their tables); ut_siphash takes the
 * rounds, so tests check it against the paper's SipHash-2-4 vector.
 *
 * The table maps byte strings to a fixed-size value stored in the entry
 * (vsize bytes, zeroed when the entry is made; vsize 0 makes a set). Keys
 * are copied. Separate chaining, the bucket array doubles when the count
 * reaches it; an entry never moves, so a value pointer stays valid until
 * that entry is deleted or the table cleared or freed. A count limit
 * (max, 0 = none) bounds what a client can make it hold. Not thread-safe. */
#ifndef UT_HASH_H
#define UT_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct ut_hash_key {
    uint64_t k0, k1;           /* the 128-bit key, as two little-endian words */
} ut_hash_key;

/* The process's random key: 16 bytes of getrandom() at first use (with a
 * logged fallback to time, pid and addresses if the kernel has none). */
const ut_hash_key *ut_hash_seed(void);
/* SipHash-c-d of data under key (c compression, d finalization rounds). */
uint64_t ut_siphash(const ut_hash_key *key, int c, int d, const void *data, size_t len);
/* SipHash-1-3 of data under key; the process key when key is NULL. */
uint64_t ut_hash_bytes(const ut_hash_key *key, const void *data, size_t len);

typedef struct ut_hent ut_hent;

typedef struct ut_htab {
    ut_hent **buckets;
    size_t nbuckets;           /* 0 or a power of two */
    size_t count;
    size_t max;                /* entries at most; 0 = no limit */
    size_t vsize;              /* bytes of value in each entry */
    size_t bytes;              /* memory of entries and buckets, for limits */
    ut_hash_key key;
} ut_htab;

/* An empty table (allocates nothing) keyed with the process key. */
void ut_htab_init(ut_htab *t, size_t vsize, size_t max);
/* Frees every entry and the buckets; t is empty (and still usable). */
void ut_htab_free(ut_htab *t);
/* Frees every entry, keeps the buckets for reuse. */
void ut_htab_clear(ut_htab *t);
size_t ut_htab_count(const ut_htab *t);

/* The value of key k (klen bytes), or NULL. */
void *ut_htab_get(const ut_htab *t, const void *k, size_t klen);
/* Finds or adds key k. Returns 1 added (*val: its zeroed value), 0 it was
 * there (*val: its value), -1 out of memory, -2 the table holds max
 * entries already (nothing added). val may be NULL. */
int ut_htab_put(ut_htab *t, const void *k, size_t klen, void **val);
/* 1 when key k was there and is deleted, 0 when it was not there. */
int ut_htab_del(ut_htab *t, const void *k, size_t klen);
/* The key stored with a value that get or put gave (klen may be NULL). */
const void *ut_htab_key(const ut_htab *t, const void *val, size_t *klen);

/* Iteration in no particular order. The entry just returned may be
 * deleted before the next call; nothing may be added meanwhile. */
typedef struct ut_htab_iter {
    const ut_htab *t;
    size_t bucket;
    ut_hent *next;
} ut_htab_iter;

void ut_htab_iter_init(ut_htab_iter *it, const ut_htab *t);
/* The next value (its key in *k and *klen when not NULL), or NULL at the end. */
void *ut_htab_next(ut_htab_iter *it, const void **k, size_t *klen);

#endif
