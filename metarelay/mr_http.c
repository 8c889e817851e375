/* mr_http: /status and /metrics of metarelay, read from the relay's
 * counters on the loop thread. */
#include "metarelay/mr_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_http.h"
#include "utils/ut_log.h"

struct mr_http {
    ut_http_svr *svr;
    mr_relay *relay;
};

static json_t *mr_http_status(const mr_http *h)
{
    mr_relay_stats st;
    mr_relay_get_stats(h->relay, &st);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "received",
                     (json_int_t)st.received, "joined", (json_int_t)st.joined, "forwarded",
                     (json_int_t)st.forwarded, "acked", (json_int_t)st.acked, "retries",
                     (json_int_t)st.retries, "refused_busy", (json_int_t)st.refused_busy,
                     "refused_bad", (json_int_t)st.refused_bad, "held", (json_int_t)st.held,
                     "mem_bytes", (json_int_t)st.mem_bytes, "spool_bytes",
                     (json_int_t)st.spool_bytes);
}

static char *mr_http_metrics(const mr_http *h)
{
    mr_relay_stats st;
    mr_relay_get_stats(h->relay, &st);
    char *out = NULL;
    int n = asprintf(&out,
                     "metarelay_requests_total %llu\n"
                     "metarelay_joined_total %llu\n"
                     "metarelay_forwarded_total %llu\n"
                     "metarelay_acked_total %llu\n"
                     "metarelay_retries_total %llu\n"
                     "metarelay_refused_busy_total %llu\n"
                     "metarelay_refused_bad_total %llu\n"
                     "metarelay_held_batches %zu\n"
                     "metarelay_mem_bytes %zu\n"
                     "metarelay_spool_bytes %llu\n",
                     (unsigned long long)st.received, (unsigned long long)st.joined,
                     (unsigned long long)st.forwarded, (unsigned long long)st.acked,
                     (unsigned long long)st.retries, (unsigned long long)st.refused_busy,
                     (unsigned long long)st.refused_bad, st.held, st.mem_bytes,
                     (unsigned long long)st.spool_bytes);
    return n < 0 ? NULL : out;
}

static void mr_http_handle(const ut_http_req *req, ut_http_resp *resp, void *udata)
{
    mr_http *h = udata;
    if (strcmp(req->path, "/metrics") == 0) {
        char *text = mr_http_metrics(h);
        ut_http_resp_text(resp, text ? 200 : 500, "text/plain; version=0.0.4",
                          text ? text : "out of memory\n");
        free(text);
    } else if (strcmp(req->path, "/status") == 0) {
        ut_http_resp_json(resp, 200, mr_http_status(h));
    } else {
        ut_http_resp_text(resp, 404, "text/plain", "not found\n");
    }
}

mr_http *mr_http_create(struct ev_loop *loop, const char *bind, mr_relay *relay)
{
    mr_http *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->relay = relay;
    ut_http_cfg cfg = {.bind = bind};
    h->svr = ut_http_svr_create(loop, &cfg, mr_http_handle, h);
    if (!h->svr || ut_http_svr_start(h->svr) != 0) {
        log_error("metarelay: cannot serve HTTP on %s", bind);
        mr_http_free(h);
        return NULL;
    }
    return h;
}

void mr_http_free(mr_http *h)
{
    if (!h)
        return;
    if (h->svr)
        ut_http_svr_free(h->svr);
    free(h);
}
