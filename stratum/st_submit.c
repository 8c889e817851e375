/* st_submit: mining.submit, the hot path: the session checks (25, 24, 21),
 * st_share_check for the rest, a block candidate reported to the sink
 * before the miner is answered, counters, the share reported to the sink,
 * strikes and vardiff. Nothing is allocated per share. */
#include <stdio.h>
#include <string.h>
#include "stratum/st_methods.h"
#include "stratum/st_out.h"
#include "stratum/st_sess.h"
#include "stratum/st_share.h"
#include "utils/ut_log.h"

/* Rejects held for a name that is not active yet, at most (past it they
 * are not counted: a miner that far from its first accepted share is
 * banned long before). */
#define ST_HELD_REJECTS_MAX (1u << 16)

/* The job id a miner sent, printable characters only, for the log. */
static void st_submit_job_text(const st_jv *jid, char *buf, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < jid->n && n + 1 < cap; i++)
        buf[n++] = (jid->p[i] > 0x20 && jid->p[i] < 0x7f) ? jid->p[i] : '?';
    buf[n] = '\0';
}

static void st_submit_report(st_conn *c, const st_wname *w, const st_job *job, int code,
                             double diff)
{
    st_sink *k = &c->srv->sink;
    st_share_ev ev = {
        .conn = c, .worker = w, .job = job, .accepted = code == ST_OK, .code = code,
        .diff = diff, .goal = job ? diff / job->network_diff : 0,
    };

    if (w == NULL || k->share == NULL)
        return;
    if (w->active || ev.accepted) {
        k->share(k->arg, &ev);
    } else {
        st_wname *wm = &c->names[w - c->names];
        if (wm->held_rejects < ST_HELD_REJECTS_MAX)
            wm->held_rejects++;
    }
}

/* The first accepted share of a name new to this server makes it active:
 * the set of names seen and the sink's worker event (newworker,
 * "connected") come only now, paid for with work. */
static void st_submit_activate(st_conn *c, const st_wname *w)
{
    st_wname *wm = &c->names[w - c->names];

    st_conn_activate(c, wm, st_names_add(&c->srv->seen, w->full) == 1);
}

static void st_submit_reject(st_conn *c, const st_wname *w, const st_job *job,
                             const st_jv *jid, const char *id, size_t idlen, int code,
                             const char *msg)
{
    char jobtxt[ST_JOB_ID_MAX + 1] = "-";

    c->rejected++;
    st_stat_add(&c->srv->stats->rejected[code - ST_ERR_OTHER], 1);
    if (code == ST_ERR_JOB && job != NULL)
        st_stat_add(&c->srv->stats->stale, 1);
    st_submit_report(c, w, job, code, job ? st_sess_job_diff(c, job->seq) : c->diff);
    if (job != NULL && ut_log_on(UT_LOG_DEBUG))
        snprintf(jobtxt, sizeof(jobtxt), "%s", job->id);
    else if (jid != NULL && jid->type == ST_JV_STRING && ut_log_on(UT_LOG_DEBUG))
        st_submit_job_text(jid, jobtxt, sizeof(jobtxt));
    st_rejlog_add(&c->srv->rejlog, c, w ? w->full : NULL, code);
    log_debug("share rejected: peer=%s conn=%llu worker=%s job=%s code=%d reason=\"%s\"",
              c->peer, (unsigned long long)c->id, w ? w->full : "-", jobtxt, code, msg);
    st_reply_error(c, id, idlen, code, msg);
    /* A share on a job that went stale is an honest miner's bad luck; an
     * id the server does not know (never sent, or long expired) costs a
     * strike, or a flood of made-up ids would never be stopped. */
    if (code != ST_ERR_JOB || job == NULL)
        st_conn_strike(c, false);
}

static void st_submit_block(st_conn *c, const st_wname *w, const st_job *job,
                            const st_share_res *r)
{
    st_sink *k = &c->srv->sink;
    st_block_ev ev = {
        .conn = c, .worker = w, .job = job, .res = r,
        .en1 = c->en1, .en1_size = c->srv->cfg->en1_size, .en1_hex = c->en1_hex,
        .en2 = r->en2, .en2_size = c->srv->cfg->en2_size,
    };

    if (k->block != NULL)
        k->block(k->arg, &ev);
}

