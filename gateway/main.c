/* gateway: the Stratum V1 server of Headframe. Reads the configuration
 * (gw_config.h documents every key), opens the log, maps the memory the
 * workers share and hands over to the supervisor, which forks the worker
 * processes.
 *   gateway --config FILE | -c FILE
 */
#include <stdio.h>
#include <string.h>
#include "gateway/gw_config.h"
#include "gateway/gw_shm.h"
#include "gateway/gw_super.h"
#include "utils/ut_log.h"

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s --config FILE\n", argv0);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    gw_config cfg;
    gw_shm *shm;
    char err[600];
    int rc;

    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
            path = argv[++i];
        } else {
            usage(argv[0]);
            return 2;
        }
    }
    if (path == NULL) {
        usage(argv[0]);
        return 2;
    }
    if (gw_config_load(&cfg, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "gateway: %s\n", err);
        return 2;
    }
    if (ut_log_init(&cfg.log) != 0) {
        gw_config_free(&cfg);
        return 1;
    }
    shm = gw_shm_create();
    if (shm == NULL) {
        log_fatal("cannot map shared memory: %m");
        gw_config_free(&cfg);
        return 1;
    }
    rc = gw_super_run(&cfg, shm);
    gw_shm_free(shm);
    ut_log_close();
    gw_config_free(&cfg);
    return rc;
}
