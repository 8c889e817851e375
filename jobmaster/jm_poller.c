/* jm_poller: the tip poll, the refresh timer and the single in-flight
 * getblocktemplate, all on the loop; the node calls run on jm_node. */
#include "jobmaster/jm_poller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_timer.h"
#include "utils/ut_log.h"

#define JM_ERR_LOG_EVERY 10.0   /* seconds between repeated node error lines */

struct jm_poller {
    struct ev_loop *loop;
    jm_node *node;
    nw_timer poll_timer;
    nw_timer refresh_timer;
    jm_template_cb cb;
    void *cb_arg;

    bool best_inflight;
    bool gbt_inflight;
    bool gbt_again;              /* a trigger arrived during the fetch */
    char gbt_reason[64];         /* why the in-flight / next fetch happens */
    char best[65];               /* node's tip as last polled */
    char last_prev[65];          /* prev block of the last template delivered */

    uint64_t templates;
    uint64_t errors;
    bool failing;                /* node calls currently failing */
    double last_err_log;
};

static void jm_poller_fetch(jm_poller *p, const char *reason);

/* Logs a node failure, but not more than once per JM_ERR_LOG_EVERY. */
static void jm_poller_node_error(jm_poller *p, const char *method, const char *err)
{
    double now = ev_now(p->loop);
    p->errors++;
    if (!p->failing || now - p->last_err_log >= JM_ERR_LOG_EVERY) {
        log_error("poller: %s failed: %s", method, err);
        p->last_err_log = now;
    }
    p->failing = true;
}

static void jm_poller_node_ok(jm_poller *p)
{
    if (p->failing)
        log_notice("poller: node answers again");
    p->failing = false;
}

static void jm_poller_on_gbt(json_t *result, const char *err, void *arg)
{
    jm_poller *p = arg;
    p->gbt_inflight = false;
    if (err) {
        jm_poller_node_error(p, "getblocktemplate", err);
    } else {
        char perr[256];
        jm_template *t = jm_template_parse(result, perr, sizeof(perr));
        jm_poller_node_ok(p);
        if (!t) {
            log_error("poller: bad template: %s", perr);
        } else {
            p->templates++;
            snprintf(p->last_prev, sizeof(p->last_prev), "%s", t->prev_hex);
            nw_timer_stop(&p->refresh_timer);
            nw_timer_start(&p->refresh_timer);
            p->cb(t, p->gbt_reason, p->cb_arg);
        }
    }
    if (p->gbt_again) {
        p->gbt_again = false;
        jm_poller_fetch(p, "queued trigger");
    }
}

static void jm_poller_fetch(jm_poller *p, const char *reason)
{
    if (p->gbt_inflight) {
        p->gbt_again = true;
        return;
    }
    json_t *params = json_pack("[{s:[s]}]", "rules", "segwit");
    snprintf(p->gbt_reason, sizeof(p->gbt_reason), "%s", reason);
    if (jm_node_call(p->node, "getblocktemplate", params, jm_poller_on_gbt, p) == 0)
        p->gbt_inflight = true;
}

static void jm_poller_on_best(json_t *result, const char *err, void *arg)
{
    jm_poller *p = arg;
    p->best_inflight = false;
    if (err) {
        jm_poller_node_error(p, "getbestblockhash", err);
        return;
    }
    const char *hash = json_string_value(result);
    if (!hash || strlen(hash) != 64) {
        log_error("poller: getbestblockhash: unexpected result");
        return;
    }
    jm_poller_node_ok(p);
    if (strcmp(hash, p->best) != 0)
        log_info("poller: node tip %s", hash);
    snprintf(p->best, sizeof(p->best), "%s", hash);
    if (strcmp(hash, p->last_prev) != 0 && !p->gbt_inflight)
        jm_poller_fetch(p, "new tip");
}

static void jm_poller_on_poll(nw_timer *t, void *privdata)
{
    jm_poller *p = privdata;
    if (p->best_inflight)
        return;
    if (jm_node_call(p->node, "getbestblockhash", NULL, jm_poller_on_best, p) == 0)
        p->best_inflight = true;
}

static void jm_poller_on_refresh(nw_timer *t, void *privdata)
{
    jm_poller_fetch(privdata, "refresh");
}

jm_poller *jm_poller_create(struct ev_loop *loop, jm_node *node, double poll_interval,
                            double refresh_interval, jm_template_cb cb, void *arg)
{
    jm_poller *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->loop = loop;
    p->node = node;
    p->cb = cb;
    p->cb_arg = arg;
    nw_timer_set(&p->poll_timer, loop, poll_interval, true, jm_poller_on_poll, p);
    nw_timer_set(&p->refresh_timer, loop, refresh_interval, true, jm_poller_on_refresh, p);
    nw_timer_stop(&p->poll_timer);     /* set arms them; jm_poller_start starts them */
    nw_timer_stop(&p->refresh_timer);
    return p;
}

void jm_poller_start(jm_poller *p)
{
    jm_poller_fetch(p, "start");
    nw_timer_start(&p->poll_timer);
    nw_timer_start(&p->refresh_timer);
}

void jm_poller_free(jm_poller *p)
{
    if (!p)
        return;
    nw_timer_stop(&p->poll_timer);
    nw_timer_stop(&p->refresh_timer);
    free(p);
}

void jm_poller_trigger(jm_poller *p, const char *reason)
{
    log_info("poller: template fetch triggered by %s", reason);
    jm_poller_fetch(p, reason);
}

const char *jm_poller_best(const jm_poller *p)
{
    return p->best;
}

uint64_t jm_poller_templates(const jm_poller *p)
{
    return p->templates;
}

uint64_t jm_poller_errors(const jm_poller *p)
{
    return p->errors;
}
