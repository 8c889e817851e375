/* jobmaster: gets block templates from the node, builds mining jobs, fans
 * them out to gateways, and submits the blocks they find.
 *
 *   jobmaster --config FILE | -c FILE     run
 *   jobmaster --blocknotify ADDR [TEXT]   send one blocknotify datagram and exit
 *
 * SIGTERM/SIGINT stop cleanly; SIGHUP reopens the log file. */
#include <ev.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jobmaster/jm_config.h"
#include "jobmaster/jm_notify.h"
#include "jobmaster/jm_server.h"
#include "utils/ut_log.h"

static void jm_usage(FILE *out)
{
    fprintf(out, "usage: jobmaster --config FILE\n"
                 "       jobmaster --blocknotify udp@HOST:PORT [TEXT]\n");
}

static void jm_on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
    log_notice("jobmaster: signal %d, shutting down", w->signum);
    ev_break(loop, EVBREAK_ALL);
}

static void jm_on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    ut_log_reopen();
    log_notice("jobmaster: SIGHUP, log reopened");
}

static int jm_send_notify(const char *addr, const char *text)
{
    if (jm_notify_send(addr, text ? text : "blocknotify") < 0) {
        fprintf(stderr, "jobmaster: cannot send blocknotify to %s\n", addr);
        return 1;
    }
    return 0;
}

static int jm_start_log(const jm_config *cfg)
{
    ut_log_cfg lc = {
        .path = cfg->log_path, .level = cfg->log_level,
        .max_size = cfg->log_max_size, .max_files = cfg->log_max_files,
    };
    return ut_log_init(&lc);
}

static int jm_run(const char *config_path)
{
    jm_config cfg;
    char err[768];
    if (jm_config_load(&cfg, config_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "jobmaster: %s\n", err);
        return 1;
    }
    if (jm_start_log(&cfg) < 0) {
        jm_config_free(&cfg);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    struct ev_loop *loop = ev_default_loop(0);
    ev_signal sig_term, sig_int, sig_hup;
    ev_signal_init(&sig_term, jm_on_stop, SIGTERM);
    ev_signal_init(&sig_int, jm_on_stop, SIGINT);
    ev_signal_init(&sig_hup, jm_on_hup, SIGHUP);
    ev_signal_start(loop, &sig_term);
    ev_signal_start(loop, &sig_int);
    ev_signal_start(loop, &sig_hup);

    int rc = 1;
    jm_server *srv = jm_server_create(loop, &cfg);
    if (srv) {
        log_notice("jobmaster: started, config %s, gateways on %s, %zu payout(s)", cfg.file,
                   cfg.gateway_bind, cfg.payout_count);
        ev_run(loop, 0);
        jm_server_free(srv);
        log_notice("jobmaster: stopped");
        rc = 0;
    }
    ev_signal_stop(loop, &sig_term);
    ev_signal_stop(loop, &sig_int);
    ev_signal_stop(loop, &sig_hup);
    ev_loop_destroy(loop);
    ut_log_close();
    jm_config_free(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"blocknotify", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL, *notify = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'b': notify = optarg; break;
        case 'h': jm_usage(stdout); return 0;
        default: jm_usage(stderr); return 2;
        }
    }
    if (notify)
        return jm_send_notify(notify, optind < argc ? argv[optind] : NULL);
    if (!config || optind != argc) {
        jm_usage(stderr);
        return 2;
    }
    return jm_run(config);
}
