/* ut_metrics: a growing text buffer that formats Prometheus families and
 * samples (see ut_metrics.h). A failed allocation marks the buffer failed;
 * later adds do nothing, and the end result is NULL so the page can
 * answer an error. */
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

/* Whether full (a name + '\n') was declared on this page. */
static bool ut_metrics_declared(const ut_metrics *m, const char *full)
{
    size_t len = strlen(full);
    const char *p = m->names.data ? m->names.data + m->names.rpos : NULL;
    const char *end = p ? m->names.data + m->names.wpos : NULL;

    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        if ((size_t)(nl - p) == len && memcmp(p, full, len) == 0)
            return true;
        p = nl + 1;
    }
    return false;
}

int ut_metrics_family(ut_metrics *m, const char *name, const char *type, const char *help)
{
    char full[sizeof(m->current)];
    const char *prefix = m->prefix ? m->prefix : "";

    m->current[0] = '\0';
    if (!name || !type || !help || !*help) {
        log_error("metrics: family %s%s has no %s, left out (a bug)", prefix,
                  name ? name : "(null)", !type ? "TYPE" : "HELP");
        return -1;
    }
    if ((size_t)snprintf(full, sizeof(full), "%s%s", prefix, name) >= sizeof(full)) {
        log_error("metrics: family name %s%s too long, left out (a bug)", prefix, name);
        return -1;
    }
    if (ut_metrics_declared(m, full)) {
        log_error("metrics: family %s declared twice on one page, the second left out (a bug)",
                  full);
        return -1;
    }
    if (nw_buf_reserve(&m->names, strlen(full) + 1) != 0) {
        m->failed = true;
        return -1;
    }
    memcpy(m->names.data + m->names.wpos, full, strlen(full));
    m->names.data[m->names.wpos + strlen(full)] = '\n';
    nw_buf_commit(&m->names, strlen(full) + 1);
    ut_metrics_printf(m, "# HELP %s %s\n# TYPE %s %s\n", full, help, full, type);
    snprintf(m->current, sizeof(m->current), "%s", full);
    return 0;
}

void ut_metrics_sample(ut_metrics *m, const char *labels, double value)
{
    char num[32];

    if (!m->current[0]) {
        m->dropped++;
        log_error("metrics: sample {%s} without a declared family, left out (a bug)",
                  labels ? labels : "");
        return;
    }
    if (ut_fmt_double(value, num, sizeof(num)) < 0) {
        m->dropped++;
        log_error("metrics: sample %s{%s} is not a finite number, left out (a bug)",
                  m->current, labels ? labels : "");
        return;
    }
    if (labels && *labels)
        ut_metrics_printf(m, "%s{%s} %s\n", m->current, labels, num);
    else
        ut_metrics_printf(m, "%s %s\n", m->current, num);
}

void ut_metrics_add(ut_metrics *m, const char *name, const char *type, const char *help,
                    const char *labels, double value)
{
    const char *prefix = m->prefix ? m->prefix : "";
    size_t pl = strlen(prefix);
    bool same = m->current[0] && name && strncmp(m->current, prefix, pl) == 0 &&
                strcmp(m->current + pl, name) == 0;

    if (!same && ut_metrics_family(m, name, type, help) != 0) {
        m->dropped++;
        return;
    }
    ut_metrics_sample(m, labels, value);
}

char *ut_metrics_escape(const char *value, char *out, size_t outlen)
{
    size_t o = 0;

    if (outlen == 0)
        return out;
    for (const char *p = value ? value : ""; *p; p++) {
        const char *rep = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
        size_t n = rep ? 2 : 1;
        if (o + n >= outlen)
            break;
        if (rep)
            memcpy(out + o, rep, 2);
        else
            out[o] = *p;
        o += n;
    }
    out[o] = '\0';
    return out;
}

char *ut_metrics_end(ut_metrics *m)
{
    char *text = m->failed ? NULL : nw_buf_take(&m->text, NULL);

    nw_buf_free(&m->text);
    nw_buf_free(&m->names);
    m->failed = false;
    m->dropped = 0;
    m->current[0] = '\0';
    return text;
}
