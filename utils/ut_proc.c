/* ut_proc: the command line, the log, the loop and the signal watchers that
 * every module's main.c needs (see ut_proc.h). Signals are taken by libev watchers on the
 * loop, so the callbacks may log and reopen the log file safely. */
#include "utils/ut_proc.h"
#include "utils/ut_version.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "utils/ut_alert.h"
#include "utils/ut_log.h"

/* --help: the usage and every key of the module's config. */
static int ut_proc_help(const char *usage, ut_proc_keys_fn keys)
{
    ut_cfg_keys k = {0};
    char err[512];

    fputs(usage, stdout);
    if (!keys)
        return 0;
    if (keys(NULL, &k, err, sizeof(err)) != 0) {
        fprintf(stderr, "cannot list the config keys: %s\n", err);
        ut_cfg_keys_free(&k);
        return 1;
    }
    printf("\nConfig file keys (a JSON object; keys starting with '_' are comments,\n"
           "any other key not listed here is an error; a[] is each element of array a):\n");
    ut_cfg_keys_print(&k, stdout);
    ut_cfg_keys_free(&k);
    return 0;
}

int ut_proc_args(int argc, char **argv, const char *usage, ut_proc_keys_fn keys,
                 const char **config)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *config = NULL;
    optind = 0;                 /* glibc: start over, also on a second call */
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': *config = optarg; break;
        case 'h': return ut_proc_help(usage, keys);
        case 'V': printf("%s %s\n", basename(argv[0]), HF_VERSION); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (*config == NULL || optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    return UT_PROC_RUN;
}

static void ut_proc_on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
    ut_proc_sig *s = w->data;

    log_notice("%s: signal %d, shutting down", s->name, w->signum);
    if (s->stop)
        s->stop(s->arg);
    else
        ev_break(loop, EVBREAK_ALL);
}

static void ut_proc_on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    ut_proc_sig *s = w->data;

    ut_log_reopen();
    log_notice("%s: SIGHUP, log reopened", s->name);
}

static void ut_proc_watch(ut_proc_sig *s, ev_signal *w, void (*cb)(struct ev_loop *,
                          ev_signal *, int), int signum)
{
    ev_signal_init(w, cb, signum);
    w->data = s;
    ev_signal_start(s->loop, w);
}

void ut_proc_sig_start(ut_proc_sig *s, struct ev_loop *loop, const char *name,
                       ut_proc_stop_fn stop, void *arg)
{
    s->loop = loop;
    s->name = name;
    s->stop = stop;
    s->arg = arg;
    signal(SIGPIPE, SIG_IGN);
    ut_proc_watch(s, &s->term, ut_proc_on_stop, SIGTERM);
    ut_proc_watch(s, &s->intr, ut_proc_on_stop, SIGINT);
    ut_proc_watch(s, &s->hup, ut_proc_on_hup, SIGHUP);
}

void ut_proc_sig_stop(ut_proc_sig *s)
{
    ev_signal_stop(s->loop, &s->term);
    ev_signal_stop(s->loop, &s->intr);
    ev_signal_stop(s->loop, &s->hup);
}

/* The most a soft RLIMIT_NOFILE may be when the hard one is unlimited. */
static rlim_t ut_proc_nr_open(void)
{
    FILE *fp = fopen("/proc/sys/fs/nr_open", "r");
    unsigned long v = 0;

    if (fp) {
        if (fscanf(fp, "%lu", &v) != 1)
            v = 0;
        fclose(fp);
    }
    return v ? (rlim_t)v : 1048576;
}

long ut_proc_raise_nofile(const char *name)
{
    struct rlimit rl;
    rlim_t old, want;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        log_warn("%s: open files: cannot read the limit: %m", name);
        return -1;
    }
    old = rl.rlim_cur;
    want = rl.rlim_max == RLIM_INFINITY ? ut_proc_nr_open() : rl.rlim_max;
    if (old != RLIM_INFINITY && old < want) {
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
            log_info("%s: open files: soft limit raised from %lu to %lu", name,
                     (unsigned long)old, (unsigned long)want);
            return (long)want;
        }
        log_warn("%s: open files: cannot raise the soft limit from %lu to %lu: %m", name,
                 (unsigned long)old, (unsigned long)want);
        return (long)old;
    }
    log_info("%s: open files: soft limit stays at %lu (the hard limit)", name,
             (unsigned long)old);
    return (long)old;
}

int ut_proc_start(ut_proc *p, const char *name, const ut_log_cfg *log)
{
    if (ut_log_init(log) < 0)
        return -1;
    ut_proc_raise_nofile(name);
    p->loop = ev_default_loop(0);
    if (!p->loop) {
        log_fatal("%s: cannot create the event loop", name);
        ut_log_close();
        return -1;
    }
    ut_proc_sig_start(&p->sig, p->loop, name, NULL, NULL);
    return 0;
}

int ut_proc_start_alert(ut_proc *p, const char *name, const ut_log_cfg *log,
                        const struct ut_alert_cfg *alert)
{
    if (ut_proc_start(p, name, log) < 0)
        return -1;
    ut_alert_start(name, alert);     /* a socket that cannot open is logged, not fatal */
    return 0;
}

void ut_proc_end(ut_proc *p)
{
    ut_alert_stop();
    ut_proc_sig_stop(&p->sig);
    ev_loop_destroy(p->loop);
    p->loop = NULL;
    ut_log_close();
}
