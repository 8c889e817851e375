/* ut_meta: the sending side of the accounting path (see ut_meta.h; how the
 * pieces fit: ut_meta_int.h). This file: the life cycle (configuration and
 * its defaults, create, start, free) and the figures for /metrics. */
#include "utils/ut_meta_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utils/ut_log.h"

static char *mt_strdup_or(const char *s, const char *dflt)
{
    return strdup(s && *s ? s : dflt);
}

static void mt_apply_defaults(ut_meta_cfg *c)
{
    if (c->flush_interval <= 0)
        c->flush_interval = MT_DEFAULT_FLUSH;
    if (!c->max_spool_bytes)
        c->max_spool_bytes = MT_DEFAULT_SPOOL_MAX;
    if (!c->max_batch_records)
        c->max_batch_records = MT_DEFAULT_RECORDS;
    if (!c->max_mem_bytes)
        c->max_mem_bytes = MT_DEFAULT_MEM;
    if (c->spool_after <= 0)
        c->spool_after = MT_DEFAULT_SPOOL_AFTER;
    if (c->request_timeout <= 0)
        c->request_timeout = MT_DEFAULT_TIMEOUT;
    if (!c->window)
        c->window = MT_DEFAULT_WINDOW;
}

static int mt_copy_cfg(ut_meta *m, const ut_meta_cfg *cfg)
{
    m->cfg = *cfg;
    mt_apply_defaults(&m->cfg);
    m->coin = mt_strdup_or(cfg->coin, "btc");
    m->host = mt_strdup_or(cfg->host, "localhost");
    m->source = mt_strdup_or(cfg->source_id, "");
    m->upstream = cfg->upstream && *cfg->upstream ? strdup(cfg->upstream) : NULL;
    m->spool_dir = mt_strdup_or(cfg->spool_dir, "");
    m->coin_name = mt_strdup_or(cfg->coin_name, m->coin ? m->coin : "btc");
    if (!m->coin || !m->host || !m->source || !m->spool_dir || !m->coin_name ||
        (cfg->upstream && *cfg->upstream && !m->upstream))
        return -1;
    if (!(cfg->coin_name && *cfg->coin_name)) {
        for (char *p = m->coin_name; *p; p++)
            *p = (char)toupper((unsigned char)*p);
    }
    m->cfg.coin = m->coin;
    m->cfg.coin_name = m->coin_name;
    m->cfg.host = m->host;
    m->cfg.source_id = m->source;
    m->cfg.upstream = m->upstream;
    m->cfg.spool_dir = m->spool_dir;
    return 0;
}

ut_meta *ut_meta_create(struct ev_loop *loop, const ut_meta_cfg *cfg)
{
    if (!ut_meta_source_ok(cfg->source_id)) {
        log_error("meta: source_id '%s' is not 1..64 of [A-Za-z0-9_:-]",
                  cfg->source_id ? cfg->source_id : "(null)");
        return NULL;
    }
    ut_meta *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->loop = loop;
    m->jfd = -1;
    ut_htab_init(&m->cells, sizeof(mt_rec), 0);
    nw_buf_init(&m->ev);
    nw_buf_init(&m->jbuf);
    if (mt_copy_cfg(m, cfg) != 0) {
        ut_meta_free(m);
        return NULL;
    }
    mt_new_epoch(m->epoch);
    snprintf(m->prefix, sizeof(m->prefix), "mb-%s.", m->source);
    m->conn_next = mt_minute(mt_now(m));
    m->spool = ut_spool_open(m->spool_dir, m->prefix, m->cfg.max_spool_bytes);
    if (!m->spool || mt_make_clt(m) != 0) {
        log_error("meta %s: cannot use spool dir '%s'", m->source, m->spool_dir);
        ut_meta_free(m);
        return NULL;
    }
    snprintf(m->jprefix, sizeof(m->jprefix), "mj-%s.", m->source);
    jr_replay_all(m);
    mt_replay_spool(m);
    if (jr_init(m) != 0) {
        ut_meta_free(m);
        return NULL;
    }
    m->jon = true;
    jr_begin(m);
    log_info("meta %s: epoch %s, upstream %s, spool %s", m->source, m->epoch,
             m->upstream ? m->upstream : "(none)", m->spool_dir);
    return m;
}

int ut_meta_start(ut_meta *m)
{
    ev_timer_init(&m->flush_timer, mt_on_flush, mt_flush_delay(m), 0.0);
    m->flush_timer.data = m;
    ev_timer_start(m->loop, &m->flush_timer);
    ev_timer_init(&m->tick_timer, mt_on_tick, MT_TICK, MT_TICK);
    m->tick_timer.data = m;
    ev_timer_start(m->loop, &m->tick_timer);
    m->started = true;
    if (m->clt && ut_rpc_clt_start(m->clt) != 0) {
        log_error("meta %s: cannot start the link to %s", m->source, m->upstream);
        return -1;
    }
    return 0;
}

void ut_meta_free(ut_meta *m)
{
    if (!m)
        return;
    if (m->spool) {
        mt_close_now(m, mt_now(m), true);
        mt_retry_held(m, true);     /* what still fails: its journal is replayed */
    }
    m->closing = true;
    if (m->started) {
        ev_timer_stop(m->loop, &m->flush_timer);
        ev_timer_stop(m->loop, &m->tick_timer);
    }
    if (m->clt)
        ut_rpc_clt_free(m->clt);
    for (mt_batch *b = m->head, *n; b; b = n) {
        n = b->next;
        mt_batch_free(m, b);
    }
    ut_spool_close(m->spool);
    if (m->jfd >= 0)
        close(m->jfd);
    nw_buf_free(&m->jbuf);
    nw_buf_free(&m->ev);
    ut_htab_free(&m->cells);
    free(m->coin);
    free(m->coin_name);
    free(m->host);
    free(m->source);
    free(m->upstream);
    free(m->spool_dir);
    free(m);
}

size_t ut_meta_pending(const ut_meta *m)
{
    return m->npending;
}

uint64_t ut_meta_spooled_bytes(const ut_meta *m)
{
    return m->spool ? ut_spool_bytes(m->spool) : 0;
}

uint64_t ut_meta_acked(const ut_meta *m)
{
    return m->acked;
}

uint64_t ut_meta_refused(const ut_meta *m)
{
    return m->refused;
}

const char *ut_meta_epoch(const ut_meta *m)
{
    return m->epoch;
}
