/* gw_http: /status and /metrics of a gateway worker (see gw_http.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gateway/gw_agent.h"
#include "gateway/gw_ban.h"
#include "gateway/gw_http.h"
#include "gateway/gw_jm.h"
#include "stratum/st_report.h"
#include "utils/ut_hex.h"
#include "utils/ut_meta.h"
#include "utils/ut_metrics.h"

static json_t *gw_stats_json(gw_stats *s)
{
    json_t *rej = json_object();

    for (int i = 0; i < ST_NCODES; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%d", 20 + i);
        json_object_set_new(rej, code,
                            json_integer((json_int_t)st_stat_get(&s->st.rejected[i])));
    }
    return json_pack("{s:I,s:I,s:I,s:{s:I,s:f,s:o,s:o},s:{s:I,s:I,s:I,s:I},s:I,s:I,s:I,s:I}",
                     "connections", (json_int_t)st_stat_get(&s->st.connections),
                     "subscribed", (json_int_t)st_stat_get(&s->st.subscribed),
                     "authorized_workers", (json_int_t)st_stat_get(&s->st.workers),
                     "shares",
                     "accepted", (json_int_t)st_stat_get(&s->st.accepted),
                     "accepted_diff", atomic_load(&s->st.accepted_diff),
                     "rejected", rej,
                     "rejected_by_reason", st_reasons_json(&s->st),
                     "blocks",
                     "found", (json_int_t)st_stat_get(&s->blocks_found),
                     "accepted", (json_int_t)st_stat_get(&s->blocks_accepted),
                     "rejected", (json_int_t)st_stat_get(&s->blocks_rejected),
                     "skipped", (json_int_t)st_stat_get(&s->blocks_skipped),
                     "jobs", (json_int_t)st_stat_get(&s->st.jobs),
                     "bans", (json_int_t)st_stat_get(&s->bans),
                     "refused", (json_int_t)st_stat_get(&s->refused),
                     "parse_errors", (json_int_t)st_stat_get(&s->st.parse_errors));
}

/* Sums every slot that a process has used into out. */
static void gw_stats_total(gw_shm *shm, gw_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (int p = 0; p < GW_MAX_WORKERS; p++) {
        gw_stats *s = &shm->stats[p];
        if (atomic_load(&s->pid) == 0)
            continue;
        st_stats_sum(&out->st, &s->st);
        st_stat_add(&out->blocks_found, st_stat_get(&s->blocks_found));
        st_stat_add(&out->blocks_accepted, st_stat_get(&s->blocks_accepted));
        st_stat_add(&out->blocks_rejected, st_stat_get(&s->blocks_rejected));
        st_stat_add(&out->blocks_skipped, st_stat_get(&s->blocks_skipped));
        st_stat_add(&out->bans, st_stat_get(&s->bans));
        st_stat_add(&out->refused, st_stat_get(&s->refused));
    }
}

static json_t *gw_job_json(gw_server *srv)
{
    st_job *job = st_job_store_current(&srv->st.jobs);
    char prev[65];

    if (job == NULL)
        return json_null();
    ut_hash_to_hex(job->prev_block, prev);
    return json_pack("{s:s,s:I,s:s,s:b,s:b,s:f,s:f,s:I}", "job_id", job->id, "height",
                     (json_int_t)job->height, "prev_block", prev, "clean", job->clean,
                     "empty", job->empty, "network_diff", job->network_diff, "age",
                     st_now(&srv->st) - job->received, "kept", (json_int_t)srv->st.jobs.count);
}

json_t *gw_http_status(gw_server *srv)
{
    gw_ban_totals ips;
    gw_stats total;
    json_t *meta = json_null();

    gw_stats_total(srv->shm, &total);
    gw_ban_totals_get(srv->shm, gw_ban_now(), &ips);
    if (srv->meta != NULL)
        meta = json_pack("{s:I,s:I}", "pending_batches", (json_int_t)ut_meta_pending(srv->meta),
                         "spooled_bytes", (json_int_t)ut_meta_spooled_bytes(srv->meta));
    return json_pack("{s:s,s:i,s:i,s:i,s:I,s:I,s:b,s:b,s:o,s:o,s:o,s:I,s:I,s:I,s:o,s:I}",
                     "module", "gateway", "gateway_id", srv->cfg->gateway_id,
                     "process", srv->worker, "processes", srv->cfg->workers,
                     "pid", (json_int_t)atomic_load(&srv->stats->pid),
                     "uptime", (json_int_t)(time(NULL) - srv->started),
                     "jobmaster_up", gw_jm_up(srv->jm), "stopping", srv->stopping,
                     "job", gw_job_json(srv),
                     "this", gw_stats_json(srv->stats),
                     "total", gw_stats_json(&total),
                     "bans_active", (json_int_t)ips.banned,
                     "ips_tracked", (json_int_t)ips.tracked,
                     "ips_untracked_connections", (json_int_t)ips.untracked,
                     "meta", meta,
                     "agents_connected", (json_int_t)gw_agent_count(srv->agents));
}

