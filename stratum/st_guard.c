/* st_guard: block candidates rationed per parent (see st_guard.h). */
#include <string.h>
#include "stratum/st_guard.h"

bool st_guard_admit(st_guard *g, const uint8_t prev[32])
{
    if (!g->valid || memcmp(g->prev, prev, 32) != 0) {
        memcpy(g->prev, prev, 32);
        g->valid = true;
        g->won = false;
        g->inflight = 0;
    }
    if (g->won || g->inflight >= ST_GUARD_MAX_INFLIGHT)
        return false;
    g->inflight++;
    return true;
}

void st_guard_done(st_guard *g, const uint8_t prev[32], bool accepted)
{
    if (!g->valid || memcmp(g->prev, prev, 32) != 0)
        return;   /* the answer for an older parent */
    if (g->inflight > 0)
        g->inflight--;
    if (accepted)
        g->won = true;
}
