/* st_sess: difficulty and jobs of started sessions (see st_sess.h). */
#include <stdio.h>
#include "stratum/st_out.h"
#include "stratum/st_sess.h"
#include "utils/ut_diff.h"
#include "utils/ut_log.h"

double st_sess_floor(const st_conn *c)
{
    const st_vardiff_cfg *v = &c->srv->cfg->vardiff;
    double f = c->floor > v->min ? c->floor : v->min;

    return f < v->max ? f : v->max;
}

double st_sess_job_diff(const st_conn *c, uint64_t job_seq)
{
    if (job_seq >= c->diff_seq)
        return c->diff;
    return c->prev_diff < c->diff ? c->prev_diff : c->diff;
}

static void st_send_diff(st_conn *c)
{
    char num[40], line[128];
    int n;

    if (ut_fmt_double(c->diff, num, sizeof(num)) < 0) {   /* a bug: never on the wire */
        log_error("set_difficulty not sent: peer=%s conn=%llu diff is not finite", c->peer,
                  (unsigned long long)c->id);
        return;
    }
    n = snprintf(line, sizeof(line),
                 "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[%s]}\n", num);
    st_out(c, line, (size_t)n);
}

void st_sess_set_diff(st_conn *c, double diff)
{
    diff = ut_diff_clamp(diff, st_sess_floor(c), c->srv->cfg->vardiff.max);
    if (diff == c->diff)
        return;
    if (!c->started) {
        c->diff = c->prev_diff = diff;
        return;
    }
    /* Keep the old difficulty for jobs sent under it, unless none was. */
    if (c->last_job_seq >= c->diff_seq)
        c->prev_diff = c->diff;
    c->diff = diff;
    c->diff_seq = c->srv->jobs.next_seq;
    st_send_diff(c);
}

/* Sends job to c; the first job a connection gets is always clean. */
static void st_send_job(st_conn *c, const st_job *job, bool force_clean)
{
    static const char f[] = "false]}\n";
    static const char t[] = "true]}\n";

    c->last_job_seq = job->seq;
    if (job->clean || !force_clean) {
        st_out(c, job->notify, job->notify_len);
        return;
    }
    st_out(c, job->notify, job->notify_len - (sizeof(f) - 1));
    st_out(c, t, sizeof(t) - 1);
}

void st_sess_start(st_conn *c)
{
    st_job *job;

    if (c->started || !c->subscribed || c->nnames == 0)
        return;
    c->started = true;
    c->diff_seq = 0;
    st_vardiff_reset(&c->vd, st_now(c->srv));
    st_send_diff(c);
    job = st_job_store_current(&c->srv->jobs);
    if (job != NULL)
        st_send_job(c, job, true);
}

void st_sess_notify_all(st_server *srv, const st_job *job)
{
    st_conn *next;

    for (st_conn *c = srv->conns; c != NULL; c = next) {
        next = c->next;
        if (c->started && !c->closing)
            st_send_job(c, job, false);
    }
    st_flush(srv);
}

void st_sess_reconnect_all(st_server *srv)
{
    static const char line[] = "{\"id\":null,\"method\":\"client.reconnect\",\"params\":[]}\n";
    st_conn *next;

    for (st_conn *c = srv->conns; c != NULL; c = next) {
        next = c->next;
        if (!c->closing)
            st_out(c, line, sizeof(line) - 1);
    }
    st_flush(srv);
}