/* One family with one sample labelled with this gateway and process. */
static void gw_metric(ut_metrics *m, const char *labels, const char *name, const char *type,
                      const char *help, double v)
{
    ut_metrics_add(m, name, type, help, labels, v);
}

char *gw_http_metrics(gw_server *srv)
{
    gw_stats *s = srv->stats;
    ut_metrics t = { .prefix = "hf_gateway_" };
    uint64_t r[ST_NREASONS];
    char l[64];

    snprintf(l, sizeof(l), "gateway=\"%d\",process=\"%d\"", srv->cfg->gateway_id, srv->worker);
    gw_metric(&t, l, "connections", "gauge", "Open miner connections of this process.",
              (double)srv->st.nconns);
    gw_metric(&t, l, "subscribed", "gauge", "Subscribed miner connections.",
              (double)st_stat_get(&s->st.subscribed));
    gw_metric(&t, l, "workers", "gauge", "Authorized worker names.",
              (double)st_stat_get(&s->st.workers));
    gw_metric(&t, l, "shares_accepted_total", "counter", "Accepted shares.",
              (double)st_stat_get(&s->st.accepted));
    gw_metric(&t, l, "shares_accepted_diff_total", "counter",
              "Sum of the difficulty of accepted shares.", atomic_load(&s->st.accepted_diff));
    st_stats_reasons(&s->st, r);
    ut_metrics_family(&t, "shares_rejected_total", "counter", "Rejected shares by reason.");
    for (int i = 0; i < ST_NREASONS; i++) {
        char labels[128];
        snprintf(labels, sizeof(labels), "%s,reason=\"%s\"", l, st_reason_names[i]);
        ut_metrics_sample(&t, labels, (double)r[i]);
    }
    gw_metric(&t, l, "blocks_found_total", "counter", "Shares that met the network target.",
              (double)st_stat_get(&s->blocks_found));
    gw_metric(&t, l, "blocks_accepted_total", "counter", "Blocks the node accepted.",
              (double)st_stat_get(&s->blocks_accepted));
    gw_metric(&t, l, "blocks_rejected_total", "counter", "Blocks the node rejected.",
              (double)st_stat_get(&s->blocks_rejected));
    gw_metric(&t, l, "blocks_skipped_total", "counter",
              "Block candidates not submitted (a stale or unknown job).",
              (double)st_stat_get(&s->blocks_skipped));
    gw_metric(&t, l, "jobs_total", "counter", "Jobs taken into the job store.",
              (double)st_stat_get(&s->st.jobs));
    gw_metric(&t, l, "bans_total", "counter", "Peer bans.", (double)st_stat_get(&s->bans));
    gw_metric(&t, l, "refused_total", "counter", "Connections refused at accept.",
              (double)st_stat_get(&s->refused));
    gw_metric(&t, l, "parse_errors_total", "counter", "Unparsable request lines.",
              (double)st_stat_get(&s->st.parse_errors));
    gw_metric(&t, l, "jobmaster_up", "gauge", "1 when the jobmaster link is up.",
              gw_jm_up(srv->jm) ? 1 : 0);
    gw_metric(&t, l, "agents_connected", "gauge", "Connected mineragents.",
              (double)gw_agent_count(srv->agents));
    if (srv->meta != NULL)
        gw_metric(&t, l, "meta_pending_batches", "gauge",
                  "Accounting batches not yet acknowledged.", (double)ut_meta_pending(srv->meta));
    return ut_metrics_end(&t);
}

static json_t *gw_http_status_cb(void *arg)
{
    return gw_http_status(arg);
}

static char *gw_http_metrics_cb(void *arg)
{
    return gw_http_metrics(arg);
}

ut_status *gw_http_start(gw_server *srv, const char *bind, const char *const *allow)
{
    return ut_status_start(srv->loop, bind, allow, gw_http_status_cb, gw_http_metrics_cb, srv);
}
