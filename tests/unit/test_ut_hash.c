/* Tests of ut_hash: SipHash against the paper's SipHash-2-4 vector and
 * against OpenSSL's SipHash (2-4 and 1-3, every length 0..80, random
 * keys); different keys give different hashes, the process key is random
 * per process; the table: add/find/delete, values zeroed and never moving
 * while the table grows, growth by doubling, the count limit, iteration
 * (with deletion of the current entry), keys with NULs and long common
 * prefixes spread over the buckets, clear. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utils/ut_hash.h"

/* The paper's key 00 01 .. 0f. */
static ut_hash_key paper_key(void)
{
    ut_hash_key k = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
    return k;
}

static void test_paper_vector(void **state)
{
    ut_hash_key k = paper_key();
    unsigned char m[15];
    for (int i = 0; i < 15; i++)
        m[i] = (unsigned char)i;
    /* SipHash paper, appendix A: 15 bytes 00..0e under key 00..0f. */
    assert_true(ut_siphash(&k, 2, 4, m, 15) == 0xa129ca6149be45e5ull);
    /* The reference implementation's first vector: the empty message. */
    assert_true(ut_siphash(&k, 2, 4, m, 0) == 0x726fdb47dd0e0e31ull);
}

/* OpenSSL's SipHash-c-d of m under the 16 key bytes, as a little-endian word. */
static uint64_t openssl_siphash(const unsigned char key[16], unsigned c, unsigned d,
                                const unsigned char *m, size_t len)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "SIPHASH", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    size_t size = 8, outl = 0;
    unsigned char out[8];
    OSSL_PARAM p[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                      OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_C_ROUNDS, &c),
                      OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_D_ROUNDS, &d),
                      OSSL_PARAM_construct_end()};
    assert_non_null(ctx);
    assert_int_equal(EVP_MAC_init(ctx, key, 16, p), 1);
    assert_int_equal(EVP_MAC_update(ctx, m, len), 1);
    assert_int_equal(EVP_MAC_final(ctx, out, &outl, sizeof(out)), 1);
    assert_int_equal(outl, 8);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | out[i];
    return v;
}

static void test_against_openssl(void **state)
{
    unsigned char key[16], m[80];
    srand(7);
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 16; i++)
            key[i] = (unsigned char)rand();
        for (size_t i = 0; i < sizeof(m); i++)
            m[i] = (unsigned char)rand();
        ut_hash_key k = {0, 0};
        for (int i = 7; i >= 0; i--) {
            k.k0 = (k.k0 << 8) | key[i];
            k.k1 = (k.k1 << 8) | key[8 + i];
        }
        for (size_t len = 0; len <= sizeof(m); len++) {
            assert_true(ut_siphash(&k, 2, 4, m, len) == openssl_siphash(key, 2, 4, m, len));
            assert_true(ut_siphash(&k, 1, 3, m, len) == openssl_siphash(key, 1, 3, m, len));
            assert_true(ut_hash_bytes(&k, m, len) == ut_siphash(&k, 1, 3, m, len));
        }
    }
}

static void test_seeds(void **state)
{
    ut_hash_key a = {1, 2}, b = {1, 3}, c = {2, 2};
    const char *s = "alice.rig1";
    uint64_t ha = ut_hash_bytes(&a, s, strlen(s));
    assert_true(ha != ut_hash_bytes(&b, s, strlen(s)));
    assert_true(ha != ut_hash_bytes(&c, s, strlen(s)));
    assert_true(ha == ut_hash_bytes(&a, s, strlen(s)));
    /* The process key: what NULL means, the same on every call, random. */
    const ut_hash_key *seed = ut_hash_seed();
    assert_true(seed == ut_hash_seed());
    assert_true(seed->k0 != 0 || seed->k1 != 0);
    assert_true(ut_hash_bytes(NULL, s, strlen(s)) == ut_hash_bytes(seed, s, strlen(s)));
    ut_htab t;
    ut_htab_init(&t, 0, 0);
    assert_memory_equal(&t.key, seed, sizeof(*seed));
}

