/* metawriter: the only Redis writer of the pool. Receives CMD_MW_BATCH
 * from gateways (directly or through metarelay), applies every batch to
 * Redis exactly once and atomically, acknowledges it after, and deletes
 * minute fields past the retention.
 *
 *   metawriter --config FILE | -c FILE
 *
 * SIGTERM/SIGINT stop cleanly (queued batches are not acknowledged, so
 * their senders keep them); SIGHUP reopens the log file. */
#include <ev.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metawriter/mw_config.h"
#include "metawriter/mw_http.h"
#include "metawriter/mw_redis.h"
#include "metawriter/mw_retention.h"
#include "metawriter/mw_server.h"
#include "utils/ut_log.h"

typedef struct mw_app {
    mw_redis *redis;
    mw_server *srv;
    mw_retention *ret;
    mw_http *http;
} mw_app;

static void mw_on_stop(struct ev_loop *loop, ev_signal *w, int revents)
{
    log_notice("metawriter: signal %d, shutting down", w->signum);
    ev_break(loop, EVBREAK_ALL);
}

static void mw_on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
    ut_log_reopen();
    log_notice("metawriter: SIGHUP, log reopened");
}

static int mw_app_start(mw_app *a, struct ev_loop *loop, const mw_config *cfg)
{
    mw_redis_cfg rc = {.host = cfg->redis_host, .port = cfg->redis_port, .db = cfg->redis_db,
                       .password = cfg->redis_password, .timeout = cfg->redis_timeout};
    mw_server_cfg sc = {.listen = cfg->listen, .allow = (const char **)cfg->allow,
                        .coin = cfg->coin, .dedup_ttl = (long)cfg->dedup_days * 86400,
                        .max_pending = cfg->max_pending,
                        .max_pending_bytes = cfg->max_pending_bytes,
                        .pipeline = cfg->pipeline};
    a->redis = mw_redis_create(loop, &rc);
    a->srv = a->redis ? mw_server_create(loop, &sc, a->redis) : NULL;
    a->ret = a->redis ? mw_retention_create(loop, a->redis, cfg->coin, cfg->retention_days,
                                            cfg->sweep_interval)
                      : NULL;
    if (!a->srv || !a->ret || mw_server_start(a->srv) != 0 || mw_redis_start(a->redis) != 0)
        return -1;
    mw_retention_start(a->ret, 10.0);
    if (cfg->http && !(a->http = mw_http_create(loop, cfg->http, a->srv, a->redis, a->ret)))
        return -1;
    return 0;
}

/* Redis first: its pending callbacks still see the server and sweep. */
static void mw_app_free(mw_app *a)
{
    mw_http_free(a->http);
    mw_redis_free(a->redis);
    mw_retention_free(a->ret);
    mw_server_free(a->srv);
}

static int mw_run(const char *path)
{
    mw_config cfg;
    char err[768];
    if (mw_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "metawriter: %s\n", err);
        return 1;
    }
    ut_log_cfg lc = {.path = cfg.log_path, .level = cfg.log_level,
                     .max_size = cfg.log_max_size, .max_files = cfg.log_max_files};
    if (ut_log_init(&lc) < 0) {
        mw_config_free(&cfg);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    struct ev_loop *loop = ev_default_loop(0);
    ev_signal sig_term, sig_int, sig_hup;
    ev_signal_init(&sig_term, mw_on_stop, SIGTERM);
    ev_signal_init(&sig_int, mw_on_stop, SIGINT);
    ev_signal_init(&sig_hup, mw_on_hup, SIGHUP);
    ev_signal_start(loop, &sig_term);
    ev_signal_start(loop, &sig_int);
    ev_signal_start(loop, &sig_hup);

    mw_app app = {0};
    int rc = 1;
    if (mw_app_start(&app, loop, &cfg) == 0) {
        log_notice("metawriter: started, config %s, listening on %s, redis %s:%d db %d, coin %s",
                   cfg.file, cfg.listen, cfg.redis_host, cfg.redis_port, cfg.redis_db, cfg.coin);
        ev_run(loop, 0);
        log_notice("metawriter: stopped");
        rc = 0;
    }
    mw_app_free(&app);
    ev_signal_stop(loop, &sig_term);
    ev_signal_stop(loop, &sig_int);
    ev_signal_stop(loop, &sig_hup);
    ev_loop_destroy(loop);
    ut_log_close();
    mw_config_free(&cfg);
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
        case 'h': fprintf(stdout, "usage: metawriter --config FILE\n"); return 0;
        default: fprintf(stderr, "usage: metawriter --config FILE\n"); return 2;
        }
    }
    if (!config || optind != argc) {
        fprintf(stderr, "usage: metawriter --config FILE\n");
        return 2;
    }
    return mw_run(config);
}
