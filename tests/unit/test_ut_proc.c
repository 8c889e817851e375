/* Tests of ut_proc: the standard command line (--config/-c/--help, usage
 * on the right stream, exit statuses), the signal watchers (SIGTERM breaks
 * the loop or calls the stop callback, SIGINT too, SIGHUP reopens the log
 * with a log line, SIGPIPE is ignored, stopping restores the rest) and a
 * whole process start and end around them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "utils/ut_log.h"
#include "utils/ut_proc.h"
#include "utils/ut_version.h"

#define USAGE "usage: testmod --config FILE\n"

static char tmpdir[64];
static char outpath[128], errpath[128], logpath[128];

static int setup(void **state)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/hf-test-proc-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(outpath, sizeof(outpath), "%s/out", tmpdir);
    snprintf(errpath, sizeof(errpath), "%s/err", tmpdir);
    snprintf(logpath, sizeof(logpath), "%s/test.log", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    ut_log_close();
    unlink(outpath);
    unlink(errpath);
    unlink(logpath);
    return rmdir(tmpdir);
}

/* Reads a whole file into buf ("" when missing). */
static void slurp(const char *path, char *buf, size_t n)
{
    FILE *fp = fopen(path, "r");
    size_t got = 0;

    if (fp) {
        got = fread(buf, 1, n - 1, fp);
        fclose(fp);
    }
    buf[got] = '\0';
}

/* Points fd at path (truncated); returns a copy of the old fd. */
static int redirect(int fd, const char *path)
{
    int saved = dup(fd);
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(saved >= 0 && f >= 0);
    dup2(f, fd);
    close(f);
    return saved;
}

static void restore(int fd, int saved)
{
    dup2(saved, fd);
    close(saved);
}

/* Runs ut_proc_args on the given words with stdout and stderr captured
 * into out and err. Returns its result. */
static int run_args(const char **words, int n, const char **config, char *out, char *err)
{
    char *argv[8];
    int rc, so, se;

    assert_true(n < 8);
    for (int i = 0; i < n; i++)
        argv[i] = (char *)words[i];
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    so = redirect(STDOUT_FILENO, outpath);
    se = redirect(STDERR_FILENO, errpath);
    rc = ut_proc_args(n, argv, USAGE, NULL, config);
    fflush(stdout);
    fflush(stderr);
    restore(STDOUT_FILENO, so);
    restore(STDERR_FILENO, se);
    slurp(outpath, out, 512);
    slurp(errpath, err, 512);
    return rc;
}

static void test_args_config(void **state)
{
    const char *long_form[] = {"testmod", "--config", "a.json"};
    const char *short_form[] = {"testmod", "-c", "b.json"};
    const char *joined[] = {"testmod", "--config=c.json"};
    const char *config = NULL;
    char out[512], err[512];

    assert_int_equal(run_args(long_form, 3, &config, out, err), UT_PROC_RUN);
    assert_string_equal(config, "a.json");
    assert_string_equal(out, "");
    assert_string_equal(err, "");
    assert_int_equal(run_args(short_form, 3, &config, out, err), UT_PROC_RUN);
    assert_string_equal(config, "b.json");
    /* a second and third call start over (getopt state reset) */
    assert_int_equal(run_args(joined, 2, &config, out, err), UT_PROC_RUN);
    assert_string_equal(config, "c.json");
}

static void test_args_help(void **state)
{
    const char *help[] = {"testmod", "--help"};
    const char *h[] = {"testmod", "-h", "-c", "x.json"};
    const char *config = NULL;
    char out[512], err[512];

    assert_int_equal(run_args(help, 2, &config, out, err), 0);
    assert_string_equal(out, USAGE);
    assert_string_equal(err, "");
    assert_int_equal(run_args(h, 4, &config, out, err), 0);
    assert_string_equal(out, USAGE);
}

static void test_args_version(void **state)
{
    const char *v[] = {"/opt/headframe/gateway/bin/gateway", "--version"};
    const char *config = NULL;
    char out[512], err[512], want[64];

    assert_int_equal(run_args(v, 2, &config, out, err), 0);
    snprintf(want, sizeof(want), "gateway %s\n", HF_VERSION);
    assert_string_equal(out, want);
    assert_string_equal(err, "");
}

