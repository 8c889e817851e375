/* hfm_load: the load generator's share source (see hfm_load.h). */
#include "tools/hfminer/hfm_load.h"

#include <string.h>

#include "utils/ut_log.h"
#include "utils/ut_target.h"

#define HFM_LOAD_TAKE 4096                 /* nonces taken from the cursor at once */
#define HFM_BAD_JOB_ID "hfm-no-such-job"   /* never a pool's job id (not hex) */
#define HFM_BAD_WORKER "hfm-unauthorized.x"
#define HFM_BAD_NTIME_AHEAD 10000          /* past the +7200 s pools allow */

void hfm_walker_init(hfm_walker *w, hfm_invalid_kind invalid, unsigned invalid_every)
{
    memset(w, 0, sizeof(*w));
    hfm_cursor_init(&w->cur);
    w->invalid = invalid;
    w->invalid_every = invalid_every ? invalid_every : 1;
    w->epoch = UINT64_MAX;
}

void hfm_walker_free(hfm_walker *w)
{
    hfm_cursor_stop(&w->cur);
    hfm_job_unref(w->last_job);
    w->last_job = NULL;
}

void hfm_walker_restart(hfm_walker *w, hfm_conn *c)
{
    w->left = 0;
    w->work = NULL;
    w->epoch = c->epoch;
    w->job_seq = c->job_seq;
    if (!c->subscribed || !c->job) {
        hfm_cursor_stop(&w->cur);
        return;
    }
    if (hfm_cursor_start(&w->cur, c->job, c->en1, c->en1_len, c->en2_size, c->mask))
        log_warn("conn %zu: cannot build work for job %s", c->index, c->job->id);
}

/* Walks to the next nonce whose hash meets the target (want_meet) or does
 * not; false when *budget hashes are spent or the job's space is used up. */
static bool hfm_walk(hfm_walker *w, const uint8_t target[32], bool want_meet,
                     uint64_t *budget, uint32_t *nonce, uint8_t hash[32])
{
    while (*budget > 0) {
        if (w->left == 0) {
            uint32_t first, count;
            const hfm_work *wk = hfm_cursor_take(&w->cur, HFM_LOAD_TAKE, &first, &count);
            if (!wk)
                return false;
            w->mid = wk->mid;
            memcpy(w->tail, wk->header + 64, 16);
            w->work = wk;
            w->next = first;
            w->left = count;
        }
        uint32_t n = w->next++;
        w->left--;
        (*budget)--;
        if (hfm_hash_tail(&w->mid, w->tail, n, target, hash) == want_meet) {
            *nonce = n;
            return true;
        }
    }
    return false;
}

static void hfm_fill_share(const hfm_walker *w, const hfm_conn *c, uint32_t nonce,
                           const uint8_t hash[32], hfm_share *s)
{
    const hfm_work *wk = w->work;
    memset(s, 0, sizeof(*s));
    s->job = wk->job;
    memcpy(s->en2, wk->en2, wk->en2_len);
    s->en2_len = wk->en2_len;
    s->ntime = wk->job->ntime;
    s->nonce = nonce;
    s->has_vbits = wk->rolled;
    s->vbits = wk->vbits;
    s->diff = wk->job->diff;
    s->block = ut_hash_meets(hash, wk->job->net_target);
}

static bool hfm_target_is_max(const uint8_t target[32])
{
    for (int i = 0; i < 32; i++)
        if (target[i] != 0xff)
            return false;
    return true;
}

/* The lowest version bit outside the granted mask. */
static uint32_t hfm_bad_vbits(uint32_t mask)
{
    for (int bit = 0; bit < 32; bit++)
        if (!(mask & (UINT32_C(1) << bit)))
            return UINT32_C(1) << bit;
    return 0;
}

static void hfm_make_invalid(hfm_walker *w, const hfm_conn *c, hfm_share *s)
{
    s->block = false;
    switch (w->invalid) {
    case HFM_INVALID_JOB:
        s->job_id = HFM_BAD_JOB_ID;
        break;
    case HFM_INVALID_NTIME:
        s->ntime += HFM_BAD_NTIME_AHEAD;
        break;
    case HFM_INVALID_EN2LEN:
        s->en2[s->en2_len++] = 0xee;
        break;
    case HFM_INVALID_VERSION:
        s->has_vbits = true;
        s->vbits = hfm_bad_vbits(c->mask);
        break;
    case HFM_INVALID_WORKER:
        s->worker_name = HFM_BAD_WORKER;
        break;
    default:
        break;
    }
}

static void hfm_remember(hfm_walker *w, const hfm_share *s)
{
    hfm_job_ref((hfm_job *)s->job);
    hfm_job_unref(w->last_job);
    w->last_job = (hfm_job *)s->job;
    w->last = *s;
    w->last.block = false;
}

/* One submit: 1 sent, 0 nothing found within the budget, -1 refused. */
static int hfm_submit_one(hfm_walker *w, hfm_conn *c, uint64_t *budget)
{
    if (w->dup_due) {
        if (hfm_conn_submit(c, &w->last))
            return -1;
        w->dup_due = false;
        return 1;
    }
    uint64_t n = w->valid_shares + 1;
    bool due = w->invalid != HFM_INVALID_NONE && n % w->invalid_every == 0;
    bool bad = due && w->invalid != HFM_INVALID_DUPLICATE;
    bool lowdiff = bad && w->invalid == HFM_INVALID_LOWDIFF;
    const hfm_job *job = w->cur.work.job;
    if (!w->cur.active || !job)
        return 0;
    if (lowdiff && hfm_target_is_max(job->target)) {
        /* Every hash meets such a target: no share can be too weak. */
        if (!w->lowdiff_warned)
            log_warn("conn %zu: difficulty %g accepts every hash; lowdiff shares are "
                     "sent as normal shares", c->index, job->diff);
        w->lowdiff_warned = true;
        bad = lowdiff = false;
    }
    uint32_t nonce;
    uint8_t hash[32];
    if (!hfm_walk(w, job->target, !lowdiff, budget, &nonce, hash))
        return 0;
    hfm_share s;
    hfm_fill_share(w, c, nonce, hash, &s);
    if (bad)
        hfm_make_invalid(w, c, &s);
    if (hfm_conn_submit(c, &s))
        return -1;
    w->valid_shares++;
    if (!bad)
        hfm_remember(w, &s);
    if (due && w->invalid == HFM_INVALID_DUPLICATE)
        w->dup_due = true;
    return 1;
}

size_t hfm_walker_submit(hfm_walker *w, hfm_conn *c, size_t budget, uint64_t *hashes)
{
    if (w->epoch != c->epoch || w->job_seq != c->job_seq)
        hfm_walker_restart(w, c);
    uint64_t hb = HFM_LOAD_HASH_BUDGET;
    size_t n = 0;
    while (n < budget && hfm_conn_room(c) > 0) {
        if (hfm_submit_one(w, c, &hb) <= 0)
            break;
        n++;
    }
    *hashes += HFM_LOAD_HASH_BUDGET - hb;
    return n;
}
