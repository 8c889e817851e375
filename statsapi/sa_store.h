/* sa_store: the statistics service's in-memory picture of the pool, its
 * users and their workers, built from the per-minute Redis keys and read
 * by the API. Pure (no I/O): sa_redis fills it, sa_http reads it, the
 * unit tests drive it directly.
 *
 * Every entity (the pool, a user, a worker) keeps the last SA_MRING minutes
 * (accepted share count s, their difficulty sum p, rejected r, stale x of
 * r) in a ring, and per hour sums of the last SA_HRING hours. Windows, as
 * of a time now whose minute starts at cur:
 *   1m, 10m, 1h  the W whole minutes before cur plus the current minute so
 *                far: span W*60 + (now - cur) seconds
 *   24h          the 23 whole hours before the current hour plus the
 *                current hour so far: span 23*3600 + (now - hour start)
 * hashrate = sum of accepted difficulty * 2^32 / span. The current minute
 * is counted as far as Redis has it (the senders flush every few seconds),
 * so the newest seconds read a little low.
 *
 * Thread use: one writer (the refresh thread) and readers (the HTTP loop)
 * under the store's rwlock (sa_store_rdlock / wrlock). */
#ifndef SA_STORE_H
#define SA_STORE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utils/ut_hash.h"

#define SA_MRING 64          /* minutes kept per entity (the 1 h window needs 61) */
#define SA_HRING 25          /* hours kept per entity (the 24 h window needs 24) */
#define SA_NWIN 4
#define SA_MAX_NAME 256

typedef struct sa_cell {
    uint32_t tag;            /* minute (or hour) number since the epoch; 0: empty */
    uint32_t s, r, x;        /* accepted, rejected, stale (of rejected) */
    double p;                /* sum of accepted share difficulty */
} sa_cell;

typedef struct sa_ent {
    sa_cell m[SA_MRING];
    sa_cell h[SA_HRING];
    int64_t last_share;      /* start of the last minute with an accepted share; 0: none */
    int64_t first_seen;      /* start of the first such minute the service saw; 0: none */
    int64_t fetched;         /* the newest minute read from Redis (the refresh's business) */
    int64_t back;            /* the oldest minute read; older ones (to 24 h) are back-filled */
} sa_ent;

/* Sums over one window. */
typedef struct sa_win {
    double seconds;          /* the span the sums cover */
    double diff;             /* accepted difficulty */
    double hashrate;         /* diff * 2^32 / seconds, hashes per second */
    uint64_t accepted, rejected, stale;
} sa_win;

extern const char *const sa_win_names[SA_NWIN];     /* "1m", "10m", "1h", "24h" */

typedef struct sa_worker {
    char *name;              /* worker part ("" = the user's shares sent without one) */
    sa_ent e;
} sa_worker;

typedef struct sa_user {
    char *name;
    sa_ent e;                /* the user-level keys (every worker together) */
    sa_worker **workers;
    size_t nworkers, cap;
    ut_htab by_name;         /* worker name -> sa_worker * */
} sa_user;

typedef struct sa_block {
    char hash[72], user[SA_MAX_NAME + 1], worker[SA_MAX_NAME + 1];
    int64_t time;            /* start of the minute it was counted in; 0: not known */
    int64_t height, reward;  /* from the newblock event (reward in satoshis); -1: not known */
    int status;              /* SA_BLOCK_*: what the node said last (accepted without a node) */
    int64_t confirmations;   /* from the node; -1: not known */
    int64_t seen;            /* unix time this service read the event */
    int64_t checked;         /* unix time of the last node check; 0: never */
} sa_block;

/* Orphan check (sa_node): the last SA_BLOCK_RECENT blocks younger than
 * SA_BLOCK_MAX_AGE are asked about, each at most every interval seconds,
 * until SA_BLOCK_FINAL confirmations. */
