/* ut_proc: the life of a module process around its event loop, written once
 * for every main.c: the command line ("--config FILE", "-c FILE", "--help"
 * listing every config key, "--version"), the log, the open-file limit
 * (raised to the hard limit), the default loop and the signals (SIGPIPE ignored; SIGTERM and
 * SIGINT stop; SIGHUP reopens the log file). A main.c reads:
 *
 *     rc = ut_proc_args(argc, argv, "usage: metarelay --config FILE\n",
 *                       mr_config_keys, &path);
 *     if (rc != UT_PROC_RUN)
 *         return rc;
 *     ... load the config ...
 *     if (ut_proc_start(&proc, "metarelay", &cfg.log) < 0)
 *         ... free the config, return 1 ...
 *     rc = mr_run(proc.loop, &cfg);      // start the parts, ev_run, stop them
 *     ut_proc_end(&proc);
 *
 * A process that makes its own loop (a gateway worker) or stops in its own
 * way uses the signal watchers alone: ut_proc_sig_start / ut_proc_sig_stop.
 */
#ifndef UT_PROC_H
#define UT_PROC_H

#include <ev.h>
#include <stddef.h>
#include "utils/ut_config.h"
#include "utils/ut_log.h"

/* ut_proc_args returns this when the process should go on and run. */
#define UT_PROC_RUN (-1)

/* A module's keys: with path NULL the keys its config reader knows, with
 * their types, ranges and defaults (ut_cfg_run's describe mode); with a
 * path the keys it looked up reading that file. 0, or -1 with err. */
typedef int (*ut_proc_keys_fn)(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);

/* Reads the standard command line. Returns UT_PROC_RUN with *config set;
 * otherwise the status main should exit with: 0 after --help or -h (usage
 * and, when keys is not NULL, every config key with its type, range and
 * default, printed on stdout) or --version ("<program> <HF_VERSION>" on
 * stdout), 2 for anything else (usage printed on stderr), 1 when the keys
 * cannot be listed. */
int ut_proc_args(int argc, char **argv, const char *usage, ut_proc_keys_fn keys,
                 const char **config);

/* Raises the soft RLIMIT_NOFILE to the hard limit (a Stratum server holds
 * a descriptor per miner) and logs one INFO line, "<name>: open files: soft
 * limit raised from X to Y" or "... stays at X". Returns the soft limit in
 * force afterwards. ut_proc_start calls it; so does a module that opens
 * its log itself. */
long ut_proc_raise_nofile(const char *name);

/* What SIGTERM and SIGINT call; NULL in ut_proc_sig_start: ev_break. */
typedef void (*ut_proc_stop_fn)(void *arg);

/* The signal watchers of one process. */
typedef struct ut_proc_sig {
    struct ev_loop *loop;
    const char *name;          /* "jobmaster": starts the log lines */
    ut_proc_stop_fn stop;
    void *arg;
    ev_signal term, intr, hup;
} ut_proc_sig;

/* Ignores SIGPIPE and starts the watchers on loop. On SIGTERM/SIGINT logs
 * "<name>: signal N, shutting down" and calls stop(arg) (or breaks the loop);
 * on SIGHUP reopens the log file and logs "<name>: SIGHUP, log reopened".
 * name must outlive the watchers. */
void ut_proc_sig_start(ut_proc_sig *s, struct ev_loop *loop, const char *name,
                       ut_proc_stop_fn stop, void *arg);
/* Stops the watchers: SIGTERM, SIGINT and SIGHUP get their default action
 * back (libev restores it); SIGPIPE stays ignored. */
void ut_proc_sig_stop(ut_proc_sig *s);

/* A module process: its default loop and signal watchers. */
typedef struct ut_proc {
    struct ev_loop *loop;
    ut_proc_sig sig;
} ut_proc;

/* Opens the log (ut_log_init), raises the open-file limit
 * (ut_proc_raise_nofile), creates the default loop and starts the
 * signal watchers, SIGTERM/SIGINT breaking the loop. Returns 0, or -1 when
 * the log cannot be opened (said on stderr) or there is no loop. */
int ut_proc_start(ut_proc *p, const char *name, const ut_log_cfg *log);
/* ut_proc_start, then the alert sender (utils/ut_alert.h) for the
 * module's "alert" config section: ERROR and FATAL log lines go to the
 * alertcenters from here on. alert NULL or without addresses: none. */
struct ut_alert_cfg;
int ut_proc_start_alert(ut_proc *p, const char *name, const ut_log_cfg *log,
                        const struct ut_alert_cfg *alert);
/* Stops the alert sender and the watchers, destroys the loop and closes the log. */
void ut_proc_end(ut_proc *p);

#endif
