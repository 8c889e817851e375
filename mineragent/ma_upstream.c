/* ma_upstream: the agent's link to its gateways (see ma_upstream.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mineragent/ma_farm.h"
#include "mineragent/ma_state.h"
#include "mineragent/ma_upstream.h"
#include "stratum/st_acct.h"
#include "stratum/st_block.h"
#include "stratum/st_conn.h"
#include "stratum/st_guard.h"
#include "stratum/st_job.h"
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"
#include "utils/ut_rpc_link.h"

#define MA_BLOCK_TRIES 5
#define MA_BLOCK_MAX_AGE 600.0   /* seconds a queued block is worth resending */

/* A found block on its way to a gateway. */
typedef struct ma_block {
    ma_upstream *u;
    char hash[65];
    char job[ST_JOB_ID_MAX + 1];
    char user[ST_NAME_MAX + 1];
    char worker[ST_NAME_MAX + 1];
    uint8_t prev[32];
    int64_t height, reward;    /* of the job; reward -1: not known */
    double found;
    int tries;
    size_t len;
    char body[ST_BLOCK_BODY_MAX];
} ma_block;

struct ma_upstream {
    ma_agent *ag;
    ut_rpc_clt *clt;
    size_t cur;                /* index of the gateway in use */
    double since;              /* when the current gateway was last up, or tried first */
    bool up;                   /* HELLO answered on the current link */
    ut_rpc_link *link;
    uint8_t en1[ST_EN1_MAX];
    size_t en1_size, en2_size;
    char en1_hex[2 * ST_EN1_MAX + 1];
    ma_block *queue[MA_MAX_BLOCKS];
    size_t nqueue;
    st_guard guard;
    ma_upstream_stats st;
};

static double ma_now(const ma_upstream *u)
{
    return ev_now(u->ag->loop);
}

/* ---- found blocks ---- */

static int ma_block_send(ma_upstream *u, ma_block *b);

static void ma_block_queue(ma_upstream *u, ma_block *b, const char *why)
{
    if (u->nqueue < MA_MAX_BLOCKS && b->tries < MA_BLOCK_TRIES &&
        ma_now(u) - b->found < MA_BLOCK_MAX_AGE) {
        u->queue[u->nqueue++] = b;
        log_error("block %s (job %s, %s.%s) not delivered: %s; kept, resent when a gateway "
                  "answers", b->hash, b->job, b->user, b->worker, why);
        return;
    }
    log_fatal("block lost: %s (job %s, %s.%s): %s, after %d tries", b->hash, b->job, b->user,
              b->worker, why, b->tries);
    u->st.blocks_lost++;
    st_guard_done(&u->guard, b->prev, false);
    free(b);
}

static void ma_block_verdict(ma_upstream *u, ma_block *b, const ut_rpc_msg *msg)
{
    char reason[256];
    bool taken;
    bool accepted = st_block_verdict(msg->status, msg->body, msg->body_len, &taken, reason,
                                     sizeof(reason));

    /* A sibling the node took extends the parent too: no more candidates on it. */
    st_guard_done(&u->guard, b->prev, taken);
    if (accepted) {
        u->st.blocks_accepted++;
        ut_meta_block_info(u->ag->meta, b->user, b->worker, b->hash, b->height, b->reward);
        log_notice("block accepted: hash=%s job=%s worker=%s.%s gateway=%s", b->hash, b->job,
                   b->user, b->worker, ma_upstream_gateway(u));
    } else {
        u->st.blocks_rejected++;
        /* Taken onto a side chain: an orphan, not an error (see gw_jm.c). */
        UT_LOG_AT(taken ? UT_LOG_WARN : UT_LOG_ERROR,
                  "block %s: hash=%s job=%s worker=%s.%s status=%u reason=\"%s\"",
                  taken ? "orphaned" : "rejected", b->hash, b->job, b->user, b->worker,
                  msg->status, reason);
    }
    free(b);
}

static void ma_block_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    ma_block *b = arg;
    ma_upstream *u = b->u;

    if (msg == NULL || msg->status == 1)   /* no answer, or "retry": the gateway could not */
        ma_block_queue(u, b, msg ? "the gateway could not relay it" : error ? error : "?");
    else
        ma_block_verdict(u, b, msg);
}

