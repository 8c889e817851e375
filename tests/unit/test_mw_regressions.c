/* Regression cases for the findings of issue 13 that sit in code other
 * sessions are reworking (utils/ut_meta*.c, metawriter/mw_ops.c), kept
 * apart so they survive the split (named test_mw_* to link metawriter/): each asserts the exact outcome (the log
 * line, the number written). Covered elsewhere: the 20-digit port of
 * gw_addr_add_port (test_gw_hostile.c), NaN/inf diffs and corrupt share
 * records in a journal (test_ut_meta.c, test_journal_skips_corrupt).
 * - a journal whose header carries an impossible connection counter and a
 *   chunk with a NaN time (a torn write after a crash): replay skips them
 *   with one ERROR line naming the count and the first reason, comes up,
 *   and counts the good records exactly;
 * - a clock far past 2200 (the float-to-integer conversion of mt_minute):
 *   the meta store comes up and clamps;
 * - metawriter adding share counts of one user and minute: two records at
 *   the 2^40 cap add up to exactly 2^41; one past the cap is refused with
 *   its exact reason (a sum can no longer overflow int64). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "dir_testkit.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metawriter/mw_ops.h"
#include "utils/ut_crc32c.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

#define M0 1795321680      /* a unix minute */

static char log_path[] = "/tmp/test_mw_regressions.XXXXXX";
static double fake_now;

static double fake_clock(void *arg)
{
    return fake_now;
}

static char *make_dir(void)
{
    return dirk_make("regress");
}

static void remove_dir(char *d)
{
    dirk_remove(d);
}

/* The message part of the log lines that contain needle, joined by '\n'. */
static void log_messages(const char *needle, char *out, size_t cap)
{
    FILE *f = fopen(log_path, "r");
    char line[4096];
    size_t n = 0;
    assert_non_null(f);
    out[0] = '\0';
    while (fgets(line, sizeof(line), f)) {
        char *m = strstr(line, needle);
        if (!m)
            continue;
        char *msg = strstr(line, ".c:");            /* "file.c:42 message" */
        msg = msg ? strchr(msg, ' ') + 1 : line;
        n += (size_t)snprintf(out + n, cap - n, "%s", msg);
    }
    fclose(f);
}

/* ---- a journal written by hand (the format of ut_meta.c: chunks of u32
 * length, u32 CRC32C of the rest, f64 time, then records) ---- */

typedef struct jbuf {
    unsigned char b[1024];
    size_t n, chunk;
} jbuf;

static void jb_put(jbuf *j, const void *v, size_t n)
{
    assert_true(j->n + n <= sizeof(j->b));
    memcpy(j->b + j->n, v, n);
    j->n += n;
}

static void jb_chunk(jbuf *j, double t)
{
    unsigned char zero[8] = {0};
    j->chunk = j->n;
    jb_put(j, zero, 8);
    jb_put(j, &t, 8);
}

static void jb_end(jbuf *j)
{
    uint32_t len = (uint32_t)(j->n - j->chunk - 16);
    uint32_t crc = ut_crc32c(0, j->b + j->chunk + 8, len + 8u);
    memcpy(j->b + j->chunk, &len, 4);
    memcpy(j->b + j->chunk + 4, &crc, 4);
}

static void jb_pair(jbuf *j, char type, const void *a, const void *b)
{
    jb_put(j, &type, 1);
    jb_put(j, a, 8);
    jb_put(j, b, 8);
}

static void jb_cell(jbuf *j, int64_t minute, const char *user)
{
    uint16_t n = (uint16_t)strlen(user), z = 0;
    jb_put(j, "C", 1);
    jb_put(j, &minute, 8);
    jb_put(j, &n, 2);
    jb_put(j, user, n);
    jb_put(j, &z, 2);
}

static void jb_share(jbuf *j, uint32_t cell, double diff, double goal)
{
    jb_put(j, "A", 1);
    jb_put(j, &cell, 4);
    jb_put(j, &diff, 8);
    jb_put(j, &goal, 8);
}

/* No fuzz target reads journals yet (the decoder has no entry point
 * without a spool directory): this case is the regression input. */
