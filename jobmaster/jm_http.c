/* jm_http: /status (JSON) and /metrics (Prometheus text) from the state
 * in struct jm_server. Runs on the loop thread; reads, never writes. */
#include "jobmaster/jm_http.h"

#include <stdio.h>
#include <time.h>
#include "jobmaster/jm_server.h"
#include "utils/ut_metrics.h"

static json_t *jm_http_job_json(const jm_job *job)
{
    if (!job)
        return json_pack("{s:n, s:n, s:n}", "height", "job_id", "prev_block");
    return json_pack("{s:I, s:s, s:s, s:I, s:f, s:I, s:b}", "height",
                     (json_int_t)job->tmpl->height, "job_id", job->id_hex, "prev_block",
                     job->tmpl->prev_hex, "tx_count", (json_int_t)job->tmpl->tx_count,
                     "network_diff", job->network_diff, "coinbase_value",
                     (json_int_t)job->tmpl->coinbase_value, "clean", job->clean);
}

/* Found blocks per node: every block goes to all of them (jm_submit). */
static json_t *jm_http_nodes_json(const jm_server *srv)
{
    json_t *a = json_array();
    for (size_t i = 0; srv->submit && i < jm_submit_node_count(srv->submit); i++) {
        const jm_submit_node_stats *n = jm_submit_node_stats_get(srv->submit, i);
        json_array_append_new(a, json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:f}", "node", n->label, "blocks_submitted",
            (json_int_t)n->submitted, "blocks_accepted", (json_int_t)n->accepted,
            "blocks_rejected", (json_int_t)n->rejected, "blocks_unreachable",
            (json_int_t)n->unreachable, "last_submit_seconds", n->last_seconds));
    }
    return a;
}

/* One labelled family per per-node count. */
static void jm_http_node_metrics(ut_metrics *m, const jm_server *srv)
{
    static const struct { const char *name, *type, *help; } fam[] = {
        {"node_blocks_submitted_total", "counter", "Found blocks handed to this node."},
        {"node_blocks_accepted_total", "counter", "Found blocks this node accepted."},
        {"node_blocks_rejected_total", "counter", "Found blocks this node did not accept."},
        {"node_blocks_unreachable_total", "counter", "Found blocks this node never answered."},
        {"node_submit_seconds", "gauge", "Last found block: submit -> this node's verdict."},
    };
    size_t n = srv->submit ? jm_submit_node_count(srv->submit) : 0;
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        ut_metrics_family(m, fam[f].name, fam[f].type, fam[f].help);
        for (size_t i = 0; i < n; i++) {
            const jm_submit_node_stats *st = jm_submit_node_stats_get(srv->submit, i);
            char esc[128], labels[160];
            snprintf(labels, sizeof(labels), "node=\"%s\"",
                     ut_metrics_escape(st->label, esc, sizeof(esc)));
            double v[] = {(double)st->submitted, (double)st->accepted, (double)st->rejected,
                          (double)st->unreachable, st->last_seconds};
            ut_metrics_sample(m, labels, v[f]);
        }
    }
}

json_t *jm_http_status_json(const jm_server *srv)
{
    const jm_stats *st = &srv->stats;
    json_t *o = jm_http_job_json(jm_server_current_job(srv));
    json_object_set_new(o, "node_tip", json_string(srv->poller ? jm_poller_best(srv->poller)
                                                               : ""));
    json_object_set_new(o, "gateways", jm_gateway_status(srv->gw));
    json_object_set_new(o, "jobs", json_integer((json_int_t)st->jobs));
    json_object_set_new(o, "jobs_kept", json_integer((json_int_t)jm_jobs_count(&srv->jobs)));
    json_object_set_new(o, "blocks_found", json_integer((json_int_t)st->blocks_found));
    json_object_set_new(o, "blocks_accepted", json_integer((json_int_t)st->blocks_accepted));
    json_object_set_new(o, "blocks_rejected", json_integer((json_int_t)st->blocks_rejected));
    json_object_set_new(o, "blocks_bad_pow", json_integer((json_int_t)st->blocks_bad_pow));
    json_object_set_new(o, "last_block", st->last_block ? json_incref(st->last_block)
                                                        : json_null());
    json_object_set_new(o, "uptime", json_integer((json_int_t)(time(NULL) - srv->started)));
    json_object_set_new(o, "empty", json_boolean(jm_server_current_job(srv) &&
                                                 jm_server_current_job(srv)->empty));
    json_object_set_new(o, "empty_jobs", json_pack(
        "{s:I, s:I, s:I, s:f, s:f, s:I}", "jobs", (json_int_t)st->empty_jobs, "tip_signals",
        (json_int_t)st->tip_signals, "replaced", (json_int_t)st->empty_replaced,
        "last_signal_to_job_ms", st->empty_signal_ms, "last_replaced_after_ms",
        st->empty_replaced_ms, "templates_dropped", (json_int_t)st->templates_dropped));
    json_object_set_new(o, "bitpeers", json_pack(
        "{s:I, s:I, s:I}", "configured",
        (json_int_t)(srv->bitpeer ? jm_bitpeer_count(srv->bitpeer) : 0), "up",
        (json_int_t)(srv->bitpeer ? jm_bitpeer_up(srv->bitpeer) : 0), "blocks_sent",
        (json_int_t)st->bitpeer_blocks));
    json_object_set_new(o, "nodes", jm_http_nodes_json(srv));
    json_object_set_new(o, "poolbench", json_pack(
        "{s:I, s:I, s:I, s:I}", "configured",
        (json_int_t)(srv->poolbench ? jm_poolbench_count(srv->poolbench) : 0), "up",
        (json_int_t)(srv->poolbench ? jm_poolbench_up(srv->poolbench) : 0), "tips",
        (json_int_t)(srv->poolbench ? jm_poolbench_tips(srv->poolbench) : 0), "bad",
        (json_int_t)(srv->poolbench ? jm_poolbench_bad(srv->poolbench) : 0)));
    json_object_set_new(o, "blockmasters", json_pack(
        "{s:I, s:I, s:I}", "configured",
        (json_int_t)(srv->bmaster ? jm_bmaster_count(srv->bmaster) : 0), "up",
        (json_int_t)(srv->bmaster ? jm_bmaster_up(srv->bmaster) : 0), "blocks_sent",
        (json_int_t)st->bmaster_blocks));
    return o;
}

