/* Tests of st_names, the set of worker names a server has seen: add says
 * added (1) or present (0), st_names_count counts, a capped set refuses a
 * new name with -2 and still knows the ones it holds, st_names_has finds
 * exactly what was added, an uncapped set takes 10,000 names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "stratum/st_names.h"

static void test_add_count(void **state)
{
    st_names s;
    char name[32];
    st_names_init(&s);
    assert_int_equal(st_names_count(&s), 0);
    assert_false(st_names_has(&s, "alice.rig1"));     /* nothing allocated yet */
    assert_int_equal(st_names_add(&s, "alice.rig1"), 1);
    assert_int_equal(st_names_add(&s, "alice.rig1"), 0);
    assert_true(st_names_has(&s, "alice.rig1"));
    assert_false(st_names_has(&s, "alice.rig2"));
    assert_int_equal(st_names_add(&s, "alice.rig2"), 1);
    assert_true(st_names_has(&s, "alice.rig2"));
    assert_int_equal(st_names_add(&s, ""), 1);
    assert_int_equal(st_names_count(&s), 3);
    for (int i = 0; i < 10000; i++) {
        snprintf(name, sizeof(name), "bob.w%d", i);
        assert_int_equal(st_names_add(&s, name), 1);
    }
    assert_int_equal(st_names_count(&s), 10003);
    assert_int_equal(st_names_add(&s, "bob.w9999"), 0);
    st_names_free(&s);
    assert_int_equal(st_names_count(&s), 0);
}

static void test_cap(void **state)
{
    st_names s;
    st_names_init2(&s, 2);
    assert_int_equal(st_names_add(&s, "a.1"), 1);
    assert_int_equal(st_names_add(&s, "a.2"), 1);
    assert_int_equal(st_names_add(&s, "a.3"), -2);
    assert_false(st_names_has(&s, "a.3"));
    assert_int_equal(st_names_add(&s, "a.1"), 0);
    assert_int_equal(st_names_count(&s), 2);
    st_names_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_count),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