static int ma_block_send(ma_upstream *u, ma_block *b)
{
    if (!u->up || u->link == NULL)
        return -1;
    if (ut_rpc_request(u->link, CMD_JM_BLOCK_FOUND, b->body, b->len, ma_block_reply, b) != 0)
        return -1;
    b->tries++;
    u->st.blocks_sent++;
    return 0;
}

static void ma_block_flush(ma_upstream *u)
{
    size_t n = u->nqueue;
    ma_block *q[MA_MAX_BLOCKS];

    memcpy(q, u->queue, n * sizeof(q[0]));
    u->nqueue = 0;
    for (size_t i = 0; i < n; i++)
        if (ma_block_send(u, q[i]) != 0)
            ma_block_queue(u, q[i], "no gateway link");
}

void ma_upstream_block(ma_upstream *u, const st_block_ev *ev)
{
    ma_block *b;
    char peer[160];

    u->st.blocks_found++;
    if (!st_guard_admit(&u->guard, ev->job->prev_block)) {
        u->st.blocks_skipped++;
        log_info("block candidate not sent: peer=%s worker=%s job=%s (%s)", ev->conn->peer,
                 ev->worker->full, ev->job->id, u->guard.won ? "a block on this parent was "
                 "accepted already" : "too many unanswered on this parent");
        return;
    }
    if ((b = calloc(1, sizeof(*b))) == NULL) {
        log_fatal("block found but out of memory: job=%s", ev->job->id);
        st_guard_done(&u->guard, ev->job->prev_block, false);
        return;
    }
    b->u = u;
    b->found = ma_now(u);
    snprintf(peer, sizeof(peer), "%s/%s", u->ag->cfg->id, ev->conn->peer);
    b->len = st_block_body(ev, u->en1_size, 0, peer, b->body, sizeof(b->body));
    ut_hash_to_hex(ev->res->hash, b->hash);
    snprintf(b->job, sizeof(b->job), "%s", ev->job->id);
    snprintf(b->user, sizeof(b->user), "%s", ev->worker->user);
    snprintf(b->worker, sizeof(b->worker), "%s", ev->worker->worker);
    memcpy(b->prev, ev->job->prev_block, 32);
    b->height = ev->job->height;
    b->reward = st_acct_reward(ev->job);
    log_notice("block found: peer=%s worker=%s job=%s height=%" PRId64 " hash=%s",
               ev->conn->peer, ev->worker->full, ev->job->id, ev->job->height, b->hash);
    if (b->len == 0) {
        b->tries = MA_BLOCK_TRIES;              /* nothing to resend: lost */
        ma_block_queue(u, b, "body too long");
    } else if (ma_block_send(u, b) != 0)
        ma_block_queue(u, b, "no gateway link");
}

/* ---- HELLO and the farm ---- */

static int ma_hello_parse(ma_upstream *u, const ut_rpc_msg *msg, uint8_t *en1, size_t *en1_size,
                          size_t *en2_size)
{
    json_t *b = json_loadb(msg->body, msg->body_len, 0, NULL);
    const char *hex = json_string_value(json_object_get(b, "extranonce1"));
    json_t *n2 = json_object_get(b, "extranonce2_size");
    int rc = -1;

    if (hex != NULL && strlen(hex) % 2 == 0 && strlen(hex) / 2 >= 1 &&
        strlen(hex) / 2 <= ST_EN1_MAX && ut_hex_decode(hex, en1, strlen(hex) / 2) == 0 &&
        json_is_integer(n2) && json_integer_value(n2) >= 1 && json_integer_value(n2) <= 8) {
        *en1_size = strlen(hex) / 2;
        *en2_size = (size_t)json_integer_value(n2);
        rc = 0;
        /* The gateway's heartbeat may be slower than ours: wait for 3 of its. */
        if (json_is_number(json_object_get(b, "heartbeat")) && u->link != NULL)
            ut_rpc_link_set_peer_heartbeat(u->link,
                                           json_number_value(json_object_get(b, "heartbeat")));
    }
    json_decref(b);
    return rc;
}

/* The farm for the layout the gateway gave; a different extranonce1 than
 * before means every miner must start over. */
