/* st_rejlog: rejected shares summarised in the log (see st_rejlog.h). */
#include <stdio.h>
#include <string.h>
#include "stratum/st_conn.h"
#include "stratum/st_rejlog.h"
#include "utils/ut_log.h"

static const char *const st_rej_names[ST_NCODES] = {
    "other(20)", "job(21)", "duplicate(22)", "low_difficulty(23)", "unauthorized(24)",
    "not_subscribed(25)",
};

void st_rejlog_add(st_rejlog *l, st_conn *c, const char *w, int code)
{
    if (code < 20 || code >= 20 + ST_NCODES)
        return;
    l->count[code - 20]++;
    c->rej_window++;
    if (c->rej_window <= l->top)
        return;
    l->top = c->rej_window;
    if (l->top_conn != c->id || (w != NULL && strcmp(l->top_worker, w) != 0)) {
        l->top_conn = c->id;
        snprintf(l->top_peer, sizeof(l->top_peer), "%s", c->peer);
        snprintf(l->top_worker, sizeof(l->top_worker), "%s", w ? w : "-");
    }
}

int st_rejlog_tick(st_rejlog *l, double now)
{
    uint64_t total = 0;
    char parts[256];
    size_t n = 0;

    if (now - l->since < ST_REJLOG_INTERVAL)
        return 0;
    for (int i = 0; i < ST_NCODES; i++) {
        total += l->count[i];
        n += (size_t)snprintf(parts + n, sizeof(parts) - n, "%s%s=%llu", i ? " " : "",
                              st_rej_names[i], (unsigned long long)l->count[i]);
        if (n >= sizeof(parts))
            n = sizeof(parts) - 1;
    }
    if (total > 0)
        log_notice("shares rejected in the last %.0fs: %llu (%s); most from peer=%s worker=%s "
                   "(%llu)", now - l->since, (unsigned long long)total, parts, l->top_peer,
                   l->top_worker, (unsigned long long)l->top);
    memset(l, 0, sizeof(*l));
    l->since = now;
    return 1;
}

void st_rejlog_reset_conn(st_conn *c)
{
    c->rej_window = 0;
}