/* A connection whose duplicate set is half full sends shares far faster
 * than vardiff aims at (a difficulty set too low, a miner ignoring it):
 * its difficulty goes up 4x at once, at most once a second, long before
 * the set is full and its shares are refused. */
static void st_submit_dups_guard(st_conn *c)
{
    double now = st_now(c->srv);

    if (c->dups.count * 2 < c->dups.max_count || now - c->dups_raised < 1.0)
        return;
    c->dups_raised = now;
    log_info("vardiff: peer=%s conn=%llu diff %g -> %g (%zu shares on live jobs)", c->peer,
             (unsigned long long)c->id, c->diff, c->diff * 4, c->dups.count);
    st_sess_set_diff(c, c->diff * 4);
    st_vardiff_reset(&c->vd, now);
}

static void st_submit_accept(st_conn *c, const st_wname *w, const st_job *job,
                             const st_share_res *r)
{
    st_server *srv = c->srv;
    st_vardiff_cfg vcfg = srv->cfg->vardiff;
    double nd;

    if (!w->active)
        st_submit_activate(c, w);
    c->accepted++;
    st_stat_add(&srv->stats->accepted, 1);
    st_stat_add_double(&srv->stats->accepted_diff, r->diff);
    st_submit_report(c, w, job, ST_OK, r->diff);
    log_debug("share accepted: peer=%s conn=%llu worker=%s job=%s diff=%g", c->peer,
              (unsigned long long)c->id, w->full, job->id, r->diff);
    vcfg.min = st_sess_floor(c);
    st_submit_dups_guard(c);
    nd = st_vardiff_share(&c->vd, &vcfg, st_now(srv), c->diff);
    if (nd > 0) {
        log_info("vardiff: peer=%s conn=%llu worker=%s diff %g -> %g", c->peer,
                 (unsigned long long)c->id, w->full, c->diff, nd);
        st_sess_set_diff(c, nd);
    }
}

void st_m_submit(st_conn *c, const st_req *req, const char *id, size_t idlen)
{
    st_server *srv = c->srv;
    const st_wname *w;
    const st_jv *p = req->params;
    st_job *job;
    st_share_sess s;
    st_share_res r;
    size_t np = req->nparams < ST_REQ_MAX_PARAMS ? req->nparams : ST_REQ_MAX_PARAMS;

    if (!c->subscribed) {
        st_submit_reject(c, NULL, NULL, NULL, id, idlen, ST_ERR_UNSUB, "Not subscribed");
        return;
    }
    if (!req->params_array) {
        st_submit_reject(c, NULL, NULL, NULL, id, idlen, ST_ERR_OTHER, "Malformed params");
        return;
    }
    w = np >= 1 && p[0].type == ST_JV_STRING ? st_conn_worker(c, p[0].p, p[0].n) : NULL;
    if (w == NULL) {
        st_submit_reject(c, NULL, NULL, NULL, id, idlen, ST_ERR_UNAUTH, "Unauthorized worker");
        return;
    }
    job = np >= 2 && p[1].type == ST_JV_STRING ? st_job_store_find(&srv->jobs, p[1].p, p[1].n)
                                               : NULL;
    if (job == NULL || job->stale) {
        st_submit_reject(c, w, job, np >= 2 ? &p[1] : NULL, id, idlen, ST_ERR_JOB,
                         job ? "Job not found (stale)" : "Job not found");
        return;
    }
    s.en1 = c->en1;
    s.en1_size = srv->cfg->en1_size;
    s.en2_size = srv->cfg->en2_size;
    s.vmask = c->vmask;
    s.diff = st_sess_job_diff(c, job->seq);
    s.dups = &c->dups;
    s.live_seq = srv->jobs.live_seq;
    if (st_share_check(job, &s, p + 2, np - 2, &r) != ST_OK) {
        st_submit_reject(c, w, job, NULL, id, idlen, r.code, r.msg);
        return;
    }
    if (r.block)
        st_submit_block(c, w, job, &r);
    st_reply_true(c, id, idlen);
    st_submit_accept(c, w, job, &r);
}