static int ma_use_layout(ma_upstream *u, const uint8_t *en1, size_t en1_size, size_t en2_size)
{
    ma_agent *ag = u->ag;

    if (ag->farm != NULL && !ma_farm_matches(ag->farm, en1, en1_size, en2_size)) {
        log_warn("gateway %s gave another extranonce1 than before: every miner reconnects",
                 ma_upstream_gateway(u));
        ma_farm_reconnect_all(ag->farm);
        ma_farm_free(ag->farm);
        ag->farm = NULL;
    }
    if (ag->farm == NULL && (ag->farm = ma_farm_create(ag, en1, en1_size, en2_size)) == NULL)
        return -1;
    memcpy(u->en1, en1, en1_size);
    u->en1_size = en1_size;
    u->en2_size = en2_size;
    ut_hex_encode(en1, en1_size, u->en1_hex);
    return 0;
}

static void ma_hello_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    ma_upstream *u = arg;
    uint8_t en1[ST_EN1_MAX];
    size_t en1_size, en2_size;

    if (msg == NULL) {
        log_warn("gateway %s: HELLO got no answer: %s", ma_upstream_gateway(u), error);
        return;
    }
    if (msg->status != 0 || ma_hello_parse(u, msg, en1, &en1_size, &en2_size) != 0 ||
        ma_use_layout(u, en1, en1_size, en2_size) != 0) {
        log_error("gateway %s refused or garbled HELLO (status %u): %.*s",
                  ma_upstream_gateway(u), msg->status, (int)msg->body_len,
                  (const char *)msg->body);
        if (u->link != NULL)
            ut_rpc_link_close(u->link, "HELLO failed");
        return;
    }
    u->up = true;
    u->since = ma_now(u);
    u->st.links_up++;
    (void)ma_state_save(u->ag->cfg->meta_spool_dir, en1, en1_size, en2_size, NULL, 0);
    log_notice("upstream up: gateway=%s extranonce1=%s extranonce2_size=%zu, %zu blocks queued",
               ma_upstream_gateway(u), u->en1_hex, u->en2_size, u->nqueue);
    ut_meta_link_up(u->ag->meta, u->link);
    ma_block_flush(u);
}

/* ---- the link ---- */

static void ma_on_up(ut_rpc_link *link, void *udata)
{
    ma_upstream *u = udata;
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"v\":1,\"agent\":\"%s\",\"host\":\"%s\","
                     "\"heartbeat\":%g}", u->ag->cfg->id, u->ag->cfg->host,
                     ut_rpc_link_heartbeat(link));

    u->link = link;
    u->since = ma_now(u);
    log_info("upstream link to %s authenticated (%s)", ut_rpc_link_peer(link),
             ut_rpc_link_tls(link) ? ut_rpc_link_tls(link) : "plaintext");
    if (ut_rpc_request(link, CMD_AG_HELLO, body, (size_t)n, ma_hello_reply, u) != 0)
        log_error("upstream: HELLO could not be sent to %s", ut_rpc_link_peer(link));
}

static void ma_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    ma_upstream *u = udata;

    uint64_t in, out;

    ut_rpc_link_bytes(link, &in, &out);
    u->st.bytes_in += in;
    u->st.bytes_out += out;
    if (u->up) {
        ut_meta_link_down(u->ag->meta, reason);
        log_warn("upstream down: gateway=%s (%s); miners keep working, counts are kept",
                 ma_upstream_gateway(u), reason ? reason : "?");
        u->since = ma_now(u);
    }
    u->up = false;
    u->link = NULL;
}

static void ma_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    ma_upstream *u = udata;
    json_error_t err;
    json_t *body;

    if (msg->command != CMD_JM_JOB) {
        log_warn("gateway %s sent command 0x%04x, ignored", ut_rpc_link_peer(link), msg->command);
        return;
    }
    if ((body = json_loadb(msg->body, msg->body_len, 0, &err)) == NULL) {
        log_error("job from %s is not JSON: %s", ut_rpc_link_peer(link), err.text);
        return;
    }
    u->st.jobs++;
    if (u->ag->farm != NULL) {
        ma_farm_job(u->ag->farm, body);
        (void)ma_state_save(u->ag->cfg->meta_spool_dir, u->en1, u->en1_size, u->en2_size,
                            msg->body, msg->body_len);
    }
    json_decref(body);
}

