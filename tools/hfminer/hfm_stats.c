/* hfm_stats: counters, a log-spaced latency histogram and the JSON summary. */
#include "tools/hfminer/hfm_stats.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HFM_LAT_STEP 1.02        /* bucket i holds [1.02^i, 1.02^(i+1)) us */

int hfm_stats_init(hfm_stats *st, char *const *names, size_t n, double now)
{
    memset(st, 0, sizeof(*st));
    st->t_start = now;
    st->workers = calloc(n ? n : 1, sizeof(*st->workers));
    if (!st->workers)
        return -1;
    st->n_workers = n;
    for (size_t i = 0; i < n; i++) {
        st->workers[i].name = strdup(names[i]);
        if (!st->workers[i].name) {
            hfm_stats_free(st);
            return -1;
        }
    }
    return 0;
}

void hfm_stats_free(hfm_stats *st)
{
    for (size_t i = 0; i < st->n_workers; i++)
        free(st->workers[i].name);
    free(st->workers);
    st->workers = NULL;
    st->n_workers = 0;
}

void hfm_stats_submitted(hfm_stats *st, size_t worker, bool block, double now)
{
    st->submitted++;
    if (block)
        st->block_candidates++;
    if (worker < st->n_workers)
        st->workers[worker].submitted++;
    if (st->t_first_submit == 0)
        st->t_first_submit = now;
}

/* Distinct codes get their own slot; once all but one are used, every new
 * code is counted under code 0 ("other"). */
static void hfm_stats_count_reject(hfm_stats *st, int code)
{
    for (size_t i = 0; i < st->n_rejects; i++) {
        if (st->rejects[i].code == code) {
            st->rejects[i].n++;
            return;
        }
    }
    if (st->n_rejects >= HFM_REJECT_CODES - 1 && code != 0) {
        hfm_stats_count_reject(st, 0);
        return;
    }
    st->rejects[st->n_rejects].code = code;
    st->rejects[st->n_rejects].n = 1;
    st->n_rejects++;
}

static void hfm_stats_latency(hfm_stats *st, double latency_s)
{
    double us = latency_s * 1e6;
    size_t i = 0;
    if (us > 1)
        i = (size_t)(log(us) / log(HFM_LAT_STEP));
    if (i >= HFM_LAT_BUCKETS)
        i = HFM_LAT_BUCKETS - 1;
    st->lat[i]++;
    st->lat_n++;
}

void hfm_stats_reply(hfm_stats *st, size_t worker, bool accepted, int code, double diff,
                     bool block, double latency_s, double now)
{
    hfm_worker_stats *w = worker < st->n_workers ? &st->workers[worker] : NULL;
    if (accepted) {
        st->accepted++;
        if (block)
            st->blocks_accepted++;
        if (w) {
            w->accepted++;
            w->diff_accepted += diff;
        }
    } else {
        st->rejected++;
        hfm_stats_count_reject(st, code);
        if (w)
            w->rejected++;
    }
    hfm_stats_latency(st, latency_s);
    st->t_last_reply = now;
}

void hfm_stats_no_reply(hfm_stats *st, size_t worker)
{
    (void)worker;
    st->no_reply++;
}

uint64_t hfm_stats_rejected_code(const hfm_stats *st, int code)
{
    for (size_t i = 0; i < st->n_rejects; i++)
        if (st->rejects[i].code == code)
            return st->rejects[i].n;
    return 0;
}

double hfm_stats_latency_ms(const hfm_stats *st, double pct)
{
    if (st->lat_n == 0)
        return 0;
    uint64_t want = (uint64_t)ceil(pct / 100.0 * (double)st->lat_n);
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HFM_LAT_BUCKETS; i++) {
        seen += st->lat[i];
        if (seen >= want) {
            /* The middle of the bucket, geometrically. */
            double us = pow(HFM_LAT_STEP, (double)i + 0.5);
            return us / 1000.0;
        }
    }
    return pow(HFM_LAT_STEP, HFM_LAT_BUCKETS) / 1000.0;
}

static json_t *hfm_stats_rejects_json(const hfm_stats *st)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < st->n_rejects; i++) {
        char key[16];
        snprintf(key, sizeof(key), "%d", st->rejects[i].code);
        json_object_set_new(o, key, json_integer((json_int_t)st->rejects[i].n));
    }
    return o;
}

static json_t *hfm_stats_workers_json(const hfm_stats *st)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < st->n_workers; i++) {
        const hfm_worker_stats *w = &st->workers[i];
        json_t *wj = json_pack("{s:I,s:I,s:I,s:f}", "submitted", (json_int_t)w->submitted,
                               "accepted", (json_int_t)w->accepted, "rejected",
                               (json_int_t)w->rejected, "diff_accepted", w->diff_accepted);
        if (wj)
            json_object_set_new(o, w->name, wj);
    }
    return o;
}

char *hfm_stats_json(const hfm_stats *st, double now)
{
    double elapsed = now - st->t_start;
    double t0 = st->t_first_submit ? st->t_first_submit : now;
    double t1 = st->t_last_reply > t0 ? st->t_last_reply : now;
    double span = t1 - t0;
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                          "submitted", (json_int_t)st->submitted,
                          "accepted", (json_int_t)st->accepted,
                          "rejected_total", (json_int_t)st->rejected,
                          "no_reply", (json_int_t)st->no_reply,
                          "blocks_candidates", (json_int_t)st->block_candidates,
                          "blocks_accepted", (json_int_t)st->blocks_accepted,
                          "dropped", (json_int_t)st->dropped,
                          "hashes", (json_int_t)st->hashes,
                          "connects", (json_int_t)st->connects,
                          "disconnects", (json_int_t)st->disconnects);
    if (!o)
        return NULL;
    json_object_set_new(o, "rejected", hfm_stats_rejects_json(st));
    json_object_set_new(o, "per_worker", hfm_stats_workers_json(st));
    json_object_set_new(o, "latency_ms", json_pack("{s:f,s:f,s:f}",
                        "p50", hfm_stats_latency_ms(st, 50), "p99",
                        hfm_stats_latency_ms(st, 99), "max", hfm_stats_latency_ms(st, 100)));
    json_object_set_new(o, "elapsed_s", json_real(elapsed));
    json_object_set_new(o, "rate", json_real(span > 0 ? (double)st->submitted / span : 0));
    json_object_set_new(o, "accepted_rate",
                        json_real(span > 0 ? (double)st->accepted / span : 0));
    json_object_set_new(o, "hashrate", json_real(elapsed > 0 ? (double)st->hashes / elapsed : 0));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    return s;
}
