/* jm_submit: one state machine per found block, on jm_node's urgent lane
 * (never behind template polls, never refused for a full queue):
 *   submitblock --(transport error, attempts and time left)--> timer --> submitblock
 *               --(transport error, none left)--> verdict "node unreachable"
 *               --(answer, or the node's error object: final)--> getbestblockhash
 *               --> verdict callback
 * A call that cannot even be queued (out of memory) is not a try: the
 * timer tries again, within the deadline. */
#include "jobmaster/jm_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_timer.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"

typedef struct jm_sub {
    jm_submit *owner;
    char *hex;                      /* the block, hex */
    jm_found_verdict v;
    char result[256];               /* submitblock's string result, "" for null */
    bool result_null;
    int tries;
    double started;
    nw_timer retry;
    jm_submit_cb cb;
    void *arg;
    struct jm_sub *prev, *next;
} jm_sub;

struct jm_submit {
    struct ev_loop *loop;
    jm_node *node;
    int attempts;
    double retry_delay;
    double deadline;
    jm_sub *list;
    size_t count;
};

void jm_submit_judge(const char *result, bool is_tip, jm_found_verdict *v)
{
    v->is_tip = is_tip;
    if (!result || !result[0]) {
        v->accepted = true;
        v->reason[0] = '\0';
        return;
    }
    snprintf(v->reason, sizeof(v->reason), "%s", result);
    /* bcoin says "rejected: duplicate": the block reached it first another
     * way (bitpeer's P2P push races submitblock) */
    bool benign = strcmp(result, "duplicate") == 0 || strcmp(result, "inconclusive") == 0 ||
                  strcmp(result, "rejected: duplicate") == 0;
    v->accepted = benign && is_tip;
}

static void jm_sub_finish(jm_sub *sub)
{
    jm_submit *s = sub->owner;
    nw_timer_stop(&sub->retry);
    if (sub->prev)
        sub->prev->next = sub->next;
    else
        s->list = sub->next;
    if (sub->next)
        sub->next->prev = sub->prev;
    s->count--;
    sub->cb(&sub->v, sub->arg);
    free(sub->hex);
    free(sub);
}

static void jm_sub_on_best(json_t *result, int rc, const char *err, void *arg)
{
    jm_sub *sub = arg;
    const char *best = err ? NULL : json_string_value(result);
    bool is_tip = best && strcmp(best, sub->v.hash) == 0;
    if (err)
        log_warn("submit: hash=%s getbestblockhash failed: %s", sub->v.hash, err);
    else if (!is_tip)
        log_warn("submit: hash=%s node tip is %s", sub->v.hash, best ? best : "?");
    jm_submit_judge(sub->result_null ? NULL : sub->result, is_tip, &sub->v);
    jm_sub_finish(sub);
}

static void jm_sub_check_tip(jm_sub *sub)
{
    if (jm_node_call_urgent(sub->owner->node, "getbestblockhash", NULL, jm_sub_on_best,
                            sub) < 0)
        jm_sub_on_best(NULL, UT_NODE_ERR_TRANSPORT, "out of memory", sub);
}

static void jm_sub_send(jm_sub *sub);

static void jm_sub_on_retry(nw_timer *t, void *privdata)
{
    jm_sub_send(privdata);
}

static bool jm_sub_time_left(const jm_sub *sub)
{
    jm_submit *s = sub->owner;
    return ev_now(s->loop) - sub->started + s->retry_delay <= s->deadline;
}

/* The node was not reached: try again later, or give up with the last error. */
static void jm_sub_failed(jm_sub *sub, const char *err)
{
    jm_submit *s = sub->owner;
    if (sub->tries < s->attempts && jm_sub_time_left(sub)) {
        log_warn("submit: hash=%s try %d failed: %s; retrying in %.3gs", sub->v.hash,
                 sub->tries, err, s->retry_delay);
        nw_timer_start(&sub->retry);
        return;
    }
    log_error("submit: hash=%s giving up after %d tries: %s", sub->v.hash, sub->tries, err);
    sub->v.accepted = false;
    snprintf(sub->v.reason, sizeof(sub->v.reason), "node unreachable: %s", err);
    jm_sub_finish(sub);
}

