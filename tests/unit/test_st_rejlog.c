/* Tests of st_rejlog: rejects are counted per code and summarised in one
 * NOTICE line per window naming the connection that sent the most; no
 * line per share at INFO; nothing written for a window without rejects. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stratum/st_conn.h"
#include "stratum/st_rejlog.h"
#include "utils/ut_log.h"

static char path[64];

static char *slurp(void)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_summary(void **state)
{
    st_rejlog l = { .since = 100 };
    st_conn a = { .id = 1 }, b = { .id = 2 };
    int fd;

    snprintf(path, sizeof(path), "/tmp/hf-test-rejlog-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    ut_log_cfg cfg = { .path = path, .level = UT_LOG_INFO };
    assert_int_equal(ut_log_init(&cfg), 0);
    snprintf(a.peer, sizeof(a.peer), "10.0.0.1:1000");
    snprintf(b.peer, sizeof(b.peer), "10.0.0.2:2000");
    for (int i = 0; i < 500; i++)
        st_rejlog_add(&l, &a, "bob.rig1", 23);
    for (int i = 0; i < 7; i++)
        st_rejlog_add(&l, &b, "alice.rig2", 21);
    st_rejlog_add(&l, &b, NULL, 99);                  /* not a code: ignored */
    assert_int_equal(l.count[3], 500);
    assert_int_equal(l.count[1], 7);
    assert_int_equal(l.top, 500);
    assert_int_equal(st_rejlog_tick(&l, 105), 0);     /* window not over */
    assert_int_equal(st_rejlog_tick(&l, 110), 1);
    ut_log_close();
    const char *text = slurp();
    assert_non_null(strstr(text, "NOTICE"));
    assert_non_null(strstr(text, "shares rejected in the last 10s: 507 (other(20)=0 job(21)=7 "
                                 "duplicate(22)=0 low_difficulty(23)=500 unauthorized(24)=0 "
                                 "not_subscribed(25)=0); most from peer=10.0.0.1:1000 "
                                 "worker=bob.rig1 (500)"));
    assert_int_equal(l.count[3], 0);
    assert_true(l.since == 110);

    /* A quiet window writes nothing. */
    ut_log_init(&cfg);
    size_t before = strlen(slurp());
    assert_int_equal(st_rejlog_tick(&l, 121), 1);
    ut_log_close();
    assert_int_equal(strlen(slurp()), before);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
