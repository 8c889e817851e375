/* gw_vardiff: difficulty retargeting per connection (see gw_vardiff.h). */
#include <math.h>
#include "gateway/gw_vardiff.h"
#include "utils/ut_diff.h"

#define GW_VARDIFF_HYSTERESIS 0.15

void gw_vardiff_reset(gw_vardiff *v, double now)
{
    v->window_start = now;
    v->shares = 0;
}

/* The difficulty for the window just closed; 0 when nothing changes. */
static double gw_vardiff_propose(gw_vardiff *v, const gw_vardiff_cfg *cfg, double now,
                                 double diff)
{
    double elapsed = now - v->window_start;
    double want;

    if (elapsed < 0.001)
        elapsed = 0.001;
    /* No share at all: the interval is at least the window length. */
    want = v->shares ? diff * v->shares * cfg->target / elapsed : diff * cfg->target / elapsed;
    gw_vardiff_reset(v, now);
    if (want > diff * GW_VARDIFF_MAX_STEP)
        want = diff * GW_VARDIFF_MAX_STEP;
    if (want < diff / GW_VARDIFF_MAX_STEP)
        want = diff / GW_VARDIFF_MAX_STEP;
    want = ut_diff_clamp(want, cfg->min, cfg->max);
    if (fabs(want - diff) <= diff * GW_VARDIFF_HYSTERESIS)
        return 0;
    return want;
}

double gw_vardiff_share(gw_vardiff *v, const gw_vardiff_cfg *cfg, double now, double diff)
{
    v->shares++;
    if (now - v->window_start >= cfg->retarget || v->shares >= GW_VARDIFF_BURST)
        return gw_vardiff_propose(v, cfg, now, diff);
    return 0;
}

double gw_vardiff_tick(gw_vardiff *v, const gw_vardiff_cfg *cfg, double now, double diff)
{
    if (now - v->window_start < cfg->retarget)
        return 0;
    return gw_vardiff_propose(v, cfg, now, diff);
}
