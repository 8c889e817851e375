/* hfm_stats: what hfminer counts (submits, the pool's verdicts by error
 * code and by worker, reply latency) and the JSON summary printed at exit.
 * Loop thread only. */
#ifndef HFM_STATS_H
#define HFM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HFM_LAT_BUCKETS 1200      /* log-spaced, 2% apart, from 1 us */
#define HFM_REJECT_CODES 32       /* distinct error codes remembered */

typedef struct hfm_worker_stats {
    char *name;
    uint64_t submitted;
    uint64_t accepted;
    uint64_t rejected;
    double diff_accepted;
} hfm_worker_stats;

typedef struct hfm_reject_count {
    int code;                    /* 0: the pool gave no code */
    uint64_t n;
} hfm_reject_count;

typedef struct hfm_stats {
    uint64_t submitted;
    uint64_t accepted;
    uint64_t rejected;
    uint64_t no_reply;           /* connection lost or reply timed out */
    uint64_t block_candidates;   /* submitted shares meeting the network target */
    uint64_t blocks_accepted;    /* ... of which the pool accepted */
    uint64_t dropped;            /* found but never sent (stale job, raised difficulty) */
    uint64_t hashes;
    uint64_t connects;           /* sessions that reached "authorized" */
    uint64_t disconnects;
    hfm_reject_count rejects[HFM_REJECT_CODES];
    size_t n_rejects;
    hfm_worker_stats *workers;
    size_t n_workers;
    uint64_t lat[HFM_LAT_BUCKETS];
    uint64_t lat_n;
    double t_start;              /* run started */
    double t_first_submit;       /* 0 until the first submit */
    double t_last_reply;
} hfm_stats;

/* names: the worker names (distinct), copied. 0 or -1 (out of memory). */
int hfm_stats_init(hfm_stats *st, char *const *names, size_t n, double now);
void hfm_stats_free(hfm_stats *st);

void hfm_stats_submitted(hfm_stats *st, size_t worker, bool block, double now);
/* A reply: accepted (then diff is credited) or rejected with code. */
void hfm_stats_reply(hfm_stats *st, size_t worker, bool accepted, int code, double diff,
                     bool block, double latency_s, double now);
void hfm_stats_no_reply(hfm_stats *st, size_t worker);
uint64_t hfm_stats_rejected_code(const hfm_stats *st, int code);
/* Latency percentile (0..100) in milliseconds; 0 without samples. */
double hfm_stats_latency_ms(const hfm_stats *st, double pct);
/* The summary as one line of JSON (malloc'd; NULL when out of memory). */
char *hfm_stats_json(const hfm_stats *st, double now);

#endif
