/* st_stratum: the Stratum V1 methods a miner may call and the
 * notifications it is sent. Behaviour (for miners, tools and tests):
 *
 * Lines are JSON objects ending in '\n'. Replies echo the request id;
 * errors are [code, "message", null].
 *   - a line longer than max_line: {"id":null,...[20,"Line too
 *     long",null]} and the connection is closed
 *   - not JSON / not an object: {"id":null,...[20,"Parse error",null]}
 *   - an unknown method: [20,"Unknown method"]
 *   - a line with "result" and no "method" (a miner's reply) is ignored
 *
 * mining.subscribe [agent?, session?] -> [[["mining.set_difficulty","<en1>"],
 *     ["mining.notify","<en1>"]],"<en1 hex>",<en2 size>]. Subscribing again
 *     returns the same extranonce1.
 * mining.authorize ["user[.worker]", password] -> true, or 24 "Invalid
 *     worker name" (user 1..64 and worker 0..64 of [A-Za-z0-9_-], split at
 *     the first '.'), 24 "Too many workers". Several workers per connection.
 *     A password "d=<number>" (alone or as a comma-separated item) is taken
 *     as mining.suggest_difficulty.
 *   Once a connection is subscribed and has an authorized worker (in either
 *   order) it gets mining.set_difficulty and, when a job exists,
 *   mining.notify of the current job (clean_jobs true).
 * mining.configure [[ext...], {params}] (BIP310) -> an object:
 *     "version-rolling": true and "version-rolling.mask": "<hex>" = pool mask
 *     AND the miner's mask (default ffffffff); false when fewer bits than
 *     "version-rolling.min-bit-count" remain. "minimum-difficulty": true
 *     (the value becomes a floor for this connection). Other extensions:
 *     false. mining.set_version_mask is never sent: the mask is fixed for
 *     the life of the process.
 * mining.suggest_difficulty [n] / n / [[n]] / ["n"] -> true (clamped to
 *     [max(vardiff.min, floor), vardiff.max]), or 20 "Invalid difficulty".
 * mining.extranonce.subscribe -> true (the extranonce never changes).
 * mining.submit [worker, job_id, en2, ntime, nonce, version_bits?] -> true
 *     or: 25 "Not subscribed", 24 "Unauthorized worker", 20 "Malformed
 *     params", 21 "Job not found", 21 "Job not found (stale)" (job older
 *     than the last clean job), and the codes of st_share.h. A share
 *     counts at the difficulty of the job it was made for: jobs sent before
 *     a set_difficulty keep the lower of the old and the new difficulty.
 * Notifications sent: mining.set_difficulty [d] (applies from the next
 *     mining.notify on), mining.notify [job_id, prevhash, coinb1, coinb2,
 *     branch, version, nbits, ntime, clean], client.reconnect [] to every
 *     miner when the user shuts down (st_sess_reconnect_all).
 * Shares, block candidates, new workers and strikes are reported to the
 * server's sink (st_sink.h). */
#ifndef ST_STRATUM_H
#define ST_STRATUM_H

#include <stddef.h>
#include "stratum/st_req.h"
#include "stratum/st_server.h"

/* One request line (without the newline). */
void st_stratum_line(st_conn *c, const char *line, size_t len);
/* Dispatches a parsed request. */
void st_stratum_dispatch(st_conn *c, const st_req *req);

#endif