/* The key of a new process: this binary run again with --print-seed. */
static void child_seed(uint64_t out[2])
{
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "/proc/%d/exe --print-seed", (int)getpid());
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    unsigned long long a = 0, b = 0;
    assert_int_equal(fscanf(fp, "%llx %llx", &a, &b), 2);
    assert_int_equal(pclose(fp), 0);
    out[0] = a;
    out[1] = b;
}

/* Two processes get different keys, and neither gets this one's. */
static void test_seed_per_process(void **state)
{
    uint64_t a[2], b[2];
    const ut_hash_key *mine = ut_hash_seed();
    child_seed(a);
    child_seed(b);
    assert_true(a[0] != b[0] || a[1] != b[1]);
    assert_true(a[0] != mine->k0 || a[1] != mine->k1);
}

static void test_put_get_del(void **state)
{
    ut_htab t;
    void *v = NULL, *v2 = NULL;
    ut_htab_init(&t, sizeof(uint64_t), 0);
    assert_null(ut_htab_get(&t, "a", 1));
    assert_int_equal(ut_htab_del(&t, "a", 1), 0);
    assert_int_equal(ut_htab_put(&t, "a", 1, &v), 1);
    assert_true(*(uint64_t *)v == 0);            /* zeroed */
    *(uint64_t *)v = 42;
    assert_int_equal(ut_htab_put(&t, "a", 1, &v2), 0);
    assert_ptr_equal(v, v2);
    assert_true(*(uint64_t *)ut_htab_get(&t, "a", 1) == 42);
    /* "a" and "a\0" and "" are three keys. */
    assert_int_equal(ut_htab_put(&t, "a\0", 2, NULL), 1);
    assert_int_equal(ut_htab_put(&t, "", 0, NULL), 1);
    assert_int_equal(ut_htab_count(&t), 3);
    size_t klen = 9;
    const char *k = ut_htab_key(&t, v, &klen);
    assert_int_equal(klen, 1);
    assert_memory_equal(k, "a", 1);
    assert_int_equal(ut_htab_del(&t, "a", 1), 1);
    assert_null(ut_htab_get(&t, "a", 1));
    assert_non_null(ut_htab_get(&t, "a\0", 2));
    assert_int_equal(ut_htab_count(&t), 2);
    assert_int_equal(ut_htab_put(&t, "a", 1, &v), 1);
    assert_true(*(uint64_t *)v == 0);            /* a new entry: zeroed again */
    ut_htab_free(&t);
    assert_int_equal(ut_htab_count(&t), 0);
    assert_int_equal(t.bytes, 0);
    assert_null(ut_htab_get(&t, "a", 1));
    assert_int_equal(ut_htab_put(&t, "a", 1, NULL), 1);  /* usable after free */
    ut_htab_free(&t);
}

/* 20,000 entries: the buckets double (a power of two, never fewer than the
 * entries), every value is found where it was made, unmoved. */
static void test_growth(void **state)
{
    enum { N = 20000 };
    ut_htab t;
    static void *where[N];
    char key[32];
    ut_htab_init(&t, sizeof(int), 0);
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof(key), "worker.%d", i);
        assert_int_equal(ut_htab_put(&t, key, (size_t)n, &where[i]), 1);
        *(int *)where[i] = i;
        assert_true(t.nbuckets >= t.count);
        assert_int_equal(t.nbuckets & (t.nbuckets - 1), 0);
    }
    assert_int_equal(t.nbuckets, 32768);
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof(key), "worker.%d", i);
        int *v = ut_htab_get(&t, key, (size_t)n);
        assert_ptr_equal(v, where[i]);
        assert_int_equal(*v, i);
    }
    size_t nb = t.nbuckets;
    ut_htab_clear(&t);                           /* keeps the buckets */
    assert_int_equal(ut_htab_count(&t), 0);
    assert_int_equal(t.nbuckets, nb);
    assert_int_equal(t.bytes, nb * sizeof(void *));
    assert_null(ut_htab_get(&t, "worker.1", 8));
    ut_htab_free(&t);
}

