/* Tests of ma_state: the agent's layout and last job survive a restart;
 * a save without a job keeps the saved one; a missing file is "none" and
 * a corrupt one is refused, never half read. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mineragent/ma_state.h"
#include "utils/ut_log.h"

static char dir[64];

static int setup(void **state)
{
    ut_log_set_level(UT_LOG_FATAL);
    snprintf(dir, sizeof(dir), "/tmp/hf-test-mastate-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/agent.state", dir);
    unlink(p);
    return rmdir(dir);
}

static void test_round_trip(void **state)
{
    static const uint8_t en1[4] = {0xff, 0, 0, 1};
    static const char job[] = "{\"v\":1,\"job_id\":\"00000000000000e1\",\"height\":7}";
    ma_state st;

    assert_int_equal(ma_state_load(dir, &st), 1);            /* nothing saved yet */
    assert_int_equal(ma_state_save(dir, en1, 4, 8, job, strlen(job)), 0);
    assert_int_equal(ma_state_load(dir, &st), 0);
    assert_int_equal(st.en1_size, 4);
    assert_int_equal(st.en2_size, 8);
    assert_memory_equal(st.en1, en1, 4);
    assert_string_equal(json_string_value(json_object_get(st.job, "job_id")),
                        "00000000000000e1");
    json_decref(st.job);

    /* A new layout without a job keeps the job saved before. */
    static const uint8_t en1b[4] = {0xff, 0, 0, 2};
    assert_int_equal(ma_state_save(dir, en1b, 4, 7, NULL, 0), 0);
    assert_int_equal(ma_state_load(dir, &st), 0);
    assert_memory_equal(st.en1, en1b, 4);
    assert_int_equal(st.en2_size, 7);
    assert_int_equal(json_integer_value(json_object_get(st.job, "height")), 7);
    json_decref(st.job);
}

static void test_corrupt(void **state)
{
    static const char *bad[] = {
        "{\"v\":1,\"extranonce1\":\"ff0000", "not json",
        "{\"v\":1,\"extranonce1\":\"zz000001\",\"extranonce2_size\":8}",
        "{\"v\":1,\"extranonce1\":\"ff000001\",\"extranonce2_size\":99}",
        "{\"v\":1,\"extranonce1\":\"ff000001\"}",
    };
    char p[128];
    ma_state st;

    snprintf(p, sizeof(p), "%s/agent.state", dir);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fputs(bad[i], f);
        fclose(f);
        assert_int_equal(ma_state_load(dir, &st), -1);
        assert_null(st.job);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
