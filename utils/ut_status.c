/* ut_status: /status and /metrics over ut_http (see ut_status.h). */
#include "utils/ut_status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_http.h"
#include "utils/ut_log.h"
#include "utils/ut_version.h"

#define UT_STATUS_MAX_BODY (64 * 1024)   /* GET requests carry no body */

struct ut_status {
    ut_http_svr *svr;
    ut_status_json_fn status;
    ut_status_text_fn metrics;
    void *arg;
};

static void ut_status_metrics(const ut_status *s, ut_http_resp *resp)
{
    char *text = s->metrics(s->arg);

    if (!text) {
        ut_http_resp_text(resp, 500, "text/plain", "out of memory\n");
        return;
    }
    free(resp->body);
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4";
    resp->body = text;
    resp->body_len = strlen(text);
}

/* NULL from the callback means json_pack failed: out of memory, or a value
 * jansson refuses (NaN, an infinity), which is a bug in the module. */
static void ut_status_json(const ut_status *s, ut_http_resp *resp)
{
    json_t *body = s->status(s->arg);

    if (!body) {
        log_error("status: the /status body could not be built (a non-finite number or "
                  "out of memory), answered 500");
        ut_http_resp_text(resp, 500, "application/json",
                          "{\"error\":\"status unavailable, see the module's log\"}\n");
        return;
    }
    if (json_is_object(body) && !json_object_get(body, "version"))
        json_object_set_new(body, "version", json_string(HF_VERSION));
    ut_http_resp_json(resp, 200, body);
}

static void ut_status_handle(const ut_http_req *req, ut_http_resp *resp, void *udata)
{
    const ut_status *s = udata;

    if (strcmp(req->method, "GET") != 0)
        ut_http_resp_text(resp, 405, "text/plain", "method not allowed\n");
    else if (strcmp(req->path, "/status") == 0)
        ut_status_json(s, resp);
    else if (strcmp(req->path, "/metrics") == 0)
        ut_status_metrics(s, resp);
    else
        ut_http_resp_text(resp, 404, "text/plain", "not found\n");
}

ut_status *ut_status_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                           ut_status_json_fn status, ut_status_text_fn metrics, void *arg)
{
    ut_http_cfg cfg = {.bind = bind, .max_body = UT_STATUS_MAX_BODY, .allow = allow};
    ut_status *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->status = status;
    s->metrics = metrics;
    s->arg = arg;
    s->svr = ut_http_svr_create(loop, &cfg, ut_status_handle, s);
    if (!s->svr || ut_http_svr_start(s->svr) != 0) {
        int saved = errno;
        ut_status_free(s);
        errno = saved;
        return NULL;
    }
    return s;
}

int ut_status_port(const ut_status *s)
{
    return ut_http_svr_port(s->svr);
}

void ut_status_free(ut_status *s)
{
    if (!s)
        return;
    if (s->svr)
        ut_http_svr_free(s->svr);
    free(s);
}
