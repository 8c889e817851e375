/* mineragent: runs inside a mining farm. The farm's miners speak Stratum
 * V1 to it; it holds one TLS link to a gateway's agent port (failing over
 * along a list), takes each job once for the whole farm, validates every
 * share itself, sends found blocks at once and per-minute counts as
 * accounting batches. While no gateway is reachable the miners keep working
 * on the last job, shares keep being validated and counted, and the counts
 * wait on disk (journal and spool) until a gateway takes them, exactly once.
 *
 *   mineragent --config FILE | -c FILE
 *
 * The gateway's layout and the last job are kept in meta.spool_dir, so an
 * agent restarted while no gateway answers lets its miners work at once.
 *
 * SIGTERM/SIGINT stop cleanly (counts spooled); SIGHUP reopens the log. */
#include <stdio.h>
#include <time.h>
#include "mineragent/ma_agent.h"
#include "mineragent/ma_farm.h"
#include "mineragent/ma_http.h"
#include "mineragent/ma_upstream.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"
#include "utils/ut_proc.h"
#include "utils/ut_status.h"

static void ma_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    ma_agent *ag = w->data;

    (void)loop;
    (void)revents;
    ma_upstream_tick(ag->up);
    if (ag->farm != NULL)
        ma_farm_sweep(ag->farm);
}

static int ma_start_meta(ma_agent *ag)
{
    char source[UT_META_SOURCE_MAX + 1];
    ut_meta_cfg m = { .coin = ag->cfg->meta_coin, .host = ag->cfg->host, .source_id = source,
                      .upstream = NULL, .spool_dir = ag->cfg->meta_spool_dir,
                      .flush_interval = ag->cfg->meta_flush_interval, .align = true,
                      .max_spool_bytes = ag->cfg->meta_max_spool };

    ut_meta_agent_source(ag->cfg->id, source, sizeof(source));
    ag->meta = ut_meta_create(ag->loop, &m);
    return ag->meta != NULL && ut_meta_start(ag->meta) == 0 ? 0 : -1;
}

static int ma_start(ma_agent *ag)
{
    if (ma_start_meta(ag) != 0) {
        log_fatal("mineragent: accounting cannot start (spool %s)", ag->cfg->meta_spool_dir);
        return -1;
    }
    if ((ag->up = ma_upstream_create(ag)) == NULL)
        return -1;
    if (ma_upstream_restore(ag->up) != 0)
        log_warn("mineragent: the saved layout cannot be used; waiting for a gateway");
    if (ma_upstream_start(ag->up) != 0)
        return -1;
    if (ag->cfg->http.bind != NULL &&
        (ag->http = ma_http_start(ag, ag->cfg->http.bind,
                                  (const char *const *)ag->cfg->http.allow)) == NULL) {
        log_fatal("mineragent: cannot serve status on %s: %m", ag->cfg->http.bind);
        return -1;
    }
    ev_timer_init(&ag->tick, ma_on_tick, 1.0, 1.0);
    ag->tick.data = ag;
    ev_timer_start(ag->loop, &ag->tick);
    return 0;
}

/* Miners first (their last events are counted), then the link (blocks in
 * flight come back), then accounting (spools what is not acknowledged). */
static void ma_stop(ma_agent *ag)
{
    ev_timer_stop(ag->loop, &ag->tick);
    ut_status_free(ag->http);
    ma_farm_free(ag->farm);
    ma_upstream_free(ag->up);
    if (ag->meta != NULL)
        ut_meta_free(ag->meta);
}

static int ma_run(struct ev_loop *loop, const ma_config *cfg)
{
    ma_agent ag = { .cfg = cfg, .loop = loop, .started = (double)time(NULL) };
    int rc = 1;

    if (ma_start(&ag) == 0) {
        log_notice("mineragent: started, agent %s, config %s, miners on %s once a gateway "
                   "answers, gateways: %zu, first %s", cfg->id, cfg->file, cfg->stratum_bind,
                   cfg->ngateways, cfg->gateways[0]);
        ev_run(loop, 0);
        log_notice("mineragent: stopped");
        rc = 0;
    }
    ma_stop(&ag);
    return rc;
}

int main(int argc, char **argv)
{
    const char *path;
    int rc = ut_proc_args(argc, argv, "usage: mineragent --config FILE\n", ma_config_keys,
                          &path);
    ma_config cfg;
    char err[768];
    ut_proc proc;

    if (rc != UT_PROC_RUN)
        return rc;
    if (ma_config_load(&cfg, path, err, sizeof(err)) < 0) {
        fprintf(stderr, "mineragent: %s\n", err);
        return 1;
    }
    if (ut_proc_start_alert(&proc, "mineragent", &cfg.log, &cfg.alert) < 0) {
        ma_config_free(&cfg);
        return 1;
    }
    rc = ma_run(proc.loop, &cfg);
    ut_proc_end(&proc);
    ma_config_free(&cfg);
    return rc;
}