static void test_journal_torn_header(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    char *dir = make_dir();
    char jpath[512];
    jbuf j = {.n = 0};
    int64_t huge = INT64_C(1) << 62, bad_minute = 12345, two = 2;
    double nan = NAN, t10 = M0 + 10, close = M0 + 70;

    snprintf(jpath, sizeof(jpath), "%s/mj-src.00000000000000e1.0000000001", dir);
    jb_chunk(&j, M0 + 5);
    jb_pair(&j, 'H', &huge, &bad_minute);         /* torn header: skipped */
    jb_cell(&j, M0, "alice");
    jb_share(&j, 0, 2.0, 1.0);
    jb_pair(&j, 'N', &t10, &two);                 /* a good sample */
    jb_end(&j);
    jb_chunk(&j, NAN);                            /* torn time: not used */
    jb_pair(&j, 'N', &nan, &huge);                /* skipped */
    jb_share(&j, 0, 3.0, 1.0);
    jb_end(&j);
    jb_chunk(&j, M0 + 69);
    jb_pair(&j, 'X', &close, &close);
    jb_end(&j);
    FILE *f = fopen(jpath, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(j.b, 1, j.n, f), j.n);
    fclose(f);

    ut_meta_cfg cfg = {.coin = "btc", .host = "gw-a", .source_id = "src", .spool_dir = dir,
                       .flush_interval = 3600, .clock = fake_clock};
    fake_now = M0 + 200;
    ut_meta *m = ut_meta_create(loop, &cfg);     /* returns: no endless replay */
    assert_non_null(m);
    assert_int_equal(ut_meta_pending(m), 1);      /* the replayed batch */
    char msgs[4096];
    log_messages("corrupt records skipped", msgs, sizeof(msgs));
    assert_string_equal(msgs,
        "meta src: journal mj-src.00000000000000e1.0000000001: 3 corrupt records skipped, "
        "not counted (first: header: connections 4611686018427387904 or minute 12345 out of "
        "range)\n");
    ut_meta_free(m);
    ev_loop_destroy(loop);
    remove_dir(dir);
}

/* A clock past 2200 (or NaN) at start and per share: no UB, it comes up. */
static void test_clock_far_future(void **state)
{
    const double clocks[] = {1e300, -1e300, NAN, INFINITY};
    for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
        struct ev_loop *loop = ev_loop_new(0);
        char *dir = make_dir();
        ut_meta_cfg cfg = {.coin = "btc", .host = "gw-a", .source_id = "src",
                           .spool_dir = dir, .flush_interval = 3600, .clock = fake_clock};
        fake_now = clocks[i];
        ut_meta *m = ut_meta_create(loop, &cfg);
        assert_non_null(m);
        ut_meta_share(m, "alice", "rig1", 1.0, 1.0, true);
        ut_meta_free(m);
        ev_loop_destroy(loop);
        remove_dir(dir);
    }
}

/* ---- metawriter: share counts of one user and minute ---- */

#define HEAD "\"v\":1,\"source\":\"gw1-p0\",\"epoch\":\"0123456789abcdef\",\"seq\":5," \
             "\"coin\":\"btc\",\"coin_name\":\"BTC\",\"host\":\"gw-a\",\"time\":1795321690"
#define REC(s) "{\"t\":1795321680,\"user\":\"u\",\"worker\":\"w\",\"s\":" s ",\"p\":1,\"g\":1}"

static const mw_op *find_op(const mw_ops *o, const char *key, const char *arg)
{
    for (size_t i = 0; i < o->n; i++) {
        if (strcmp(o->v[i].key, key) == 0 && strcmp(o->v[i].arg, arg) == 0)
            return &o->v[i];
    }
    return NULL;
}

static void test_mw_counts_add_exactly(void **state)
{
    const char ok[] = "{" HEAD ",\"shares\":[" REC("1099511627776") "," REC("1099511627776")
                      "]}";
    char err[256] = "";
    mw_ops *o = mw_ops_from_body(ok, strlen(ok), "btc", NULL, err, sizeof(err));
    assert_non_null(o);
    const mw_op *op = find_op(o, "btc:s:u", "1795321680");
    assert_non_null(op);
    assert_int_equal(op->ival, INT64_C(2199023255552));      /* 2^41 */
    mw_ops_free(o);

    const char over[] = "{" HEAD ",\"shares\":[" REC("1099511627776") ","
                        REC("9223372036854775807") "]}";
    assert_null(mw_ops_from_body(over, strlen(over), "btc", NULL, err, sizeof(err)));
    assert_string_equal(err, "shares[1].s: 9223372036854775807 is not an integer in "
                             "[0, 2^40]");
}

int main(void)
{
    int fd = mkstemp(log_path);
    if (fd < 0)
        return 1;
    close(fd);
    ut_log_cfg lc = {.path = log_path, .level = UT_LOG_WARN};
    ut_log_init(&lc);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journal_torn_header),
        cmocka_unit_test(test_clock_far_future),
        cmocka_unit_test(test_mw_counts_add_exactly),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ut_log_close();
    unlink(log_path);
    return rc;
}
