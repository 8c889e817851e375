/* st_ids: live-id bitmap for extranonce1 allocators (see st_ids.h). */
#include <stdlib.h>
#include <string.h>
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
    s->bits[id / 64] &= ~(1ull << (id % 64));
    s->live--;
}
