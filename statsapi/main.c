/* statsapi: the statistics service of the pool. Reads the per-minute Redis
 * keys that metawriter writes (never writes them), keeps the pool, its
 * users and their workers in memory (sa_store), and serves the versioned
 * JSON API (docs/stats-api.md), the web dashboard, /status and /metrics on
 * one HTTP port. A refresh thread does every Redis read of the store; the
 * HTTP loop answers from memory, so a page view never waits for Redis
 * (except the chart series, read on demand and cached). With a "node"
 * section, a thread of its own asks the node whether recent found blocks
 * were orphaned (sa_node).
 *
 *   statsapi --config FILE | -c FILE
 *
 * SIGTERM/SIGINT stop it; SIGHUP reopens the log file. */
#include <curl/curl.h>
#include <ev.h>
#include <stdio.h>

#include "statsapi/sa_config.h"
#include "statsapi/sa_http.h"
#include "statsapi/sa_node.h"
#include "statsapi/sa_redis.h"
#include "statsapi/sa_store.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

static int sa_run(struct ev_loop *loop, const sa_config *cfg)
{
    sa_store st;
    sa_http *http;
    sa_redis *rd = NULL;
    sa_node *nd = NULL;
    bool node_failed = false;

    sa_store_init(&st);
    http = sa_http_start(loop, cfg, &st);
    if (http)
        rd = sa_redis_start(&st, cfg);
    if (http && rd)
        nd = sa_node_start(&st, cfg, &node_failed);
    if (http && rd && !node_failed) {
        log_notice("statsapi: started, config %s, http %s (port %d), redis %s:%d db %d, "
                   "coin %s", cfg->file, cfg->http.bind, sa_http_port(http), cfg->redis.host,
                   cfg->redis.port, cfg->redis.db, cfg->coin);
        ev_run(loop, 0);
        log_notice("statsapi: stopped");
    }
    sa_node_stop(nd);
    sa_redis_stop(rd);
    sa_http_free(http);
    sa_store_free(&st);
    return http && rd && !node_failed ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: statsapi --config FILE\n", sa_config_keys, &path);

    if (rc != UT_PROC_RUN)
        return rc;
    sa_config cfg;
    char err[768];
    if (sa_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "statsapi: %s\n", err);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ut_proc proc;
    if (ut_proc_start(&proc, "statsapi", &cfg.log) < 0) {
        sa_config_free(&cfg);
        return 1;
    }
    rc = sa_run(proc.loop, &cfg);
    ut_proc_end(&proc);
    sa_config_free(&cfg);
    curl_global_cleanup();
    return rc;
}
