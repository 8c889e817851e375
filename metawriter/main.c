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
#include <stdio.h>

#include "metawriter/mw_config.h"
#include "metawriter/mw_http.h"
#include "metawriter/mw_redis.h"
#include "metawriter/mw_retention.h"
#include "metawriter/mw_server.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

typedef struct mw_app {
    mw_redis *redis;
    mw_server *srv;
    mw_retention *ret;
    mw_http *http;
} mw_app;

static int mw_app_start(mw_app *a, struct ev_loop *loop, const mw_config *cfg)
{
    mw_redis_cfg rc = {.host = cfg->redis.host, .port = cfg->redis.port, .db = cfg->redis.db,
                       .password = cfg->redis.password, .timeout = cfg->redis.timeout};
    mw_server_cfg sc = {.listen = cfg->rpc.bind, .allow = (const char **)cfg->rpc.allow,
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
    if (cfg->http.bind &&
        !(a->http = mw_http_create(loop, cfg->http.bind, (const char *const *)cfg->http.allow,
                                   a->srv, a->redis, a->ret)))
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

/* Starts everything, runs until a signal, stops. */
static int mw_run(struct ev_loop *loop, const mw_config *cfg)
{
    mw_app app = {0};
    int rc = 1;
    if (mw_app_start(&app, loop, cfg) == 0) {
        log_notice("metawriter: started, config %s, listening on %s, redis %s:%d db %d, coin %s",
                   cfg->file, cfg->rpc.bind, cfg->redis.host, cfg->redis.port, cfg->redis.db,
                   cfg->coin);
        ev_run(loop, 0);
        log_notice("metawriter: stopped");
        rc = 0;
    }
    mw_app_free(&app);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: metawriter --config FILE\n", mw_config_keys,
                          &path);
    if (rc != UT_PROC_RUN)
        return rc;

    mw_config cfg;
    char err[768];
    if (mw_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "metawriter: %s\n", err);
        return 1;
    }
    ut_proc proc;
    if (ut_proc_start_alert(&proc, "metawriter", &cfg.log, &cfg.alert) < 0) {
        mw_config_free(&cfg);
        return 1;
    }
    rc = mw_run(proc.loop, &cfg);
    ut_proc_end(&proc);
    mw_config_free(&cfg);
    return rc;
}
