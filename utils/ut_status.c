/* ut_status: /status and /metrics over ut_http (see ut_status.h). */
#include "utils/ut_status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "utils/ut_alert.h"
#include "utils/ut_http.h"
#include "utils/ut_log.h"
#include "utils/ut_metrics.h"
#include "utils/ut_version.h"

#define UT_STATUS_MAX_BODY (64 * 1024)   /* GET requests carry no body */

struct ut_status {
    ut_http_svr *svr;
    ut_status_json_fn status;
    ut_status_text_fn metrics;
    void *arg;
    char module[64];           /* metric-name safe: [a-z0-9_] */
    ut_http_handler other;     /* every other request, or NULL: 404/405 */
    void *other_arg;
    time_t started;
};

/* This process's alert sender (utils/ut_alert.h): what a dead alertcenter
 * costs is these counters. */
static void ut_status_alert_metrics(const ut_status *s, ut_metrics *m)
{
    ut_alert_stats a;
    char name[128];

    ut_alert_stats_get(&a);
    snprintf(name, sizeof(name), "hf_%s_alerts_total", s->module);
    ut_metrics_family(m, name, "counter",
                      "ERROR/FATAL log lines for alertcenter, by what became of them.");
    ut_metrics_sample(m, "result=\"sent\"", (double)a.sent);
    ut_metrics_sample(m, "result=\"limited\"", (double)a.limited);
    ut_metrics_sample(m, "result=\"failed\"", (double)a.failed);
}

/* The /metrics families every module has: the build, the uptime and the
 * alert counters. A module that declares one of the first two keeps its own. */
static char *ut_status_common(const ut_status *s, const char *text)
{
    ut_metrics m = {.prefix = NULL};
    char name[128], type[160], labels[160];

    snprintf(name, sizeof(name), "hf_%s_uptime_seconds", s->module);
    snprintf(type, sizeof(type), "# TYPE %s ", name);
    if (!strstr(text, "# TYPE hf_build_info ")) {
        snprintf(labels, sizeof(labels), "module=\"%s\",version=\"%s\"", s->module,
                 HF_VERSION);
        ut_metrics_add(&m, "hf_build_info", "gauge",
                       "Always 1; the labels name the module and its version.", labels, 1);
    }
    if (!strstr(text, type))
        ut_metrics_add(&m, name, "gauge", "Seconds since the process started.", NULL,
                       (double)(time(NULL) - s->started));
    ut_status_alert_metrics(s, &m);
    return ut_metrics_end(&m);
}

static void ut_status_metrics(const ut_status *s, ut_http_resp *resp)
{
    char *text = s->metrics ? s->metrics(s->arg) : strdup("");
    char *common = text ? ut_status_common(s, text) : NULL;
    size_t tl = text ? strlen(text) : 0, cl = common ? strlen(common) : 0;
    char *all = common ? realloc(text, tl + cl + 1) : NULL;

    if (!all) {
        free(text);
        free(common);
        ut_http_resp_text(resp, 500, "text/plain", "out of memory\n");
        return;
    }
    memcpy(all + tl, common, cl + 1);
    free(common);
    text = all;
    free(resp->body);
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4";
    resp->body = text;
    resp->body_len = strlen(text);
}

/* The fields every /status has: module, version, pid, uptime (seconds,
 * a number). A module's own value of one of them is kept. */
static void ut_status_identity(const ut_status *s, json_t *body)
{
    if (!json_is_object(body))
        return;
    if (!json_object_get(body, "module"))
        json_object_set_new(body, "module", json_string(s->module));
    if (!json_object_get(body, "version"))
        json_object_set_new(body, "version", json_string(HF_VERSION));
    if (!json_object_get(body, "pid"))
        json_object_set_new(body, "pid", json_integer((json_int_t)getpid()));
    if (!json_object_get(body, "uptime"))
        json_object_set_new(body, "uptime", json_integer((json_int_t)(time(NULL) - s->started)));
    if (!json_object_get(body, "alerts")) {
        ut_alert_stats a;
        ut_alert_stats_get(&a);
        json_object_set_new(body, "alerts", json_pack("{s:I,s:I,s:I}", "sent",
                                                      (json_int_t)a.sent, "limited",
                                                      (json_int_t)a.limited, "failed",
                                                      (json_int_t)a.failed));
    }
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
    ut_status_identity(s, body);
    ut_http_resp_json(resp, 200, body);
}

static void ut_status_handle(const ut_http_req *req, ut_http_resp *resp, void *udata)
{
    const ut_status *s = udata;

    bool own = strcmp(req->path, "/status") == 0 || strcmp(req->path, "/metrics") == 0;

    if (!own && s->other)
        s->other(req, resp, s->other_arg);
    else if (strcmp(req->method, "GET") != 0)
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
    s->started = time(NULL);
    ut_status_set_module(s, program_invocation_short_name);
    s->svr = ut_http_svr_create(loop, &cfg, ut_status_handle, s);
    if (!s->svr || ut_http_svr_start(s->svr) != 0) {
        int saved = errno;
        ut_status_free(s);
        errno = saved;
        return NULL;
    }
    return s;
}

void ut_status_set_module(ut_status *s, const char *module)
{
    size_t i = 0;

    for (const char *p = module ? module : ""; *p && i + 1 < sizeof(s->module); p++, i++) {
        char c = *p;
        s->module[i] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c
                       : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : '_';
    }
    s->module[i] = '\0';
    if (i == 0)
        snprintf(s->module, sizeof(s->module), "unknown");
}

void ut_status_set_other(ut_status *s, ut_http_handler handler, void *arg)
{
    s->other = handler;
    s->other_arg = arg;
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
