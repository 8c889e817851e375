/* mr_relay: holds and forwards accounting batches (see mr_relay.h). */
#include "metarelay/mr_relay.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_cmd.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"
#include "utils/ut_meta_check.h"
#include "utils/ut_rpc_answer.h"
#include "utils/ut_rpc_link.h"
#include "utils/ut_spool.h"

#define MR_TICK 0.1
#define MR_RETRY_MIN 0.2
#define MR_RETRY_MAX 5.0
#define MR_PREFIX "mr-"

/* One batch held until metawriter acknowledges it. */
typedef struct mr_entry {
    struct mr_entry *prev, *next;
    mr_relay *relay;
    ut_meta_ident id;
    char idstr[128];
    char name[UT_SPOOL_NAME_MAX + 1];
    char *body;                /* NULL while only in the spool */
    size_t len;
    bool spooled, inflight;
    int attempts;
    double received, retry_at;
    ut_rpc_waiters waiters;    /* the senders' requests for it */
} mr_entry;

struct mr_relay {
    struct ev_loop *loop;
    mr_relay_cfg cfg;
    char *upstream;
    ut_rpc_svr *svr;
    ut_rpc_clt *clt;
    ut_spool *spool;
    mr_entry *head, *tail;
    size_t inflight;
    bool closing;
    mr_relay_stats st;
    ev_timer tick;
};

static void mr_pump(mr_relay *r);

/* ---- entries ---- */

static void mr_entry_link(mr_relay *r, mr_entry *e)
{
    e->prev = r->tail;
    if (r->tail)
        r->tail->next = e;
    else
        r->head = e;
    r->tail = e;
    r->st.held++;
}

static void mr_entry_unlink(mr_relay *r, mr_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        r->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        r->tail = e->prev;
    r->st.held--;
}

static void mr_entry_drop_body(mr_relay *r, mr_entry *e)
{
    if (e->body) {
        r->st.mem_bytes -= e->len;
        free(e->body);
        e->body = NULL;
    }
}

static void mr_entry_free(mr_relay *r, mr_entry *e)
{
    mr_entry_drop_body(r, e);
    free(e);
}

static mr_entry *mr_entry_find(mr_relay *r, const ut_meta_ident *id)
{
    for (mr_entry *e = r->head; e; e = e->next) {
        if (e->id.seq == id->seq && strcmp(e->id.epoch, id->epoch) == 0 &&
            strcmp(e->id.source, id->source) == 0)
            return e;
    }
    return NULL;
}

static void mr_spool_name(const ut_meta_ident *id, char *out, size_t n)
{
    snprintf(out, n, MR_PREFIX "%s.%s.%010" PRIu64, id->source, id->epoch, id->seq);
}

/* Writes e to the spool and lets go of its body unless it is in flight. */
static int mr_entry_spool(mr_relay *r, mr_entry *e)
{
    if (e->spooled)
        return 0;
    int rc = ut_spool_put(r->spool, e->name, e->body, e->len);
    if (rc != 0) {
        log_error("batch %s: cannot spool (%s), kept in memory", e->idstr,
                  rc == -2 ? "spool full" : "I/O error");
        return rc;
    }
    e->spooled = true;
    if (!e->inflight)
        mr_entry_drop_body(r, e);
    return 0;
}

/* Passes metawriter's final answer to every waiting sender, forgets e. */
static void mr_entry_done(mr_relay *r, mr_entry *e, const ut_rpc_msg *msg)
{
    ut_rpc_waiters_reply(&e->waiters, msg->status, msg->body, msg->body_len);
    if (e->spooled)
        ut_spool_del(r->spool, e->name);
    mr_entry_unlink(r, e);
    mr_entry_free(r, e);
}

/* ---- forwarding ---- */

