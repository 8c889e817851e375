/* test_ac_group: alertcenter's grouping. A storm of 10,000 identical
 * alerts makes one mail after `gather` with the count, then one per
 * interval (doubling) with the counts of each period: the counts add up
 * to 10,000. A group with an undelivered mail composes no other until
 * ac_group_done; groups of one recipient due together share one mail;
 * another recipient gets its own. At shutdown every held group is mailed
 * at once (test_flush). And --help's keys match
 * deploy/conf/alertcenter.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alertcenter/ac_config.h"
#include "alertcenter/ac_group.h"
#include "cfg_testkit.h"

/* main.c's, which this test does not link. */
void ac_app_emit(const ac_item *it, void *app)
{
}

static ac_item item(const char *to, const char *key, double t)
{
    return (ac_item){.to = to, .key = key, .level = "FATAL", .source = "gateway@h pid 1",
                     .what = "x.c:1 boom", .line = "... FATAL x.c:1 boom", .time = t};
}

static unsigned long long count_of(const ac_out *o)
{
    const char *p = strstr(o->body, "count: ");
    assert_non_null(p);
    return strtoull(p + 7, NULL, 10);
}

static void test_storm(void **state)
{
    ac_group_cfg cfg = {.gather = 2, .interval = 60, .max_interval = 3600, .prefix = "[hf]",
                        .host = "ac1"};
    ac_group *g = ac_group_create(&cfg);
    ac_item it = item("", "gateway x.c:1", 1000);
    unsigned long long sum = 0;
    int mails = 0;
    double t = 1000;

    /* 10,000 alerts over 312.5 s: one every 1/32 s (exact in binary). */
    for (int i = 0; i < 10000; i++, t += 1.0 / 32) {
        ac_group_add(g, &it, t);
        ac_out *o = ac_group_next(g, t);
        if (o) {
            mails++;
            sum += count_of(o);
            if (mails == 1) {
                assert_string_equal(o->subject, "[hf] FATAL x65 gateway@h: x.c:1 boom");
                assert_true(t == 1002);
            }
            ac_group_done(g, o);
            ac_out_free(o);
        }
    }
    for (; t < 6000; t += 1) {            /* the storm is over: the rest comes once */
        ac_out *o = ac_group_next(g, t);
        if (o) {
            mails++;
            sum += count_of(o);
            ac_group_done(g, o);
            ac_out_free(o);
        }
    }
    /* at 1002, 1062 (+60), 1182 (+120) and 1422 (+240, after the storm). */
    assert_int_equal(mails, 4);
    assert_int_equal(sum, 10000);
    ac_group_free(g);
}

static void test_waiting_and_sharing(void **state)
{
    ac_group_cfg cfg = {.gather = 1, .interval = 10, .max_interval = 10, .host = "ac1"};
    ac_group *g = ac_group_create(&cfg);
    ac_item a = item("", "a", 100), b = item("", "b", 100), b2 = item("", "b2", 100);
    ac_item c = item("u@x", "miner:u", 100);

    ac_group_add(g, &a, 100);
    ac_group_add(g, &b, 100.5);
    ac_group_add(g, &b2, 100.5);
    ac_group_add(g, &c, 100.5);
    assert_null(ac_group_next(g, 100.9));
    ac_out *oa = ac_group_next(g, 101.2);     /* a alone is due */
    assert_non_null(oa);
    assert_int_equal(oa->nkeys, 1);
    assert_string_equal(oa->keys[0], "a");
    assert_null(ac_group_next(g, 101.2));
    ac_out *o1 = ac_group_next(g, 101.6), *o2 = ac_group_next(g, 101.6);
    assert_non_null(o1);
    assert_non_null(o2);
    assert_null(ac_group_next(g, 101.6));
    ac_out *ops = o1->to[0] ? o2 : o1, *user = o1->to[0] ? o1 : o2;
    assert_string_equal(user->to, "u@x");
    assert_int_equal(user->nkeys, 1);
    assert_int_equal(ops->nkeys, 2);          /* b and b2 share one mail */
    assert_non_null(strstr(ops->subject, "2 alerts of 2 kinds"));
    /* a's mail is not delivered: a counts on, composes nothing. */
    ac_group_add(g, &a, 102);
    ac_group_add(g, &a, 103);
    assert_null(ac_group_next(g, 200));
    ac_group_done(g, oa);
    ac_out *oa2 = ac_group_next(g, 200);
    assert_non_null(oa2);
    assert_int_equal(count_of(oa2), 2);       /* the two that came meanwhile */
    ac_out_free(oa);
    ac_out_free(oa2);
    ac_out_free(o1);
    ac_out_free(o2);
    ac_group_free(g);
}

/* Shutdown: ac_group_flush makes held groups due at once (gather and the
 * interval after a mail notwithstanding); ac_group_log_unmailed counts the
 * groups whose alerts are in no mail. */
static void test_flush(void **state)
{
    ac_group_cfg cfg = {.gather = 60, .interval = 600, .max_interval = 600, .host = "ac1"};
    ac_group *g = ac_group_create(&cfg);
    ac_item a = item("", "a", 100), b = item("", "b", 100);

    ac_group_add(g, &a, 100);
    assert_null(ac_group_next(g, 101));        /* held by gather */
    ac_group_flush(g, 101);
    ac_out *o = ac_group_next(g, 101);
    assert_non_null(o);
    assert_int_equal(count_of(o), 1);
    ac_group_done(g, o);
    ac_out_free(o);
    ac_group_add(g, &a, 102);                  /* within the interval after the mail */
    ac_group_add(g, &b, 102);
    assert_int_equal(ac_group_log_unmailed(g), 2);
    assert_null(ac_group_next(g, 103));
    ac_group_flush(g, 103);
    o = ac_group_next(g, 103);
    assert_non_null(o);
    assert_int_equal(o->nkeys, 2);             /* both, in one mail */
    assert_int_equal(o->alerts, 2);
    assert_int_equal(ac_group_log_unmailed(g), 0);
    ac_out_free(o);
    ac_group_free(g);
}

static void test_help_keys(void **state)
{
    const char *renames[] = {"_webhook_example", "webhook", NULL};
    cfgk_keys_match(ac_config_keys, "deploy/conf/alertcenter.json", renames);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_storm),
        cmocka_unit_test(test_waiting_and_sharing),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_help_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
