/* Tests of st_acct_reward: the coinbase value of a job, read from the
 * job's coinbase transaction (version, inputs, outputs): the sum of two
 * outputs, a segwit-serialised one, and -1 for truncated bytes, a
 * non-canonical CompactSize and values past 21 M BTC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "stratum/st_acct.h"
#include "stratum/st_job.h"

typedef struct txb {
    uint8_t b[512];
    size_t n;
} txb;

static void put(txb *t, const void *p, size_t n)
{
    memcpy(t->b + t->n, p, n);
    t->n += n;
}

static void put1(txb *t, uint8_t v)
{
    put(t, &v, 1);
}

static void put_le(txb *t, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        put1(t, (uint8_t)(v >> (8 * i)));
}

/* A coinbase paying values[0..n), with an 8-byte scriptSig (the
 * extranonce's room). segwit: with the marker and flag. */
static void coinbase(txb *t, const uint64_t *values, size_t n, bool segwit)
{
    uint8_t zero[38] = {0};
    t->n = 0;
    put_le(t, 1, 4);
    if (segwit) {
        put1(t, 0);
        put1(t, 1);
    }
    put1(t, 1);                       /* one input */
    put(t, zero, 32);
    put_le(t, 0xffffffff, 4);
    put1(t, 8);
    put(t, zero, 8);
    put_le(t, 0xffffffff, 4);
    put1(t, (uint8_t)n);
    for (size_t i = 0; i < n; i++) {
        put_le(t, values[i], 8);
        put1(t, i % 2 ? 38 : 25);
        put(t, zero, i % 2 ? 38 : 25);
    }
    put_le(t, 0, 4);                  /* lock time */
}

static int64_t reward_of(txb *t)
{
    st_job job;
    memset(&job, 0, sizeof(job));
    job.coinbase = t->b;
    job.coinbase_len = t->n;
    return st_acct_reward(&job);
}

static void test_reward(void **state)
{
    txb t;
    uint64_t two[2] = {5000001234, 0};
    coinbase(&t, two, 2, false);
    assert_int_equal(reward_of(&t), 5000001234);
    uint64_t three[3] = {312500000, 0, 1000};
    coinbase(&t, three, 3, false);
    assert_int_equal(reward_of(&t), 312501000);
    coinbase(&t, three, 3, true);
    assert_int_equal(reward_of(&t), 312501000);
    uint64_t max[2] = {2100000000000000, 0};
    coinbase(&t, max, 2, false);
    assert_int_equal(reward_of(&t), 2100000000000000);
    assert_int_equal(st_acct_reward(NULL), -1);
}

static void test_reward_bad(void **state)
{
    txb t;
    uint64_t two[2] = {5000001234, 0};
    coinbase(&t, two, 2, false);
    size_t whole = t.n;
    for (size_t cut = 0; cut < whole - 4; cut++) {   /* every cut before the lock time */
        t.n = cut;
        assert_int_equal(reward_of(&t), -1);
    }
    uint64_t over[2] = {2100000000000000, 1};            /* past 21 M BTC together */
    coinbase(&t, over, 2, false);
    assert_int_equal(reward_of(&t), -1);
    uint64_t huge[1] = {UINT64_MAX};
    coinbase(&t, huge, 1, false);
    assert_int_equal(reward_of(&t), -1);
    coinbase(&t, two, 2, false);
    t.b[4 + 1 + 36] = 0xfd;                               /* scriptSig length 0xfd 0x08 0x00: */
    memmove(t.b + 4 + 1 + 36 + 3, t.b + 4 + 1 + 36 + 1, t.n - (4 + 1 + 36 + 1));
    t.b[4 + 1 + 36 + 1] = 8;                              /* not canonical */
    t.b[4 + 1 + 36 + 2] = 0;
    t.n += 2;
    assert_int_equal(reward_of(&t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reward),
        cmocka_unit_test(test_reward_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
