/* gw_agent: the agent port of a gateway worker (see gw_agent.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/gw_agent.h"
#include "gateway/gw_jm.h"
#include "network/nw_tls.h"
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"
#include "utils/ut_meta_check.h"
#include "utils/ut_rpc_answer.h"
#include "utils/ut_rpc_link.h"

/* One request relayed upstream, waiting for the answer to pass back. */
typedef struct gw_fwd {
    gw_agent *ga;
    ut_rpc_waiters ws;
    struct gw_fwd *prev, *next;
} gw_fwd;

/* What the gateway knows about one agent link. */
typedef struct gw_alink {
    const gw_agent_cfg *a;
    bool hello;
} gw_alink;

struct gw_agent {
    gw_server *srv;
    ut_auth_agent *table;       /* id/secret pairs for ut_rpc_link, ended by {NULL} */
    ut_rpc_svr *svr;
    ut_rpc_clt *relay;          /* batches go there; NULL: refused with "retry" */
    gw_fwd *fwds;
    char *job;                  /* the current job body */
    size_t job_len;
    size_t nlinks;
};

void gw_agent_en1(uint32_t num, uint8_t *out, size_t size)
{
    memset(out, 0, size);
    out[0] = GW_AGENT_ID_BYTE;
    out[1] = (uint8_t)(num >> 16);
    out[2] = (uint8_t)(num >> 8);
    out[3] = (uint8_t)num;
}

static const gw_agent_cfg *gw_agent_find(const gw_config *cfg, const char *id)
{
    for (size_t i = 0; id != NULL && i < cfg->nagents; i++)
        if (strcmp(cfg->agents[i].id, id) == 0)
            return &cfg->agents[i];
    return NULL;
}

/* ---- relaying a request and its answer ---- */

static gw_fwd *gw_fwd_new(gw_agent *ga, ut_rpc_link *link, const ut_rpc_msg *msg)
{
    gw_fwd *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return NULL;
    f->ga = ga;
    ut_rpc_waiters_add(&f->ws, link, msg);
    f->next = ga->fwds;
    if (ga->fwds != NULL)
        ga->fwds->prev = f;
    ga->fwds = f;
    return f;
}

static void gw_fwd_free(gw_fwd *f)
{
    if (f->prev != NULL)
        f->prev->next = f->next;
    else
        f->ga->fwds = f->next;
    if (f->next != NULL)
        f->next->prev = f->prev;
    free(f);
}

/* The upstream answer (or its failure) goes back to the agent as is; a
 * failure is "retry" (status 1 for CMD_MW_BATCH) with the reason. */
static void gw_fwd_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    gw_fwd *f = arg;

    if (msg != NULL)
        ut_rpc_waiters_reply(&f->ws, msg->status, msg->body, msg->body_len);
    else
        for (size_t i = 0; i < f->ws.n; i++)
            if (f->ws.w[i].link != NULL)
                ut_rpc_reply_error(f->ws.w[i].link, &f->ws.w[i].req, UT_META_ST_RETRY,
                                   error ? error : "no answer upstream");
    gw_fwd_free(f);
}

/* Relays body as command on link (a request of its own); on failure the
 * agent hears why, with status retry. */
static void gw_relay(gw_agent *ga, ut_rpc_link *up, ut_rpc_link *from, const ut_rpc_msg *msg,
                     const void *body, size_t len, const char *what)
{
    gw_fwd *f;

    if (up == NULL) {
        ut_rpc_reply_error(from, msg, UT_META_ST_RETRY, what);
        return;
    }
    if ((f = gw_fwd_new(ga, from, msg)) == NULL) {
        ut_rpc_reply_error(from, msg, UT_META_ST_RETRY, "gateway out of memory");
        return;
    }
    if (ut_rpc_request(up, msg->command, body, len, gw_fwd_reply, f) != 0) {
        gw_fwd_free(f);
        ut_rpc_reply_error(from, msg, UT_META_ST_RETRY, what);
    }
}

/* ---- the agent's requests ---- */

