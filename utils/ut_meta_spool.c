/* ut_meta_spool: the disk spool of unacknowledged batches: spooling (a
 * batch is spooled before it is ever sent), holding the batches of a close
 * that could not be spooled (their journal kept, retried every
 * MT_SPOOL_RETRY seconds), letting go of bodies that are on disk, and
 * picking up the batches an earlier process left. */
#include "utils/ut_meta_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utils/ut_log.h"

/* Writes a batch to the spool. Its body stays in memory for sending
 * while the link is up. Returns 0, or what ut_spool_put returned. */
int mt_spool_batch(ut_meta *m, mt_batch *b)
{
    if (b->spooled)
        return 0;
    int rc = ut_spool_put(m->spool, b->name, b->body, b->len);
    if (rc != 0)
        return rc;
    b->spooled = true;
    if (!b->inflight && !mt_link(m))
        mt_batch_drop_body(m, b);
    return 0;
}

/* Holds b: its journal (named by jseq) is kept, so it is not sent until
 * every batch of that journal is spooled and the journal removed. */
void mt_hold(ut_meta *m, mt_batch *b, uint64_t jseq)
{
    b->jseq = jseq;
    if (b->held)
        return;
    b->held = true;
    m->nheld++;
    if (!b->spooled)
        m->held_bytes += ut_spool_record_bytes(b->len);
}

/* Bytes of unacknowledged batches, each counted once at its spooled size
 * (held batches not written yet count as if they were). */
uint64_t mt_unacked_bytes(const ut_meta *m)
{
    return ut_spool_bytes(m->spool) + m->held_bytes;
}

/* Lets go of the bodies of spooled batches unacknowledged for too long,
 * and of the oldest ones while bodies in memory pass max_mem_bytes (held
 * batches not spooled yet keep theirs: mt_retry_held spools them). */
void mt_age(ut_meta *m)
{
    double now = ev_now(m->loop);
    for (mt_batch *b = m->head; b; b = b->next) {
        bool old = now - b->created >= m->cfg.spool_after || m->mem_bytes > m->cfg.max_mem_bytes;
        if (old && b->spooled && !b->inflight)
            mt_batch_drop_body(m, b);
    }
}

/* Removes the kept journals whose batches are all spooled now, and lets
 * those batches be sent. Held batches of one journal are adjacent. */
static void mt_release_journals(ut_meta *m)
{
    for (mt_batch *b = m->head; b;) {
        if (!b->held) {
            b = b->next;
            continue;
        }
        uint64_t jseq = b->jseq;
        bool all = true;
        mt_batch *e = b;
        for (; e && e->held && e->jseq == jseq; e = e->next)
            all = all && e->spooled;
        if (all) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s%s.%010" PRIu64, m->spool_dir, m->jprefix,
                     m->epoch, jseq);
            unlink(path);
            for (mt_batch *x = b; x != e; x = x->next) {
                x->held = false;
                m->nheld--;
            }
            log_notice("meta %s: held batches spooled, journal %s removed", m->source, path);
        }
        b = e;
    }
}

/* Tries again to spool the held batches, in order; at most once per
 * MT_SPOOL_RETRY unless force, with one log line per failed try. */
void mt_retry_held(ut_meta *m, bool force)
{
    double now = ev_now(m->loop);
    if (!m->nheld || (!force && now < m->spool_retry_at))
        return;
    for (mt_batch *b = m->head; b; b = b->next) {
        if (!b->held || b->spooled)
            continue;
        int rc = mt_spool_batch(m, b);
        if (rc != 0) {
            log_fatal("meta %s: batch %s still cannot be spooled (%s), %zu batches held"
                      " in memory with their journal, retry in %.0fs", m->source, b->id,
                      rc == -2 ? "spool full" : "I/O error", m->nheld, MT_SPOOL_RETRY);
            m->spool_retry_at = now + MT_SPOOL_RETRY;
            break;
        }
        m->held_bytes -= ut_spool_record_bytes(b->len);
    }
    mt_release_journals(m);
}

/* Puts the batches an earlier process left in the spool back in the list. */
void mt_replay_spool(ut_meta *m)
{
    size_t n = 0;
    char **names = ut_spool_list(m->spool, &n);
    size_t plen = strlen(m->prefix);
    for (size_t i = 0; i < n; i++) {
        const char *rest = names[i] + plen;    /* "<epoch16>.<seq>" */
        bool ok = strlen(rest) > 17 && rest[16] == '.' && strspn(rest, "0123456789abcdef") == 16 &&
                  strspn(rest + 17, "0123456789") == strlen(rest + 17);
        mt_batch *b = ok ? calloc(1, sizeof(*b)) : NULL;
        if (b) {
            b->m = m;
            snprintf(b->name, sizeof(b->name), "%s", names[i]);
            snprintf(b->id, sizeof(b->id), "%s/%.16s/%" PRIu64, m->source, rest,
                     (uint64_t)strtoull(rest + 17, NULL, 10));
            b->spooled = true;
            b->created = ev_now(m->loop);
            mt_batch_link(m, b);
        }
        free(names[i]);
    }
    free(names);
    if (m->npending)
        log_notice("meta %s: %zu spooled batches from an earlier run will be resent (%" PRIu64
                   " bytes)", m->source, m->npending, ut_spool_bytes(m->spool));
}
