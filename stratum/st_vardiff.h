/* st_vardiff: per-connection variable difficulty. Counts accepted shares
 * over a window and, once the window is old enough (retarget seconds) or
 * has collected a burst of shares, proposes the difficulty that would make
 * the miner submit one share every target seconds. Each step moves by at
 * most a factor of 4 (either way) and stays within [min, max]; proposals
 * within 15% of the current difficulty are dropped so a steady miner does
 * not see a stream of set_difficulty. Difficulties at or above 1 are
 * rounded to integers (some firmware truncates fractions); below 1 they
 * keep three significant digits (ut_diff_clamp does both). */
#ifndef ST_VARDIFF_H
#define ST_VARDIFF_H

#include <stdint.h>

typedef struct st_vardiff_cfg {
    double start;      /* difficulty of a new connection */
    double min;        /* lower bound (> 0; fractions allowed, e.g. 1e-9) */
    double max;        /* upper bound */
    double target;     /* wanted seconds between shares, e.g. 10 */
    double retarget;   /* seconds of window before a retarget, e.g. 60 */
} st_vardiff_cfg;

typedef struct st_vardiff {
    double window_start;
    uint32_t shares;
} st_vardiff;

#define ST_VARDIFF_BURST 32   /* shares that allow an early retarget */
#define ST_VARDIFF_MAX_STEP 4.0

void st_vardiff_reset(st_vardiff *v, double now);
/* An accepted share at now. Returns the new difficulty when a retarget is
 * due and changes it, else 0 (the window restarts whenever a retarget was
 * evaluated). */
double st_vardiff_share(st_vardiff *v, const st_vardiff_cfg *cfg, double now, double diff);
/* Periodic check for miners that went quiet: same contract. */
double st_vardiff_tick(st_vardiff *v, const st_vardiff_cfg *cfg, double now, double diff);

#endif
