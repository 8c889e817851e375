/* ut_meta_flush: the flush timer (every flush_interval, or with align just
 * after each multiple of it on the wall clock) that closes the counts into
 * batches and retires their journal, and the tick timer (journal sync,
 * held batches, aging, sending). */
#include "utils/ut_meta_int.h"

#include <malloc.h>
#include <math.h>

void mt_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    ut_meta *m = w->data;
    mt_refused_log(m, NULL);
    ut_meta_sync(m);
    mt_retry_held(m, false);
    mt_age(m);
    mt_pump(m);
}

/* Closes the counts into spooled batches, then retires their journal;
 * when one of them could not be spooled, the journal is kept and all of
 * them are held until it can be removed. */
void mt_close_now(ut_meta *m, double now, bool last)
{
    mt_batch *before = m->tail;
    uint64_t jseq = m->seq + 1;
    if (m->jon) {
        jr_pair(m, 'X', &now, &now);
        ut_meta_sync(m);
    }
    mt_close_batches(m, now);
    mt_reset_counts(m);
    bool keep = false;
    for (mt_batch *b = before ? before->next : m->head; b; b = b->next)
        keep = keep || b->held;
    for (mt_batch *b = before ? before->next : m->head; keep && b; b = b->next)
        mt_hold(m, b, jseq);
    jr_end(m, keep);
    if (!last)
        jr_begin(m);
}

void ut_meta_flush(ut_meta *m)
{
    mt_close_now(m, mt_now(m), false);
    mt_pump(m);
}

/* Seconds until the next flush: flush_interval, or with align the time to
 * just after the next multiple of it (a short grace for late shares). */
double mt_flush_delay(ut_meta *m)
{
    double iv = m->cfg.flush_interval, grace = iv / 60 < 1.0 ? iv / 60 : 1.0;

    if (!m->cfg.align)
        return iv;
    return iv - fmod(mt_now(m), iv) + grace;
}

void mt_on_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
    ut_meta *m = w->data;

    ut_meta_flush(m);
    ev_timer_stop(loop, w);
    ev_timer_set(w, mt_flush_delay(m), 0.0);
    ev_timer_start(loop, w);
    /* What the closed batch held (event objects, names) goes back to the
     * system instead of staying in the heap as holes. */
    malloc_trim(0);
}