static void mr_on_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    mr_entry *e = arg;
    mr_relay *r = e->relay;
    e->inflight = false;
    r->inflight--;
    if (r->closing)
        return;
    if (e->spooled)
        mr_entry_drop_body(r, e);
    if (msg && (msg->status == UT_META_ST_OK || msg->status == UT_META_ST_BAD)) {
        if (msg->status == UT_META_ST_OK)
            r->st.acked++;
        else
            log_error("batch %s: refused by metawriter: %.*s", e->idstr, (int)msg->body_len,
                      (const char *)msg->body);
        log_debug("batch %s: metawriter answered %u", e->idstr, msg->status);
        mr_entry_done(r, e, msg);
    } else {
        double delay = MR_RETRY_MIN * (double)(1u << (e->attempts < 5 ? e->attempts : 5));
        e->attempts++;
        e->retry_at = ev_now(r->loop) + (delay < MR_RETRY_MAX ? delay : MR_RETRY_MAX);
        r->st.retries++;
        log_warn("batch %s: not acknowledged by metawriter %s (%s), retry %d in %.1fs",
                 e->idstr, r->upstream, msg ? "retry later" : (error ? error : "no reply"),
                 e->attempts, e->retry_at - ev_now(r->loop));
    }
    mr_pump(r);
}

static int mr_load_body(mr_relay *r, mr_entry *e)
{
    if (e->body)
        return 0;
    char *data;
    size_t len;
    if (ut_spool_get(r->spool, e->name, &data, &len) != 0) {
        log_error("batch %s: spooled copy unreadable, dropped (its sender still has it)",
                  e->idstr);
        mr_entry_unlink(r, e);
        mr_entry_free(r, e);
        return -1;
    }
    e->body = data;
    e->len = len;
    r->st.mem_bytes += len;
    return 0;
}

static void mr_pump(mr_relay *r)
{
    ut_rpc_link *link = r->closing ? NULL : ut_rpc_clt_link(r->clt);
    if (!link)
        return;
    double now = ev_now(r->loop);
    for (mr_entry *e = r->head, *n; e && r->inflight < r->cfg.window; e = n) {
        n = e->next;
        if (e->inflight || e->retry_at > now || mr_load_body(r, e) != 0)
            continue;
        if (ut_rpc_request(link, CMD_MW_BATCH, e->body, e->len, mr_on_reply, e) != 0) {
            if (e->spooled)
                mr_entry_drop_body(r, e);
            return;
        }
        e->inflight = true;
        r->inflight++;
        r->st.forwarded++;
    }
}

/* Spools what waited too long and the oldest bodies past max_mem_bytes. */
static void mr_age(mr_relay *r)
{
    double now = ev_now(r->loop);
    for (mr_entry *e = r->head; e; e = e->next) {
        if (e->spooled || !e->body)
            continue;
        if (now - e->received >= r->cfg.spool_after || r->st.mem_bytes > r->cfg.max_mem_bytes)
            mr_entry_spool(r, e);
    }
}

static void mr_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    mr_relay *r = w->data;
    mr_age(r);
    mr_pump(r);
}

/* ---- requests from senders ---- */

static void mr_refuse(mr_relay *r, ut_rpc_link *link, const ut_rpc_msg *msg, uint32_t status,
                      const char *why)
{
    ut_rpc_reply_error(link, msg, status, why);
    if (status == UT_META_ST_BAD)
        r->st.refused_bad++;
    else
        r->st.refused_busy++;
}

/* Checks the whole body (ut_meta_body_check) before it is held: a batch
 * that metawriter would refuse is refused here, never spooled or
 * forwarded. Returns 0 with its identity in id, or -1 (logged). */
static int mr_check_body(const ut_rpc_msg *msg, const char *peer, ut_meta_ident *id,
                         char *err, size_t errlen)
{
    json_t *root = ut_meta_body_load(msg->body, msg->body_len, id, err, errlen);
    if (!root) {
        char idstr[128];
        log_error("batch %s from %s refused, not relayed: %s",
                  ut_meta_body_id(id, idstr, sizeof(idstr)), peer, err);
        return -1;
    }
    json_decref(root);
    return 0;
}

static mr_entry *mr_entry_new(mr_relay *r, const ut_meta_ident *id, const ut_rpc_msg *msg)
{
    mr_entry *e = calloc(1, sizeof(*e));
    char *body = malloc(msg->body_len + 1);
    if (!e || !body) {
        free(e);
        free(body);
        return NULL;
    }
    memcpy(body, msg->body, msg->body_len);
    body[msg->body_len] = '\0';
    e->relay = r;
    e->id = *id;
    ut_meta_ident_str(id, e->idstr, sizeof(e->idstr));
    mr_spool_name(id, e->name, sizeof(e->name));
    e->body = body;
    e->len = msg->body_len;
    e->received = ev_now(r->loop);
    r->st.mem_bytes += e->len;
    return e;
}