static void test_args_errors(void **state)
{
    const char *none[] = {"testmod"};
    const char *extra[] = {"testmod", "-c", "a.json", "more"};
    const char *unknown[] = {"testmod", "--bogus", "-c", "a.json"};
    const char *missing[] = {"testmod", "--config"};
    const char *config = NULL;
    char out[512], err[512];

    assert_int_equal(run_args(none, 1, &config, out, err), 2);
    assert_string_equal(out, "");
    assert_string_equal(err, USAGE);
    assert_null(config);
    assert_int_equal(run_args(extra, 4, &config, out, err), 2);
    assert_string_equal(err, USAGE);
    assert_int_equal(run_args(unknown, 4, &config, out, err), 2);
    assert_non_null(strstr(err, USAGE));      /* after getopt's own complaint */
    assert_int_equal(run_args(missing, 2, &config, out, err), 2);
    assert_non_null(strstr(err, USAGE));
    assert_string_equal(out, "");
}

typedef struct stops {
    int calls;
    struct ev_loop *loop;
} stops;

static void count_stop(void *arg)
{
    stops *s = arg;
    s->calls++;
    ev_break(s->loop, EVBREAK_ALL);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    int *timed_out = w->data;
    *timed_out = 1;
    ev_break(loop, EVBREAK_ALL);
}

/* Raises signum and runs loop until something breaks it or timeout seconds
 * pass. Returns 1 when the timeout broke it. */
static int raise_and_run(struct ev_loop *loop, int signum, double timeout)
{
    ev_timer t;
    int timed_out = 0;

    ev_timer_init(&t, on_timeout, timeout, 0.);
    t.data = &timed_out;
    ev_timer_start(loop, &t);
    raise(signum);
    ev_run(loop, 0);
    ev_timer_stop(loop, &t);
    return timed_out;
}

static void init_log(void)
{
    ut_log_cfg cfg = {.path = logpath, .level = UT_LOG_INFO};
    assert_int_equal(ut_log_init(&cfg), 0);
}

static void test_sig_break(void **state)
{
    struct ev_loop *loop = ev_default_loop(0);
    ut_proc_sig sig;
    char text[4096];

    init_log();
    ut_proc_sig_start(&sig, loop, "testmod", NULL, NULL);
    assert_int_equal(raise_and_run(loop, SIGTERM, 5), 0);
    assert_int_equal(raise_and_run(loop, SIGINT, 5), 0);
    ut_proc_sig_stop(&sig);
    slurp(logpath, text, sizeof(text));
    assert_non_null(strstr(text, "testmod: signal 15, shutting down"));
    assert_non_null(strstr(text, "testmod: signal 2, shutting down"));
}

static void test_sig_stop_callback(void **state)
{
    struct ev_loop *loop = ev_default_loop(0);
    stops st = {.loop = loop};
    ut_proc_sig sig;

    init_log();
    ut_proc_sig_start(&sig, loop, "testmod", count_stop, &st);
    assert_int_equal(raise_and_run(loop, SIGTERM, 5), 0);
    assert_int_equal(st.calls, 1);
    assert_int_equal(raise_and_run(loop, SIGINT, 5), 0);
    assert_int_equal(st.calls, 2);
    ut_proc_sig_stop(&sig);
}

static void test_sig_hup_reopens(void **state)
{
    struct ev_loop *loop = ev_default_loop(0);
    stops st = {.loop = loop};
    ut_proc_sig sig;
    char moved[160], text[4096];

    init_log();
    ut_proc_sig_start(&sig, loop, "testmod", count_stop, &st);
    log_notice("before rotation");
    snprintf(moved, sizeof(moved), "%s.1", logpath);
    assert_int_equal(rename(logpath, moved), 0);
    /* SIGHUP does not break the loop: the timeout does */
    assert_int_equal(raise_and_run(loop, SIGHUP, 0.3), 1);
    assert_int_equal(st.calls, 0);
    ut_proc_sig_stop(&sig);
    slurp(logpath, text, sizeof(text));
    assert_non_null(strstr(text, "testmod: SIGHUP, log reopened"));
    assert_null(strstr(text, "before rotation"));
    slurp(moved, text, sizeof(text));
    assert_non_null(strstr(text, "before rotation"));
    unlink(moved);
}

