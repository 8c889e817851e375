/* st_acct: Stratum events into the accounting sender (see st_acct.h). */
#include "stratum/st_acct.h"
#include "stratum/st_conn.h"
#include "utils/ut_meta.h"
#include "utils/ut_meta_check.h"
#include "utils/ut_pack.h"


/* Skips n bytes of [*off, len); false when they are not there. */
static bool st_acct_skip(size_t *off, size_t len, uint64_t n)
{
    if (n > len - *off)
        return false;
    *off += (size_t)n;
    return true;
}

/* A CompactSize at *off into v; false when it is not there. */
static bool st_acct_compact(const uint8_t *p, size_t *off, size_t len, uint64_t *v)
{
    size_t n = ut_compact_get(p + *off, len - *off, v);
    *off += n;
    return n > 0;
}

int64_t st_acct_reward(const st_job *job)
{
    const uint8_t *p = job ? job->coinbase : NULL;
    size_t len = job ? job->coinbase_len : 0, off = 0;
    uint64_t nin, nout, n, sum = 0;

    if (p == NULL || !st_acct_skip(&off, len, 4))
        return -1;
    if (len - off >= 2 && p[off] == 0 && p[off + 1] == 1)
        off += 2;                            /* a segwit marker and flag */
    if (!st_acct_compact(p, &off, len, &nin))
        return -1;
    for (uint64_t i = 0; i < nin; i++)
        if (!st_acct_skip(&off, len, 36) || !st_acct_compact(p, &off, len, &n) ||
            !st_acct_skip(&off, len, n) || !st_acct_skip(&off, len, 4))
            return -1;
    if (!st_acct_compact(p, &off, len, &nout))
        return -1;
    for (uint64_t i = 0; i < nout; i++) {
        uint64_t v = 0;
        if (len - off < 8)
            return -1;
        for (int k = 7; k >= 0; k--)
            v = v << 8 | p[off + (size_t)k];
        off += 8;
        if (v > (uint64_t)UT_META_REWARD_MAX || (sum += v) > (uint64_t)UT_META_REWARD_MAX)
            return -1;
        if (!st_acct_compact(p, &off, len, &n) || !st_acct_skip(&off, len, n))
            return -1;
    }
    return (int64_t)sum;
}

void st_acct_share(ut_meta *m, const st_share_ev *ev)
{
    if (m == NULL)
        return;
    /* 21 on a job the server knew: stale (the gateway's reason="stale"),
     * apart from 21 on an id it never knew (unknown_job). */
    if (!ev->accepted && ev->code == ST_ERR_JOB && ev->job != NULL)
        ut_meta_stale(m, ev->worker->user, ev->worker->worker);
    else
        ut_meta_share(m, ev->worker->user, ev->worker->worker, ev->diff, ev->goal,
                      ev->accepted);
}

void st_acct_worker(ut_meta *m, const st_conn *c, const st_wname *w, bool first_seen)
{
    if (m == NULL)
        return;
    ut_meta_event(m, w->user, w->worker, c->host, "connected");
    if (first_seen)
        ut_meta_new_worker(m, w->user, w->worker);
}

void st_acct_closed(ut_meta *m, const st_conn *c)
{
    for (size_t i = 0; m != NULL && i < c->nnames; i++)
        if (c->names[i].active)
            ut_meta_event(m, c->names[i].user, c->names[i].worker, c->host, "disconnected");
}
