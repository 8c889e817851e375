/* hfm_mine: hashing threads for the CPU miner (see hfm_mine.h). */
#include "tools/hfminer/hfm_mine.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "network/nw_job.h"
#include "utils/ut_log.h"
#include "utils/ut_target.h"

#define HFM_CHUNK_NONCES 262144    /* ~40 ms of hashing on one core */
#define HFM_CHUNK_HITS 64          /* a chunk returns early with this many */
#define HFM_ABORT_EVERY 4096       /* nonces between checks for new work */
#define HFM_QUEUE_CAP 1024         /* shares waiting per connection */

typedef struct hfm_hit {
    hfm_work work;                 /* holds a job reference */
    uint64_t epoch;
    uint32_t nonce;
    uint8_t hash[32];
} hfm_hit;

typedef struct hfm_slot {
    hfm_cursor cur;
    _Atomic uint64_t gen;          /* chunks of an older gen end early */
    hfm_hit *queue;                /* ring of HFM_QUEUE_CAP */
    size_t q_head;
    size_t q_len;
} hfm_slot;

typedef struct hfm_found {
    uint32_t nonce;
    uint8_t hash[32];
} hfm_found;

typedef struct hfm_chunk {
    size_t index;
    uint64_t gen;
    _Atomic uint64_t *gen_now;
    uint64_t epoch;
    hfm_work work;                 /* holds a job reference */
    uint8_t target[32];
    uint32_t first;
    uint32_t count;
    uint32_t done;                 /* nonces hashed */
    size_t n_hits;
    hfm_found hits[HFM_CHUNK_HITS];
} hfm_chunk;

struct hfm_mine {
    struct ev_loop *loop;
    nw_job *pool;
    unsigned threads;
    unsigned in_flight;
    bool paused;
    hfm_conn **conns;
    hfm_slot *slots;
    size_t n;
    size_t rr;
    hfm_stats *stats;
    hfm_mine_found_cb cb;
    void *ud;
};

/* ---- worker thread ------------------------------------------------------ */

static void hfm_chunk_run(nw_job_entry *entry, void *thread_ctx)
{
    hfm_chunk *ch = entry->request;
    uint8_t tail[16];
    uint32_t i;
    memcpy(tail, ch->work.header + 64, 16);
    for (i = 0; i < ch->count; i++) {
        if (i % HFM_ABORT_EVERY == 0 &&
            atomic_load_explicit(ch->gen_now, memory_order_relaxed) != ch->gen)
            break;
        hfm_found *f = &ch->hits[ch->n_hits];
        if (hfm_hash_tail(&ch->work.mid, tail, ch->first + i, ch->target, f->hash)) {
            f->nonce = ch->first + i;
            if (++ch->n_hits == HFM_CHUNK_HITS) {
                i++;
                break;
            }
        }
    }
    ch->done = i;
    entry->reply = ch;
}

/* ---- loop thread -------------------------------------------------------- */

static void hfm_mine_fill(hfm_mine *m);

static int hfm_mine_dispatch(hfm_mine *m, size_t index, const hfm_work *wk, uint32_t first,
                             uint32_t count, uint64_t epoch)
{
    hfm_chunk *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return -1;
    ch->index = index;
    ch->gen_now = &m->slots[index].gen;
    ch->gen = atomic_load(ch->gen_now);
    ch->epoch = epoch;
    hfm_work_copy(&ch->work, wk);
    memcpy(ch->target, wk->job->target, 32);
    ch->first = first;
    ch->count = count;
    if (nw_job_add(m->pool, 0, ch, NULL)) {
        hfm_work_clear(&ch->work);
        free(ch);
        return -1;
    }
    m->in_flight++;
    return 0;
}

static void hfm_queue_push(hfm_mine *m, hfm_slot *s, const hfm_chunk *ch, const hfm_found *f)
{
    if (s->q_len == HFM_QUEUE_CAP) {
        m->stats->dropped++;
        return;
    }
    hfm_hit *h = &s->queue[(s->q_head + s->q_len++) % HFM_QUEUE_CAP];
    hfm_work_copy(&h->work, &ch->work);
    h->epoch = ch->epoch;
    h->nonce = f->nonce;
    memcpy(h->hash, f->hash, 32);
}

static void hfm_queue_pop(hfm_slot *s)
{
    hfm_work_clear(&s->queue[s->q_head].work);
    s->q_head = (s->q_head + 1) % HFM_QUEUE_CAP;
    s->q_len--;
}

static void hfm_queue_clear(hfm_mine *m, hfm_slot *s)
{
    m->stats->dropped += s->q_len;
    while (s->q_len)
        hfm_queue_pop(s);
}

static void hfm_chunk_finish(nw_job_entry *entry, void *udata)
{
    hfm_mine *m = udata;
    hfm_chunk *ch = entry->reply;
    m->in_flight--;
    if (!ch)
        return;
    hfm_slot *s = &m->slots[ch->index];
    hfm_conn *c = m->conns[ch->index];
    m->stats->hashes += ch->done;
    bool current = atomic_load(&s->gen) == ch->gen && !m->paused;
    if (ch->epoch == c->epoch) {
        for (size_t i = 0; i < ch->n_hits; i++)
            hfm_queue_push(m, s, ch, &ch->hits[i]);
    }
    /* Stopped for its share count, not for new work: hash the rest. */
    if (current && ch->done < ch->count && ch->n_hits == HFM_CHUNK_HITS)
        hfm_mine_dispatch(m, ch->index, &ch->work, ch->first + ch->done,
                          ch->count - ch->done, ch->epoch);
    if (ch->n_hits && ch->epoch == c->epoch && m->cb)
        m->cb(ch->index, m->ud);
    hfm_mine_fill(m);
}

