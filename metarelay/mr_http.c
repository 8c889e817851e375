/* mr_http: /status and /metrics of metarelay, read from the relay's
 * counters on the loop thread. */
#include "metarelay/mr_http.h"

#include "utils/ut_log.h"
#include "utils/ut_metrics.h"

static json_t *mr_http_status(void *arg)
{
    mr_relay_stats st;
    mr_relay_get_stats(arg, &st);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "received",
                     (json_int_t)st.received, "joined", (json_int_t)st.joined, "forwarded",
                     (json_int_t)st.forwarded, "acked", (json_int_t)st.acked, "retries",
                     (json_int_t)st.retries, "refused_busy", (json_int_t)st.refused_busy,
                     "refused_bad", (json_int_t)st.refused_bad, "held", (json_int_t)st.held,
                     "mem_bytes", (json_int_t)st.mem_bytes, "spool_bytes",
                     (json_int_t)st.spool_bytes);
}

static char *mr_http_metrics(void *arg)
{
    mr_relay_stats st;
    ut_metrics m = {.prefix = "hf_metarelay_"};
    mr_relay_get_stats(arg, &st);
    ut_metrics_add(&m, "requests_total", "counter", "Batches received.", NULL, (double)st.received);
    ut_metrics_add(&m, "joined_total", "counter", "Batches joined into larger ones.", NULL, (double)st.joined);
    ut_metrics_add(&m, "forwarded_total", "counter", "Batches forwarded upstream.", NULL, (double)st.forwarded);
    ut_metrics_add(&m, "acked_total", "counter", "Batches acknowledged upstream.", NULL, (double)st.acked);
    ut_metrics_add(&m, "retries_total", "counter", "Batch sends retried.", NULL, (double)st.retries);
    ut_metrics_add(&m, "refused_busy_total", "counter", "Batches refused: too much held.", NULL, (double)st.refused_busy);
    ut_metrics_add(&m, "refused_bad_total", "counter", "Batches refused as malformed.", NULL, (double)st.refused_bad);
    ut_metrics_add(&m, "held_batches", "gauge", "Batches held, not yet acknowledged.", NULL, (double)st.held);
    ut_metrics_add(&m, "mem_bytes", "gauge", "Bytes of batches held in memory.", NULL, (double)st.mem_bytes);
    ut_metrics_add(&m, "spool_bytes", "gauge", "Bytes of batches in the spool.", NULL, (double)st.spool_bytes);
    return ut_metrics_end(&m);
}

ut_status *mr_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         mr_relay *relay)
{
    ut_status *s = ut_status_start(loop, bind, allow, mr_http_status, mr_http_metrics, relay);
    if (!s)
        log_error("metarelay: cannot serve HTTP on %s", bind);
    return s;
}
