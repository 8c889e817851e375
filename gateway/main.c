/* gateway: the Stratum V1 server of Headframe. Reads the configuration
 * (gw_config.h documents every key), opens the log, maps the memory the
 * workers share and hands over to the supervisor, which forks the worker
 * processes (each one watches its signals with ut_proc; the supervisor
 * takes them with sigtimedwait).
 *   gateway --config FILE | -c FILE
 */
#include <stdio.h>
#include "gateway/gw_config.h"
#include "gateway/gw_shm.h"
#include "gateway/gw_super.h"
#include "utils/ut_alert.h"
#include "utils/ut_log.h"
#include "utils/ut_proc.h"

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: gateway --config FILE\n", gw_config_keys, &path);
    if (rc != UT_PROC_RUN)
        return rc;

    gw_config cfg;
    char err[600];
    if (gw_config_load(&cfg, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        gw_config_free(&cfg);
        return 2;
    }
    if (ut_log_init(&cfg.log) != 0) {
        gw_config_free(&cfg);
        return 1;
    }
    ut_proc_raise_nofile("gateway");   /* before the fork: every worker inherits it */
    ut_alert_start("gateway", &cfg.alert);   /* and this socket and log hook */
    gw_shm *shm = gw_shm_create();
    if (shm == NULL) {
        log_fatal("cannot map shared memory: %m");
        rc = 1;
    } else {
        rc = gw_super_run(&cfg, shm);
        gw_shm_free(shm);
    }
    ut_alert_stop();
    ut_log_close();
    gw_config_free(&cfg);
    return rc;
}
