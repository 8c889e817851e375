/* hfm_mine: the CPU miner's share source. Hashing runs on an nw_job thread
 * pool in chunks of nonces cut from each connection's cursor; a chunk ends
 * early when the connection's work changes (a clean job, new extranonce)
 * or when it has found enough shares. Shares come back to the loop thread,
 * wait in a small queue per connection and are submitted by
 * hfm_mine_submit after a last check against the connection's current
 * difficulty and epoch (shares of cleaned jobs are dropped, not sent). */
#ifndef HFM_MINE_H
#define HFM_MINE_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/hfminer/hfm_conn.h"
#include "tools/hfminer/hfm_stats.h"

typedef struct hfm_mine hfm_mine;

/* Called on the loop thread when shares for connection index were queued. */
typedef void (*hfm_mine_found_cb)(size_t index, void *ud);

hfm_mine *hfm_mine_create(struct ev_loop *loop, unsigned threads, hfm_conn **conns,
                          size_t n_conns, hfm_stats *stats, hfm_mine_found_cb cb,
                          void *ud);
/* The connection's job, extranonce or mask changed: hash the new work. */
void hfm_mine_restart(hfm_mine *m, size_t index);
/* The connection went down: stop hashing for it, drop its queue. */
void hfm_mine_stop_conn(hfm_mine *m, size_t index);
/* Submits up to budget queued shares on conns[index]; returns how many. */
size_t hfm_mine_submit(hfm_mine *m, size_t index, size_t budget);
/* Stops dispatching (threads finish their chunk). */
void hfm_mine_pause(hfm_mine *m);
void hfm_mine_free(hfm_mine *m);

#endif
