/* jobmaster: gets block templates from the node, builds mining jobs, fans
 * them out to gateways, and submits the blocks they find.
 *
 *   jobmaster --config FILE | -c FILE     run
 *   jobmaster --blocknotify ADDR [TEXT]   send one blocknotify datagram and exit
 *
 * SIGTERM/SIGINT stop cleanly; SIGHUP reopens the log file. */
#include <ev.h>
#include <stdio.h>
#include <string.h>
#include "jobmaster/jm_config.h"
#include "jobmaster/jm_notify.h"
#include "jobmaster/jm_server.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

#define JM_USAGE "usage: jobmaster --config FILE\n" \
                 "       jobmaster --blocknotify udp@HOST:PORT [TEXT]\n"

/* "jobmaster --blocknotify ADDR [TEXT]" (or -b): what a node's -blocknotify
 * runs. Sends the datagram; returns the exit status. */
static int jm_send_notify(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fputs(JM_USAGE, stderr);
        return 2;
    }
    if (jm_notify_send(argv[2], argc == 4 ? argv[3] : "blocknotify") < 0) {
        fprintf(stderr, "jobmaster: cannot send blocknotify to %s\n", argv[2]);
        return 1;
    }
    return 0;
}

static int jm_is_notify(int argc, char **argv)
{
    return argc > 1 && (strcmp(argv[1], "--blocknotify") == 0 || strcmp(argv[1], "-b") == 0);
}

/* Starts every part, runs until a signal, stops. */
static int jm_run(struct ev_loop *loop, const jm_config *cfg)
{
    jm_server *srv = jm_server_create(loop, cfg);
    if (!srv)
        return 1;
    log_notice("jobmaster: started, config %s, gateways on %s, %zu payout(s)", cfg->file,
               cfg->gateway.bind, cfg->payout_count);
    ev_run(loop, 0);
    jm_server_free(srv);
    log_notice("jobmaster: stopped");
    return 0;
}

int main(int argc, char **argv)
{
    if (jm_is_notify(argc, argv))
        return jm_send_notify(argc, argv);
    const char *path;
    int rc = ut_proc_args(argc, argv, JM_USAGE, jm_config_keys, &path);
    if (rc != UT_PROC_RUN)
        return rc;

    jm_config cfg;
    char err[768];
    if (jm_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "jobmaster: %s\n", err);
        return 1;
    }
    ut_proc proc;
    if (ut_proc_start_alert(&proc, "jobmaster", &cfg.log, &cfg.alert) < 0) {
        jm_config_free(&cfg);
        return 1;
    }
    rc = jm_run(proc.loop, &cfg);
    ut_proc_end(&proc);
    jm_config_free(&cfg);
    return rc;
}
