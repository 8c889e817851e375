/* ma_state: what the agent must know to let its miners work before any
 * gateway answers: the layout the last gateway gave (its extranonce1 and
 * extranonce2 size) and the last job. Kept in meta.spool_dir/agent.state
 * (JSON, written to a temporary file and renamed: a crash leaves the old
 * or the new state, never half of one; no fsync, like the share journal).
 * So an agent restarted during an upstream outage opens the farm port at
 * once and its miners go on with the last job. */
#ifndef MA_STATE_H
#define MA_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ma_state {
    uint8_t en1[12];
    size_t en1_size;
    size_t en2_size;
    json_t *job;               /* NULL when none was saved */
} ma_state;

/* Saves the layout (job NULL: keeps the saved job) or the layout and a
 * job. 0, or -1 (logged). */
int ma_state_save(const char *dir, const uint8_t *en1, size_t en1_size, size_t en2_size,
                  const void *job, size_t job_len);
/* 0 with st filled (free st->job with json_decref), 1 when there is no
 * state, -1 when the file is unreadable or wrong (logged, ignored). */
int ma_state_load(const char *dir, ma_state *st);

#endif
