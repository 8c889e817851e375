/* ut_meta_event: events (newblock, newevent, newworker) kept as compact
 * JSON texts in one buffer until the next batch, and the block counter. */
#include "utils/ut_meta_int.h"

#include <stdlib.h>
#include <string.h>

#include "utils/ut_log.h"

static int mt_event_put(ut_meta *m, const char *text)
{
    if (nw_buf_append(&m->ev, text, strlen(text) + 1) != 0)
        return -1;
    m->nev++;
    return 0;
}

static void mt_event(ut_meta *m, json_t *ev)
{
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

    if (!text || mt_event_put(m, text) != 0)
        log_fatal("meta %s: out of memory, an event is lost", m->source);
    free(text);
    json_decref(ev);
}

static const char *mt_str(const char *s)
{
    return s ? s : "";
}

void mt_block_at(ut_meta *m, int64_t minute, const char *const str[3])
{
    mt_sys *s = mt_sys_get(m, minute);
    if (s)
        s->block++;
    mt_event(m, json_pack("{s:s, s:s, s:s, s:s}", "type", "newblock", "user", str[0],
                          "worker", str[1], "hash", str[2]));
}

void ut_meta_block(ut_meta *m, const char *user, const char *worker, const char *hash)
{
    int64_t minute = mt_minute(mt_now(m));
    const char *str[3] = {mt_str(user), mt_str(worker), mt_str(hash)};
    mt_block_at(m, minute, str);
    if (m->jon)
        jr_strings(m, 'B', &minute, str, 3);
}

void mt_event_add(ut_meta *m, const char *const str[4])
{
    mt_event(m, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "newevent", "user", str[0],
                          "worker", str[1], "peer", str[2], "event", str[3]));
}

void ut_meta_event(ut_meta *m, const char *user, const char *worker, const char *peer,
                   const char *event)
{
    const char *str[4] = {mt_str(user), mt_str(worker), mt_str(peer), mt_str(event)};
    mt_event_add(m, str);
    if (m->jon)
        jr_strings(m, 'E', NULL, str, 4);
}

void mt_new_worker_add(ut_meta *m, const char *const str[2])
{
    mt_event(m, json_pack("{s:s, s:s, s:s}", "type", "newworker", "user", str[0], "worker",
                          str[1]));
}

void ut_meta_new_worker(ut_meta *m, const char *user, const char *worker)
{
    const char *str[2] = {mt_str(user), mt_str(worker)};
    mt_new_worker_add(m, str);
    if (m->jon)
        jr_strings(m, 'W', NULL, str, 2);
}
