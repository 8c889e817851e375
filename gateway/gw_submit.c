/* gw_submit: handling of mining.submit (see gw_submit.h and gw_share.h). */
#include <stdio.h>
#include <string.h>
#include "gateway/gw_conn.h"
#include "gateway/gw_jm.h"
#include "gateway/gw_share.h"
#include "gateway/gw_stratum.h"
#include "gateway/gw_submit.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

static const gw_wname *gw_submit_worker(const gw_conn *c, const gw_jv *name)
{
    if (name->type != GW_JV_STRING)
        return NULL;
    for (size_t i = 0; i < c->nnames; i++)
        if (strlen(c->names[i].full) == name->n &&
            memcmp(c->names[i].full, name->p, name->n) == 0)
            return &c->names[i];
    return NULL;
}

/* The job id a miner sent, printable characters only, for the log. */
static void gw_submit_job_text(const gw_jv *jid, char *buf, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < jid->n && n + 1 < cap; i++)
        buf[n++] = (jid->p[i] > 0x20 && jid->p[i] < 0x7f) ? jid->p[i] : '?';
    buf[n] = '\0';
}

static void gw_submit_reject(gw_conn *c, const gw_wname *w, const gw_job *job,
                             const gw_jv *jid, const char *id, size_t idlen, int code,
                             const char *msg)
{
    gw_server *srv = c->srv;
    char jobtxt[GW_JOB_ID_MAX + 1] = "-";

    c->rejected++;
    gw_stat_add(&srv->stats->rejected[code - GW_ERR_OTHER], 1);
    if (w != NULL && srv->meta != NULL) {
        double d = job ? gw_stratum_job_diff(c, job->seq) : c->diff;
        ut_meta_share(srv->meta, w->user, w->worker, d, job ? d / job->network_diff : 0, false);
    }
    if (job != NULL)
        snprintf(jobtxt, sizeof(jobtxt), "%s", job->id);
    else if (jid != NULL && jid->type == GW_JV_STRING)
        gw_submit_job_text(jid, jobtxt, sizeof(jobtxt));
    log_info("share rejected: peer=%s conn=%llu worker=%s job=%s code=%d reason=\"%s\"",
             c->peer, (unsigned long long)c->id, w ? w->full : "-", jobtxt, code, msg);
    gw_reply_error(c, id, idlen, code, msg);
    if (code != GW_ERR_JOB)
        gw_conn_strike(c, false);
}

static void gw_submit_accept(gw_conn *c, const gw_wname *w, const gw_job *job,
                             const gw_share_res *r)
{
    gw_server *srv = c->srv;
    gw_vardiff_cfg vcfg = srv->cfg->vardiff;
    double nd;

    c->accepted++;
    gw_stat_add(&srv->stats->accepted, 1);
    gw_stat_add_double(&srv->stats->accepted_diff, r->diff);
    if (srv->meta != NULL)
        ut_meta_share(srv->meta, w->user, w->worker, r->diff, r->diff / job->network_diff, true);
    log_debug("share accepted: peer=%s conn=%llu worker=%s job=%s diff=%g", c->peer,
              (unsigned long long)c->id, w->full, job->id, r->diff);
    vcfg.min = gw_stratum_floor(c);
    nd = gw_vardiff_share(&c->vd, &vcfg, gw_now(srv), c->diff);
    if (nd > 0) {
        log_info("vardiff: peer=%s conn=%llu worker=%s diff %g -> %g", c->peer,
                 (unsigned long long)c->id, w->full, c->diff, nd);
        gw_stratum_set_diff(c, nd);
    }
}

void gw_submit(gw_conn *c, const gw_req *req, const char *id, size_t idlen)
{
    gw_server *srv = c->srv;
    const gw_wname *w;
    const gw_jv *p = req->params;
    gw_job *job;
    gw_share_sess s;
    gw_share_res r;
    size_t np = req->nparams < GW_REQ_MAX_PARAMS ? req->nparams : GW_REQ_MAX_PARAMS;

    if (!c->subscribed) {
        gw_submit_reject(c, NULL, NULL, NULL, id, idlen, GW_ERR_UNSUB, "Not subscribed");
        return;
    }
    if (!req->params_array) {
        gw_submit_reject(c, NULL, NULL, NULL, id, idlen, GW_ERR_OTHER, "Malformed params");
        return;
    }
    w = np >= 1 ? gw_submit_worker(c, &p[0]) : NULL;
    if (w == NULL) {
        gw_submit_reject(c, NULL, NULL, NULL, id, idlen, GW_ERR_UNAUTH, "Unauthorized worker");
        return;
    }
    job = np >= 2 && p[1].type == GW_JV_STRING ? gw_job_store_find(&srv->jobs, p[1].p, p[1].n)
                                               : NULL;
    if (job == NULL || job->stale) {
        gw_submit_reject(c, w, job, np >= 2 ? &p[1] : NULL, id, idlen, GW_ERR_JOB,
                         job ? "Job not found (stale)" : "Job not found");
        return;
    }
    s.en1 = c->en1;
    s.en1_size = srv->cfg->en1_size;
    s.en2_size = srv->cfg->en2_size;
    s.vmask = c->vmask;
    s.diff = gw_stratum_job_diff(c, job->seq);
    if (gw_share_check(job, &s, p + 2, np - 2, &r) != GW_OK) {
        gw_submit_reject(c, w, job, NULL, id, idlen, r.code, r.msg);
        return;
    }
    if (r.block)
        gw_jm_block_found(srv, c, w, job, &r);
    gw_reply_true(c, id, idlen);
    gw_submit_accept(c, w, job, &r);
}
