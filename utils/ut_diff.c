/* ut_diff: difficulty sanitising and exact double formatting (see
 * ut_diff.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "utils/ut_diff.h"

bool ut_diff_ok(double d)
{
    return d >= UT_DIFF_MIN && d <= UT_DIFF_MAX;   /* false for NaN */
}

static double ut_diff_bound(double d)
{
    if (!(d >= UT_DIFF_MIN))                       /* NaN, tiny, negative */
        return UT_DIFF_MIN;
    return d > UT_DIFF_MAX ? UT_DIFF_MAX : d;
}

/* d is within [UT_DIFF_MIN, UT_DIFF_MAX] here, so the scale below is at
 * most 10^12 and never overflows. */
static double ut_diff_round(double d)
{
    if (d >= 1.0)
        return floor(d + 0.5);
    double scale = pow(10.0, 2.0 - floor(log10(d)));
    return round(d * scale) / scale;
}

double ut_diff_clamp(double d, double lo, double hi)
{
    lo = ut_diff_bound(lo);
    hi = ut_diff_bound(hi);
    if (hi < lo)
        hi = lo;
    if (isnan(d) || d <= 0)
        d = lo;
    else if (d > hi)
        d = hi;
    d = ut_diff_round(d < lo ? lo : d);
    if (d < lo)
        d = lo;
    if (d > hi)
        d = hi;
    return d;
}

int ut_fmt_double(double v, char *buf, size_t n)
{
    if (n > 0)
        buf[0] = '\0';
    if (!isfinite(v) || n == 0)
        return -1;
    /* Whole numbers as plain digits ("1000", not "1e+03"): some firmware
     * reads set_difficulty with an integer parser. */
    if (v == floor(v) && fabs(v) < 1e17) {
        int len = snprintf(buf, n, "%.0f", v);
        if (len < 0 || (size_t)len >= n) {
            buf[0] = '\0';
            return -1;
        }
        return len;
    }
    for (int prec = 1; prec <= 17; prec++) {
        int len = snprintf(buf, n, "%.*g", prec, v);
        if (len < 0 || (size_t)len >= n) {
            buf[0] = '\0';
            return -1;
        }
        if (strtod(buf, NULL) == v)
            return len;
    }
    return -1;   /* not reached: %.17g always reads back exactly */
}
