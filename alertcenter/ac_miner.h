/* ac_miner: miner alerts for subscribed users, from the accounting keys
 * metawriter writes (<coin>:p:<user>[:<worker>], fields = unix minutes).
 *
 * Which workers: a user subscribes with an e-mail (miners.subscriptions in
 * the config, or the Redis hash miners.redis_hash: user -> e-mail, re-read
 * every minute), optionally for some workers only. Their workers are
 * learned from the `newworker` event list, read incrementally (LLEN, then
 * LRANGE of the new entries only), never by scanning keys. Each check
 * (miners.interval) reads 3 fields (this minute and the two before) of
 * each tracked worker and user in one pipelined HMGET each: 100k workers
 * are 100k small commands a minute, without a KEYS or SCAN.
 *
 * Per worker: a share seen when its count for this or the last minute
 * grew since the last check (or, at start, its last minute with shares);
 * "offline" when a worker that was hashing has sent nothing for
 * offline_after s (the precision is the check interval, and a minute at
 * start-up); "back" when it hashes again. Hashrate drop (workers and
 * users): the average of the last drop_window complete minutes below
 * drop_fraction of the hour's average, once, re-armed when it recovers.
 * Each user gets one mail for what happened together (ac_group). */
#ifndef AC_MINER_H
#define AC_MINER_H

#include <jansson.h>
#include "alertcenter/ac_app.h"
#include "utils/ut_metrics.h"

typedef struct ac_miner ac_miner;

ac_miner *ac_miner_start(ac_app *app);
void ac_miner_free(ac_miner *m);
json_t *ac_miner_status(const ac_miner *m);
void ac_miner_metrics(const ac_miner *m, ut_metrics *out);

#endif
