/* st_acct: Stratum events into the accounting sender (see st_acct.h). */
#include "stratum/st_acct.h"
#include "stratum/st_conn.h"
#include "utils/ut_meta.h"

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