static void hfm_chunk_cleanup(nw_job_entry *entry, void *udata)
{
    hfm_chunk *ch = entry->request;
    hfm_work_clear(&ch->work);
    free(ch);
}

/* Keeps every thread busy (two chunks per thread so none waits on the loop). */
static void hfm_mine_fill(hfm_mine *m)
{
    size_t idle = 0;
    while (!m->paused && m->in_flight < 2 * m->threads && idle < m->n) {
        size_t index = m->rr++ % m->n;
        hfm_slot *s = &m->slots[index];
        uint32_t first, count;
        const hfm_work *wk = NULL;
        if (s->q_len < HFM_QUEUE_CAP / 2)
            wk = hfm_cursor_take(&s->cur, HFM_CHUNK_NONCES, &first, &count);
        if (!wk || hfm_mine_dispatch(m, index, wk, first, count, m->conns[index]->epoch)) {
            idle++;
            continue;
        }
        idle = 0;
    }
}

hfm_mine *hfm_mine_create(struct ev_loop *loop, unsigned threads, hfm_conn **conns,
                          size_t n_conns, hfm_stats *stats, hfm_mine_found_cb cb,
                          void *ud)
{
    static const nw_job_handlers handlers = {
        .on_job = hfm_chunk_run,
        .on_finish = hfm_chunk_finish,
        .on_cleanup = hfm_chunk_cleanup,
    };
    hfm_mine *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->loop = loop;
    m->threads = threads ? threads : 1;
    m->conns = conns;
    m->n = n_conns;
    m->stats = stats;
    m->cb = cb;
    m->ud = ud;
    m->slots = calloc(n_conns ? n_conns : 1, sizeof(*m->slots));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < n_conns; i++) {
        hfm_cursor_init(&m->slots[i].cur);
        atomic_init(&m->slots[i].gen, 0);
        m->slots[i].queue = calloc(HFM_QUEUE_CAP, sizeof(hfm_hit));
        if (!m->slots[i].queue) {
            hfm_mine_free(m);
            return NULL;
        }
    }
    m->pool = nw_job_create(loop, (int)m->threads, &handlers, m);
    if (!m->pool) {
        hfm_mine_free(m);
        return NULL;
    }
    return m;
}

void hfm_mine_restart(hfm_mine *m, size_t index)
{
    hfm_conn *c = m->conns[index];
    hfm_slot *s = &m->slots[index];
    atomic_fetch_add(&s->gen, 1);
    if (s->q_len && s->queue[s->q_head].epoch != c->epoch)
        hfm_queue_clear(m, s);
    if (!c->subscribed || !c->job ||
        hfm_cursor_start(&s->cur, c->job, c->en1, c->en1_len, c->en2_size, c->mask)) {
        hfm_cursor_stop(&s->cur);
        return;
    }
    hfm_mine_fill(m);
}

void hfm_mine_stop_conn(hfm_mine *m, size_t index)
{
    hfm_slot *s = &m->slots[index];
    atomic_fetch_add(&s->gen, 1);
    hfm_cursor_stop(&s->cur);
    hfm_queue_clear(m, s);
}

static void hfm_hit_share(const hfm_hit *h, const hfm_conn *c, hfm_share *sh)
{
    memset(sh, 0, sizeof(*sh));
    sh->job = h->work.job;
    memcpy(sh->en2, h->work.en2, h->work.en2_len);
    sh->en2_len = h->work.en2_len;
    sh->ntime = h->work.job->ntime;
    sh->nonce = h->nonce;
    sh->has_vbits = h->work.rolled;
    sh->vbits = h->work.vbits;
    sh->diff = h->work.job->diff;
    sh->block = ut_hash_meets(h->hash, h->work.job->net_target);
}

size_t hfm_mine_submit(hfm_mine *m, size_t index, size_t budget)
{
    hfm_conn *c = m->conns[index];
    hfm_slot *s = &m->slots[index];
    size_t sent = 0;
    while (sent < budget && s->q_len && hfm_conn_room(c) > 0) {
        hfm_hit *h = &s->queue[s->q_head];
        if (h->epoch != c->epoch || !ut_hash_meets(h->hash, h->work.job->target)) {
            /* A cleaned job (or a new session); the target never rises
             * for a job, so the second test is only a safety net. */
            m->stats->dropped++;
            hfm_queue_pop(s);
            continue;
        }
        hfm_share sh;
        hfm_hit_share(h, c, &sh);
        if (hfm_conn_submit(c, &sh))
            break;
        hfm_queue_pop(s);
        sent++;
    }
    if (s->q_len < HFM_QUEUE_CAP / 2)
        hfm_mine_fill(m);
    return sent;
}

void hfm_mine_pause(hfm_mine *m)
{
    m->paused = true;
    for (size_t i = 0; i < m->n; i++)
        atomic_fetch_add(&m->slots[i].gen, 1);
}

void hfm_mine_free(hfm_mine *m)
{
    if (!m)
        return;
    m->paused = true;
    for (size_t i = 0; i < m->n; i++)
        atomic_fetch_add(&m->slots[i].gen, 1);
    if (m->pool)
        nw_job_free(m->pool);
    for (size_t i = 0; i < m->n; i++) {
        hfm_slot *s = &m->slots[i];
        hfm_cursor_stop(&s->cur);
        while (s->queue && s->q_len)
            hfm_queue_pop(s);
        free(s->queue);
    }
    free(m->slots);
    free(m);
}
