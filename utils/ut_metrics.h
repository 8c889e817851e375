/* ut_metrics: builds the Prometheus text body of a /metrics page one
 * sample at a time. Each ut_metrics_add appends
 *
 *   # HELP <prefix><name> <help>          (when help is given)
 *   # TYPE <prefix><name> <type>          (when type is given)
 *   <prefix><name>{<labels>} <value>      (braces only when labels are given)
 *
 * where value is the shortest text that reads back exactly (ut_fmt_double),
 * so counters below 2^53 print as whole numbers. A NaN or infinite value is
 * never written: the sample (not its HELP/TYPE) is left out, counted in
 * dropped and logged as an error, so the page stays valid. Usage:
 *
 *   ut_metrics m = {.prefix = "metarelay_"};
 *   ut_metrics_add(&m, "requests_total", "counter", NULL, NULL, (double)n);
 *   char *text = ut_metrics_end(&m);
 */
#ifndef UT_METRICS_H
#define UT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "network/nw_buf.h"

typedef struct ut_metrics {
    const char *prefix;        /* put before every name; NULL: none */
    nw_buf text;               /* the page so far */
    bool failed;               /* out of memory: ut_metrics_end gives NULL */
    size_t dropped;            /* non-finite samples left out since the last end */
} ut_metrics;

/* type ("counter", "gauge"), help and labels ("code=\"21\"") may be NULL. */
void ut_metrics_add(ut_metrics *m, const char *name, const char *type, const char *help,
                    const char *labels, double value);
/* The text, malloc'd ("" when nothing was added), or NULL when memory ran
 * out; the caller frees it. m is empty again afterwards. */
char *ut_metrics_end(ut_metrics *m);

#endif
