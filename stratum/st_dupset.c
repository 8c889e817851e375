/* st_dupset: per-job duplicate share detection (see st_dupset.h). */
#include <stdlib.h>
#include "stratum/st_dupset.h"

#define ST_DUPSET_MIN_CAP 256

void st_dupset_init(st_dupset *s, size_t max_count)
{
    s->slots = NULL;
    s->cap = 0;
    s->count = 0;
    s->max_count = max_count;
}

void st_dupset_free(st_dupset *s)
{
    free(s->slots);
    s->slots = NULL;
    s->cap = 0;
    s->count = 0;
}

static size_t st_dupset_slot(uint64_t fp, size_t cap)
{
    /* fp is a hash already; fold the high half in anyway. */
    return (size_t)(fp ^ (fp >> 32)) & (cap - 1);
}

/* Returns 1 when fp was present, 0 when it was put in. */
static int st_dupset_put(uint64_t *slots, size_t cap, uint64_t fp)
{
    size_t i = st_dupset_slot(fp, cap);

    while (slots[i] != 0) {
        if (slots[i] == fp)
            return 1;
        i = (i + 1) & (cap - 1);
    }
    slots[i] = fp;
    return 0;
}

static int st_dupset_grow(st_dupset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : ST_DUPSET_MIN_CAP;
    uint64_t *n = calloc(ncap, sizeof(uint64_t));

    if (n == NULL)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i] != 0)
            st_dupset_put(n, ncap, s->slots[i]);
    free(s->slots);
    s->slots = n;
    s->cap = ncap;
    return 0;
}

static int st_dupset_has(const st_dupset *s, uint64_t fp)
{
    if (s->cap == 0)
        return 0;
    for (size_t i = st_dupset_slot(fp, s->cap); s->slots[i] != 0; i = (i + 1) & (s->cap - 1))
        if (s->slots[i] == fp)
            return 1;
    return 0;
}

int st_dupset_insert(st_dupset *s, uint64_t fp)
{
    if (fp == 0)
        fp = 1;   /* 0 marks an empty slot */
    if (s->count >= s->max_count)
        return st_dupset_has(s, fp) ? ST_DUP_SEEN : ST_DUP_FULL;
    /* Keep the load at or below 1/2 so probes stay short. */
    if (s->count * 2 >= s->cap && st_dupset_grow(s) != 0)
        return st_dupset_has(s, fp) ? ST_DUP_SEEN : ST_DUP_FULL;
    if (st_dupset_put(s->slots, s->cap, fp))
        return ST_DUP_SEEN;
    s->count++;
    return ST_DUP_NEW;
}
