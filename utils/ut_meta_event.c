/* ut_meta_event: events (newblock, newevent, newworker) kept as compact
 * JSON texts in one buffer until the next batch, and the block counter. */
#include "utils/ut_meta_int.h"

#include <stdlib.h>
#include <string.h>

#include "utils/ut_log.h"
#include "utils/ut_meta_check.h"

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

/* height, reward: < 0 or out of range (ut_meta_check.h) is not known: left out. */
void mt_block_at(ut_meta *m, int64_t minute, const char *const str[3], int64_t height,
                 int64_t reward)
{
    mt_sys *s = mt_sys_get(m, minute);
    if (s)
        s->block++;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "type", "newblock", "user", str[0],
                           "worker", str[1], "hash", str[2]);
    if (ev && height >= 0 && height <= UT_META_HEIGHT_MAX)
        json_object_set_new(ev, "height", json_integer(height));
    if (ev && reward >= 0 && reward <= UT_META_REWARD_MAX)
        json_object_set_new(ev, "reward", json_integer(reward));
    mt_event(m, ev);
}

void ut_meta_block(ut_meta *m, const char *user, const char *worker, const char *hash)
{
    int64_t minute = mt_minute(mt_now(m));
    const char *str[3] = {mt_str(user), mt_str(worker), mt_str(hash)};
    mt_block_at(m, minute, str, -1, -1);
    if (m->jon)
        jr_strings(m, 'B', &minute, str, 3);
}

void ut_meta_block_info(ut_meta *m, const char *user, const char *worker, const char *hash,
                        int64_t height, int64_t reward)
{
    int64_t minute = mt_minute(mt_now(m));
    const char *str[3] = {mt_str(user), mt_str(worker), mt_str(hash)};
    mt_block_at(m, minute, str, height, reward);
    if (m->jon)
        jr_block_info(m, minute, height, reward, str);
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
