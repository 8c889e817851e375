/* mr_relay: metarelay's core. Accepts CMD_MW_BATCH from allowed senders,
 * forwards each batch (same bytes, so the same identity) to metawriter,
 * and answers the sender only with metawriter's answer: a sender is never
 * acknowledged before its batch is in Redis, so losing the relay (even by
 * SIGKILL) loses nothing, the sender resends. A batch resent while the
 * relay still holds it joins the held one instead of being held twice.
 * A body that fails ut_meta_body_check (not JSON, a field of the wrong
 * type, a number out of range) is refused at once with status 2 and a log
 * line; it is never held, spooled or forwarded.
 *
 * While metawriter is down or slow, held batches stay in memory up to
 * max_mem_bytes and in the spool past that or after spool_after seconds;
 * spooled batches are forwarded again after a relay restart. Past
 * max_spool_bytes new batches are answered "retry later" (status 1). */
#ifndef MR_RELAY_H
#define MR_RELAY_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mr_relay_cfg {
    const char *listen;
    const char **allow;        /* NULL-terminated or NULL */
    const char *upstream;
    const char *spool_dir;
    size_t max_mem_bytes;
    uint64_t max_spool_bytes;
    double spool_after;
    size_t window;
    double request_timeout;
} mr_relay_cfg;

typedef struct mr_relay_stats {
    uint64_t received;         /* requests from senders */
    uint64_t joined;           /* requests for a batch already held */
    uint64_t forwarded;        /* requests sent upstream */
    uint64_t acked;            /* batches metawriter acknowledged */
    uint64_t retries;          /* forwards that failed and will be retried */
    uint64_t refused_busy;
    uint64_t refused_bad;
    size_t held;               /* batches held now */
    size_t mem_bytes;
    uint64_t spool_bytes;
} mr_relay_stats;

typedef struct mr_relay mr_relay;

/* NULL when the spool dir or an address is unusable. */
mr_relay *mr_relay_create(struct ev_loop *loop, const mr_relay_cfg *cfg);
int mr_relay_start(mr_relay *r);
/* Spools every batch held only in memory, then frees. */
void mr_relay_free(mr_relay *r);
void mr_relay_get_stats(const mr_relay *r, mr_relay_stats *out);

#endif
