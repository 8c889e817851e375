/* ac_health: pool health that no single log line shows, polled every
 * health.interval seconds:
 *   - jobmaster: its /status (health.jobmaster.url) unanswered for
 *     quiet_after s ("gone quiet"), or its "jobs" counter unchanged for
 *     no_job_after s ("no new job"); a mail again when it recovers;
 *   - health.watch[]: each gateway/metawriter/metarelay /status URL,
 *     "gone quiet" the same way, and "backlog" (a number in its JSON, e.g.
 *     "meta.pending_batches" or "pending") above backlog_max and growing
 *     for three polls in a row;
 *   - the pool's share rate (Redis <coin>:m:share, per-minute fields): the
 *     last share_window complete minutes against the hour before, an alert
 *     when it fell below (1 - share_drop) of it;
 *   - a block found: each new entry of the `newblock` list, an INFO mail.
 * Node unreachable: the jobmaster logs it as an ERROR, which reaches
 * alertcenter as an alert of its own; with no job for no_job_after s it is
 * also caught here. */
#ifndef AC_HEALTH_H
#define AC_HEALTH_H

#include <jansson.h>
#include "alertcenter/ac_app.h"

typedef struct ac_health ac_health;

ac_health *ac_health_start(ac_app *app);
void ac_health_free(ac_health *h);
json_t *ac_health_status(const ac_health *h);

#endif
