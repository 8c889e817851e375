/* jm_submit: per found block, one state machine per node (all started at
 * once), each on its node's urgent lane:
 *   submitblock --(transport error, attempts and time left)--> timer --> submitblock
 *               --(transport error, none left)--> "node unreachable"
 *               --(answer, or the node's error object: final)--> getbestblockhash
 *               --> this node's verdict
 * A call that cannot even be queued (out of memory) is not a try: the
 * timer tries again, within the deadline. The block's callback runs at the
 * first node verdict that accepts, else after the last node's verdict. */
#include "jobmaster/jm_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "network/nw_timer.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"

typedef struct jm_sub jm_sub;

/* One node's part in one block's submission. */
typedef struct jm_sub_try {
    jm_sub *blk;
    size_t idx;                     /* into jm_submit.nodes */
    jm_found_verdict v;
    char result[256];               /* submitblock's string result, "" for null */
    bool result_null;
    bool done;
    int tries;
    nw_timer retry;
} jm_sub_try;

struct jm_sub {
    jm_submit *owner;
    char *hex;                      /* the block, hex */
    jm_found_verdict v;             /* hash, height; the verdict given */
    double started;
    bool answered;                  /* cb has run */
    size_t busy;                    /* nodes not done yet */
    size_t n;
    jm_sub_try tries[JM_SUBMIT_MAX_NODES];
    jm_submit_cb cb;
    void *arg;
    struct jm_sub *prev, *next;
};

