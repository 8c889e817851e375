/* ut_meta: the sending side of the accounting path, used by gateway (and
 * later mineragent). Aggregates counts per unix minute, per user and per
 * user:worker, plus system counters and events, and ships them as batches
 * with an identity (source id + batch sequence) to metarelay or metawriter
 * over ut_rpc_link (CMD_MW_BATCH). A batch is kept until acknowledged,
 * spooled to disk (spool_dir) when the next hop is down, and replayed after
 * a restart, so every count reaches Redis exactly once. */
#ifndef UT_META_H
#define UT_META_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ut_meta_cfg {
    const char *coin;          /* key prefix, e.g. "btc" */
    const char *host;          /* this host's name in <coin>:mh:<host>:<key> */
    const char *source_id;     /* unique and stable per sender process, e.g. "gw1-p0" */
    const char *upstream;      /* "tcp@127.0.0.1:7601": metarelay or metawriter */
    const char *spool_dir;     /* unacknowledged batches live here */
    double flush_interval;     /* seconds between batches; default 10 */
    bool align;                /* close batches just after each multiple of
                                  flush_interval of the wall clock (60: right
                                  after every minute), so a worker's minute
                                  travels as one record, not several */
    size_t max_spool_bytes;    /* bytes of unacknowledged batches (each counted once,
                                  at its spooled size); past this, the oldest are kept
                                  and new batches are refused with a FATAL log;
                                  default 1 GiB */
    /* Optional (zero = default): */
    const char *coin_name;     /* "name"/"coin" in events; default: coin upper-cased */
    size_t max_batch_records;  /* share/system/event records per batch; default 2000 */
    size_t max_mem_bytes;      /* unacked batch bodies kept in memory; past it the
                                  oldest are spooled; default 64 MiB */
    double spool_after;        /* unacked this long (s): spooled; default 5 */
    double request_timeout;    /* per CMD_MW_BATCH request; default 10 */
    size_t window;             /* batches in flight at once; default 8 */
    double (*clock)(void *arg);/* wall clock for minutes; default ev_now (tests) */
    void *clock_arg;
} ut_meta_cfg;

/* Reply status of CMD_MW_BATCH (docs/protocol-bodies.md). */
#define UT_META_ST_OK    0   /* applied (or already applied): forget the batch */
#define UT_META_ST_RETRY 1   /* not applied now (next hop busy or down): resend later */
#define UT_META_ST_BAD   2   /* malformed or refused for good: keep it as .bad, never resend */

#define UT_META_SOURCE_MAX 64

/* A batch's identity: unique across every sender and every restart. */
typedef struct ut_meta_ident {
    char source[UT_META_SOURCE_MAX + 1];
    char epoch[17];            /* 16 hex digits, random per sender process lifetime */
    uint64_t seq;              /* 1, 2, ... within the epoch */
} ut_meta_ident;

typedef struct ut_meta ut_meta;
struct ut_rpc_link;

/* Returns NULL (with a log line) when the spool dir cannot be used. */
ut_meta *ut_meta_create(struct ev_loop *loop, const ut_meta_cfg *cfg);
int ut_meta_start(ut_meta *m);
/* Flushes the current minute into a batch and spools what is unacknowledged. */
void ut_meta_free(ut_meta *m);

/* One share. accepted: counts s/p/g for user and user:worker; rejected:
 * counts the ":reject" share key. diff is the share difficulty, goal is
 * diff / network difficulty. worker may be "" (user-level key only).
 * An accepted share whose diff or goal is NaN, infinite, negative or above
 * UT_META_NUM_MAX (ut_meta_check.h), or would take a sum of its minute
 * past it, is refused: not counted, logged (at most one line a second,
 * with the number refused since) and counted in ut_meta_refused. A
 * rejected share counts no diff or goal, so those are not looked at. */
void ut_meta_share(ut_meta *m, const char *user, const char *worker, double diff,
                   double goal, bool accepted);
