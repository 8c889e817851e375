/* bitpeer: speaks the Bitcoin P2P protocol to a configured list of nodes at
 * once. Pushes every block the pool finds (handed over by jobmaster) to all
 * of them, and tells jobmaster the moment any of them shows a new tip.
 *
 *   bitpeer --config FILE | -c FILE
 *
 * SIGTERM/SIGINT stop cleanly; SIGHUP reopens the log file. */
#include <ev.h>
#include <stdio.h>

#include "bitpeer/bp_config.h"
#include "bitpeer/bp_server.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

static int bp_run(struct ev_loop *loop, const bp_config *cfg)
{
    bp_server *srv = bp_server_create(loop, cfg);
    if (!srv)
        return 1;
    log_notice("bitpeer: started, config %s, network %s, %zu peer(s), jobmasters on %s",
               cfg->file, cfg->network, cfg->peer_count, cfg->rpc.bind);
    ev_run(loop, 0);
    bp_server_free(srv);
    log_notice("bitpeer: stopped");
    return 0;
}

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: bitpeer --config FILE\n", bp_config_keys, &path);
    if (rc != UT_PROC_RUN)
        return rc;
    bp_config cfg;
    char err[768];
    if (bp_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "bitpeer: %s\n", err);
        return 1;
    }
    ut_proc proc;
    if (ut_proc_start_alert(&proc, "bitpeer", &cfg.log, &cfg.alert) < 0) {
        bp_config_free(&cfg);
        return 1;
    }
    rc = bp_run(proc.loop, &cfg);
    ut_proc_end(&proc);
    bp_config_free(&cfg);
    return rc;
}
