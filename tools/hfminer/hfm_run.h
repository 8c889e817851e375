/* hfm_run: one hfminer run. Sets up the loop, the Stratum sessions and the
 * share source (hashing threads when mining, nonce walkers when generating
 * load), paces submits (--rate, --pipeline), stops on --shares, --duration
 * or a signal after waiting for the replies still due, prints progress on
 * stderr and the JSON summary on stdout. */
#ifndef HFM_RUN_H
#define HFM_RUN_H

#include "tools/hfminer/hfm_opts.h"

/* Returns the process exit code: 0, or 1 when no session became ready
 * within --connect-timeout. With summary, *summary gets the JSON summary
 * (malloc'd, whether or not --json was given). */
int hfm_run(const hfm_opts *o, char **summary);

#endif
