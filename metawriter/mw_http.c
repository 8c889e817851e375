/* mw_http: /status and /metrics of metawriter, read from the server's
 * counters on the loop thread. */
#include "metawriter/mw_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_http.h"
#include "utils/ut_log.h"

struct mw_http {
    ut_http_svr *svr;
    mw_server *srv;
    mw_redis *redis;
    mw_retention *ret;
};

static json_t *mw_http_status(const mw_http *h)
{
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

static char *mw_http_metrics(const mw_http *h)
{
    mw_server_stats st;
    mw_server_get_stats(h->srv, &st);
    char *out = NULL;
    int n = asprintf(&out,
                     "metawriter_redis_ready %d\n"
                     "metawriter_requests_total %llu\n"
                     "metawriter_batches_applied_total %llu\n"
                     "metawriter_batches_duplicate_total %llu\n"
                     "metawriter_records_total %llu\n"
                     "metawriter_redis_writes_total %llu\n"
                     "metawriter_redis_write_errors_total %llu\n"
                     "metawriter_apply_failures_total %llu\n"
                     "metawriter_refused_busy_total %llu\n"
                     "metawriter_refused_bad_total %llu\n"
                     "metawriter_pending_batches %zu\n"
                     "metawriter_pending_bytes %zu\n",
                     mw_redis_ready(h->redis) ? 1 : 0, (unsigned long long)st.received,
                     (unsigned long long)st.applied, (unsigned long long)st.duplicates,
                     (unsigned long long)st.records, (unsigned long long)st.writes,
                     (unsigned long long)st.write_errors, (unsigned long long)st.failures,
                     (unsigned long long)st.refused_busy, (unsigned long long)st.refused_bad,
                     st.pending, st.pending_bytes);
    return n < 0 ? NULL : out;
}

static void mw_http_handle(const ut_http_req *req, ut_http_resp *resp, void *udata)
{
    mw_http *h = udata;
    if (strcmp(req->path, "/metrics") == 0) {
        char *text = mw_http_metrics(h);
        ut_http_resp_text(resp, text ? 200 : 500, "text/plain; version=0.0.4",
                          text ? text : "out of memory\n");
        free(text);
    } else if (strcmp(req->path, "/status") == 0) {
        ut_http_resp_json(resp, 200, mw_http_status(h));
    } else {
        ut_http_resp_text(resp, 404, "text/plain", "not found\n");
    }
}

mw_http *mw_http_create(struct ev_loop *loop, const char *bind, mw_server *srv,
                        mw_redis *redis, mw_retention *ret)
{
    mw_http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    *h = (mw_http){.srv = srv, .redis = redis, .ret = ret};
    ut_http_cfg cfg = {.bind = bind};
    h->svr = ut_http_svr_create(loop, &cfg, mw_http_handle, h);
    if (!h->svr || ut_http_svr_start(h->svr) != 0) {
        log_error("metawriter: cannot serve HTTP on %s", bind);
        mw_http_free(h);
        return NULL;
    }
    return h;
}

void mw_http_free(mw_http *h)
{
    if (!h)
        return;
    if (h->svr)
        ut_http_svr_free(h->svr);
    free(h);
}
