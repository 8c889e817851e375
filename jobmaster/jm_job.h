/* jm_job: one mining job: a template (owned, with its transactions, so a
 * block found on it can be rebuilt), its coinbase halves, the merkle branch,
 * its id, and the CMD_JM_JOB body sent to gateways (docs/protocol-bodies.md). */
#ifndef JM_JOB_H
#define JM_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jobmaster/jm_coinbase.h"
#include "jobmaster/jm_template.h"

#define JM_BRANCH_MAX 32

typedef struct jm_job {
    uint64_t id;
    char id_hex[17];
    jm_template *tmpl;              /* owned */
    jm_coinbase cb;                 /* coinb1/coinb2, owned */
    size_t extranonce_size;
    uint8_t branch[JM_BRANCH_MAX][32];
    size_t branch_len;
    uint8_t target[32];             /* network target from nbits, little-endian */
    double network_diff;
    bool clean;
    bool empty;
    double created;                 /* ev_now / wall time when built */
    char *body;                     /* the CMD_JM_JOB JSON body, owned */
    size_t body_len;
} jm_job;

/* Next job id: wall-clock seconds in the high 32 bits and a sub-second
 * start in the low bits, always above last; never repeats across restarts
 * as long as the clock does not go back. */
uint64_t jm_job_next_id(uint64_t last, double now);

/* Builds a job that takes ownership of tmpl (freed on failure too).
 * cbp->height/value/commitment are filled from the template here. Returns
 * NULL with err set on failure. */
jm_job *jm_job_new(uint64_t id, jm_template *tmpl, const jm_coinbase_params *cbp, bool clean,
                   double now, char *err, size_t errlen);
void jm_job_free(jm_job *job);
/* Flags job as an empty-block job (jm_empty) and renders its body again
 * with "empty": true. 0, or -1 with err set. */
int jm_job_mark_empty(jm_job *job, char *err, size_t errlen);

/* The CMD_JM_JOB body as a new JSON object. */
json_t *jm_job_to_json(const jm_job *job);

/* prev hash in mining.notify form: each 4-byte word of the internal bytes
 * byte-swapped. out gets 64 hex digits and a NUL. */
void jm_job_notify_prevhash(const uint8_t prev[32], char out[65]);

#endif