static void gw_agent_hello(gw_agent *ga, ut_rpc_link *link, gw_alink *al,
                           const ut_rpc_msg *msg)
{
    const st_config *st = &ga->srv->cfg->stratum;
    uint8_t en1[ST_EN1_MAX];
    char hex[2 * ST_EN1_MAX + 1], body[256];
    int n;

    json_t *hello = json_loadb(msg->body, msg->body_len, 0, NULL);
    json_t *hb = json_object_get(hello, "heartbeat");

    /* The agent's heartbeat may be slower than ours: wait for 3 of its. */
    if (json_is_number(hb))
        ut_rpc_link_set_peer_heartbeat(link, json_number_value(hb));
    json_decref(hello);
    gw_agent_en1(al->a->num, en1, st->en1_size);
    ut_hex_encode(en1, st->en1_size, hex);
    n = snprintf(body, sizeof(body), "{\"v\":1,\"extranonce1\":\"%s\",\"extranonce2_size\":%zu,"
                 "\"gateway_id\":%d,\"host\":\"%s\",\"heartbeat\":%g}", hex, st->en2_size,
                 ga->srv->cfg->gateway_id, ga->srv->cfg->host, ut_rpc_link_heartbeat(link));
    ut_rpc_reply(link, msg, 0, body, (size_t)n);
    al->hello = true;
    log_info("agent hello: agent=%s peer=%s extranonce1=%s", al->a->id, ut_rpc_link_peer(link),
             hex);
    if (ga->job != NULL)
        ut_rpc_push(link, CMD_JM_JOB, ga->job, ga->job_len);
}

/* A found block: it must carry the agent's own extranonce1; the gateway's
 * id is stamped on it before the jobmaster sees it. */
static void gw_agent_block(gw_agent *ga, ut_rpc_link *link, gw_alink *al,
                           const ut_rpc_msg *msg)
{
    const st_config *st = &ga->srv->cfg->stratum;
    json_t *b = json_loadb(msg->body, msg->body_len, 0, NULL);
    const char *en1 = json_string_value(json_object_get(b, "extranonce1"));
    uint8_t want[ST_EN1_MAX];
    char hex[2 * ST_EN1_MAX + 1];
    char *text = NULL;

    gw_agent_en1(al->a->num, want, st->en1_size);
    ut_hex_encode(want, st->en1_size, hex);
    if (en1 == NULL || strcmp(en1, hex) != 0) {
        log_error("agent block refused: agent=%s peer=%s extranonce1 %s is not its own (%s)",
                  al->a->id, ut_rpc_link_peer(link), en1 ? en1 : "(none)", hex);
        ut_rpc_reply_error(link, msg, 2, "extranonce1 is not this agent's");
        json_decref(b);
        return;
    }
    json_object_set_new(b, "gateway_id", json_integer(ga->srv->cfg->gateway_id));
    text = json_dumps(b, JSON_COMPACT);
    log_notice("agent block: agent=%s job=%s hash=%s worker=%s.%s, relayed to the jobmaster",
               al->a->id, json_string_value(json_object_get(b, "job_id")),
               json_string_value(json_object_get(b, "hash")),
               json_string_value(json_object_get(b, "user")),
               json_string_value(json_object_get(b, "worker")));
    if (text != NULL)
        gw_relay(ga, gw_jm_link(ga->srv->jm), link, msg, text, strlen(text),
                 "jobmaster link down");
    else
        ut_rpc_reply_error(link, msg, UT_META_ST_RETRY, "gateway out of memory");
    free(text);
    json_decref(b);
}