/* The node's error object ("-22: Block decode failed"): its final word,
 * the same block would get the same answer. No retry; the tip check still
 * runs so the verdict says where the node stands. */
static void jm_sub_node_error(jm_sub *sub, const char *err)
{
    log_error("submit: hash=%s node error, not retried: %s", sub->v.hash, err);
    sub->result_null = false;
    snprintf(sub->result, sizeof(sub->result), "%s", err);
    jm_sub_check_tip(sub);
}

static void jm_sub_on_submit(json_t *result, int rc, const char *err, void *arg)
{
    jm_sub *sub = arg;
    if (rc == UT_NODE_ERR_NODE) {
        jm_sub_node_error(sub, err);
        return;
    }
    if (rc != 0) {
        jm_sub_failed(sub, err);
        return;
    }
    sub->result_null = json_is_null(result);
    const char *str = json_string_value(result);
    if (!sub->result_null && !str)
        str = "unexpected submitblock result";
    snprintf(sub->result, sizeof(sub->result), "%s", str ? str : "");
    log_info("submit: hash=%s node said %s", sub->v.hash, sub->result_null ? "null" : str);
    jm_sub_check_tip(sub);
}

/* Could not queue the call at all (out of memory): wait and try again,
 * without spending an attempt, until the deadline. */
static void jm_sub_not_queued(jm_sub *sub)
{
    if (jm_sub_time_left(sub)) {
        log_error("submit: hash=%s cannot queue submitblock (out of memory); retrying in "
                  "%.3gs", sub->v.hash, sub->owner->retry_delay);
        nw_timer_start(&sub->retry);
        return;
    }
    log_error("submit: hash=%s giving up: out of memory", sub->v.hash);
    sub->v.accepted = false;
    snprintf(sub->v.reason, sizeof(sub->v.reason), "jobmaster out of memory");
    jm_sub_finish(sub);
}

static void jm_sub_send(jm_sub *sub)
{
    json_t *params = json_pack("[s]", sub->hex);
    if (!params || jm_node_call_urgent(sub->owner->node, "submitblock", params,
                                       jm_sub_on_submit, sub) < 0) {
        jm_sub_not_queued(sub);
        return;
    }
    sub->tries++;
}

jm_submit *jm_submit_create(struct ev_loop *loop, jm_node *node, int attempts,
                            double retry_delay, double deadline)
{
    jm_submit *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->loop = loop;
    s->node = node;
    s->attempts = attempts > 0 ? attempts : 1;
    s->retry_delay = retry_delay;
    s->deadline = deadline;
    return s;
}

void jm_submit_free(jm_submit *s)
{
    if (!s)
        return;
    while (s->list) {
        jm_sub *sub = s->list;
        log_error("submit: hash=%s not confirmed: jobmaster shutting down", sub->v.hash);
        sub->v.accepted = false;
        snprintf(sub->v.reason, sizeof(sub->v.reason), "jobmaster shutting down");
        jm_sub_finish(sub);
    }
    free(s);
}

int jm_submit_block(jm_submit *s, const char *hash_hex, uint32_t height, const uint8_t *raw,
                    size_t len, jm_submit_cb cb, void *arg)
{
    jm_sub *sub = calloc(1, sizeof(*sub));
    if (!sub)
        return -1;
    sub->hex = malloc(2 * len + 1);
    if (!sub->hex) {
        free(sub);
        return -1;
    }
    ut_hex_encode(raw, len, sub->hex);
    sub->owner = s;
    snprintf(sub->v.hash, sizeof(sub->v.hash), "%s", hash_hex);
    sub->v.height = height;
    sub->started = ev_now(s->loop);
    sub->cb = cb;
    sub->arg = arg;
    nw_timer_set(&sub->retry, s->loop, s->retry_delay, false, jm_sub_on_retry, sub);
    nw_timer_stop(&sub->retry);       /* set arms it; armed only after a failure */
    sub->next = s->list;
    if (s->list)
        s->list->prev = sub;
    s->list = sub;
    s->count++;
    jm_sub_send(sub);
    return 0;
}

size_t jm_submit_inflight(const jm_submit *s)
{
    return s->count;
}