static void jm_metric(ut_metrics *m, const char *name, const char *type, const char *help,
                      double value)
{
    ut_metrics_add(m, name, type, help, NULL, value);
}

char *jm_http_metrics_text(const jm_server *srv)
{
    const jm_stats *st = &srv->stats;
    const jm_job *job = jm_server_current_job(srv);
    ut_metrics t = {.prefix = "hf_jobmaster_"};
    jm_metric(&t, "height", "gauge", "Height of the current job.", job ? job->tmpl->height : 0);
    jm_metric(&t, "job_transactions", "gauge", "Transactions in the current job.",
              job ? (double)job->tmpl->tx_count : 0);
    jm_metric(&t, "network_difficulty", "gauge", "Network difficulty of the current job.",
              job ? job->network_diff : 0);
    jm_metric(&t, "jobs_total", "counter", "Jobs built.", (double)st->jobs);
    jm_metric(&t, "clean_jobs_total", "counter", "Clean jobs (new prev block).",
              (double)st->clean_jobs);
    jm_metric(&t, "gateways", "gauge", "Connected gateway links.",
              (double)jm_gateway_count(srv->gw));
    jm_metric(&t, "blocks_found_total", "counter", "Found blocks received for known jobs.",
              (double)st->blocks_found);
    jm_metric(&t, "blocks_accepted_total", "counter", "Blocks the node accepted.",
              (double)st->blocks_accepted);
    jm_metric(&t, "blocks_rejected_total", "counter", "Blocks rejected (node or checks).",
              (double)st->blocks_rejected);
    jm_metric(&t, "blocks_bad_pow_total", "counter", "Found blocks above the network target.",
              (double)st->blocks_bad_pow);
    jm_metric(&t, "blocks_unknown_job_total", "counter", "Found blocks for unknown jobs.",
              (double)st->blocks_unknown_job);
    jm_metric(&t, "templates_total", "counter", "Block templates fetched.",
              srv->poller ? (double)jm_poller_templates(srv->poller) : 0);
    jm_metric(&t, "node_errors_total", "counter", "Failed template/tip calls to the node.",
              srv->poller ? (double)jm_poller_errors(srv->poller) : 0);
    jm_metric(&t, "node_pending", "gauge", "Node calls queued or running.",
              srv->node ? (double)jm_node_pending(srv->node) : 0);
    jm_metric(&t, "blocknotify_total", "counter", "Blocknotify datagrams received.",
              srv->notify ? (double)jm_notify_count(srv->notify) : 0);
    jm_metric(&t, "tip_signals_total", "counter", "New-tip signals (bitpeer, blocknotify).",
              (double)st->tip_signals);
    jm_metric(&t, "empty_jobs_total", "counter", "Empty-block jobs sent on a new tip.",
              (double)st->empty_jobs);
    jm_metric(&t, "empty_job_signal_seconds", "gauge",
              "Last empty job: new-tip signal -> job pushed.", st->empty_signal_ms / 1e3);
    jm_metric(&t, "empty_job_signal_seconds_total", "counter",
              "Sum of new-tip signal -> empty job times.", st->empty_signal_ms_sum / 1e3);
    jm_metric(&t, "empty_jobs_replaced_total", "counter", "Empty jobs replaced by a full one.",
              (double)st->empty_replaced);
    jm_metric(&t, "empty_job_lifetime_seconds", "gauge",
              "Last empty job: pushed -> replaced by the full job.", st->empty_replaced_ms / 1e3);
    jm_metric(&t, "empty_job_lifetime_seconds_total", "counter", "Sum of empty job lifetimes.",
              st->empty_replaced_ms_sum / 1e3);
    jm_metric(&t, "bitpeer_blocks_total", "counter", "Found blocks handed to bitpeer links.",
              (double)st->bitpeer_blocks);
    jm_metric(&t, "poolbench_tips_total", "counter", "Other pools' tips told by poolbench.",
              srv->poolbench ? (double)jm_poolbench_tips(srv->poolbench) : 0);
    jm_http_node_metrics(&t, srv);
    jm_metric(&t, "blockmaster_blocks_total", "counter",
              "Found blocks sent thin to blockmaster links.", (double)st->bmaster_blocks);
    jm_metric(&t, "uptime_seconds", "gauge", "Seconds since start.",
              (double)(time(NULL) - srv->started));
    return ut_metrics_end(&t);
}

static json_t *jm_http_status(void *arg)
{
    return jm_http_status_json(arg);
}

static char *jm_http_metrics(void *arg)
{
    return jm_http_metrics_text(arg);
}

ut_status *jm_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         jm_server *srv)
{
    return ut_status_start(loop, bind, allow, jm_http_status, jm_http_metrics, srv);
}
