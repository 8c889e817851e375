/* ut_meta_send: sending batches as CMD_MW_BATCH requests, a window at a
 * time, and their replies (ack, retry with backoff, refused for good). The
 * link is ut_meta's own client to cfg.upstream, or one the caller lends
 * (ut_meta_link_up/down, a mineragent's link to its gateway). */
#include "utils/ut_meta_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_cmd.h"
#include "utils/ut_log.h"

/* The link batches go out on now: the own client's, or the lent one. */
ut_rpc_link *mt_link(const ut_meta *m)
{
    if (m->clt)
        return ut_rpc_clt_up(m->clt) ? ut_rpc_clt_link(m->clt) : NULL;
    return m->ext;
}

static void mt_on_ack(ut_meta *m, mt_batch *b)
{
    if (b->spooled)
        ut_spool_del(m->spool, b->name);
    mt_batch_unlink(m, b);
    mt_batch_free(m, b);
    m->acked++;
    m->backoff = 0;
}

static void mt_on_bad(ut_meta *m, mt_batch *b, const ut_rpc_msg *msg)
{
    log_fatal("meta %s: batch %s refused for good by %s (status %u: %.*s), kept as .bad",
              m->source, b->id, m->upstream, msg->status, (int)msg->body_len,
              (const char *)msg->body);
    if (!b->spooled && ut_spool_put(m->spool, b->name, b->body, b->len) == 0)
        b->spooled = true;
    if (b->spooled)
        ut_spool_quarantine(m->spool, b->name);
    mt_batch_unlink(m, b);
    mt_batch_free(m, b);
}

static void mt_on_retry(ut_meta *m, mt_batch *b, const char *why)
{
    double now = ev_now(m->loop);
    m->backoff = m->backoff ? m->backoff * 2 : MT_BACKOFF_MIN;
    if (m->backoff > MT_BACKOFF_MAX)
        m->backoff = MT_BACKOFF_MAX;
    b->retry_at = now + m->backoff;
    log_warn("meta %s: batch %s to %s not acknowledged (%s), retry in %.1fs", m->source,
             b->id, m->upstream, why, m->backoff);
}

static void mt_on_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    mt_batch *b = arg;
    ut_meta *m = b->m;
    b->inflight = false;
    m->inflight--;
    if (m->closing)
        return;
    if (b->spooled)
        mt_batch_drop_body(m, b);
    if (msg && msg->status == UT_META_ST_OK) {
        mt_on_ack(m, b);
    } else if (msg && msg->status == UT_META_ST_BAD) {
        mt_on_bad(m, b, msg);
    } else {
        char why[128];
        if (msg)
            snprintf(why, sizeof(why), "status %u", msg->status);
        mt_on_retry(m, b, msg ? why : (error ? error : "no reply"));
    }
    mt_pump(m);
}

/* Loads the body of a spooled batch. Returns 0, -1 on failure (the batch
 * is then dropped from the list if its record is gone or corrupt). */
static int mt_load_body(ut_meta *m, mt_batch *b)
{
    if (b->body)
        return 0;
    char *data;
    size_t len;
    if (ut_spool_get(m->spool, b->name, &data, &len) != 0) {
        log_error("meta %s: spooled batch %s cannot be read, skipped", m->source, b->id);
        mt_batch_unlink(m, b);
        mt_batch_free(m, b);
        return -1;
    }
    b->body = data;
    b->len = len;
    m->mem_bytes += len;
    return 0;
}

static int mt_send(ut_meta *m, ut_rpc_link *link, mt_batch *b)
{
    if (mt_load_body(m, b) != 0)
        return 0;
    if (ut_rpc_request(link, CMD_MW_BATCH, b->body, b->len, mt_on_reply, b) != 0)
        return -1;
    b->inflight = true;
    m->inflight++;
    return 0;
}

void mt_pump(ut_meta *m)
{
    ut_rpc_link *link = m->closing ? NULL : mt_link(m);
    if (!link)
        return;
    double now = ev_now(m->loop);
    for (mt_batch *b = m->head, *n; b && m->inflight < m->cfg.window; b = n) {
        n = b->next;
        if (b->inflight || b->held || b->retry_at > now)
            continue;
        if (mt_send(m, link, b) != 0)
            break;
    }
}

static void mt_on_up(ut_rpc_link *link, void *udata)
{
    ut_meta *m = udata;
    (void)link;
    log_info("meta %s: connected to %s, %zu batches pending", m->source, m->upstream,
             m->npending);
    m->backoff = 0;
    for (mt_batch *b = m->head; b; b = b->next)
        b->retry_at = 0;
    mt_pump(m);
}

static void mt_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    ut_meta *m = udata;
    if (!m->closing)
        log_warn("meta %s: link to %s down (%s), %zu batches pending", m->source,
                 m->upstream, reason ? reason : "?", m->npending);
}

void ut_meta_link_up(ut_meta *m, ut_rpc_link *link)
{
    if (m->clt || !link)
        return;
    char *peer = strdup(ut_rpc_link_peer(link));
    if (peer) {
        free(m->upstream);
        m->upstream = peer;
        m->cfg.upstream = peer;
    }
    m->ext = link;
    mt_on_up(link, m);
}

void ut_meta_link_down(ut_meta *m, const char *reason)
{
    if (m->clt || !m->ext)
        return;
    m->ext = NULL;
    mt_on_down(NULL, reason, m);
}

static void mt_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    ut_meta *m = udata;
    log_warn("meta %s: unexpected command 0x%04x from %s", m->source, msg->command,
             ut_rpc_link_peer(link));
}

int mt_make_clt(ut_meta *m)
{
    if (!m->upstream)
        return 0;
    ut_rpc_cfg rc = {.addr = m->upstream, .request_timeout = m->cfg.request_timeout};
    ut_rpc_handlers h = {.on_msg = mt_on_msg, .on_up = mt_on_up, .on_down = mt_on_down};
    m->clt = ut_rpc_clt_create(m->loop, &rc, &h, m);
    if (!m->clt) {
        log_error("meta %s: bad upstream address '%s'", m->source, m->upstream);
        return -1;
    }
    return 0;
}