/* A batch of the agent's counts: checked, then relayed unchanged. */
static void gw_agent_batch(gw_agent *ga, ut_rpc_link *link, gw_alink *al,
                           const ut_rpc_msg *msg)
{
    char err[256], want[UT_META_SOURCE_MAX + 1], idtxt[128];
    ut_meta_ident id;
    json_t *root = ut_meta_body_load(msg->body, msg->body_len, &id, err, sizeof(err));

    ut_meta_agent_source(al->a->id, want, sizeof(want));
    if (root != NULL && strcmp(id.source, want) != 0)
        snprintf(err, sizeof(err), "source '%s' is not this agent's ('%s')", id.source, want);
    if (root == NULL || strcmp(id.source, want) != 0) {
        log_error("agent batch %s refused: agent=%s peer=%s: %s",
                  ut_meta_body_id(&id, idtxt, sizeof(idtxt)), al->a->id,
                  ut_rpc_link_peer(link), err);
        ut_rpc_reply_error(link, msg, UT_META_ST_BAD, err);
        json_decref(root);
        return;
    }
    json_decref(root);
    gw_relay(ga, ga->relay ? ut_rpc_clt_link(ga->relay) : NULL, link, msg, msg->body,
             msg->body_len, "gateway's accounting link is down");
}

static void gw_agent_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    gw_agent *ga = udata;
    gw_alink *al = ut_rpc_link_data(link);

    if (msg->type != UT_RPC_REQUEST || al == NULL)
        return;
    if (msg->command == CMD_AG_HELLO)
        gw_agent_hello(ga, link, al, msg);
    else if (!al->hello)
        ut_rpc_reply_error(link, msg, 2, "send CMD_AG_HELLO first");
    else if (msg->command == CMD_JM_BLOCK_FOUND)
        gw_agent_block(ga, link, al, msg);
    else if (msg->command == CMD_MW_BATCH)
        gw_agent_batch(ga, link, al, msg);
    else
        ut_rpc_reply_error(link, msg, 2, "unknown command");
}

/* ---- links ---- */

typedef struct gw_dup {
    const ut_rpc_link *keep;
    const char *id;
} gw_dup;

static void gw_agent_close_dup(ut_rpc_link *link, void *arg)
{
    gw_dup *d = arg;
    const char *id = ut_rpc_link_agent(link);

    if (link != d->keep && id != NULL && strcmp(id, d->id) == 0 && ut_rpc_link_data(link)) {
        log_warn("agent %s connected again, closing its older link from %s", d->id,
                 ut_rpc_link_peer(link));
        ut_rpc_link_close(link, "replaced by a newer link of the same agent");
    }
}

static void gw_agent_on_up(ut_rpc_link *link, void *udata)
{
    gw_agent *ga = udata;
    const gw_agent_cfg *a = gw_agent_find(ga->srv->cfg, ut_rpc_link_agent(link));
    gw_alink *al = a ? calloc(1, sizeof(*al)) : NULL;
    gw_dup d = { link, a ? a->id : NULL };

    if (al == NULL) {
        ut_rpc_link_close(link, "no agent record");
        return;
    }
    al->a = a;
    ut_rpc_svr_foreach(ga->svr, gw_agent_close_dup, &d);
    ut_rpc_link_set_data(link, al);
    ga->nlinks++;
    log_notice("agent up: agent=%s peer=%s %s", a->id, ut_rpc_link_peer(link),
               ut_rpc_link_tls(link) ? ut_rpc_link_tls(link) : "plaintext");
}

static void gw_agent_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    gw_agent *ga = udata;
    gw_alink *al = ut_rpc_link_data(link);

    for (gw_fwd *f = ga->fwds; f != NULL; f = f->next)
        ut_rpc_waiters_forget(&f->ws, link);
    if (al == NULL)
        return;
    log_notice("agent down: agent=%s peer=%s (%s)", al->a->id, ut_rpc_link_peer(link),
               reason ? reason : "?");
    ut_rpc_link_set_data(link, NULL);
    ga->nlinks--;
    free(al);
}

static void gw_agent_push(ut_rpc_link *link, void *arg)
{
    gw_agent *ga = arg;
    gw_alink *al = ut_rpc_link_data(link);

    if (al != NULL && al->hello)
        ut_rpc_push(link, CMD_JM_JOB, ga->job, ga->job_len);
}

