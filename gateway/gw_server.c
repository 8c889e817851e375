/* gw_server: one gateway worker process from start to exit (see
 * gw_server.h): the core state, the listeners and links, the once-a-second
 * sweep, jobs arriving, and the SIGTERM shutdown (client.reconnect to every
 * miner, a short grace, then close). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "gateway/gw_conn.h"
#include "gateway/gw_http.h"
#include "gateway/gw_jm.h"
#include "gateway/gw_server.h"
#include "gateway/gw_stratum.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

static void gw_ses_send(gw_conn *c, const void *data, size_t len)
{
    if (c->ses != NULL)
        nw_ses_send(c->ses, data, len);
}

static void gw_ses_close(gw_conn *c, const char *reason)
{
    if (c->ses != NULL)
        nw_ses_close(c->ses, reason);
}

double gw_now(const gw_server *srv)
{
    if (srv->fake_now > 0)
        return srv->fake_now;
    return ev_now(srv->loop);
}

int gw_server_init(gw_server *srv, const gw_config *cfg, struct ev_loop *loop, gw_shm *shm,
                   int worker)
{
    uint32_t start = 0;

    memset(srv, 0, sizeof(*srv));
    srv->cfg = cfg;
    srv->worker = worker;
    srv->loop = loop;
    srv->shm = shm;
    srv->stats = &shm->stats[worker];
    srv->send = gw_ses_send;
    srv->close = gw_ses_close;
    srv->started = (double)time(NULL);
    if (getrandom(&start, sizeof(start), 0) != sizeof(start))
        start = (uint32_t)getpid();
    if (gw_job_store_init(&srv->jobs, cfg->jobs_keep, cfg->jobs_max_age,
                          cfg->jobs_max_shares) != 0)
        return -1;
    if (gw_en1_init(&srv->en1, (uint8_t)cfg->gateway_id, (uint8_t)worker, start) != 0) {
        gw_job_store_free(&srv->jobs);
        return -1;
    }
    gw_names_init(&srv->seen);
    /* A restarted worker starts its gauges from zero; counters go on. */
    atomic_store(&srv->stats->pid, (int64_t)getpid());
    atomic_store(&srv->stats->started, srv->started);
    gw_stat_set(&srv->stats->connections, 0);
    gw_stat_set(&srv->stats->subscribed, 0);
    gw_stat_set(&srv->stats->workers, 0);
    gw_stat_set(&srv->stats->jm_up, 0);
    return 0;
}

void gw_server_free(gw_server *srv)
{
    while (srv->conns != NULL)
        gw_conn_free(srv->conns);
    gw_job_store_free(&srv->jobs);
    gw_en1_free(&srv->en1);
    gw_names_free(&srv->seen);
    free(srv->out);
    srv->out = NULL;
}

void gw_server_on_job(gw_server *srv, const json_t *body)
{
    char err[160], id[GW_JOB_ID_MAX + 1];
    gw_job *job = gw_job_from_json(body, err, sizeof(err));
    size_t want = srv->cfg->en1_size + srv->cfg->en2_size;

    if (job == NULL) {
        log_error("job refused: %s", err);
        return;
    }
    if (job->extranonce_size != want) {
        log_error("job refused: id=%s extranonce_size=%zu, this gateway needs %zu", job->id,
                  job->extranonce_size, want);
        gw_job_free(job);
        return;
    }
    snprintf(id, sizeof(id), "%s", job->id);
    if (gw_job_store_add(&srv->jobs, job, gw_now(srv)) != 0) {
        log_debug("job again: id=%s, kept the one we have", id);
        return;
    }
    gw_stat_add(&srv->stats->jobs, 1);
    log_info("job: id=%s height=%lld clean=%s empty=%s ntime=%08x nbits=%08x branch=%zu "
             "sessions=%zu", job->id, (long long)job->height, job->clean ? "true" : "false",
             job->empty ? "true" : "false", job->ntime, job->nbits, job->branch_len,
             srv->nconns);
    gw_stratum_notify_all(srv, job);
}

void gw_server_sweep(gw_server *srv)
{
    double now = gw_now(srv);
    const gw_config *cfg = srv->cfg;
    gw_conn *next;

    for (gw_conn *c = srv->conns; c != NULL; c = next) {
        next = c->next;
        if (c->closing)
            continue;
        if (!c->started) {
            if (now - c->connected > cfg->subscribe_timeout) {
                log_info("subscribe timeout: peer=%s conn=%llu after %.0fs", c->peer,
                         (unsigned long long)c->id, now - c->connected);
                gw_conn_close(c, "subscribe timeout");
            }
            continue;
        }
        gw_vardiff_cfg v = cfg->vardiff;
        v.min = gw_stratum_floor(c);
        double nd = gw_vardiff_tick(&c->vd, &v, now, c->diff);
        if (nd > 0) {
            log_info("vardiff: peer=%s conn=%llu worker=%s diff %g -> %g (quiet)", c->peer,
                     (unsigned long long)c->id, c->nnames ? c->names[0].full : "-", c->diff, nd);
            gw_stratum_set_diff(c, nd);
        }
    }
    gw_flush(srv);
    if (gw_job_store_expire(&srv->jobs, now) > 0)
        log_debug("expired old jobs, %zu kept", srv->jobs.count);
    if (srv->meta != NULL)
        ut_meta_connections(srv->meta, (int64_t)srv->nconns);
}