static void mr_on_batch(mr_relay *r, ut_rpc_link *link, const ut_rpc_msg *msg)
{
    ut_meta_ident id;
    char err[256];
    const char *peer = ut_rpc_link_peer(link);
    if (mr_check_body(msg, peer, &id, err, sizeof(err)) != 0) {
        mr_refuse(r, link, msg, UT_META_ST_BAD, err);
        return;
    }
    mr_entry *e = mr_entry_find(r, &id);
    if (e) {
        r->st.joined++;
        log_info("batch %s from %s: resent while held, joins it", e->idstr, peer);
        ut_rpc_waiters_add(&e->waiters, link, msg);
        mr_pump(r);
        return;
    }
    if (!(e = mr_entry_new(r, &id, msg))) {
        mr_refuse(r, link, msg, UT_META_ST_RETRY, "out of memory");
        return;
    }
    bool up = ut_rpc_clt_up(r->clt);
    if ((!up || r->st.mem_bytes > r->cfg.max_mem_bytes) && mr_entry_spool(r, e) == -2) {
        log_warn("batch %s from %s: spool full (%" PRIu64 " bytes), answering retry later",
                 e->idstr, peer, ut_spool_bytes(r->spool));
        mr_refuse(r, link, msg, UT_META_ST_RETRY, "relay spool full");
        mr_entry_free(r, e);
        return;
    }
    ut_rpc_waiters_add(&e->waiters, link, msg);
    mr_entry_link(r, e);
    log_debug("batch %s from %s: held, %zu bytes", e->idstr, peer, e->len);
    mr_pump(r);
}

static void mr_svr_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    mr_relay *r = udata;
    r->st.received++;
    if (msg->type != UT_RPC_REQUEST || msg->command != CMD_MW_BATCH) {
        log_warn("peer %s: unexpected command 0x%04x type %u", ut_rpc_link_peer(link),
                 msg->command, msg->type);
        if (msg->type == UT_RPC_REQUEST)
            mr_refuse(r, link, msg, UT_META_ST_BAD, "unknown command");
        return;
    }
    mr_on_batch(r, link, msg);
}

static void mr_svr_on_up(ut_rpc_link *link, void *udata)
{
    log_info("sender %s: connected", ut_rpc_link_peer(link));
}

static void mr_svr_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    mr_relay *r = udata;
    for (mr_entry *e = r->head; e; e = e->next)
        ut_rpc_waiters_forget(&e->waiters, link);
    log_info("sender %s: disconnected (%s)", ut_rpc_link_peer(link), reason ? reason : "?");
}

/* ---- upstream link ---- */

static void mr_clt_on_up(ut_rpc_link *link, void *udata)
{
    mr_relay *r = udata;
    log_info("metawriter %s: connected, %zu batches held", r->upstream, r->st.held);
    for (mr_entry *e = r->head; e; e = e->next)
        e->retry_at = 0;
    mr_pump(r);
}

static void mr_clt_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    mr_relay *r = udata;
    if (!r->closing)
        log_warn("metawriter %s: link down (%s), %zu batches held", r->upstream,
                 reason ? reason : "?", r->st.held);
}

static void mr_clt_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    log_warn("metawriter %s: unexpected command 0x%04x", ut_rpc_link_peer(link), msg->command);
}

/* ---- life cycle ---- */

/* Holds the batches a previous run left in the spool (no sender waits). */
static void mr_replay_spool(mr_relay *r)
{
    size_t n = 0;
    char **names = ut_spool_list(r->spool, &n);
    for (size_t i = 0; i < n; i++) {
        char *data = NULL;
        size_t len = 0;
        char err[256] = "";
        json_t *root = ut_spool_get(r->spool, names[i], &data, &len) == 0
                           ? ut_meta_body_load(data, len, NULL, err, sizeof(err)) : NULL;
        mr_entry *e = root ? calloc(1, sizeof(*e)) : NULL;
        if (e && ut_meta_ident_parse(root, &e->id) == 0) {
            e->relay = r;
            ut_meta_ident_str(&e->id, e->idstr, sizeof(e->idstr));
            snprintf(e->name, sizeof(e->name), "%s", names[i]);
            e->spooled = true;
            e->received = ev_now(r->loop);
            mr_entry_link(r, e);
        } else {
            free(e);
            if (data) {
                log_error("metarelay: spooled batch %s refused (%s), kept as .bad", names[i],
                          err[0] ? err : "out of memory");
                ut_spool_quarantine(r->spool, names[i]);
            }
        }
        json_decref(root);
        free(data);
        free(names[i]);
    }
    free(names);
    if (r->st.held)
        log_notice("metarelay: %zu spooled batches from an earlier run will be forwarded",
                   r->st.held);
}