static int ma_clt_new(ma_upstream *u)
{
    static const ut_rpc_handlers h = { .on_msg = ma_on_msg, .on_up = ma_on_up,
                                       .on_down = ma_on_down };
    const ma_config *cfg = u->ag->cfg;
    nw_tls_cfg tls = { .ca_file = cfg->tls_ca, .host = cfg->tls_host,
                       .cert_file = cfg->tls_cert, .key_file = cfg->tls_key };
    ut_rpc_cfg rc = { .addr = cfg->gateways[u->cur], .heartbeat = cfg->heartbeat,
                      .request_timeout = cfg->request_timeout, .tls = &tls,
                      .agent_id = cfg->id, .agent_secret = cfg->secret };

    u->since = ma_now(u);
    u->clt = ut_rpc_clt_create(u->ag->loop, &rc, &h, u);
    if (u->clt == NULL || ut_rpc_clt_start(u->clt) != 0) {
        log_error("upstream: cannot start a link to %s", cfg->gateways[u->cur]);
        return -1;
    }
    log_info("upstream: connecting to gateway %s (%zu of %zu)", cfg->gateways[u->cur],
             u->cur + 1, cfg->ngateways);
    return 0;
}

void ma_upstream_tick(ma_upstream *u)
{
    const ma_config *cfg = u->ag->cfg;

    if (u->up || cfg->ngateways < 2 || ma_now(u) - u->since < cfg->failover_after)
        return;
    log_warn("upstream: gateway %s unreachable for %.0fs, failing over to %s",
             cfg->gateways[u->cur], ma_now(u) - u->since,
             cfg->gateways[(u->cur + 1) % cfg->ngateways]);
    ut_rpc_clt_free(u->clt);    /* requests in flight fail and are queued again */
    u->clt = NULL;
    u->cur = (u->cur + 1) % cfg->ngateways;
    u->st.failovers++;
    (void)ma_clt_new(u);
}

int ma_upstream_restore(ma_upstream *u)
{
    ma_state st;
    int rc = ma_state_load(u->ag->cfg->meta_spool_dir, &st);

    if (rc != 0)
        return rc > 0 ? 0 : -1;
    rc = ma_use_layout(u, st.en1, st.en1_size, st.en2_size);
    if (rc == 0 && st.job != NULL)
        ma_farm_job(u->ag->farm, st.job);
    if (rc == 0)
        log_notice("upstream: layout (extranonce1 %s) and %s restored from the state file: "
                   "miners can work before a gateway answers", u->en1_hex,
                   st.job ? "the last job" : "no job");
    json_decref(st.job);
    return rc;
}

ma_upstream *ma_upstream_create(ma_agent *ag)
{
    ma_upstream *u = calloc(1, sizeof(*u));

    if (u != NULL)
        u->ag = ag;
    return u;
}

int ma_upstream_start(ma_upstream *u)
{
    return ma_clt_new(u);
}

void ma_upstream_free(ma_upstream *u)
{
    if (u == NULL)
        return;
    if (u->clt != NULL)
        ut_rpc_clt_free(u->clt);   /* blocks in flight come back to the queue */
    for (size_t i = 0; i < u->nqueue; i++) {
        log_error("block never delivered (shutting down): %s job %s", u->queue[i]->hash,
                  u->queue[i]->job);
        free(u->queue[i]);
    }
    free(u);
}

bool ma_upstream_up(const ma_upstream *u)
{
    return u->up;
}

const char *ma_upstream_gateway(const ma_upstream *u)
{
    return u->ag->cfg->gateways[u->cur];
}

const char *ma_upstream_en1_hex(const ma_upstream *u)
{
    return u->en1_hex;
}

size_t ma_upstream_queued(const ma_upstream *u)
{
    return u->nqueue;
}

const ma_upstream_stats *ma_upstream_stats_get(const ma_upstream *u)
{
    return &u->st;
}

void ma_upstream_bytes(const ma_upstream *u, uint64_t *in, uint64_t *out)
{
    uint64_t li = 0, lo = 0;

    if (u->link != NULL)
        ut_rpc_link_bytes(u->link, &li, &lo);
    *in = u->st.bytes_in + li;
    *out = u->st.bytes_out + lo;
}