/* ---- the running process ---- */

static void gw_on_sweep(nw_timer *t, void *privdata)
{
    (void)t;
    gw_server_sweep(privdata);
}

static void gw_on_grace(nw_timer *t, void *privdata)
{
    gw_server *srv = privdata;

    (void)t;
    ev_break(srv->loop, EVBREAK_ALL);
}

static void gw_shutdown(gw_server *srv)
{
    if (srv->stopping)
        return;
    srv->stopping = true;
    log_notice("shutting down: worker=%d, sending client.reconnect to %zu connections",
               srv->worker, srv->nconns);
    if (srv->svr != NULL)
        nw_svr_stop(srv->svr);
    gw_stratum_reconnect_all(srv);
    nw_timer_set(&srv->grace, srv->loop, srv->cfg->shutdown_grace, false, gw_on_grace, srv);
    nw_timer_start(&srv->grace);
}

static void gw_on_stop(void *arg)
{
    gw_shutdown(arg);
}

static int gw_start_meta(gw_server *srv)
{
    const gw_config *cfg = srv->cfg;
    char source[96];
    ut_meta_cfg m;

    if (!cfg->meta_enabled)
        return 0;
    snprintf(source, sizeof(source), "%s-p%d", cfg->meta_source, srv->worker);
    memset(&m, 0, sizeof(m));
    m.coin = cfg->meta_coin;
    m.host = cfg->host;
    m.source_id = source;
    m.upstream = cfg->meta_upstream;
    m.spool_dir = cfg->meta_spool_dir;
    m.flush_interval = cfg->meta_flush_interval;
    m.max_spool_bytes = cfg->meta_max_spool;
    srv->meta = ut_meta_create(srv->loop, &m);
    if (srv->meta == NULL || ut_meta_start(srv->meta) != 0) {
        log_fatal("accounting could not start (source %s, upstream %s)", source,
                  cfg->meta_upstream);
        return -1;
    }
    return 0;
}

static int gw_start_stratum(gw_server *srv)
{
    const gw_config *cfg = srv->cfg;
    nw_svr_cfg s = {
        .bind = cfg->stratum_bind,
        .max_msg = cfg->max_line + 2,
        .idle_timeout = cfg->idle_timeout,
        .reuseport = true,
        .max_sessions = cfg->max_connections,
    };

    srv->svr = nw_svr_create(srv->loop, &s, &gw_conn_handlers, srv);
    if (srv->svr == NULL || nw_svr_start(srv->svr) != 0) {
        log_fatal("stratum cannot listen on %s: %m", cfg->stratum_bind);
        return -1;
    }
    return 0;
}

static void gw_start_http(gw_server *srv)
{
    char bind[256];

    if (srv->cfg->http_bind == NULL)
        return;
    if (gw_addr_add_port(srv->cfg->http_bind, srv->worker, bind, sizeof(bind)) != 0) {
        log_error("http: bad bind address %s", srv->cfg->http_bind);
        return;
    }
    srv->http = gw_http_start(srv, bind);
    if (srv->http == NULL) {
        log_error("http: cannot listen on %s: %m; running without status server", bind);
        return;
    }
    log_info("http status on %s", bind);
}

static void gw_teardown(gw_server *srv)
{
    if (srv->sweep.loop != NULL)
        nw_timer_stop(&srv->sweep);
    if (srv->grace.loop != NULL)
        nw_timer_stop(&srv->grace);
    ut_proc_sig_stop(&srv->sig);
    if (srv->svr != NULL)
        nw_svr_free(srv->svr);   /* closes every connection */
    srv->svr = NULL;
    gw_jm_free(srv->jm);
    srv->jm = NULL;
    ut_status_free(srv->http);
    srv->http = NULL;
    if (srv->meta != NULL)
        ut_meta_free(srv->meta);   /* flushes, spools what is unacknowledged */
    srv->meta = NULL;
    gw_server_free(srv);
}

int gw_server_run(const gw_config *cfg, gw_shm *shm, int worker)
{
    struct ev_loop *loop = ev_default_loop(0);
    gw_server *srv = calloc(1, sizeof(*srv));
    int rc = 1;

    if (loop == NULL || srv == NULL || gw_server_init(srv, cfg, loop, shm, worker) != 0) {
        log_fatal("worker %d: cannot initialize", worker);
        free(srv);
        return 1;
    }
    ut_proc_sig_start(&srv->sig, loop, "gateway", gw_on_stop, srv);
    if (gw_start_meta(srv) != 0 || gw_start_stratum(srv) != 0)
        goto out;
    srv->jm = gw_jm_create(srv);
    if (srv->jm == NULL || gw_jm_start(srv->jm) != 0) {
        log_fatal("jobmaster link cannot start (%s)", cfg->jm_addr);
        goto out;
    }
    gw_start_http(srv);
    nw_timer_set(&srv->sweep, loop, 1.0, true, gw_on_sweep, srv);
    nw_timer_start(&srv->sweep);
    log_notice("worker %d up: pid=%d stratum=%s jobmaster=%s en1_size=%zu en2_size=%zu",
               worker, (int)getpid(), cfg->stratum_bind, cfg->jm_addr, cfg->en1_size,
               cfg->en2_size);
    ev_run(loop, 0);
    rc = 0;
out:
    gw_teardown(srv);
    free(srv);
    log_notice("worker %d exits (%d)", worker, rc);
    return rc;
}
