/* st_acct: what a Stratum server reports, counted by the accounting sender
 * (utils/ut_meta) the same way in every module that runs one (gateway,
 * mineragent): each share, a "connected" event (and newworker the first
 * time a name is seen) when a worker authorizes, "disconnected" for each of
 * its names when a connection ends. m NULL: no accounting, nothing done. */
#ifndef ST_ACCT_H
#define ST_ACCT_H

#include <stdbool.h>
#include "stratum/st_sink.h"

typedef struct ut_meta ut_meta;

void st_acct_share(ut_meta *m, const st_share_ev *ev);
/* The reward of a block of job: the sum of its coinbase transaction's
 * output values, in satoshis (read from the job's coinbase, which has the
 * extranonce's room inside the scriptSig). -1 when it cannot be read. */
int64_t st_acct_reward(const st_job *job);
void st_acct_worker(ut_meta *m, const st_conn *c, const st_wname *w, bool first_seen);
void st_acct_closed(ut_meta *m, const st_conn *c);

#endif
