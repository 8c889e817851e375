/* mw_http: /status and /metrics of metawriter, read from the server's
 * counters on the loop thread. */
#include "metawriter/mw_http.h"

#include <stdlib.h>

#include "utils/ut_log.h"
#include "utils/ut_metrics.h"
#include "utils/ut_status.h"

struct mw_http {
    ut_status *status;
    mw_server *srv;
    mw_redis *redis;
    mw_retention *ret;
};

static json_t *mw_http_status(void *arg)
{
    const mw_http *h = arg;
    mw_server_stats st;
    mw_server_get_stats(h->srv, &st);
    return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                     "redis_ready", mw_redis_ready(h->redis), "received",
                     (json_int_t)st.received, "applied", (json_int_t)st.applied, "duplicates",
                     (json_int_t)st.duplicates, "records", (json_int_t)st.records, "writes",
                     (json_int_t)st.writes, "write_errors", (json_int_t)st.write_errors,
                     "failures", (json_int_t)st.failures, "refused_busy",
                     (json_int_t)st.refused_busy, "refused_bad", (json_int_t)st.refused_bad,
                     "pending", (json_int_t)st.pending, "pending_bytes",
                     (json_int_t)st.pending_bytes, "retention_deleted",
                     (json_int_t)(h->ret ? mw_retention_deleted(h->ret) : 0));
}

static char *mw_http_metrics(void *arg)
{
    const mw_http *h = arg;
    mw_server_stats st;
    ut_metrics m = {.prefix = "hf_metawriter_"};
    mw_server_get_stats(h->srv, &st);
    ut_metrics_add(&m, "redis_ready", "gauge", "1 when the Redis link is up.", NULL, mw_redis_ready(h->redis) ? 1 : 0);
    ut_metrics_add(&m, "requests_total", "counter", "Batches received.", NULL, (double)st.received);
    ut_metrics_add(&m, "batches_applied_total", "counter", "Batches written to Redis.", NULL, (double)st.applied);
    ut_metrics_add(&m, "batches_duplicate_total", "counter",
                   "Batches already applied (acknowledged, not written again).", NULL,
                   (double)st.duplicates);
    ut_metrics_add(&m, "records_total", "counter", "Records of applied batches.", NULL, (double)st.records);
    ut_metrics_add(&m, "redis_writes_total", "counter", "Redis writes sent.", NULL, (double)st.writes);
    ut_metrics_add(&m, "redis_write_errors_total", "counter", "Redis writes that failed.", NULL,
                   (double)st.write_errors);
    ut_metrics_add(&m, "apply_failures_total", "counter", "Batches whose apply failed.", NULL, (double)st.failures);
    ut_metrics_add(&m, "refused_busy_total", "counter", "Batches refused: too much pending.", NULL, (double)st.refused_busy);
    ut_metrics_add(&m, "refused_bad_total", "counter", "Batches refused as malformed.", NULL, (double)st.refused_bad);
    ut_metrics_add(&m, "pending_batches", "gauge", "Batches waiting for Redis.", NULL, (double)st.pending);
    ut_metrics_add(&m, "pending_bytes", "gauge", "Bytes of batches waiting for Redis.", NULL, (double)st.pending_bytes);
    return ut_metrics_end(&m);
}

mw_http *mw_http_create(struct ev_loop *loop, const char *bind, const char *const *allow,
                        mw_server *srv,
                        mw_redis *redis, mw_retention *ret)
{
    mw_http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    *h = (mw_http){.srv = srv, .redis = redis, .ret = ret};
    h->status = ut_status_start(loop, bind, allow, mw_http_status, mw_http_metrics, h);
    if (!h->status) {
        log_error("metawriter: cannot serve HTTP on %s", bind);
        free(h);
        return NULL;
    }
    return h;
}

void mw_http_free(mw_http *h)
{
    if (!h)
        return;
    ut_status_free(h->status);
    free(h);
}
