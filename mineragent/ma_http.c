/* ma_http: status pages of the mineragent (see ma_http.h). */
#include <time.h>
#include <unistd.h>
#include "mineragent/ma_farm.h"
#include "mineragent/ma_http.h"
#include "mineragent/ma_upstream.h"
#include "stratum/st_report.h"
#include "utils/ut_meta.h"
#include "utils/ut_metrics.h"
#include "utils/ut_status.h"

static json_t *ma_upstream_json(ma_agent *ag)
{
    const ma_upstream_stats *s = ma_upstream_stats_get(ag->up);
    uint64_t in, out;

    ma_upstream_bytes(ag->up, &in, &out);
    return json_pack("{s:s,s:b,s:s,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:I,s:I}",
                     "gateway", ma_upstream_gateway(ag->up), "up", ma_upstream_up(ag->up),
                     "extranonce1", ma_upstream_en1_hex(ag->up),
                     "links_up", (json_int_t)s->links_up, "failovers", (json_int_t)s->failovers,
                     "jobs", (json_int_t)s->jobs, "blocks",
                     "found", (json_int_t)s->blocks_found, "sent", (json_int_t)s->blocks_sent,
                     "accepted", (json_int_t)s->blocks_accepted,
                     "rejected", (json_int_t)s->blocks_rejected,
                     "skipped", (json_int_t)s->blocks_skipped, "lost", (json_int_t)s->blocks_lost,
                     "queued", (json_int_t)ma_upstream_queued(ag->up),
                     "bytes_out", (json_int_t)out, "bytes_in", (json_int_t)in);
}

json_t *ma_http_status(ma_agent *ag)
{
    json_t *farm = ag->farm ? st_stats_json(ma_farm_server(ag->farm)->stats) : json_null();

    return json_pack("{s:s,s:s,s:s,s:I,s:I,s:o,s:o,s:{s:I,s:I,s:I,s:I}}",
                     "module", "mineragent", "agent", ag->cfg->id, "host", ag->cfg->host,
                     "pid", (json_int_t)getpid(), "uptime", (json_int_t)(time(NULL) - ag->started),
                     "upstream", ma_upstream_json(ag), "farm", farm, "meta",
                     "pending_batches", (json_int_t)ut_meta_pending(ag->meta),
                     "spooled_bytes", (json_int_t)ut_meta_spooled_bytes(ag->meta),
                     "acked_batches", (json_int_t)ut_meta_acked(ag->meta),
                     "refused_shares", (json_int_t)ut_meta_refused(ag->meta));
}

char *ma_http_metrics(ma_agent *ag)
{
    const ma_upstream_stats *s = ma_upstream_stats_get(ag->up);
    ut_metrics m = { .prefix = "hf_mineragent_" };
    uint64_t in, out;

    ma_upstream_bytes(ag->up, &in, &out);
    ut_metrics_add(&m, "upstream_up", "gauge", "1 when a gateway link is up and said HELLO.",
                   NULL, ma_upstream_up(ag->up) ? 1 : 0);
    ut_metrics_add(&m, "upstream_failovers_total", "counter", "Switches to the next gateway.",
                   NULL, (double)s->failovers);
    ut_metrics_add(&m, "upstream_bytes_out_total", "counter",
                   "Bytes of frames sent upstream, heartbeats included.", NULL, (double)out);
    ut_metrics_add(&m, "upstream_bytes_in_total", "counter",
                   "Bytes of frames received from upstream, heartbeats included.", NULL,
                   (double)in);
    ut_metrics_add(&m, "blocks_found_total", "counter", "Block candidates found by miners.",
                   NULL, (double)s->blocks_found);
    ut_metrics_add(&m, "blocks_accepted_total", "counter", "Blocks the node accepted.", NULL,
                   (double)s->blocks_accepted);
    ut_metrics_add(&m, "blocks_lost_total", "counter", "Blocks never delivered.", NULL,
                   (double)s->blocks_lost);
    ut_metrics_add(&m, "meta_pending_batches", "gauge", "Accounting batches not yet "
                   "acknowledged.", NULL, (double)ut_meta_pending(ag->meta));
    if (ag->farm != NULL)
        st_stats_metrics(&m, ma_farm_server(ag->farm)->stats, NULL);
    return ut_metrics_end(&m);
}

static json_t *ma_http_status_cb(void *arg)
{
    return ma_http_status(arg);
}

static char *ma_http_metrics_cb(void *arg)
{
    return ma_http_metrics(arg);
}

ut_status *ma_http_start(ma_agent *ag, const char *bind, const char *const *allow)
{
    return ut_status_start(ag->loop, bind, allow, ma_http_status_cb, ma_http_metrics_cb, ag);
}
