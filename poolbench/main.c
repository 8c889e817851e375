/* poolbench: watches other pools through their Stratum V1 mining.notify
 * (it subscribes and authorizes, never submits) and tells jobmaster the
 * moment one of them builds on a block above ours, so our miners switch
 * to an empty-block job on that block before our own node has it.
 *
 *   poolbench --config FILE | -c FILE
 *
 * SIGTERM/SIGINT stop cleanly; SIGHUP reopens the log file. */
#include <ev.h>
#include <stdio.h>

#include "poolbench/pb_config.h"
#include "poolbench/pb_server.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

static int pb_run(struct ev_loop *loop, const pb_config *cfg)
{
    pb_server *srv = pb_server_create(loop, cfg);
    if (!srv)
        return 1;
    log_notice("poolbench: started, config %s, %zu pool(s), jobmasters on %s", cfg->file,
               cfg->pool_count, cfg->rpc.bind);
    ev_run(loop, 0);
    pb_server_free(srv);
    log_notice("poolbench: stopped");
    return 0;
}

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: poolbench --config FILE\n", pb_config_keys,
                          &path);
    if (rc != UT_PROC_RUN)
        return rc;
    pb_config cfg;
    char err[768];
    if (pb_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "poolbench: %s\n", err);
        return 1;
    }
    ut_proc proc;
    if (ut_proc_start_alert(&proc, "poolbench", &cfg.log, &cfg.alert) < 0) {
        pb_config_free(&cfg);
        return 1;
    }
    rc = pb_run(proc.loop, &cfg);
    ut_proc_end(&proc);
    pb_config_free(&cfg);
    return rc;
}
