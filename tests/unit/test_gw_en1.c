/* Unit tests of the gateway's extranonce1 allocator (gateway/gw_en1.c):
 * byte layout, uniqueness across gateway ids and worker processes, and
 * wrap-around that skips values still held by live sessions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "gateway/gw_en1.h"

static void test_layout(void **state)
{
    gw_en1 a;
    uint32_t c;
    uint8_t b[8];
    static const uint8_t want4[4] = { 0xa5, 0xc1, 0x23, 0x45 };
    static const uint8_t want6[6] = { 0xa5, 0xc1, 0x23, 0x45, 0, 0 };

    (void)state;
    assert_int_equal(gw_en1_init(&a, 0xa5, 12, 0x12345), 0);
    assert_int_equal(gw_en1_alloc(&a, &c), 0);
    assert_int_equal(c, 0x12345);
    gw_en1_bytes(&a, c, b, 4);
    assert_memory_equal(b, want4, 4);
    memset(b, 0xee, sizeof(b));
    gw_en1_bytes(&a, c, b, 6);   /* en2 of 6 bytes: padded with zeros */
    assert_memory_equal(b, want6, 6);
    gw_en1_free(&a);
    assert_int_equal(gw_en1_init(&a, 1, 16, 0), -1);   /* worker index is 4 bits */
}

static void test_unique_across_processes(void **state)
{
    /* Same counter value in every (gateway, worker): all prefixes differ. */
    uint8_t seen[2 * 16][4];
    int n = 0;

    (void)state;
    for (int g = 0; g < 2; g++) {
        for (int w = 0; w < 16; w++) {
            gw_en1 a;
            uint32_t c;
            assert_int_equal(gw_en1_init(&a, (uint8_t)(g * 255), (uint8_t)w, 777), 0);
            assert_int_equal(gw_en1_alloc(&a, &c), 0);
            assert_int_equal(c, 777);
            gw_en1_bytes(&a, c, seen[n], 4);
            for (int k = 0; k < n; k++)
                assert_memory_not_equal(seen[k], seen[n], 4);
            n++;
            gw_en1_free(&a);
        }
    }
}

static void test_sequential_and_release(void **state)
{
    gw_en1 a;
    uint32_t c1, c2, c3;

    (void)state;
    assert_int_equal(gw_en1_init(&a, 1, 0, 10), 0);
    assert_int_equal(gw_en1_alloc(&a, &c1), 0);
    assert_int_equal(gw_en1_alloc(&a, &c2), 0);
    assert_int_equal(c1, 10);
    assert_int_equal(c2, 11);
    gw_en1_release(&a, c1);
    assert_false(gw_en1_in_use(&a, c1));
    /* A released value is not handed out again until the counter wraps. */
    assert_int_equal(gw_en1_alloc(&a, &c3), 0);
    assert_int_equal(c3, 12);
    gw_en1_release(&a, c1);   /* twice: ignored */
    assert_int_equal(a.ids.live, 2);
    gw_en1_free(&a);
}

static void test_wrap_skips_live(void **state)
{
    gw_en1 a;
    uint32_t c, held[3];

    (void)state;
    /* Start near the end: the counter wraps to 0 and must skip 0..2 (live). */
    assert_int_equal(gw_en1_init(&a, 1, 0, 0), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(gw_en1_alloc(&a, &held[i]), 0);
        assert_int_equal(held[i], (uint32_t)i);
    }
    a.ids.next = GW_EN1_COUNTER_SPACE - 2;
    assert_int_equal(gw_en1_alloc(&a, &c), 0);
    assert_int_equal(c, GW_EN1_COUNTER_SPACE - 2);
    assert_int_equal(gw_en1_alloc(&a, &c), 0);
    assert_int_equal(c, GW_EN1_COUNTER_SPACE - 1);
    assert_int_equal(gw_en1_alloc(&a, &c), 0);
    assert_int_equal(c, 3);   /* 0, 1, 2 still live */
    gw_en1_release(&a, held[1]);
    a.ids.next = 0;
    assert_int_equal(gw_en1_alloc(&a, &c), 0);
    assert_int_equal(c, 1);   /* the freed hole */
    gw_en1_free(&a);
}

static void test_exhaustion(void **state)
{
    gw_en1 a;
    uint32_t c;

    (void)state;
    assert_int_equal(gw_en1_init(&a, 1, 0, 99), 0);
    for (uint32_t i = 0; i < GW_EN1_COUNTER_SPACE; i++)
        assert_int_equal(gw_en1_alloc(&a, &c), 0);
    assert_int_equal(gw_en1_alloc(&a, &c), -1);
    gw_en1_release(&a, 5000);
    assert_int_equal(gw_en1_alloc(&a, &c), 0);
    assert_int_equal(c, 5000);
    assert_int_equal(gw_en1_alloc(&a, &c), -1);
    gw_en1_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_unique_across_processes),
        cmocka_unit_test(test_sequential_and_release),
        cmocka_unit_test(test_wrap_skips_live),
        cmocka_unit_test(test_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
