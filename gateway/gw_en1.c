/* gw_en1: extranonce1 allocation (see gw_en1.h for the byte layout). */
#include <stdlib.h>
#include <string.h>
#include "gateway/gw_en1.h"

#define GW_EN1_WORDS (GW_EN1_COUNTER_SPACE / 64)

int gw_en1_init(gw_en1 *a, uint8_t gateway_id, uint8_t worker, uint32_t start)
{
    memset(a, 0, sizeof(*a));
    if (worker > 15)
        return -1;
    a->bits = calloc(GW_EN1_WORDS, sizeof(uint64_t));
    if (a->bits == NULL)
        return -1;
    a->gateway_id = gateway_id;
    a->worker = worker;
    a->next = start & (GW_EN1_COUNTER_SPACE - 1);
    return 0;
}

void gw_en1_free(gw_en1 *a)
{
    free(a->bits);
    a->bits = NULL;
}

bool gw_en1_in_use(const gw_en1 *a, uint32_t counter)
{
    counter &= GW_EN1_COUNTER_SPACE - 1;
    return (a->bits[counter / 64] >> (counter % 64)) & 1;
}

/* Finds the first clear bit at or after pos, wrapping once. */
static int gw_en1_find_free(const gw_en1 *a, uint32_t pos, uint32_t *out)
{
    uint32_t word = pos / 64;
    uint64_t mask = ~0ull << (pos % 64);

    for (uint32_t i = 0; i <= GW_EN1_WORDS; i++) {
        uint32_t w = (word + i) % GW_EN1_WORDS;
        uint64_t freebits = ~a->bits[w] & (i == 0 ? mask : ~0ull);
        if (freebits != 0) {
            *out = w * 64 + (uint32_t)__builtin_ctzll(freebits);
            return 0;
        }
    }
    return -1;
}

int gw_en1_alloc(gw_en1 *a, uint32_t *counter)
{
    uint32_t v;

    if (a->live >= GW_EN1_COUNTER_SPACE || gw_en1_find_free(a, a->next, &v) != 0)
        return -1;
    a->bits[v / 64] |= 1ull << (v % 64);
    a->live++;
    a->next = (v + 1) & (GW_EN1_COUNTER_SPACE - 1);
    *counter = v;
    return 0;
}

void gw_en1_release(gw_en1 *a, uint32_t counter)
{
    counter &= GW_EN1_COUNTER_SPACE - 1;
    if (!gw_en1_in_use(a, counter))
        return;
    a->bits[counter / 64] &= ~(1ull << (counter % 64));
    a->live--;
}

void gw_en1_bytes(const gw_en1 *a, uint32_t counter, uint8_t *out, size_t size)
{
    uint32_t v = ((uint32_t)a->worker << GW_EN1_COUNTER_BITS) |
                 (counter & (GW_EN1_COUNTER_SPACE - 1));

    memset(out, 0, size);
    out[0] = a->gateway_id;
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}