#define SA_BLOCK_ACCEPTED 0
#define SA_BLOCK_ORPHANED 1
#define SA_BLOCK_UNKNOWN 2
#define SA_BLOCK_RECENT 100
#define SA_BLOCK_MAX_AGE 86400
#define SA_BLOCK_FINAL 100

extern const char *const sa_block_status_names[3];  /* "accepted", "orphaned", "unknown" */

typedef struct sa_pool_info {
    double network_diff;     /* 0: not known */
    int64_t height;          /* of the job being mined; 0: not known */
    int64_t reward;          /* coinbase value of that job, satoshis */
    int64_t connections;     /* btc:m:connections of the newest minute */
    bool jobmaster_ok;
} sa_pool_info;

typedef struct sa_store {
    pthread_rwlock_t lock;
    sa_ent pool;
    ut_htab users;           /* user name -> sa_user * */
    size_t nworkers;
    sa_pool_info info;
    sa_block *blocks;        /* oldest first */
    size_t nblocks;
    int64_t updated;         /* unix time of the last finished refresh; 0: none yet */
    double refresh_ms;       /* how long that refresh took */
    bool loading;            /* the first load (the last hour of everyone) has not finished */
    bool history_loading;    /* the back-fill of the older hours of the 24 h window has not */
    uint64_t refreshes, errors;
} sa_store;

void sa_store_init(sa_store *st);
void sa_store_free(sa_store *st);

/* The user, made when absent (NULL: out of memory or a name over
 * SA_MAX_NAME). */
sa_user *sa_store_user(sa_store *st, const char *user);
/* The worker of user, made when absent. */
sa_worker *sa_store_worker(sa_store *st, sa_user *u, const char *worker);
sa_user *sa_store_find_user(const sa_store *st, const char *user);

/* Sets the values Redis holds for minute t (a multiple of 60) of e: the
 * ring keeps the newest SA_MRING minutes, the hour sums follow. A minute
 * older than the ring (the first load) goes to its hour sum only: call it
 * once for such a minute. now: the refresh's time. */
void sa_ent_set(sa_ent *e, int64_t t, double p, uint32_t s, uint32_t r, uint32_t x);
/* The window w (0..SA_NWIN-1) of e as of now. */
void sa_ent_window(const sa_ent *e, int w, int64_t now, sa_win *out);

/* Whether block i (of n, oldest first) is due for a node check at now. */
bool sa_block_due(const sa_block *b, size_t i, size_t n, int64_t now, double interval);
/* The status the node's answers give block hash (pure). hdr_rc: what
 * ut_node_call returned for `getblockheader <hash> true` (0, or
 * UT_NODE_ERR_NODE / _TRANSPORT), hdr its result, hdr_err its error text;
 * main_hash: the node's `getblockhash <hdr.height>` ("" when that call got
 * a node error, NULL when it was not made or failed in transport).
 *   header error "not found", or a null header     -> unknown
 *   confirmations -1 (Bitcoin Core: not in the main chain), or the main
 *   chain's block at that height is another one
 *   (bcoin, which counts confirmations of side-chain blocks too)  -> orphaned
 *   otherwise                                     -> accepted, *conf set
 * Returns -1 when the answers say nothing (transport error, another node
 * error, a header without confirmations, no main_hash): keep the old status. */
int sa_block_judge(const char *hash, int hdr_rc, const json_t *hdr, const char *hdr_err,
                   const char *main_hash, int64_t *conf);

/* JSON (see docs/stats-api.md). alive_s: a worker is alive with an
 * accepted share in the last alive_s seconds. */
json_t *sa_pool_json(const sa_store *st, int64_t now, int64_t alive_s, const char *url);
json_t *sa_user_json(const sa_store *st, const sa_user *u, int64_t now, int64_t alive_s,
                     const char *url);
/* Counts of users and workers known and alive. */
void sa_store_counts(const sa_store *st, int64_t now, int64_t alive_s, size_t *users,
                     size_t *users_alive, size_t *workers, size_t *workers_alive);

#endif
