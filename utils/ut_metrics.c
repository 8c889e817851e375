/* ut_metrics: a growing text buffer that formats Prometheus samples (see
 * ut_metrics.h). A failed allocation marks the buffer failed; later adds do
 * nothing, and the end result is NULL so the page can answer an error. */
#include "utils/ut_metrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_diff.h"
#include "utils/ut_log.h"

/* Makes room for need more bytes plus the NUL vsnprintf writes. */
static int ut_metrics_grow(ut_metrics *m, size_t need)
{
    if (nw_buf_reserve(&m->text, need + 1) != 0) {
        m->failed = true;
        return -1;
    }
    return 0;
}

static void ut_metrics_printf(ut_metrics *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ut_metrics_printf(ut_metrics *m, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (m->failed)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ut_metrics_grow(m, (size_t)n) < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(m->text.data + m->text.wpos, m->text.cap - m->text.wpos, fmt, ap);
    va_end(ap);
    nw_buf_commit(&m->text, (size_t)n);
}

void ut_metrics_add(ut_metrics *m, const char *name, const char *type, const char *help,
                    const char *labels, double value)
{
    const char *prefix = m->prefix ? m->prefix : "";
    char num[32];

    if (ut_fmt_double(value, num, sizeof(num)) < 0) {
        m->dropped++;
        log_error("metrics: sample %s%s{%s} is not a finite number, left out (a bug)", prefix,
                  name, labels ? labels : "");
        return;
    }
    if (help)
        ut_metrics_printf(m, "# HELP %s%s %s\n", prefix, name, help);
    if (type)
        ut_metrics_printf(m, "# TYPE %s%s %s\n", prefix, name, type);
    if (labels)
        ut_metrics_printf(m, "%s%s{%s} %s\n", prefix, name, labels, num);
    else
        ut_metrics_printf(m, "%s%s %s\n", prefix, name, num);
}

char *ut_metrics_end(ut_metrics *m)
{
    char *text = m->failed ? NULL : nw_buf_take(&m->text, NULL);

    nw_buf_free(&m->text);
    m->failed = false;
    m->dropped = 0;
    return text;
}