void gw_agent_job(gw_agent *ga, const void *body, size_t len)
{
    char *copy;

    if (ga == NULL || (copy = malloc(len)) == NULL)
        return;
    memcpy(copy, body, len);
    free(ga->job);
    ga->job = copy;
    ga->job_len = len;
    ut_rpc_svr_foreach(ga->svr, gw_agent_push, ga);
}

size_t gw_agent_count(const gw_agent *ga)
{
    return ga ? ga->nlinks : 0;
}

/* ---- life cycle ---- */

static void gw_relay_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    (void)udata;
    log_warn("agent relay: unexpected command 0x%04x from %s", msg->command,
             ut_rpc_link_peer(link));
}

static int gw_agent_table(gw_agent *ga)
{
    const gw_config *cfg = ga->srv->cfg;

    ga->table = calloc(cfg->nagents + 1, sizeof(*ga->table));
    if (ga->table == NULL)
        return -1;
    for (size_t i = 0; i < cfg->nagents; i++)
        ga->table[i] = (ut_auth_agent){ cfg->agents[i].id, cfg->agents[i].secret };
    return 0;
}

static int gw_agent_links(gw_agent *ga)
{
    static const ut_rpc_handlers h = {
        .on_msg = gw_agent_on_msg, .on_up = gw_agent_on_up, .on_down = gw_agent_on_down,
    };
    static const ut_rpc_handlers rh = { .on_msg = gw_relay_on_msg };
    const gw_config *cfg = ga->srv->cfg;
    ut_rpc_cfg rc = { .addr = cfg->agents_listen.bind, .agents = ga->table,
                      .allow = (const char **)cfg->agents_listen.allow, .request_timeout = 30 };
    ut_rpc_cfg up = { .addr = cfg->agents_relay, .request_timeout = 30 };
    nw_tls_cfg tls = { .cert_file = cfg->agents_cert, .key_file = cfg->agents_key,
                       .ca_file = cfg->agents_ca,
                       .require_client_cert = cfg->agents_require_cert };

    rc.tls = &tls;              /* the files are loaded by ut_rpc_svr_create */
    ga->svr = ut_rpc_svr_create(ga->srv->loop, &rc, &h, ga);
    if (ga->svr == NULL)
        return -1;
    if (cfg->agents_relay != NULL &&
        (ga->relay = ut_rpc_clt_create(ga->srv->loop, &up, &rh, ga)) == NULL)
        return -1;
    return 0;
}

gw_agent *gw_agent_create(gw_server *srv)
{
    gw_agent *ga = calloc(1, sizeof(*ga));

    if (ga == NULL)
        return NULL;
    ga->srv = srv;
    if (gw_agent_table(ga) != 0 || gw_agent_links(ga) != 0) {
        log_error("agents: cannot set up the agent port %s", srv->cfg->agents_listen.bind);
        gw_agent_free(ga);
        return NULL;
    }
    return ga;
}

int gw_agent_start(gw_agent *ga)
{
    if (ut_rpc_svr_start(ga->svr) != 0) {
        log_error("agents: cannot listen on %s", ga->srv->cfg->agents_listen.bind);
        return -1;
    }
    if (ga->relay != NULL && ut_rpc_clt_start(ga->relay) != 0)
        return -1;
    log_notice("agents: listening on %s (TLS), %zu agents known, batches to %s",
               ga->srv->cfg->agents_listen.bind, ga->srv->cfg->nagents,
               ga->srv->cfg->agents_relay ? ga->srv->cfg->agents_relay : "(none: refused)");
    return 0;
}

/* Free the jobmaster link first: blocks relayed to it get their callback
 * here, while the agent port is still alive. */
void gw_agent_free(gw_agent *ga)
{
    if (ga == NULL)
        return;
    if (ga->relay != NULL)
        ut_rpc_clt_free(ga->relay);   /* relayed batches get their callback */
    if (ga->svr != NULL)
        ut_rpc_svr_free(ga->svr);
    while (ga->fwds != NULL)
        gw_fwd_free(ga->fwds);
    free(ga->table);
    free(ga->job);
    free(ga);
}