static void test_sig_dispositions(void **state)
{
    struct ev_loop *loop = ev_default_loop(0);
    ut_proc_sig sig;
    struct sigaction sa;

    signal(SIGPIPE, SIG_DFL);
    ut_proc_sig_start(&sig, loop, "testmod", NULL, NULL);
    ut_proc_sig_stop(&sig);
    assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
    assert_true(sa.sa_handler == SIG_IGN);
    assert_int_equal(sigaction(SIGTERM, NULL, &sa), 0);
    assert_true(sa.sa_handler == SIG_DFL);
    assert_int_equal(sigaction(SIGHUP, NULL, &sa), 0);
    assert_true(sa.sa_handler == SIG_DFL);
}

static void test_start_end(void **state)
{
    ut_log_cfg log = {.path = logpath, .level = UT_LOG_INFO};
    ut_proc proc;
    char text[4096];

    assert_int_equal(ut_proc_start(&proc, "testmod", &log), 0);
    assert_non_null(proc.loop);
    log_notice("running");
    assert_int_equal(raise_and_run(proc.loop, SIGTERM, 5), 0);
    ut_proc_end(&proc);
    assert_null(proc.loop);
    slurp(logpath, text, sizeof(text));
    assert_non_null(strstr(text, "running"));
    assert_non_null(strstr(text, "testmod: signal 15, shutting down"));

    /* a log file that cannot be opened: nothing started */
    log.path = "/nonexistent-dir/x.log";
    fflush(stderr);
    int se = redirect(STDERR_FILENO, errpath);
    int rc = ut_proc_start(&proc, "testmod", &log);
    restore(STDERR_FILENO, se);
    assert_int_equal(rc, -1);
}

/* A module's keys for --help: two keys of a tiny reader. */
static int keys_parse(ut_cfg *c, void *out)
{
    int64_t port = 3333;
    json_t *o = ut_cfg_object(c, c->root, "net", true);

    return o && ut_cfg_int(c, o, "port", &port, 1, 65535, false) == 0 ? 0 : -1;
}

static int keys_fn(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    return ut_cfg_run(path, keys_parse, NULL, NULL, keys, err, errlen);
}

static void test_args_help_keys(void **state)
{
    char *argv[] = {"testmod", "--help", NULL};
    char out[1024];
    int so;

    fflush(stdout);
    so = redirect(STDOUT_FILENO, outpath);
    int rc = ut_proc_args(2, argv, USAGE, keys_fn, &(const char *){NULL});
    fflush(stdout);
    restore(STDOUT_FILENO, so);
    assert_int_equal(rc, 0);
    slurp(outpath, out, sizeof(out));
    assert_true(strncmp(out, USAGE, strlen(USAGE)) == 0);
    assert_non_null(strstr(out, "\n  net "));
    assert_non_null(strstr(out, "an object"));
    const char *p = strstr(out, "\n  net.port ");
    assert_non_null(p);
    assert_non_null(strstr(p, "an integer 1..65535"));
    assert_non_null(strstr(p, "default 3333\n"));
}

/* The soft open-file limit goes up to the hard one, with one log line. */
static void test_raise_nofile(void **state)
{
    ut_log_cfg log = {.path = logpath, .level = UT_LOG_INFO};
    struct rlimit rl, now;
    char text[2048], want[128];

    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max < 2)
        rl.rlim_max = 4096;          /* an unlimited hard limit: use a finite one */
    now = (struct rlimit){.rlim_cur = rl.rlim_max / 2, .rlim_max = rl.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &now), 0);
    assert_int_equal(ut_log_init(&log), 0);
    assert_int_equal(ut_proc_raise_nofile("testmod"), (long)rl.rlim_max);
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
    assert_int_equal(now.rlim_cur, rl.rlim_max);
    assert_int_equal(ut_proc_raise_nofile("testmod"), (long)rl.rlim_max);   /* stays */
    ut_log_close();
    slurp(logpath, text, sizeof(text));
    snprintf(want, sizeof(want), "testmod: open files: soft limit raised from %lu to %lu",
             (unsigned long)(rl.rlim_max / 2), (unsigned long)rl.rlim_max);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof(want), "testmod: open files: soft limit stays at %lu",
             (unsigned long)rl.rlim_max);
    assert_non_null(strstr(text, want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_args_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_help_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raise_nofile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sig_break, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sig_stop_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sig_hup_reopens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sig_dispositions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_end, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
