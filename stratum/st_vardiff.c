/* st_vardiff: difficulty retargeting per connection (see st_vardiff.h). */
#include <math.h>
#include "stratum/st_vardiff.h"
#include "utils/ut_diff.h"

#define ST_VARDIFF_HYSTERESIS 0.15

void st_vardiff_reset(st_vardiff *v, double now)
{
    v->window_start = now;
    v->shares = 0;
}

/* The difficulty for the window just closed; 0 when nothing changes. */
static double st_vardiff_propose(st_vardiff *v, const st_vardiff_cfg *cfg, double now,
                                 double diff)
{
    double elapsed = now - v->window_start;
    double want;

    if (elapsed < 0.001)
        elapsed = 0.001;
    /* No share at all: the interval is at least the window length. */
    want = v->shares ? diff * v->shares * cfg->target / elapsed : diff * cfg->target / elapsed;
    st_vardiff_reset(v, now);
    if (want > diff * ST_VARDIFF_MAX_STEP)
        want = diff * ST_VARDIFF_MAX_STEP;
    if (want < diff / ST_VARDIFF_MAX_STEP)
        want = diff / ST_VARDIFF_MAX_STEP;
    want = ut_diff_clamp(want, cfg->min, cfg->max);
    if (fabs(want - diff) <= diff * ST_VARDIFF_HYSTERESIS)
        return 0;
    return want;
}

double st_vardiff_share(st_vardiff *v, const st_vardiff_cfg *cfg, double now, double diff)
{
    v->shares++;
    if (now - v->window_start >= cfg->retarget || v->shares >= ST_VARDIFF_BURST)
        return st_vardiff_propose(v, cfg, now, diff);
    return 0;
}

double st_vardiff_tick(st_vardiff *v, const st_vardiff_cfg *cfg, double now, double diff)
{
    if (now - v->window_start < cfg->retarget)
        return 0;
    return st_vardiff_propose(v, cfg, now, diff);
}
