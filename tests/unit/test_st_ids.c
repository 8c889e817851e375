/* Unit tests of stratum/st_ids.c: live ids are never handed out twice,
 * and ids given back wait out their quarantine before reuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stratum/st_ids.h"

static double fake_time;

static double fake_clock(void)
{
    return fake_time;
}

static void test_no_quarantine(void **state)
{
    st_ids s;
    uint32_t a, b;

    (void)state;
    assert_int_equal(st_ids_init(&s, 5), 0);
    assert_int_equal(st_ids_alloc(&s, &a), 0);
    assert_int_equal(a, 5);
    st_ids_release(&s, a);
    assert_false(st_ids_in_use(&s, a));
    assert_int_equal(st_ids_alloc(&s, &b), 0);
    assert_int_equal(b, 6);   /* next-fit: the cursor moved on */
    st_ids_free(&s);
}

static void test_quarantine(void **state)
{
    st_ids s;
    uint32_t ids[3], v;

    (void)state;
    fake_time = 1000;
    assert_int_equal(st_ids_init(&s, ST_IDS_SPACE - 2), 0);
    st_ids_set_quarantine(&s, 660, fake_clock);
    for (int i = 0; i < 3; i++)
        assert_int_equal(st_ids_alloc(&s, &ids[i]), 0);
    assert_int_equal(ids[2], 0);   /* wrapped */
    st_ids_release(&s, ids[0]);
    fake_time = 1010;
    st_ids_release(&s, ids[1]);
    assert_int_equal(st_ids_held_count(&s), 2);
    assert_true(st_ids_in_use(&s, ids[0]));   /* held, not free */
    assert_int_equal(s.live, 3);
    /* Before 1660 nothing comes back. */
    fake_time = 1659;
    assert_int_equal(st_ids_alloc(&s, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(st_ids_held_count(&s), 2);
    /* At 1660 the first one is free again, the second at 1670. */
    fake_time = 1660;
    assert_int_equal(st_ids_alloc(&s, &v), 0);
    assert_int_equal(st_ids_held_count(&s), 1);
    assert_false(st_ids_in_use(&s, ids[0]));
    assert_true(st_ids_in_use(&s, ids[1]));
    fake_time = 1670;
    assert_int_equal(st_ids_alloc(&s, &v), 0);
    assert_int_equal(st_ids_held_count(&s), 0);
    assert_int_equal(s.live, 4);   /* ids[2], 1, 2, 3 */
    st_ids_free(&s);
}

static void test_quarantine_many(void **state)
{
    st_ids s;
    uint32_t v;

    (void)state;
    fake_time = 50;
    assert_int_equal(st_ids_init(&s, 0), 0);
    st_ids_set_quarantine(&s, 10, fake_clock);
    /* 10,000 sessions come and go within the quarantine: every id is new. */
    for (uint32_t i = 0; i < 10000; i++) {
        assert_int_equal(st_ids_alloc(&s, &v), 0);
        assert_int_equal(v, i);
        st_ids_release(&s, v);
    }
    assert_int_equal(st_ids_held_count(&s), 10000);
    fake_time = 60;
    assert_int_equal(st_ids_alloc(&s, &v), 0);
    assert_int_equal(st_ids_held_count(&s), 0);
    assert_int_equal(s.live, 1);
    st_ids_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_quarantine),
        cmocka_unit_test(test_quarantine),
        cmocka_unit_test(test_quarantine_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
