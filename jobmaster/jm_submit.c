/* jm_submit: one state machine per found block:
 *   submitblock --(transport/node error, attempts left)--> timer --> submitblock
 *               --(answer)--> getbestblockhash --> verdict callback */
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
    bool benign = strcmp(result, "duplicate") == 0 || strcmp(result, "inconclusive") == 0;
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

static void jm_sub_on_best(json_t *result, const char *err, void *arg)
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
    if (jm_node_call(sub->owner->node, "getbestblockhash", NULL, jm_sub_on_best, sub) < 0)
        jm_sub_on_best(NULL, "node queue full", sub);
}

static void jm_sub_send(jm_sub *sub);

static void jm_sub_on_retry(nw_timer *t, void *privdata)
{
    jm_sub_send(privdata);
}

/* A failed call: try again later, or give up with the last error. */
static void jm_sub_failed(jm_sub *sub, const char *err)
{
    jm_submit *s = sub->owner;
    double elapsed = ev_now(s->loop) - sub->started;
    if (sub->tries < s->attempts && elapsed + s->retry_delay <= s->deadline) {
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

static void jm_sub_on_submit(json_t *result, const char *err, void *arg)
{
    jm_sub *sub = arg;
    if (err) {
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

static void jm_sub_send(jm_sub *sub)
{
    json_t *params = json_pack("[s]", sub->hex);
    sub->tries++;
    if (!params || jm_node_call(sub->owner->node, "submitblock", params, jm_sub_on_submit,
                                sub) < 0)
        jm_sub_failed(sub, "node queue full");
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
