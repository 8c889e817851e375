/* st_ids: live-id bitmap for extranonce1 allocators (see st_ids.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stratum/st_ids.h"

#define ST_IDS_WORDS (ST_IDS_SPACE / 64)

int st_ids_init(st_ids *s, uint32_t start)
{
    memset(s, 0, sizeof(*s));
    s->bits = calloc(ST_IDS_WORDS, sizeof(uint64_t));
    if (s->bits == NULL)
        return -1;
    s->next = start & (ST_IDS_SPACE - 1);
    return 0;
}

void st_ids_free(st_ids *s)
{
    free(s->bits);
    s->bits = NULL;
    free(s->held);
    s->held = NULL;
    s->held_head = s->held_count = s->held_cap = 0;
}

void st_ids_set_quarantine(st_ids *s, uint32_t seconds, double (*clock)(void))
{
    s->quarantine = seconds;
    s->clock = clock;
}

size_t st_ids_held_count(const st_ids *s)
{
    return s->held_count;
}

static uint32_t st_ids_now(const st_ids *s)
{
    struct timespec ts;

    if (s->clock != NULL)
        return (uint32_t)s->clock();
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)ts.tv_sec;
}

static void st_ids_clear(st_ids *s, uint32_t id)
{
    s->bits[id / 64] &= ~(1ull << (id % 64));
    s->live--;
}

/* Frees the quarantined ids whose time is up (the FIFO is in time order). */
static void st_ids_expire(st_ids *s)
{
    uint32_t now;

    if (s->held_count == 0)
        return;
    now = st_ids_now(s);
    while (s->held_count > 0 && (int32_t)(now - s->held[s->held_head].until) >= 0) {
        st_ids_clear(s, s->held[s->held_head].id);
        s->held_head = (s->held_head + 1) % s->held_cap;
        s->held_count--;
    }
}

/* Appends to the FIFO, doubling the ring when full. -1 when out of memory. */
static int st_ids_hold(st_ids *s, uint32_t id)
{
    if (s->held_count == s->held_cap) {
        size_t ncap = s->held_cap ? s->held_cap * 2 : 64;
        st_ids_held *n = malloc(ncap * sizeof(*n));
        if (n == NULL)
            return -1;
        for (size_t i = 0; i < s->held_count; i++)
            n[i] = s->held[(s->held_head + i) % s->held_cap];
        free(s->held);
        s->held = n;
        s->held_cap = ncap;
        s->held_head = 0;
    }
    s->held[(s->held_head + s->held_count) % s->held_cap] =
        (st_ids_held){ .id = id, .until = st_ids_now(s) + s->quarantine };
    s->held_count++;
    return 0;
}

bool st_ids_in_use(const st_ids *s, uint32_t id)
{
    id &= ST_IDS_SPACE - 1;
    return (s->bits[id / 64] >> (id % 64)) & 1;
}

/* Finds the first clear bit at or after pos, wrapping once. */
static int st_ids_find_free(const st_ids *s, uint32_t pos, uint32_t *out)
{
    uint32_t word = pos / 64;
    uint64_t mask = ~0ull << (pos % 64);

    for (uint32_t i = 0; i <= ST_IDS_WORDS; i++) {
        uint32_t w = (word + i) % ST_IDS_WORDS;
        uint64_t freebits = ~s->bits[w] & (i == 0 ? mask : ~0ull);
        if (freebits != 0) {
            *out = w * 64 + (uint32_t)__builtin_ctzll(freebits);
            return 0;
        }
    }
    return -1;
}

int st_ids_alloc(st_ids *s, uint32_t *id)
{
    uint32_t v;

    st_ids_expire(s);
    if (s->live >= ST_IDS_SPACE || st_ids_find_free(s, s->next, &v) != 0)
        return -1;
    s->bits[v / 64] |= 1ull << (v % 64);
    s->live++;
    s->next = (v + 1) & (ST_IDS_SPACE - 1);
    *id = v;
    return 0;
}

void st_ids_release(st_ids *s, uint32_t id)
{
    id &= ST_IDS_SPACE - 1;
    if (!st_ids_in_use(s, id))
        return;
    /* Without memory for the FIFO the id is freed at once: a rare,
     * logged-elsewhere condition that only weakens duplicate detection. */
    if (s->quarantine > 0 && st_ids_hold(s, id) == 0)
        return;
    st_ids_clear(s, id);
}
