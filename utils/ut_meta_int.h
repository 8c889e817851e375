/* ut_meta_int: what the ut_meta_*.c files share (private to them; the API
 * is ut_meta.h). The sending side of the accounting path, by file:
 *
 *   ut_meta.c          life cycle: configuration, create/start/free, figures
 *   ut_meta_ident.c    batch identities: source ids, epochs, parsing
 *   ut_meta_count.c    per-minute aggregation of shares and connections
 *   ut_meta_event.c    events: newblock, newevent, newworker
 *   ut_meta_batch.c    closing the counts into batches (JSON bodies)
 *   ut_meta_spool.c    the disk spool: spooling, holding, aging, resending
 *   ut_meta_send.c     sending: the window, replies, the own or lent link
 *   ut_meta_flush.c    the flush and tick timers, closing, alignment
 *   ut_meta_journal.c  the share journal: writing
 *   ut_meta_replay.c   the share journal: replay at start
 *
 *
 * Counting: ut_meta_share & co. add into an in-memory table keyed by
 * (minute, user, worker) plus small per-minute system counters and a list
 * of events. No allocation per share once a (minute, user, worker) cell
 * exists.
 *
 * Shipping: every flush_interval the table is closed into one or more
 * batches (at most max_batch_records records each). A batch has an identity
 * source/epoch/seq: the epoch is random per process lifetime, seq counts
 * batches within it, so no two batches ever share an id, even across
 * restarts. Batches are sent as CMD_MW_BATCH requests, a window at a time,
 * and kept until the next hop answers status 0. A batch not acknowledged
 * within spool_after seconds (or created while the link is down, or pushed
 * out of memory by max_mem_bytes, or still pending at ut_meta_free) is
 * written to the spool; spooled batches left by an earlier process with
 * the same source id are resent, with their original identity, after a
 * restart. The receivers deduplicate by identity, so a resend never counts
 * twice.
 *
 * Journal: what is counted between two batches lives only in memory, so
 * every counted item is also appended to a journal buffer (a few bytes per
 * share: the cell index, diff and goal; the cell's names and minute are
 * written once, when the cell is created). ut_meta_sync writes the buffer
 * as one chunk to spool_dir/mj-<source>.<epoch>.<seq> where seq is the seq
 * of the first batch the data will become. Chunk: u32 payload length, u32
 * CRC32C of the rest, f64 time, payload (records, host byte order); a torn
 * last chunk fails its check and is dropped. Closing: a close record (with
 * the close time) is synced, the batches are spooled (fsync'd), then the
 * journal is removed and a new one begins with the connection state. When
 * a batch cannot be spooled (disk full, permissions), the journal is kept
 * and the batches of that close are held: kept in memory, never sent, and
 * spooled again by the tick every MT_SPOOL_RETRY seconds (one log line per
 * try); once all of them are on disk their journal goes and they are sent.
 * A process that ends first leaves the journal for the next one. At
 * start, a leftover journal is replayed into a table of its own and closed
 * at the same time into the same (epoch, seq) batches; those the spool
 * already holds are skipped, the others spooled, then the journal goes.
 * No batch is sent before it is spooled and its journal removed, so a
 * leftover journal never belongs to an acknowledged batch.
 *
 * max_spool_bytes bounds the unacknowledged batches, each counted once at
 * its spooled size, whether or not its body is also in memory for sending
 * (held batches not written yet count as if they were). */
#ifndef UT_META_INT_H
#define UT_META_INT_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "network/nw_buf.h"
#include "utils/ut_hash.h"
#include "utils/ut_meta.h"
#include "utils/ut_rpc_link.h"
#include "utils/ut_spool.h"

#define MT_DEFAULT_FLUSH 10.0
#define MT_DEFAULT_SPOOL_MAX (1024ull * 1024 * 1024)
#define MT_DEFAULT_RECORDS 2000
#define MT_DEFAULT_MEM (64u * 1024 * 1024)
#define MT_DEFAULT_SPOOL_AFTER 5.0
#define MT_DEFAULT_TIMEOUT 10.0
#define MT_DEFAULT_WINDOW 8
#define MT_TICK 0.25
#define MT_BACKOFF_MIN 0.5
#define MT_BACKOFF_MAX 30.0
#define MT_SPOOL_RETRY 1.0              /* s between tries to spool held batches */
#define MT_REFUSED_LOG 1.0              /* s between two lines about refused shares */
#define JR_HDR 16                       /* u32 len, u32 crc, f64 time */
#define JR_BUF_INIT (64u * 1024)
#define JR_SYNC_AT (1024u * 1024)       /* a buffer this big is written at once */

/* One (minute, user, worker) cell: the value of its entry in the cells
 * table, whose key is the minute (8 bytes) then user '\0' worker '\0';
 * names points into that key (an entry never moves). */
typedef struct mt_rec {
    struct mt_rec *order;     /* insertion order, for stable batches */
    const char *names;        /* user '\0' worker '\0' */
    int64_t minute;
    int64_t s, r, st;        /* st: stale, a part of r */
    double p, g;
    size_t wpos;              /* offset of worker in names */
    uint32_t jid;             /* index in the journal's cell records */
} mt_rec;

/* System counters of one minute. */
typedef struct mt_sys {
    struct mt_sys *next;
    int64_t minute;
    double pow;
    int64_t share, reject, stale, block, connections;
    bool has_conn;
} mt_sys;