static int mr_make_links(mr_relay *r)
{
    ut_rpc_cfg sc = {.addr = r->cfg.listen, .allow = r->cfg.allow};
    ut_rpc_handlers sh = {.on_msg = mr_svr_on_msg, .on_up = mr_svr_on_up,
                          .on_down = mr_svr_on_down};
    ut_rpc_cfg cc = {.addr = r->upstream, .request_timeout = r->cfg.request_timeout};
    ut_rpc_handlers ch = {.on_msg = mr_clt_on_msg, .on_up = mr_clt_on_up,
                          .on_down = mr_clt_on_down};
    r->svr = ut_rpc_svr_create(r->loop, &sc, &sh, r);
    r->clt = ut_rpc_clt_create(r->loop, &cc, &ch, r);
    if (!r->svr || !r->clt) {
        log_error("metarelay: bad address: listen '%s' or upstream '%s'", r->cfg.listen,
                  r->upstream);
        return -1;
    }
    return 0;
}

mr_relay *mr_relay_create(struct ev_loop *loop, const mr_relay_cfg *cfg)
{
    mr_relay *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->loop = loop;
    r->cfg = *cfg;
    if (!r->cfg.window)
        r->cfg.window = 64;
    if (r->cfg.spool_after <= 0)
        r->cfg.spool_after = 5.0;
    if (!r->cfg.max_mem_bytes)
        r->cfg.max_mem_bytes = 64u * 1024 * 1024;
    r->upstream = strdup(cfg->upstream ? cfg->upstream : "");
    r->cfg.upstream = r->upstream;
    r->spool = ut_spool_open(cfg->spool_dir, MR_PREFIX, cfg->max_spool_bytes);
    if (!r->upstream || !r->spool || mr_make_links(r) != 0) {
        mr_relay_free(r);
        return NULL;
    }
    r->cfg.spool_dir = ut_spool_dir(r->spool);
    r->cfg.listen = NULL;          /* the caller's string; not needed after create */
    r->cfg.allow = NULL;
    ev_timer_init(&r->tick, mr_on_tick, MR_TICK, MR_TICK);
    r->tick.data = r;
    mr_replay_spool(r);
    return r;
}

int mr_relay_start(mr_relay *r)
{
    if (ut_rpc_svr_start(r->svr) != 0 || ut_rpc_clt_start(r->clt) != 0) {
        log_error("metarelay: cannot start listening or connecting to %s", r->upstream);
        return -1;
    }
    ev_timer_start(r->loop, &r->tick);
    return 0;
}

void mr_relay_free(mr_relay *r)
{
    if (!r)
        return;
    size_t spooled = 0;
    for (mr_entry *e = r->head; e && r->spool; e = e->next) {
        if (!e->spooled && e->body && mr_entry_spool(r, e) == 0)
            spooled++;
    }
    if (spooled)
        log_notice("metarelay: %zu held batches spooled at shutdown", spooled);
    r->closing = true;
    ev_timer_stop(r->loop, &r->tick);
    if (r->svr)
        ut_rpc_svr_free(r->svr);
    if (r->clt)
        ut_rpc_clt_free(r->clt);
    for (mr_entry *e = r->head, *n; e; e = n) {
        n = e->next;
        mr_entry_free(r, e);
    }
    ut_spool_close(r->spool);
    free(r->upstream);
    free(r);
}

void mr_relay_get_stats(const mr_relay *r, mr_relay_stats *out)
{
    *out = r->st;
    out->spool_bytes = r->spool ? ut_spool_bytes(r->spool) : 0;
}
