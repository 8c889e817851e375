/* gw_super: fork, supervise and stop the gateway's worker processes (see
 * gw_super.h). Signals are blocked and taken synchronously with
 * sigtimedwait, so the supervisor has no handlers and no event loop. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "gateway/gw_server.h"
#include "gateway/gw_super.h"
#include "utils/ut_log.h"

#define GW_STARTUP_SECONDS 2.0   /* a worker up this long has started fine */

typedef struct gw_child {
    pid_t pid;          /* 0 when not running */
    double started;     /* monotonic seconds */
    double restart_at;  /* when a dead worker may start again */
    bool ever_up;       /* ran GW_STARTUP_SECONDS at least once */
} gw_child;

static double gw_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void gw_signal_mask(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGCHLD);
}

static pid_t gw_spawn(const gw_config *cfg, gw_shm *shm, int idx, pid_t parent)
{
    sigset_t set;
    pid_t pid = fork();

    if (pid != 0)
        return pid;   /* parent, or -1 */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(0);     /* the supervisor is already gone */
    gw_signal_mask(&set);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    _exit(gw_server_run(cfg, shm, idx));
}

static void gw_start_child(const gw_config *cfg, gw_shm *shm, gw_child *ch, int idx)
{
    pid_t pid = gw_spawn(cfg, shm, idx, getpid());

    if (pid < 0) {
        log_error("supervisor: fork of worker %d failed: %m", idx);
        ch->restart_at = gw_mono() + 1;
        return;
    }
    ch->pid = pid;
    ch->started = gw_mono();
    log_info("supervisor: worker %d started, pid=%d", idx, (int)pid);
}

/* Reaps dead workers. Returns -1 when one failed to start at all (exit
 * status non-zero before it was ever up): a configuration problem such as
 * a port in use, which restarting will not cure. */
static int gw_reap(const gw_config *cfg, gw_child *kids, bool stopping)
{
    int status, rc = 0;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < cfg->workers; i++) {
            if (kids[i].pid != pid)
                continue;
            kids[i].pid = 0;
            kids[i].restart_at = kids[i].started + 1.0;
            if (gw_mono() - kids[i].started >= GW_STARTUP_SECONDS)
                kids[i].ever_up = true;
            if (!stopping && !kids[i].ever_up && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
                log_fatal("supervisor: worker %d (pid %d) failed to start (status %d)", i,
                          (int)pid, WEXITSTATUS(status));
                rc = -1;
            } else if (stopping)
                log_info("supervisor: worker %d (pid %d) exited", i, (int)pid);
            else if (WIFSIGNALED(status))
                log_error("supervisor: worker %d (pid %d) killed by signal %d, restarting", i,
                          (int)pid, WTERMSIG(status));
            else
                log_error("supervisor: worker %d (pid %d) exited with status %d, restarting", i,
                          (int)pid, WEXITSTATUS(status));
        }
    }
    return rc;
}

static void gw_forward(const gw_config *cfg, gw_child *kids, int sig)
{
    for (int i = 0; i < cfg->workers; i++)
        if (kids[i].pid > 0)
            kill(kids[i].pid, sig);
}

static int gw_alive(const gw_config *cfg, const gw_child *kids)
{
    int n = 0;

    for (int i = 0; i < cfg->workers; i++)
        n += kids[i].pid > 0;
    return n;
}

/* SIGTERM to every worker, then wait; SIGKILL whoever is left after the deadline. */
static void gw_stop_all(const gw_config *cfg, gw_child *kids, const sigset_t *set)
{
    double deadline = gw_mono() + cfg->shutdown_grace + 10;
    struct timespec ts = { 0, 100 * 1000 * 1000 };

    gw_forward(cfg, kids, SIGTERM);
    while (gw_alive(cfg, kids) > 0 && gw_mono() < deadline) {
        sigtimedwait(set, NULL, &ts);
        (void)gw_reap(cfg, kids, true);
    }
    if (gw_alive(cfg, kids) > 0) {
        log_error("supervisor: %d workers did not stop in time, killing them",
                  gw_alive(cfg, kids));
        gw_forward(cfg, kids, SIGKILL);
        for (int i = 0; i < cfg->workers; i++) {
            if (kids[i].pid > 0)
                waitpid(kids[i].pid, NULL, 0);
            kids[i].pid = 0;
        }
    }
}

int gw_super_run(const gw_config *cfg, gw_shm *shm)
{
    gw_child kids[GW_MAX_WORKERS];
    sigset_t set;
    struct timespec ts = { 0, 250 * 1000 * 1000 };
    int sig;

    memset(kids, 0, sizeof(kids));
    gw_signal_mask(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
    log_notice("supervisor: pid=%d gateway_id=%d starting %d workers", (int)getpid(),
               cfg->gateway_id, cfg->workers);
    for (;;) {
        double now = gw_mono();
        for (int i = 0; i < cfg->workers; i++)
            if (kids[i].pid == 0 && now >= kids[i].restart_at)
                gw_start_child(cfg, shm, &kids[i], i);
        sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGHUP) {
            ut_log_reopen();
            gw_forward(cfg, kids, SIGHUP);
        } else if (sig == SIGTERM || sig == SIGINT) {
            log_notice("supervisor: signal %d, stopping workers", sig);
            gw_stop_all(cfg, kids, &set);
            log_notice("supervisor: all workers stopped");
            return 0;
        }
        /* SIGCHLD, or a timeout (a SIGCHLD may have been merged): reap. */
        if (gw_reap(cfg, kids, false) != 0) {
            gw_stop_all(cfg, kids, &set);
            log_fatal("supervisor: giving up, a worker cannot start");
            return 1;
        }
    }
}