/* A rejected share on a job the server knew but that went stale (Stratum
 * code 21 with a known job): counted as a reject (the ":reject" key, as
 * ut_meta_share with accepted false) and also as stale ("st" in the share
 * record, "stale" in the system record): stale is a part of the rejects. */
void ut_meta_stale(ut_meta *m, const char *user, const char *worker);
/* A block the node accepted: the block counter and a newblock event. */
void ut_meta_block(ut_meta *m, const char *user, const char *worker, const char *hash);
/* The same with the block's height and reward (the coinbase value, in
 * satoshis): "height" and "reward" in the newblock event. A value < 0 (or
 * out of the ranges of ut_meta_check.h) is not known and left out. */
void ut_meta_block_info(ut_meta *m, const char *user, const char *worker, const char *hash,
                        int64_t height, int64_t reward);
/* newevent: event is "connected" or "disconnected"; peer is the host. */
void ut_meta_event(ut_meta *m, const char *user, const char *worker, const char *peer,
                   const char *event);
/* newworker: the first time this process sees user.worker. */
void ut_meta_new_worker(ut_meta *m, const char *user, const char *worker);
/* Current connection count (sampled into the minute as the connections key). */
void ut_meta_connections(ut_meta *m, int64_t n);

/* Without an upstream address (cfg.upstream NULL) batches go out on a link
 * the caller owns and lends (a mineragent's one link to its gateway, over
 * which the gateway relays them): link_up when that link is ready for
 * CMD_MW_BATCH requests, link_down before it goes away. Requests in flight
 * when it goes away fail through the link and are resent later. Both are
 * ignored when ut_meta has a client of its own. */
void ut_meta_link_up(ut_meta *m, struct ut_rpc_link *link);
void ut_meta_link_down(ut_meta *m, const char *reason);

/* For /metrics and status: batches waiting for an ack (spooled or still
 * held in memory because spooling failed), bytes of spooled batches. */
size_t ut_meta_pending(const ut_meta *m);
uint64_t ut_meta_spooled_bytes(const ut_meta *m);
uint64_t ut_meta_acked(const ut_meta *m);        /* batches acknowledged so far */
uint64_t ut_meta_refused(const ut_meta *m);      /* shares refused for their numbers */
const char *ut_meta_epoch(const ut_meta *m);

/* Closes what was counted so far into batches now (normally the flush
 * timer does it) and starts sending them. */
void ut_meta_flush(ut_meta *m);

/* The share journal. Every counted item (share, block, event, new worker,
 * connection sample) is also appended as a small record to a buffer, and
 * ut_meta_sync writes that buffer with one write(2) to the journal file of
 * the batch it will become (spool_dir/mj-<source>.<epoch>.<seq>); the tick
 * timer does it too, as a fallback. Call it before telling anyone a share
 * was counted (the gateway: right before it flushes replies to miners).
 * A process that dies after ut_meta_sync loses nothing: the next process
 * with the same source id rebuilds the batch from the journal with the same
 * identity (epoch, seq), or drops the journal when that batch is already
 * spooled. There is no fsync: this covers a crash of the process (the data
 * is in the kernel's page cache), not a crash of the machine. Cheap when
 * nothing was counted since the last call. */
void ut_meta_sync(ut_meta *m);

/* Shared by metarelay and metawriter: reads source/epoch/seq of a batch
 * body. Returns 0, or -1 when they are missing or malformed. */
int ut_meta_ident_parse(const json_t *body, ut_meta_ident *out);
/* "source/epoch/seq", for logs. */
const char *ut_meta_ident_str(const ut_meta_ident *id, char *buf, size_t n);
/* True when s is a valid source id: 1..64 of [A-Za-z0-9_:-]. */
bool ut_meta_source_ok(const char *s);
/* The source id of mineragent id, "ag-<id>", into out (n bytes). False (out
 * "") when id cannot be one: it must be 1..61 of [A-Za-z0-9_-]. Gateways and
 * agents check agent ids with it. */
bool ut_meta_agent_source(const char *id, char *out, size_t n);

#endif