struct jm_submit {
    struct ev_loop *loop;
    jm_node *nodes[JM_SUBMIT_MAX_NODES];
    jm_submit_node_stats stats[JM_SUBMIT_MAX_NODES];
    size_t n;
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
     * way (bitpeer's P2P push, or another node of ours relaying it) */
    bool benign = strcmp(result, "duplicate") == 0 || strcmp(result, "inconclusive") == 0 ||
                  strcmp(result, "rejected: duplicate") == 0;
    v->accepted = benign && is_tip;
}

static const char *jm_sub_label(const jm_sub_try *t)
{
    return t->blk->owner->stats[t->idx].label;
}

static void jm_sub_unlink_free(jm_sub *sub)
{
    jm_submit *s = sub->owner;
    if (sub->prev)
        sub->prev->next = sub->next;
    else
        s->list = sub->next;
    if (sub->next)
        sub->next->prev = sub->prev;
    s->count--;
    free(sub->hex);
    free(sub);
}

/* No node accepted: one verdict from all of them. With one node its
 * reason as it is; with more, "label: reason; label: reason". */
static void jm_sub_merge(jm_sub *sub)
{
    size_t off = 0;
    sub->v.accepted = false;
    sub->v.reason[0] = '\0';
    for (size_t i = 0; i < sub->n; i++) {
        const jm_sub_try *t = &sub->tries[i];
        sub->v.is_tip |= t->v.is_tip;
        if (sub->n == 1) {
            snprintf(sub->v.reason, sizeof(sub->v.reason), "%s", t->v.reason);
            break;
        }
        if (off < sizeof(sub->v.reason))
            off += (size_t)snprintf(sub->v.reason + off, sizeof(sub->v.reason) - off,
                                    "%s%s: %s", i ? "; " : "", jm_sub_label(t), t->v.reason);
    }
}

/* One node has its verdict: count it, maybe answer, maybe finish. */
static void jm_sub_try_done(jm_sub_try *t, bool unreachable)
{
    jm_sub *sub = t->blk;
    jm_submit_node_stats *st = &sub->owner->stats[t->idx];
    nw_timer_stop(&t->retry);
    t->done = true;
    st->last_seconds = ev_now(sub->owner->loop) - sub->started;
    if (t->v.accepted)
        st->accepted++;
    else if (unreachable)
        st->unreachable++;
    else
        st->rejected++;
    log_notice("submit: hash=%s height=%u node=%s accepted=%s tip=%s after=%.3fs reason=%s",
               sub->v.hash, sub->v.height, st->label, t->v.accepted ? "true" : "false",
               t->v.is_tip ? "true" : "false", st->last_seconds,
               t->v.reason[0] ? t->v.reason : "-");
    sub->busy--;
    if (t->v.accepted && !sub->answered) {
        sub->answered = true;
        sub->v.accepted = true;
        sub->v.is_tip = t->v.is_tip;
        snprintf(sub->v.reason, sizeof(sub->v.reason), "%s", t->v.reason);
        sub->cb(&sub->v, sub->arg);
    }
    if (sub->busy > 0)
        return;
    if (!sub->answered) {
        sub->answered = true;
        jm_sub_merge(sub);
        sub->cb(&sub->v, sub->arg);
    }
    jm_sub_unlink_free(sub);
}

static void jm_sub_on_best(json_t *result, int rc, const char *err, void *arg)
{
    jm_sub_try *t = arg;
    const char *hash = t->blk->v.hash;
    const char *best = err ? NULL : json_string_value(result);
    bool is_tip = best && strcmp(best, hash) == 0;
    if (err)
        log_warn("submit: hash=%s node=%s getbestblockhash failed: %s", hash, jm_sub_label(t),
                 err);
    else if (!is_tip)
        log_warn("submit: hash=%s node=%s node tip is %s", hash, jm_sub_label(t),
                 best ? best : "?");
    jm_submit_judge(t->result_null ? NULL : t->result, is_tip, &t->v);
    jm_sub_try_done(t, false);
}

static void jm_sub_check_tip(jm_sub_try *t)
{
    jm_submit *s = t->blk->owner;
    if (jm_node_call_urgent(s->nodes[t->idx], "getbestblockhash", NULL, jm_sub_on_best, t) < 0)
        jm_sub_on_best(NULL, UT_NODE_ERR_TRANSPORT, "out of memory", t);
}

static void jm_sub_send(jm_sub_try *t);

static void jm_sub_on_retry(nw_timer *timer, void *privdata)
{
    jm_sub_send(privdata);
}

static bool jm_sub_time_left(const jm_sub *sub)
{
    jm_submit *s = sub->owner;
    return ev_now(s->loop) - sub->started + s->retry_delay <= s->deadline;
}

/* The node was not reached: try again later, or give up with the last error. */
static void jm_sub_failed(jm_sub_try *t, const char *err)
{
    jm_submit *s = t->blk->owner;
    if (t->tries < s->attempts && jm_sub_time_left(t->blk)) {
        log_warn("submit: hash=%s node=%s try %d failed: %s; retrying in %.3gs",
                 t->blk->v.hash, jm_sub_label(t), t->tries, err, s->retry_delay);
        nw_timer_start(&t->retry);
        return;
    }
    log_error("submit: hash=%s node=%s giving up after %d tries: %s", t->blk->v.hash,
              jm_sub_label(t), t->tries, err);
    t->v.accepted = false;
    snprintf(t->v.reason, sizeof(t->v.reason), "node unreachable: %s", err);
    jm_sub_try_done(t, true);
}

/* The node's error object ("-22: Block decode failed"): its final word,
 * the same block would get the same answer. No retry; the tip check still
 * runs so the verdict says where the node stands. */
static void jm_sub_node_error(jm_sub_try *t, const char *err)
{
    log_error("submit: hash=%s node=%s node error, not retried: %s", t->blk->v.hash,
              jm_sub_label(t), err);
    t->result_null = false;
    snprintf(t->result, sizeof(t->result), "%s", err);
    jm_sub_check_tip(t);
}

static void jm_sub_on_submit(json_t *result, int rc, const char *err, void *arg)
{
    jm_sub_try *t = arg;
    if (rc == UT_NODE_ERR_NODE) {
        jm_sub_node_error(t, err);
        return;
    }
    if (rc != 0) {
        jm_sub_failed(t, err);
        return;
    }
    t->result_null = json_is_null(result);
    const char *str = json_string_value(result);
    if (!t->result_null && !str)
        str = "unexpected submitblock result";
    snprintf(t->result, sizeof(t->result), "%s", str ? str : "");
    log_info("submit: hash=%s node=%s said %s", t->blk->v.hash, jm_sub_label(t),
             t->result_null ? "null" : str);
    jm_sub_check_tip(t);
}

/* Could not queue the call at all (out of memory): wait and try again,
 * without spending an attempt, until the deadline. */
static void jm_sub_not_queued(jm_sub_try *t)
{
    if (jm_sub_time_left(t->blk)) {
        log_error("submit: hash=%s node=%s cannot queue submitblock (out of memory); "
                  "retrying in %.3gs", t->blk->v.hash, jm_sub_label(t),
                  t->blk->owner->retry_delay);
        nw_timer_start(&t->retry);
        return;
    }
    log_error("submit: hash=%s node=%s giving up: out of memory", t->blk->v.hash,
              jm_sub_label(t));
    t->v.accepted = false;
    snprintf(t->v.reason, sizeof(t->v.reason), "jobmaster out of memory");
    jm_sub_try_done(t, true);
}

static void jm_sub_send(jm_sub_try *t)
{
    jm_submit *s = t->blk->owner;
    json_t *params = json_pack("[s]", t->blk->hex);
    if (!params || jm_node_call_urgent(s->nodes[t->idx], "submitblock", params,
                                       jm_sub_on_submit, t) < 0) {
        jm_sub_not_queued(t);
        return;
    }
    t->tries++;
}

jm_submit *jm_submit_create(struct ev_loop *loop, jm_node *node, int attempts,
                            double retry_delay, double deadline)
{
    jm_submit *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->loop = loop;
    s->attempts = attempts > 0 ? attempts : 1;
    s->retry_delay = retry_delay;
    s->deadline = deadline;
    if (node)
        jm_submit_add_node(s, node, "node");
    return s;
}

int jm_submit_add_node(jm_submit *s, jm_node *node, const char *label)
{
    if (s->n >= JM_SUBMIT_MAX_NODES)
        return -1;
    s->nodes[s->n] = node;
    snprintf(s->stats[s->n].label, sizeof(s->stats[s->n].label), "%s", label);
    s->n++;
    return 0;
}

void jm_submit_free(jm_submit *s)
{
    if (!s)
        return;
    while (s->list) {
        jm_sub *sub = s->list;
        for (size_t i = 0; i < sub->n; i++)
            nw_timer_stop(&sub->tries[i].retry);
        if (!sub->answered) {
            log_error("submit: hash=%s not confirmed: jobmaster shutting down", sub->v.hash);
            sub->v.accepted = false;
            snprintf(sub->v.reason, sizeof(sub->v.reason), "jobmaster shutting down");
            sub->cb(&sub->v, sub->arg);
        }
        jm_sub_unlink_free(sub);
    }
    free(s);
}

int jm_submit_block(jm_submit *s, const char *hash_hex, uint32_t height, const uint8_t *raw,
                    size_t len, jm_submit_cb cb, void *arg)
{
    if (s->n == 0)
        return -1;
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
    sub->n = s->n;
    sub->busy = s->n;
    for (size_t i = 0; i < sub->n; i++) {
        jm_sub_try *t = &sub->tries[i];
        t->blk = sub;
        t->idx = i;
        t->v = sub->v;
        nw_timer_set(&t->retry, s->loop, s->retry_delay, false, jm_sub_on_retry, t);
        nw_timer_stop(&t->retry);   /* set arms it; armed only after a failure */
        s->stats[i].submitted++;
    }
    sub->next = s->list;
    if (s->list)
        s->list->prev = sub;
    s->list = sub;
    s->count++;
    /* the last node's verdict may come synchronously and free sub: the
     * loop reads only its local n after the last send */
    size_t n = sub->n;
    for (size_t i = 0; i < n; i++)
        jm_sub_send(&sub->tries[i]);
    return 0;
}

size_t jm_submit_inflight(const jm_submit *s)
{
    return s->count;
}

size_t jm_submit_node_count(const jm_submit *s)
{
    return s->n;
}

const jm_submit_node_stats *jm_submit_node_stats_get(const jm_submit *s, size_t i)
{
    return i < s->n ? &s->stats[i] : NULL;
}
