/* ut_metrics: builds the Prometheus text body (exposition format 0.0.4)
 * of a /metrics page. A page is a list of families; each family is
 * declared once, with its HELP and TYPE, and its samples follow it:
 *
 *   # HELP <prefix><name> <help>
 *   # TYPE <prefix><name> <type>
 *   <prefix><name>{<labels>} <value>      (braces only when labels are given)
 *
 * so a page cannot carry a second HELP/TYPE of a family, a family without
 * HELP and TYPE, or a family's samples apart (what `promtool check
 * metrics` refuses): declaring a family again, or adding a sample of a
 * family that is not the current one, is a bug that is logged and left
 * out (counted in dropped). value is the shortest text that reads back
 * exactly (ut_fmt_double), so counters below 2^53 print as whole numbers.
 * A NaN or infinite value is never written: the sample is left out,
 * counted in dropped and logged, so the page stays valid. Usage:
 *
 *   ut_metrics m = {.prefix = "hf_metarelay_"};
 *   ut_metrics_add(&m, "requests_total", "counter", "Batches received.", NULL, (double)n);
 *   ut_metrics_family(&m, "shares_rejected_total", "counter", "Rejected shares by reason.");
 *   ut_metrics_sample(&m, "reason=\"stale\"", 3);
 *   ut_metrics_sample(&m, "reason=\"duplicate\"", 1);
 *   char *text = ut_metrics_end(&m);
 *
 * Names: one scheme for every module, hf_<module>_<what>[_total|_seconds|
 * _bytes]; ut_status adds hf_build_info and hf_<module>_uptime_seconds. */
#ifndef UT_METRICS_H
#define UT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "network/nw_buf.h"

typedef struct ut_metrics {
    const char *prefix;        /* put before every name; NULL: none */
    nw_buf text;               /* the page so far */
    bool failed;               /* out of memory: ut_metrics_end gives NULL */
    size_t dropped;            /* samples left out since the last end */
    nw_buf names;              /* the families declared, each name + '\n' */
    char current[128];         /* the family samples go to ("" = none) */
} ut_metrics;

/* Declares family name (type "counter", "gauge" or "untyped"; help one
 * line, both required). 0, or -1 (logged) when the family was declared
 * already on this page or an argument is missing: its samples are then
 * left out until the next family. */
int ut_metrics_family(ut_metrics *m, const char *name, const char *type, const char *help);
/* A sample of the current family; labels ("reason=\"stale\"") may be NULL. */
void ut_metrics_sample(ut_metrics *m, const char *labels, double value);
/* A family with its first sample. When name is the current family,
 * type and help may be NULL and only the sample is added (a loop adding
 * the samples of one family). */
void ut_metrics_add(ut_metrics *m, const char *name, const char *type, const char *help,
                    const char *labels, double value);
/* Escapes a label value (\ " and newline) into out (always terminated;
 * cut at outlen - 1). Returns out. */
char *ut_metrics_escape(const char *value, char *out, size_t outlen);
/* The text, malloc'd ("" when nothing was added), or NULL when memory ran
 * out; the caller frees it. m is empty again afterwards. */
char *ut_metrics_end(ut_metrics *m);

#endif
