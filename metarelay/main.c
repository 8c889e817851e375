/* metarelay: fan-in of accounting batches. Accepts CMD_MW_BATCH from
 * gateways and mineragents on an allow-list, forwards each batch unchanged
 * to metawriter, and acknowledges the sender only when metawriter did.
 *
 *   metarelay --config FILE | -c FILE
 *
 * SIGTERM/SIGINT stop cleanly (held batches are spooled); SIGHUP reopens
 * the log file. */
#include <ev.h>
#include <stdio.h>

#include "metarelay/mr_config.h"
#include "metarelay/mr_http.h"
#include "metarelay/mr_relay.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

static mr_relay *mr_start(struct ev_loop *loop, const mr_config *cfg)
{
    mr_relay_cfg rc = {.listen = cfg->rpc.bind, .allow = (const char **)cfg->rpc.allow,
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

/* Starts the relay and its status pages, runs until a signal, stops. */
static int mr_run(struct ev_loop *loop, const mr_config *cfg)
{
    int rc = 1;
    mr_relay *relay = mr_start(loop, cfg);
    ut_status *http = NULL;
    if (relay && (!cfg->http.bind ||
                  (http = mr_http_start(loop, cfg->http.bind,
                                        (const char *const *)cfg->http.allow, relay)))) {
        log_notice("metarelay: started, config %s, listening on %s, metawriter %s, spool %s",
                   cfg->file, cfg->rpc.bind, cfg->upstream, cfg->spool_dir);
        ev_run(loop, 0);
        log_notice("metarelay: stopped");
        rc = 0;
    }
    ut_status_free(http);
    mr_relay_free(relay);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: metarelay --config FILE\n", mr_config_keys,
                          &path);
    if (rc != UT_PROC_RUN)
        return rc;

    mr_config cfg;
    char err[768];
    if (mr_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "metarelay: %s\n", err);
        return 1;
    }
    ut_proc proc;
    if (ut_proc_start_alert(&proc, "metarelay", &cfg.log, &cfg.alert) < 0) {
        mr_config_free(&cfg);
        return 1;
    }
    rc = mr_run(proc.loop, &cfg);
    ut_proc_end(&proc);
    mr_config_free(&cfg);
    return rc;
}
