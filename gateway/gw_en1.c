/* gw_en1: extranonce1 allocation (see gw_en1.h for the byte layout); the
 * live counter values are an st_ids set. */
#include <string.h>
#include "gateway/gw_en1.h"

int gw_en1_init(gw_en1 *a, uint8_t gateway_id, uint8_t worker, uint32_t start)
{
    memset(a, 0, sizeof(*a));
    if (worker > 15 || st_ids_init(&a->ids, start) != 0)
        return -1;
    a->gateway_id = gateway_id;
    a->worker = worker;
    return 0;
}

void gw_en1_free(gw_en1 *a)
{
    st_ids_free(&a->ids);
}

bool gw_en1_in_use(const gw_en1 *a, uint32_t counter)
{
    return st_ids_in_use(&a->ids, counter);
}

int gw_en1_alloc(gw_en1 *a, uint32_t *counter)
{
    return st_ids_alloc(&a->ids, counter);
}

void gw_en1_release(gw_en1 *a, uint32_t counter)
{
    st_ids_release(&a->ids, counter);
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