/* One batch waiting for an acknowledgement. */
typedef struct mt_batch {
    struct mt_batch *prev, *next;
    ut_meta *m;
    char name[UT_SPOOL_NAME_MAX + 1];   /* spool record name */
    char id[128];                       /* "source/epoch/seq", as every module logs it */
    char *body;                         /* NULL while it lives only on disk */
    size_t len;
    bool spooled, inflight;
    bool held;                          /* its journal is kept: never sent */
    uint64_t jseq;                      /* while held: the seq naming its journal */
    double created, retry_at;
} mt_batch;

struct ut_meta {
    struct ev_loop *loop;
    ut_meta_cfg cfg;
    char *coin, *coin_name, *host, *source, *upstream, *spool_dir;
    char epoch[17];
    char prefix[UT_META_SOURCE_MAX + 8];  /* spool prefix "mb-<source>." */
    uint64_t seq;

    ut_htab cells;                        /* (minute, user, worker) -> mt_rec */
    mt_rec *first, *last;                 /* insertion order */
    mt_sys *sys;
    /* Events as compact JSON texts, each ended by a NUL, in one buffer: no
     * allocation per event that would outlive the call and leave the heap
     * full of holes between the connections' memory after a flush. */
    nw_buf ev;
    size_t nev;

    int64_t conn_value, conn_next;

    ut_spool *spool;
    ut_rpc_clt *clt;
    ut_rpc_link *ext;          /* a link lent by the caller (ut_meta_link_up), or NULL */
    mt_batch *head, *tail;
    size_t npending, inflight;
    size_t mem_bytes;
    size_t nheld;                         /* held batches (see mt_hold) */
    uint64_t held_bytes;                  /* record bytes of held, unspooled ones */
    double spool_retry_at;
    uint64_t acked;
    double backoff;
    bool closing, started;
    ev_timer flush_timer, tick_timer;

    /* journal */
    char jprefix[UT_META_SOURCE_MAX + 8]; /* "mj-<source>." */
    char jpath[4096];
    nw_buf jbuf;                          /* JR_HDR reserved, then records */
    int jfd;                              /* -1 until first written */
    bool jon;                             /* off while replaying */
    bool jerr;                            /* a write failed (logged once) */
    bool replaying, replay_failed;

    /* shares refused for their numbers (mt_refuse) */
    uint64_t refused, refused_unlogged;
    double refused_log_at;
};

/* ut_meta_ident.c */
void mt_new_epoch(char out[17]);

/* ut_meta_count.c */
double mt_now(ut_meta *m);
int64_t mt_minute(double t);
mt_rec *mt_rec_get(ut_meta *m, const char *user, const char *worker, int64_t minute);
mt_sys *mt_sys_get(ut_meta *m, int64_t minute);
void mt_roll_connections(ut_meta *m, double now);
void mt_count(mt_rec *r, mt_sys *s, double diff, double goal, bool accepted);
void mt_count_stale(mt_rec *r, mt_sys *s);
const char *mt_share_why(const mt_rec *r, const mt_sys *s, double diff, double goal);
void mt_refused_log(ut_meta *m, const char *what);
void mt_connections_at(ut_meta *m, double now, int64_t n);

/* ut_meta_event.c */
void mt_block_at(ut_meta *m, int64_t minute, const char *const str[3], int64_t height,
                 int64_t reward);
void mt_event_add(ut_meta *m, const char *const str[4]);
void mt_new_worker_add(ut_meta *m, const char *const str[2]);

/* ut_meta_journal.c */
int jr_init(ut_meta *m);
void jr_strings(ut_meta *m, char type, const int64_t *minute, const char *const *str,
                int n);
void jr_cell(ut_meta *m, const mt_rec *r);
void jr_pair(ut_meta *m, char type, const void *a, const void *b);
void jr_share(ut_meta *m, const mt_rec *r, double diff, double goal, bool accepted);
void jr_stale(ut_meta *m, const mt_rec *r);
void jr_block_info(ut_meta *m, int64_t minute, int64_t height, int64_t reward,
                   const char *const str[3]);
void jr_begin(ut_meta *m);
void jr_end(ut_meta *m, bool keep);

/* ut_meta_batch.c */
void mt_batch_link(ut_meta *m, mt_batch *b);
void mt_batch_unlink(ut_meta *m, mt_batch *b);
void mt_batch_drop_body(ut_meta *m, mt_batch *b);
void mt_batch_free(ut_meta *m, mt_batch *b);
void mt_close_batches(ut_meta *m, double now);
void mt_reset_counts(ut_meta *m);

/* ut_meta_spool.c */
int mt_spool_batch(ut_meta *m, mt_batch *b);
void mt_hold(ut_meta *m, mt_batch *b, uint64_t jseq);
uint64_t mt_unacked_bytes(const ut_meta *m);
void mt_age(ut_meta *m);
void mt_retry_held(ut_meta *m, bool force);
void mt_replay_spool(ut_meta *m);

/* ut_meta_replay.c */
int jr_replay_put(ut_meta *m, uint64_t seq, char *text, size_t len);
void jr_replay_all(ut_meta *m);

/* ut_meta_send.c */
ut_rpc_link *mt_link(const ut_meta *m);
void mt_pump(ut_meta *m);
int mt_make_clt(ut_meta *m);

/* ut_meta_flush.c */
void mt_on_tick(struct ev_loop *loop, ev_timer *w, int revents);
void mt_close_now(ut_meta *m, double now, bool last);
double mt_flush_delay(ut_meta *m);
void mt_on_flush(struct ev_loop *loop, ev_timer *w, int revents);

#endif
