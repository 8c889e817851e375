/* st_server: the core state of a Stratum server (see st_server.h): start
 * and release, jobs arriving, and the once-a-second sweep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stratum/st_out.h"
#include "stratum/st_server.h"
#include "stratum/st_sess.h"
#include "utils/ut_log.h"

double st_now(const st_server *srv)
{
    if (srv->fake_now > 0)
        return srv->fake_now;
    return ev_now(srv->loop);
}

int st_server_init(st_server *srv, const st_config *cfg, struct ev_loop *loop,
                   const st_sink *sink, const st_en1_alloc *en1, st_stats *stats)
{
    char err[96];

    memset(srv, 0, sizeof(*srv));
    if (st_config_check(cfg, err, sizeof(err)) != 0 || en1 == NULL || en1->alloc == NULL) {
        log_error("stratum server: %s", en1 && en1->alloc ? err : "no extranonce1 allocator");
        return -1;
    }
    srv->cfg = cfg;
    srv->loop = loop;
    srv->stats = stats != NULL ? stats : &srv->own_stats;
    if (sink != NULL)
        srv->sink = *sink;
    srv->en1 = *en1;
    if (st_job_store_init(&srv->jobs, cfg->jobs_keep, cfg->jobs_max_age) != 0)
        return -1;
    st_names_init(&srv->seen);
    srv->rejlog.since = st_now(srv);
    st_stat_set(&srv->stats->connections, 0);
    st_stat_set(&srv->stats->subscribed, 0);
    st_stat_set(&srv->stats->workers, 0);
    return 0;
}

void st_server_free(st_server *srv)
{
    while (srv->conns != NULL)
        st_conn_free(srv->conns);
    st_job_store_free(&srv->jobs);
    st_names_free(&srv->seen);
    nw_buf_free(&srv->out);
}

int st_server_on_job(st_server *srv, const json_t *body)
{
    char err[160], id[ST_JOB_ID_MAX + 1];
    st_job *job = st_job_from_json(body, err, sizeof(err));
    size_t want = srv->cfg->en1_size + srv->cfg->en2_size;

    if (job == NULL) {
        log_error("job refused: %s", err);
        return -1;
    }
    if (job->extranonce_size != want) {
        log_error("job refused: id=%s extranonce_size=%zu, this server needs %zu", job->id,
                  job->extranonce_size, want);
        st_job_free(job);
        return -1;
    }
    snprintf(id, sizeof(id), "%s", job->id);
    if (st_job_store_add(&srv->jobs, job, st_now(srv)) != 0) {
        log_debug("job again: id=%s, kept the one we have", id);
        return -1;
    }
    st_stat_add(&srv->stats->jobs, 1);
    log_info("job: id=%s height=%lld clean=%s empty=%s ntime=%08x nbits=%08x branch=%zu "
             "sessions=%zu", job->id, (long long)job->height, job->clean ? "true" : "false",
             job->empty ? "true" : "false", job->ntime, job->nbits, job->branch_len,
             srv->nconns);
    st_sess_notify_all(srv, job);
    return 0;
}

/* A connection that never got started: closed after subscribe_timeout. */
static void st_sweep_unstarted(st_conn *c, double now)
{
    static ut_log_rl rl;

    if (now - c->connected <= c->srv->cfg->subscribe_timeout)
        return;
    UT_LOG_LIMITED(&rl, now, UT_LOG_INFO, "subscribe timeout: peer=%s conn=%llu after %.0fs",
                   c->peer, (unsigned long long)c->id, now - c->connected);
    st_conn_close(c, "subscribe timeout");
}

/* A started connection: vardiff for a miner that went quiet. */
static void st_sweep_started(st_conn *c, double now)
{
    st_vardiff_cfg v = c->srv->cfg->vardiff;
    double nd;

    v.min = st_sess_floor(c);
    nd = st_vardiff_tick(&c->vd, &v, now, c->diff);
    if (nd <= 0)
        return;
    log_info("vardiff: peer=%s conn=%llu worker=%s diff %g -> %g (quiet)", c->peer,
             (unsigned long long)c->id, c->nnames ? c->names[0].full : "-", c->diff, nd);
    st_sess_set_diff(c, nd);
}

void st_server_sweep(st_server *srv)
{
    double now = st_now(srv);
    st_conn *next;

    for (st_conn *c = srv->conns; c != NULL; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        if (c->started)
            st_sweep_started(c, now);
        else
            st_sweep_unstarted(c, now);
    }
    st_flush(srv);
    if (st_rejlog_tick(&srv->rejlog, now))
        for (st_conn *c = srv->conns; c != NULL; c = c->next)
            st_rejlog_reset_conn(c);
    if (st_job_store_expire(&srv->jobs, now) > 0)
        log_debug("expired old jobs, %zu kept", srv->jobs.count);
}
