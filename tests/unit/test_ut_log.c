/* Tests of ut_log: line format, level filter, size rotation, the FATAL
 * hook, truncation of long records, reopen after an external rename and
 * concurrent writers, threads and processes sharing one file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utils/ut_log.h"

static char tmpdir[256];
static char logpath[300];

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hf-test-log-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(logpath, sizeof(logpath), "%s/test.log", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[400];

    ut_log_close();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Reads a whole file into a malloc'd string (NULL if missing). */
static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, fp);
    fclose(fp);
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void init_log(ut_log_level level, size_t max_size, int max_files)
{
    ut_log_cfg cfg = {.path = logpath, .level = level, .max_size = max_size,
                      .max_files = max_files};
    assert_int_equal(ut_log_init(&cfg), 0);
}

static void test_line_format(void **state)
{
    char pattern[256], *text;
    regex_t re;

    init_log(UT_LOG_DEBUG, 0, 0);
    log_info("hello %d %s", 42, "world");
    text = slurp(logpath, NULL);
    assert_non_null(text);
    snprintf(pattern, sizeof(pattern),
             "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
             "\\[%d\\] INFO test_ut_log\\.c:[0-9]+ hello 42 world\n$", (int)getpid());
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED), 0);
    assert_int_equal(regexec(&re, text, 0, NULL, 0), 0);
    regfree(&re);
    free(text);
}

static void test_level_filter(void **state)
{
    char *text;

    init_log(UT_LOG_WARN, 0, 0);
    log_debug("dropped-debug");
    log_info("dropped-info");
    log_warn("kept-warn");
    log_error("kept-error");
    ut_log_set_level(UT_LOG_DEBUG);
    log_debug("kept-debug");
    text = slurp(logpath, NULL);
    assert_null(strstr(text, "dropped"));
    assert_non_null(strstr(text, " WARN test_ut_log.c:"));
    assert_non_null(strstr(text, "kept-warn"));
    assert_non_null(strstr(text, " ERROR "));
    assert_non_null(strstr(text, "kept-debug"));
    assert_int_equal(count_lines(text), 3);
    free(text);
}

static void test_level_parse(void **state)
{
    ut_log_level l = UT_LOG_INFO;

    assert_int_equal(ut_log_level_parse("debug", &l), 0);
    assert_int_equal(l, UT_LOG_DEBUG);
    assert_int_equal(ut_log_level_parse("FATAL", &l), 0);
    assert_int_equal(l, UT_LOG_FATAL);
    assert_int_equal(ut_log_level_parse("warn", &l), 0);
    assert_int_equal(l, UT_LOG_WARN);
    assert_int_equal(ut_log_level_parse("loud", &l), -1);
    assert_int_equal(l, UT_LOG_WARN);
}

static void test_rotation(void **state)
{
    char p1[320], p2[320], p3[320], *cur, *old1, *old2;
    struct stat sb;

    init_log(UT_LOG_DEBUG, 1000, 2);
    for (int i = 0; i < 60; i++)
        log_info("record %03d padding padding padding padding", i);
    snprintf(p1, sizeof(p1), "%s.1", logpath);
    snprintf(p2, sizeof(p2), "%s.2", logpath);
    snprintf(p3, sizeof(p3), "%s.3", logpath);
    assert_int_equal(stat(p1, &sb), 0);
    assert_true(sb.st_size >= 1000 && sb.st_size < 1200);
    assert_int_equal(stat(p2, &sb), 0);
    assert_int_not_equal(stat(p3, &sb), 0);   /* max_files = 2 */
    assert_int_equal(stat(logpath, &sb), 0);
    assert_true(sb.st_size < 1000);
    /* The newest record is in path, the ones just before it in path.1. */
    cur = slurp(logpath, NULL);
    old1 = slurp(p1, NULL);
    old2 = slurp(p2, NULL);
    assert_non_null(strstr(cur, "record 059"));
    assert_null(strstr(old1, "record 059"));
    assert_null(strstr(old2, "record 059"));
    assert_null(strstr(cur, "record 000"));   /* dropped past path.2 */
    assert_null(strstr(old1, "record 000"));
    assert_null(strstr(old2, "record 000"));
    free(cur);
    free(old1);
    free(old2);
}

static int hook_calls;
static char hook_line[1024];

static void hook(const char *line, void *arg)
{
    hook_calls++;
    snprintf(hook_line, sizeof(hook_line), "%s", line);
    assert_ptr_equal(arg, &hook_calls);
    log_fatal("from the hook");   /* must not recurse into the hook */
}

static void test_fatal_hook(void **state)
{
    char *text;

    init_log(UT_LOG_DEBUG, 0, 0);
    hook_calls = 0;
    ut_log_set_fatal_hook(hook, &hook_calls);
    log_debug("d");
    log_info("i");
    log_notice("n");
    log_warn("w");
    log_error("e");
    assert_int_equal(hook_calls, 0);
    log_fatal("disk %s is full", "/var");
    assert_int_equal(hook_calls, 1);
    assert_non_null(strstr(hook_line, " FATAL test_ut_log.c:"));
    assert_non_null(strstr(hook_line, "disk /var is full"));
    assert_null(strchr(hook_line, '\n'));
    text = slurp(logpath, NULL);
    assert_non_null(strstr(text, "from the hook"));
    assert_int_equal(count_lines(text), 7);
    free(text);
    ut_log_set_fatal_hook(NULL, NULL);
    log_fatal("no hook");
    assert_int_equal(hook_calls, 1);
}

