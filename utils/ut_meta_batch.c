/* ut_meta_batch: closing what was counted into batches: the JSON body of
 * a batch (at most max_batch_records records), the list of pending
 * batches, the max_spool_bytes check, and forgetting the counts. */
#include "utils/ut_meta_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_log.h"
#include "utils/ut_meta_check.h"

static json_t *mt_rec_json(const mt_rec *r)
{
    json_t *o = json_pack("{s:I, s:s, s:s}", "t", (json_int_t)r->minute, "user", r->names,
                          "worker", r->names + r->wpos);
    if (!o)
        return NULL;
    if (r->s) {
        json_object_set_new(o, "s", json_integer(r->s));
        json_object_set_new(o, "p", json_real(r->p));
        json_object_set_new(o, "g", json_real(r->g));
    }
    if (r->r)
        json_object_set_new(o, "r", json_integer(r->r));
    if (r->st)
        json_object_set_new(o, "st", json_integer(r->st));
    return o;
}

static json_t *mt_sys_json(const mt_sys *s)
{
    json_t *o = json_pack("{s:I}", "t", (json_int_t)s->minute);
    if (!o)
        return NULL;
    if (s->share) {
        json_object_set_new(o, "pow", json_real(s->pow));
        json_object_set_new(o, "share", json_integer(s->share));
    }
    if (s->reject)
        json_object_set_new(o, "reject", json_integer(s->reject));
    if (s->stale)
        json_object_set_new(o, "stale", json_integer(s->stale));
    if (s->block)
        json_object_set_new(o, "block", json_integer(s->block));
    if (s->has_conn)
        json_object_set_new(o, "connections", json_integer(s->connections));
    return o;
}

static json_t *mt_body_new(ut_meta *m, uint64_t seq, double now)
{
    if (!(now >= 0 && now <= (double)UT_META_T_MAX))
        now = 0;                        /* a broken clock: no undefined conversion */
    return json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:[], s:[], s:[]}", "v", 1,
                     "source", m->source, "epoch", m->epoch, "seq", (json_int_t)seq, "coin",
                     m->coin, "coin_name", m->coin_name, "host", m->host, "time",
                     (json_int_t)floor(now), "shares", "system", "events");
}

void mt_batch_link(ut_meta *m, mt_batch *b)
{
    b->prev = m->tail;
    b->next = NULL;
    if (m->tail)
        m->tail->next = b;
    else
        m->head = b;
    m->tail = b;
    m->npending++;
}

void mt_batch_unlink(ut_meta *m, mt_batch *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        m->head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        m->tail = b->prev;
    m->npending--;
}

void mt_batch_drop_body(ut_meta *m, mt_batch *b)
{
    if (b->body) {
        m->mem_bytes -= b->len;
        free(b->body);
        b->body = NULL;
    }
}

void mt_batch_free(ut_meta *m, mt_batch *b)
{
    mt_batch_drop_body(m, b);
    free(b);
}

/* Turns a closed JSON body into a pending batch. Returns 0, or -1 when it
 * was refused (its seq is then not used). */
static int mt_batch_add(ut_meta *m, json_t *body, uint64_t seq, double now)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    mt_batch *b = text ? calloc(1, sizeof(*b)) : NULL;
    if (!b) {
        log_fatal("meta %s: out of memory, batch seq %" PRIu64 " is lost", m->source, seq);
        free(text);
        return -1;
    }
    size_t len = strlen(text);
    if (m->replaying) {
        free(b);
        return jr_replay_put(m, seq, text, len);
    }
    uint64_t unacked = mt_unacked_bytes(m);
    if (m->cfg.max_spool_bytes &&
        unacked + ut_spool_record_bytes(len) > m->cfg.max_spool_bytes) {
        log_fatal("meta %s: %" PRIu64 " bytes of unacknowledged batches pass max_spool_bytes,"
                  " batch %s/%s/%" PRIu64 " (%zu bytes) is refused, its counts are lost",
                  m->source, unacked, m->source, m->epoch, seq, len);
        free(text);
        free(b);
        return -1;
    }
    b->m = m;
    snprintf(b->name, sizeof(b->name), "%s%s.%010" PRIu64, m->prefix, m->epoch, seq);
    snprintf(b->id, sizeof(b->id), "%s/%s/%" PRIu64, m->source, m->epoch, seq);
    b->body = text;
    b->len = len;
    b->created = now;
    m->mem_bytes += len;
    mt_batch_link(m, b);
    log_debug("meta %s: batch %s closed, %zu bytes", m->source, b->id, len);
    /* Spooled before its journal goes and before it is ever sent. After a
     * failure (or behind held batches) it waits for mt_retry_held. */
    int rc = m->nheld ? -1 : mt_spool_batch(m, b);
    if (rc != 0 && !m->nheld) {
        log_fatal("meta %s: batch %s could not be spooled (%s), %zu bytes kept in memory"
                  " and its journal kept, retrying", m->source, b->id,
                  rc == -2 ? "spool full" : "I/O error", b->len);
        m->spool_retry_at = ev_now(m->loop) + MT_SPOOL_RETRY;
    }
    if (rc != 0)
        mt_hold(m, b, 0);        /* jseq set by mt_close_now */
    return 0;
}

/* Closes everything counted so far into batches of at most max records. */
void mt_close_batches(ut_meta *m, double now)
{
    mt_roll_connections(m, now);
    size_t max = m->cfg.max_batch_records, nrec = 0;
    json_t *body = NULL;
    mt_rec *r = m->first;
    mt_sys *s = m->sys;
    size_t ev = 0, nev = m->nev, evpos = 0;
    while (r || s || ev < nev) {
        if (!body) {
            body = mt_body_new(m, m->seq + 1, now);
            if (!body)
                break;
            nrec = 0;
        }
        if (s) {
            json_array_append_new(json_object_get(body, "system"), mt_sys_json(s));
            s = s->next;
        } else if (r) {
            json_array_append_new(json_object_get(body, "shares"), mt_rec_json(r));
            r = r->order;
        } else {
            json_array_append_new(json_object_get(body, "events"),
                                  json_loads(m->ev.data + evpos, 0, NULL));
            evpos += strlen(m->ev.data + evpos) + 1;
            ev++;
        }
        if (++nrec >= max || (!r && !s && ev >= nev)) {
            if (mt_batch_add(m, body, m->seq + 1, now) == 0)
                m->seq++;
            json_decref(body);
            body = NULL;
        }
    }
    json_decref(body);
}

/* Forgets the counted data (after it went into batches). */
void mt_reset_counts(ut_meta *m)
{
    ut_htab_clear(&m->cells);
    m->first = m->last = NULL;
    for (mt_sys *s = m->sys, *n; s; s = n) {
        n = s->next;
        free(s);
    }
    m->sys = NULL;
    m->nev = 0;
    nw_buf_reset(&m->ev);
    if (m->ev.cap > (1u << 20))    /* a burst of events: give the big buffer back */
        nw_buf_free(&m->ev);
}
