/* bm_mempool: polled copy of the node's mempool (see bm_mempool.h). */
#include "blockmaster/bm_mempool.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_hash.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_p2p.h"

#define BM_FETCH_BATCH 2000    /* getrawtransaction calls per worker job */

typedef struct bm_mtx {
    uint8_t *raw;
    size_t len;
    uint8_t wtxid[32];
    uint64_t gen;              /* the poll that last saw it */
} bm_mtx;

struct bm_mempool {
    struct ev_loop *loop;
    bm_node *node;
    ev_timer timer;
    size_t max;
    ut_htab txs;               /* txid (32 bytes as in the hex) -> bm_mtx */
    uint64_t gen;
    bool busy;                 /* a poll or fetch is in flight */
    bm_mempool_stats st;
};

static void bm_mp_on_txs(const json_t *res, const char *err, void *arg);

static void bm_mp_drop(bm_mempool *m)
{
    ut_htab_iter it;
    const void *k;
    size_t kl;
    bm_mtx *t;
    uint8_t (*gone)[32] = NULL;
    size_t n = 0, cap = 0;
    ut_htab_iter_init(&it, &m->txs);
    while ((t = ut_htab_next(&it, &k, &kl))) {
        if (t->gen == m->gen)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            void *p = realloc(gone, cap * 32);
            if (!p)
                break;
            gone = p;
        }
        memcpy(gone[n++], k, 32);
    }
    for (size_t i = 0; i < n; i++) {
        bm_mtx *x = ut_htab_get(&m->txs, gone[i], 32);
        if (x)
            free(x->raw);
        ut_htab_del(&m->txs, gone[i], 32);
    }
    m->st.dropped += n;
    free(gone);
}

/* getrawmempool answered: mark what is known, ask for the rest. */
static void bm_mp_on_list(const json_t *res, const char *err, void *arg)
{
    bm_mempool *m = arg;
    m->busy = false;
    if (!json_is_array(res)) {
        m->st.poll_errors++;
        log_warn("mempool: getrawmempool failed: %s", err ? err : "not an array");
        return;
    }
    m->gen++;
    json_t *want = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(res, i, v) {
        const char *s = json_string_value(v);
        uint8_t id[32];
        if (!s || strlen(s) != 64 || ut_hex_decode(s, id, 32) < 0)
            continue;
        bm_mtx *t = ut_htab_get(&m->txs, id, 32);
        if (t)
            t->gen = m->gen;
        else if (json_array_size(want) < BM_FETCH_BATCH &&
                 ut_htab_count(&m->txs) + json_array_size(want) < m->max)
            json_array_append(want, v);
    }
    bm_mp_drop(m);
    m->st.polls++;
    m->st.last_poll = ev_time();
    if (json_array_size(want) == 0) {
        json_decref(want);
        return;
    }
    m->busy = bm_node_txs(m->node, want, bm_mp_on_txs, m) == 0;
}

static void bm_mp_keep(bm_mempool *m, const char *hex)
{
    size_t hl = strlen(hex), len = 0;
    uint8_t *raw = hl % 2 == 0 && hl ? malloc(hl / 2) : NULL;
    ut_p2p_tx tx;
    if (!raw || ut_hex_decode_any(hex, hl, raw, hl / 2, &len) < 0 ||
        ut_p2p_tx_scan(raw, len, &tx) != len) {
        free(raw);
        m->st.fetch_misses++;
        return;
    }
    void *v;
    int rc = ut_htab_put(&m->txs, tx.txid, 32, &v);
    if (rc != 1) {
        free(raw);
        return;
    }
    bm_mtx *t = v;
    t->raw = raw;
    t->len = len;
    memcpy(t->wtxid, tx.wtxid, 32);
    t->gen = m->gen;
    m->st.fetched++;
}

static void bm_mp_on_txs(const json_t *res, const char *err, void *arg)
{
    bm_mempool *m = arg;
    m->busy = false;
    if (!json_is_array(res)) {
        m->st.poll_errors++;
        log_warn("mempool: getrawtransaction batch failed: %s", err ? err : "?");
        return;
    }
    size_t i;
    json_t *v;
    json_array_foreach(res, i, v) {
        if (json_is_string(v))
            bm_mp_keep(m, json_string_value(v));
        else
            m->st.fetch_misses++;
    }
}

static void bm_mp_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    bm_mempool *m = w->data;
    if (m->busy)
        return;
    m->busy = bm_node_call(m->node, "getrawmempool", json_pack("[b]", 0), bm_mp_on_list,
                           m) == 0;
}

bm_mempool *bm_mempool_create(struct ev_loop *loop, bm_node *node, double interval, size_t max)
{
    bm_mempool *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->loop = loop;
    m->node = node;
    m->max = max;
    ut_htab_init(&m->txs, sizeof(bm_mtx), 0);
    ev_timer_init(&m->timer, bm_mp_tick, 0.01, interval);
    m->timer.data = m;
    ev_timer_start(loop, &m->timer);
    return m;
}

void bm_mempool_free(bm_mempool *m)
{
    if (!m)
        return;
    ev_timer_stop(m->loop, &m->timer);
    ut_htab_iter it;
    bm_mtx *t;
    ut_htab_iter_init(&it, &m->txs);
    while ((t = ut_htab_next(&it, NULL, NULL)))
        free(t->raw);
    ut_htab_free(&m->txs);
    free(m);
}

size_t bm_mempool_count(const bm_mempool *m) { return ut_htab_count(&m->txs); }
const bm_mempool_stats *bm_mempool_get_stats(const bm_mempool *m) { return &m->st; }

ut_thin_have *bm_mempool_list(const bm_mempool *m, size_t *n)
{
    size_t cap = ut_htab_count(&m->txs);
    ut_thin_have *h = malloc((cap ? cap : 1) * sizeof(*h));
    *n = 0;
    if (!h)
        return NULL;
    ut_htab_iter it;
    bm_mtx *t;
    ut_htab_iter_init(&it, &m->txs);
    while ((t = ut_htab_next(&it, NULL, NULL)) && *n < cap) {
        h[*n] = (ut_thin_have){.raw = t->raw, .len = t->len};
        memcpy(h[*n].wtxid, t->wtxid, 32);
        (*n)++;
    }
    return h;
}
