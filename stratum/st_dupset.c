/* st_dupset: per-connection duplicate share detection (see st_dupset.h). */
#include <stdlib.h>
#include "stratum/st_dupset.h"

#define ST_DUPSET_MIN_CAP 64

void st_dupset_init(st_dupset *s, size_t max_count)
{
    s->slots = NULL;
    s->cap = 0;
    s->count = 0;
    s->max_count = max_count;
    s->pruned_for = 0;
}

void st_dupset_free(st_dupset *s)
{
    free(s->slots);
    s->slots = NULL;
    s->cap = 0;
    s->count = 0;
}

static uint64_t st_dupset_entry(uint64_t fp, uint64_t seq)
{
    uint64_t e = (fp & ~0xffffull) | (seq & 0xffff);

    return e != 0 ? e : 1 << 16;   /* 0 marks an empty slot */
}

/* An entry's job is live when its 16-bit seq is at or after live_seq's. */
static int st_dupset_live(uint64_t e, uint64_t live_seq)
{
    return (uint16_t)((uint16_t)e - (uint16_t)live_seq) < 0x8000;
}

static size_t st_dupset_slot(uint64_t e, size_t cap)
{
    return (size_t)((e >> 16) ^ (e >> 40)) & (cap - 1);
}

/* Returns 1 when e was present, 0 when it was put in. */
static int st_dupset_put(uint64_t *slots, size_t cap, uint64_t e)
{
    size_t i = st_dupset_slot(e, cap);

    while (slots[i] != 0) {
        if (slots[i] == e)
            return 1;
        i = (i + 1) & (cap - 1);
    }
    slots[i] = e;
    return 0;
}

/* Rebuilds the table at ncap slots with the entries of live jobs only. */
static int st_dupset_rebuild(st_dupset *s, size_t ncap, uint64_t live_seq)
{
    uint64_t *n = calloc(ncap, sizeof(uint64_t));

    if (n == NULL)
        return -1;
    s->count = 0;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i] != 0 && st_dupset_live(s->slots[i], live_seq)) {
            st_dupset_put(n, ncap, s->slots[i]);
            s->count++;
        }
    free(s->slots);
    s->slots = n;
    s->cap = ncap;
    s->pruned_for = live_seq;
    return 0;
}

static int st_dupset_has(const st_dupset *s, uint64_t e)
{
    if (s->cap == 0)
        return 0;
    for (size_t i = st_dupset_slot(e, s->cap); s->slots[i] != 0; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == e)
            return 1;
    return 0;
}

/* Makes room for one more entry: drops dead jobs' entries when live_seq
 * moved since the last time, then doubles while under max_count. */
static int st_dupset_room(st_dupset *s, uint64_t live_seq)
{
    size_t ncap;

    if (s->count * 2 < s->cap && s->count < s->max_count)
        return 0;
    if (s->cap > 0 && s->pruned_for != live_seq) {
        size_t live = 0;
        for (size_t i = 0; i < s->cap; i++)
            live += s->slots[i] != 0 && st_dupset_live(s->slots[i], live_seq);
        ncap = s->cap;
        while (ncap > ST_DUPSET_MIN_CAP && live * 8 < ncap)
            ncap /= 2;   /* shrink when the live part is small */
        if (st_dupset_rebuild(s, ncap, live_seq) != 0)
            return -1;
        if (s->count * 2 < s->cap && s->count < s->max_count)
            return 0;
    }
    if (s->count >= s->max_count)
        return -1;
    return st_dupset_rebuild(s, s->cap ? s->cap * 2 : ST_DUPSET_MIN_CAP, live_seq);
}

int st_dupset_insert(st_dupset *s, uint64_t fp, uint64_t seq, uint64_t live_seq)
{
    uint64_t e = st_dupset_entry(fp, seq);

    if (st_dupset_has(s, e))
        return ST_DUP_SEEN;
    if (st_dupset_room(s, live_seq) != 0)
        return ST_DUP_FULL;
    st_dupset_put(s->slots, s->cap, e);
    s->count++;
    return ST_DUP_NEW;
}
