/* st_job: a job as the Stratum server keeps it, decoded from the body of a
 * CMD_JM_JOB push (jobmaster -> gateway; the same body reaches a
 * mineragent).
 *
 * A job is decoded once from the push body (docs/protocol-bodies.md): the
 * header fields as numbers, the previous block hash in internal byte order,
 * the merkle branch as bytes, and the ready-made mining.notify line that
 * every session is sent. Its coinbase buffer holds coinb1, room for the
 * extranonce and coinb2, so checking a share copies only the extranonce in. */
#ifndef ST_JOB_H
#define ST_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define ST_JOB_ID_MAX 64
#define ST_JOB_MAX_BRANCH 32
#define ST_JOB_MAX_COINBASE (1024 * 1024)

typedef struct st_job {
    uint64_t seq;                 /* order of arrival in this process, from 1 */
    char id[ST_JOB_ID_MAX + 1];
    int64_t height;
    uint8_t prev_block[32];       /* internal byte order */
    uint32_t version;
    uint32_t nbits;
    uint32_t ntime;
    uint32_t min_time;            /* lower bound of a share's ntime */
    bool clean;
    bool stale;                   /* a newer clean job arrived */
    bool empty;
    double network_diff;
    uint8_t network_target[32];   /* from nbits, little-endian */
    size_t extranonce_size;
    size_t coinb1_len;
    size_t coinb2_len;
    uint8_t *coinbase;            /* coinb1 | extranonce (scratch) | coinb2 */
    size_t coinbase_len;
    uint8_t (*branch)[32];
    size_t branch_len;
    char *notify;                 /* the whole mining.notify line, '\n' included */
    size_t notify_len;
    double received;              /* loop time it arrived */
} st_job;

/* Decodes a CMD_JM_JOB body. Returns the job, or NULL with a reason in err. */
st_job *st_job_from_json(const json_t *body, char *err, size_t errlen);
void st_job_free(st_job *job);

#endif
