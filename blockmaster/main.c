/* blockmaster: thin-block relay between the pool's sites. Jobmasters
 * (other data centres) push each found block as header + coinbase + short
 * transaction ids; blockmaster rebuilds it from its own node's mempool,
 * asks the sender only for what it lacks (or for the whole block when the
 * rebuild fails), checks the merkle root and submits it to its node and
 * to its bitpeers.
 *
 *   blockmaster --config FILE | -c FILE
 *
 * SIGTERM/SIGINT stop cleanly; SIGHUP reopens the log file. */
#include <ev.h>
#include <stdio.h>

#include "blockmaster/bm_config.h"
#include "blockmaster/bm_server.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: blockmaster --config FILE\n", bm_config_keys,
                          &path);
    if (rc != UT_PROC_RUN)
        return rc;
    bm_config cfg;
    char err[768];
    if (bm_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "blockmaster: %s\n", err);
        return 1;
    }
    ut_proc proc;
    if (ut_proc_start_alert(&proc, "blockmaster", &cfg.log, &cfg.alert) < 0) {
        bm_config_free(&cfg);
        return 1;
    }
    bm_server *srv = bm_server_create(proc.loop, &cfg);
    rc = srv ? 0 : 1;
    if (srv) {
        log_notice("blockmaster: started, config %s, node %s, jobmasters on %s (%zu agents%s)",
                   cfg.file, cfg.node_url.url, cfg.rpc.bind, cfg.agent_count,
                   cfg.tls_cert ? ", TLS" : "");
        ev_run(proc.loop, 0);
        bm_server_free(srv);
        log_notice("blockmaster: stopped");
    }
    ut_proc_end(&proc);
    bm_config_free(&cfg);
    return rc;
}
