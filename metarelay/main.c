/* metarelay: fan-in of accounting batches. Accepts CMD_MW_BATCH from
 * gateways and mineragents on an allow-list, forwards each batch unchanged
 * to metawriter, and acknowledges the sender only when metawriter did.
 *
 *   metarelay --config FILE | -c FILE
 *
 * SIGTERM/SIGINT stop cleanly (held batches are spooled); SIGHUP reopens
 * the log file. */
#include <ev.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "metarelay/mr_config.h"
#include "metarelay/mr_http.h"
#include "metarelay/mr_relay.h"
#include "utils/ut_log.h"

static void mr_on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
    log_notice("metarelay: signal %d, shutting down", w->signum);
    ev_break(loop, EVBREAK_ALL);
}

static void mr_on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    ut_log_reopen();
    log_notice("metarelay: SIGHUP, log reopened");
}

static mr_relay *mr_start(struct ev_loop *loop, const mr_config *cfg)
{
    mr_relay_cfg rc = {.listen = cfg->listen, .allow = (const char **)cfg->allow,
                       .upstream = cfg->upstream, .spool_dir = cfg->spool_dir,
                       .max_mem_bytes = cfg->max_mem_bytes,
                       .max_spool_bytes = cfg->max_spool_bytes,
                       .spool_after = cfg->spool_after, .window = cfg->window,
                       .request_timeout = cfg->request_timeout};
    mr_relay *r = mr_relay_create(loop, &rc);
    if (r && mr_relay_start(r) != 0) {
        mr_relay_free(r);
        return NULL;
    }
    return r;
}

static int mr_run(const char *path)
{
    mr_config cfg;
    char err[768];
    if (mr_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "metarelay: %s\n", err);
        return 1;
    }
    ut_log_cfg lc = {.path = cfg.log_path, .level = cfg.log_level,
                     .max_size = cfg.log_max_size, .max_files = cfg.log_max_files};
    if (ut_log_init(&lc) < 0) {
        mr_config_free(&cfg);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    struct ev_loop *loop = ev_default_loop(0);
    ev_signal sig_term, sig_int, sig_hup;
    ev_signal_init(&sig_term, mr_on_stop, SIGTERM);
    ev_signal_init(&sig_int, mr_on_stop, SIGINT);
    ev_signal_init(&sig_hup, mr_on_hup, SIGHUP);
    ev_signal_start(loop, &sig_term);
    ev_signal_start(loop, &sig_int);
    ev_signal_start(loop, &sig_hup);

    int rc = 1;
    mr_relay *relay = mr_start(loop, &cfg);
    mr_http *http = NULL;
    if (relay && (!cfg.http || (http = mr_http_create(loop, cfg.http, relay)))) {
        log_notice("metarelay: started, config %s, listening on %s, metawriter %s, spool %s",
                   cfg.file, cfg.listen, cfg.upstream, cfg.spool_dir);
        ev_run(loop, 0);
        log_notice("metarelay: stopped");
        rc = 0;
    }
    mr_http_free(http);
    mr_relay_free(relay);
    ev_signal_stop(loop, &sig_term);
    ev_signal_stop(loop, &sig_int);
    ev_signal_stop(loop, &sig_hup);
    ev_loop_destroy(loop);
    ut_log_close();
    mr_config_free(&cfg);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case 'h': fprintf(stdout, "usage: metarelay --config FILE\n"); return 0;
        default: fprintf(stderr, "usage: metarelay --config FILE\n"); return 2;
        }
    }
    if (!config || optind != argc) {
        fprintf(stderr, "usage: metarelay --config FILE\n");
        return 2;
    }
    return mr_run(config);
}