static void test_cap(void **state)
{
    ut_htab t;
    ut_htab_init(&t, 0, 3);
    assert_int_equal(ut_htab_put(&t, "a", 1, NULL), 1);
    assert_int_equal(ut_htab_put(&t, "b", 1, NULL), 1);
    assert_int_equal(ut_htab_put(&t, "c", 1, NULL), 1);
    assert_int_equal(ut_htab_put(&t, "d", 1, NULL), -2);
    assert_int_equal(ut_htab_put(&t, "b", 1, NULL), 0);  /* present: still found */
    assert_null(ut_htab_get(&t, "d", 1));
    assert_int_equal(ut_htab_count(&t), 3);
    assert_int_equal(ut_htab_del(&t, "a", 1), 1);
    assert_int_equal(ut_htab_put(&t, "d", 1, NULL), 1);  /* room again */
    assert_int_equal(ut_htab_put(&t, "e", 1, NULL), -2);
    ut_htab_free(&t);
}

static void test_iteration(void **state)
{
    enum { N = 1000 };
    ut_htab t;
    ut_htab_iter it;
    char key[16];
    static unsigned char seen[N];
    ut_htab_init(&t, sizeof(int), 0);
    for (int i = 0; i < N; i++) {
        void *v;
        int n = snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(ut_htab_put(&t, key, (size_t)n, &v), 1);
        *(int *)v = i;
    }
    /* Every entry once; the odd ones deleted as they come. */
    const void *k;
    size_t klen, visits = 0;
    int *v;
    ut_htab_iter_init(&it, &t);
    while ((v = ut_htab_next(&it, &k, &klen)) != NULL) {
        int n = snprintf(key, sizeof(key), "k%d", *v);
        assert_int_equal(klen, (size_t)n);
        assert_memory_equal(k, key, klen);
        assert_int_equal(seen[*v]++, 0);
        visits++;
        if (*v % 2)
            assert_int_equal(ut_htab_del(&t, k, klen), 1);
    }
    assert_int_equal(visits, N);
    assert_int_equal(ut_htab_count(&t), N / 2);
    visits = 0;
    ut_htab_iter_init(&it, &t);
    while ((v = ut_htab_next(&it, NULL, NULL)) != NULL) {
        assert_int_equal(*v % 2, 0);
        visits++;
    }
    assert_int_equal(visits, N / 2);
    ut_htab_free(&t);
    ut_htab_iter_init(&it, &t);
    assert_null(ut_htab_next(&it, NULL, NULL));
}

/* 65,536 names that differ only in their last bytes, after a 200-byte
 * common prefix: all distinct, found, and spread over the buckets (the
 * longest chain is short: a flood of look-alike names stays cheap). */
static void test_colliding_prefixes(void **state)
{
    enum { N = 65536 };
    ut_htab t;
    char key[256];
    memset(key, 'a', 200);
    ut_htab_init(&t, 0, 0);
    for (int i = 0; i < N; i++) {
        key[200] = (char)(i & 0xff);
        key[201] = (char)(i >> 8);
        assert_int_equal(ut_htab_put(&t, key, 202, NULL), 1);
    }
    assert_int_equal(ut_htab_count(&t), N);
    static unsigned short chain[N];
    size_t longest = 0;
    for (int i = 0; i < N; i++) {
        key[200] = (char)(i & 0xff);
        key[201] = (char)(i >> 8);
        assert_int_equal(ut_htab_put(&t, key, 202, NULL), 0);
        size_t b = ut_hash_bytes(&t.key, key, 202) & (t.nbuckets - 1);
        if (++chain[b] > longest)
            longest = chain[b];
    }
    assert_int_equal(t.nbuckets, N);
    assert_true(longest <= 12);      /* a uniform hash: 7 or 8 at this load */
    ut_htab_free(&t);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--print-seed") == 0) {
        const ut_hash_key *k = ut_hash_seed();
        printf("%llx %llx\n", (unsigned long long)k->k0, (unsigned long long)k->k1);
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper_vector),
        cmocka_unit_test(test_against_openssl),
        cmocka_unit_test(test_seeds),
        cmocka_unit_test(test_seed_per_process),
        cmocka_unit_test(test_put_get_del),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_colliding_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
