/* st_guard: rationing of block candidates on one parent block, for the
 * process that sends found blocks upstream (gateway to jobmaster,
 * mineragent to gateway). On regtest nearly every share is a block, so
 * candidates are rationed per parent: at most ST_GUARD_MAX_INFLIGHT
 * unanswered ones, and none at all once one on that parent was accepted
 * (a second block on the same parent can only be a sibling). On mainnet
 * this never holds anything back. */
#ifndef ST_GUARD_H
#define ST_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#define ST_GUARD_MAX_INFLIGHT 1

typedef struct st_guard {
    uint8_t prev[32];
    bool valid;
    bool won;          /* a block on prev was accepted */
    int inflight;      /* sent or queued, not answered */
} st_guard;

/* May a candidate on prev be sent? Counts it in flight when it may. */
bool st_guard_admit(st_guard *g, const uint8_t prev[32]);
/* The answer for a candidate on prev came back. */
void st_guard_done(st_guard *g, const uint8_t prev[32], bool accepted);

#endif
