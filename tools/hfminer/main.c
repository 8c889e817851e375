/* hfminer: a Stratum V1 CPU miner and load generator for testing and
 * benchmarking Headframe (usage: docs/hfminer.md, or --help). */
#include <signal.h>
#include <stdio.h>

#include "tools/hfminer/hfm_opts.h"
#include "tools/hfminer/hfm_run.h"
#include "utils/ut_log.h"

int main(int argc, char **argv)
{
    hfm_opts o;
    char err[512];
    if (hfm_opts_parse(&o, argc, argv, err, sizeof(err))) {
        fprintf(stderr, "hfminer: %s\n(hfminer --help lists the options)\n", err);
        return 2;
    }
    if (o.help) {
        hfm_opts_usage(stdout);
        return 0;
    }
    ut_log_cfg lc = {.path = NULL, .level = o.quiet ? UT_LOG_ERROR : UT_LOG_NOTICE};
    if (ut_log_init(&lc))
        return 1;
    signal(SIGPIPE, SIG_IGN);
    int rc = hfm_run(&o, NULL);
    ut_log_close();
    return rc;
}
