/* gw_server: one gateway worker process from start to exit (see
 * gw_server.h): the core state around the Stratum server, the listeners
 * and links, the once-a-second sweep, and the SIGTERM shutdown
 * (client.reconnect to every miner, a short grace, then close). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "gateway/gw_http.h"
#include "gateway/gw_agent.h"
#include "gateway/gw_ban.h"
#include "gateway/gw_jm.h"
#include "gateway/gw_server.h"
#include "gateway/gw_sink.h"
#include "stratum/st_listen.h"
#include "stratum/st_sess.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

int gw_server_init(gw_server *srv, const gw_config *cfg, struct ev_loop *loop, gw_shm *shm,
                   int worker)
{
    uint32_t start = 0;
    st_sink sink;
    st_en1_alloc en1;

    memset(srv, 0, sizeof(*srv));
    srv->cfg = cfg;
    srv->worker = worker;
    srv->loop = loop;
    srv->shm = shm;
    srv->stats = &shm->stats[worker];
    gw_ban_worker_reset(shm, worker);   /* connections of a previous life are gone */
    srv->started = (double)time(NULL);
    if (getrandom(&start, sizeof(start), 0) != sizeof(start))
        start = (uint32_t)getpid();
    if (gw_en1_init(&srv->en1, (uint8_t)cfg->gateway_id, (uint8_t)worker, start) != 0)
        return -1;
    /* An extranonce1 is not handed out again while jobs its last session
     * could submit to are kept (duplicate sets are per connection). */
    st_ids_set_quarantine(&srv->en1.ids, (uint32_t)cfg->stratum.jobs_max_age + 60, NULL);
    gw_sink_init(srv, &sink, &en1);
    if (st_server_init(&srv->st, &cfg->stratum, loop, &sink, &en1, &srv->stats->st) != 0) {
        gw_en1_free(&srv->en1);
        return -1;
    }
    /* A restarted worker starts its gauges from zero; counters go on. */
    atomic_store(&srv->stats->pid, (int64_t)getpid());
    atomic_store(&srv->stats->started, srv->started);
    st_stat_set(&srv->stats->jm_up, 0);
    return 0;
}

void gw_server_free(gw_server *srv)
{
    st_server_free(&srv->st);   /* gives every extranonce1 back first */
    gw_en1_free(&srv->en1);
}

void gw_server_on_job(gw_server *srv, const json_t *body)
{
    (void)st_server_on_job(&srv->st, body);
}

void gw_server_sweep(gw_server *srv)
{
    st_server_sweep(&srv->st);
    if (srv->meta != NULL)
        ut_meta_connections(srv->meta, (int64_t)srv->st.nconns);
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
               srv->worker, srv->st.nconns);
    st_listen_stop(&srv->st);
    st_sess_reconnect_all(&srv->st);
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

    if (st_listen(&srv->st, cfg->stratum_bind, cfg->max_connections) != 0) {
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
    st_listen_free(&srv->st);   /* closes every connection */
    gw_jm_free(srv->jm);        /* before the agent port: relayed blocks answer */
    srv->jm = NULL;
    gw_agent_free(srv->agents);
    srv->agents = NULL;
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
    if (cfg->agents_bind != NULL && worker == 0 &&
        ((srv->agents = gw_agent_create(srv)) == NULL || gw_agent_start(srv->agents) != 0)) {
        log_fatal("agent port cannot start (%s)", cfg->agents_bind);
        goto out;
    }
    gw_start_http(srv);
    nw_timer_set(&srv->sweep, loop, 1.0, true, gw_on_sweep, srv);
    nw_timer_start(&srv->sweep);
    log_notice("worker %d up: pid=%d stratum=%s jobmaster=%s en1_size=%zu en2_size=%zu",
               worker, (int)getpid(), cfg->stratum_bind, cfg->jm_addr, cfg->stratum.en1_size,
               cfg->stratum.en2_size);
    ev_run(loop, 0);
    rc = 0;
out:
    gw_teardown(srv);
    free(srv);
    log_notice("worker %d exits (%d)", worker, rc);
    return rc;
}