static void test_truncation(void **state)
{
    char *big = malloc(20001), *text;
    size_t len;

    memset(big, 'x', 20000);
    big[20000] = '\0';
    init_log(UT_LOG_DEBUG, 0, 0);
    log_info("%s", big);
    log_info("multi\nline");
    text = slurp(logpath, &len);
    char *second = strchr(text, '\n') + 1;
    size_t first_len = (size_t)(second - text);
    assert_int_equal(first_len, 8191);
    assert_memory_equal(second - 15, "...[truncated]\n", 15);
    assert_non_null(strstr(second, "multi line\n"));
    assert_int_equal(count_lines(text), 2);
    free(text);
    free(big);
}

static void test_reopen(void **state)
{
    char moved[320], *a, *b;

    init_log(UT_LOG_DEBUG, 0, 0);
    log_info("before");
    snprintf(moved, sizeof(moved), "%s.moved", logpath);
    assert_int_equal(rename(logpath, moved), 0);
    log_info("still-old");
    ut_log_reopen();
    log_info("after");
    a = slurp(moved, NULL);
    b = slurp(logpath, NULL);
    assert_non_null(strstr(a, "before"));
    assert_non_null(strstr(a, "still-old"));
    assert_null(strstr(a, "after"));
    assert_non_null(b);
    assert_non_null(strstr(b, "after"));
    assert_int_equal(count_lines(b), 1);
    free(a);
    free(b);
}

#define THREADS 4
#define PER_THREAD 2000

static void *writer(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < PER_THREAD; i++)
        log_info("thread %ld line %d end", id, i);
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t t[THREADS];
    char *text, *line, *save = NULL;
    regex_t re;
    int n = 0;

    init_log(UT_LOG_DEBUG, 0, 0);
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    text = slurp(logpath, NULL);
    assert_int_equal(regcomp(&re, "^[-0-9]+ [:.0-9]+ \\[[0-9]+\\] INFO test_ut_log\\.c:[0-9]+ "
                                  "thread [0-9] line [0-9]+ end$", REG_EXTENDED | REG_NOSUB), 0);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        assert_int_equal(regexec(&re, line, 0, NULL, 0), 0);
        n++;
    }
    assert_int_equal(n, THREADS * PER_THREAD);
    regfree(&re);
    free(text);
}

/* Several processes on one file (a gateway's workers), each rotating by
 * size: every line of every process ends up in exactly one file, whole,
 * and no file grows far past the limit. */
#define PROCS 3
#define LINES_EACH 20000
static void test_processes_share_a_file(void **state)
{
    pid_t kids[PROCS];

    for (int p = 0; p < PROCS; p++) {
        kids[p] = fork();
        assert_true(kids[p] >= 0);
        if (kids[p] == 0) {
            ut_log_cfg cfg = {.path = logpath, .level = UT_LOG_INFO, .max_size = 64 * 1024,
                              .max_files = 1000};
            if (ut_log_init(&cfg) != 0)
                _exit(2);
            for (int i = 0; i < LINES_EACH; i++)
                log_info("proc=%d line=%06d padding-padding-padding-padding-padding", p, i);
            ut_log_close();
            _exit(0);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int st = 0;
        assert_int_equal(waitpid(kids[p], &st, 0), kids[p]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    static char seen[PROCS][LINES_EACH];
    memset(seen, 0, sizeof(seen));
    int files = 0, total = 0;
    for (int k = 0; k <= 1000; k++) {
        char path[400];
        if (k == 0)
            snprintf(path, sizeof(path), "%s", logpath);
        else
            snprintf(path, sizeof(path), "%s.%d", logpath, k);
        size_t len = 0;
        char *text = slurp(path, &len);
        if (!text)
            continue;
        files++;
        /* Over the limit by at most what the others wrote between two looks
         * at the real size (256 lines each). */
        assert_true(len < 64 * 1024 + PROCS * 256 * 128);
        for (char *l = text; *l;) {
            char *nl = strchr(l, '\n');
            int p = -1, i = -1;
            assert_non_null(nl);
            const char *at = strstr(l, "proc=");
            assert_true(at != NULL && at < nl);
            assert_int_equal(sscanf(at, "proc=%d line=%d", &p, &i), 2);
            assert_true(p >= 0 && p < PROCS && i >= 0 && i < LINES_EACH);
            assert_int_equal(seen[p][i], 0);      /* never twice */
            seen[p][i] = 1;
            total++;
            l = nl + 1;
        }
        free(text);
    }
    assert_int_equal(total, PROCS * LINES_EACH);   /* none lost */
    assert_true(files > 5);
}

static void test_bad_path(void **state)
{
    ut_log_cfg cfg = {.path = "/nonexistent-dir/x.log", .level = UT_LOG_INFO};
    assert_int_equal(ut_log_init(&cfg), -1);
    cfg.path = "-";
    assert_int_equal(ut_log_init(&cfg), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_line_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal_hook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_processes_share_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_path, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
