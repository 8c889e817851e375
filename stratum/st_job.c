/* st_job: decoding a CMD_JM_JOB body into a job, with every check of
 * its numbers (see st_job.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stratum/st_job.h"
#include "stratum/st_req.h"
#include "utils/ut_diff.h"
#include "utils/ut_hex.h"
#include "utils/ut_target.h"

typedef struct st_jerr {
    char *buf;
    size_t len;
} st_jerr;

static st_job *st_job_fail(st_job *job, st_jerr *e, const char *what)
{
    snprintf(e->buf, e->len, "%s", what);
    st_job_free(job);
    return NULL;
}

static const char *st_json_str(const json_t *o, const char *key, size_t *len)
{
    json_t *v = json_object_get(o, key);

    if (!json_is_string(v))
        return NULL;
    *len = json_string_length(v);
    return json_string_value(v);
}

/* An 8-digit big-endian hex u32 member. */
static int st_json_u32hex(const json_t *o, const char *key, uint32_t *out)
{
    size_t n;
    const char *s = st_json_str(o, key, &n);
    uint8_t b[4];

    if (s == NULL || n != 8 || ut_hex_decode(s, b, 4) != 0)
        return -1;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

/* prevhash (notify form) must be prev_block's internal bytes with each
 * 4-byte word byte-swapped. */
static bool st_prevhash_matches(const uint8_t internal[32], const char *prevhash)
{
    uint8_t p[32];

    if (ut_hex_decode(prevhash, p, 32) != 0)
        return false;
    for (int w = 0; w < 8; w++)
        for (int i = 0; i < 4; i++)
            if (p[w * 4 + i] != internal[w * 4 + 3 - i])
                return false;
    return true;
}

static int st_job_coinbase(st_job *job, const json_t *body)
{
    size_t n1 = 0, n2 = 0;
    const char *c1 = st_json_str(body, "coinb1", &n1);
    const char *c2 = st_json_str(body, "coinb2", &n2);

    if (c1 == NULL || c2 == NULL || n1 % 2 || n2 % 2 || n1 / 2 + n2 / 2 > ST_JOB_MAX_COINBASE)
        return -1;
    job->coinb1_len = n1 / 2;
    job->coinb2_len = n2 / 2;
    job->coinbase_len = job->coinb1_len + job->extranonce_size + job->coinb2_len;
    job->coinbase = calloc(1, job->coinbase_len);
    if (job->coinbase == NULL)
        return -1;
    if (ut_hex_decode(c1, job->coinbase, job->coinb1_len) != 0 ||
        ut_hex_decode(c2, job->coinbase + job->coinb1_len + job->extranonce_size,
                      job->coinb2_len) != 0)
        return -1;
    return 0;
}

static int st_job_branch(st_job *job, const json_t *body)
{
    json_t *arr = json_object_get(body, "merkle_branch");
    size_t n = json_array_size(arr);

    if (!json_is_array(arr) || n > ST_JOB_MAX_BRANCH)
        return -1;
    job->branch = calloc(n ? n : 1, 32);
    if (job->branch == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *h = json_array_get(arr, i);
        if (!json_is_string(h) || json_string_length(h) != 64 ||
            ut_hex_decode(json_string_value(h), job->branch[i], 32) != 0)
            return -1;
    }
    job->branch_len = n;
    return 0;
}

/* The mining.notify line, built once from the decoded values. */
static int st_job_notify(st_job *job, const char *prevhash)
{
    size_t cap = 256 + ST_JOB_ID_MAX + 64 + 2 * (job->coinb1_len + job->coinb2_len) +
                 job->branch_len * 67;
    char *s = malloc(cap);
    size_t n;
    char hex[65];

    if (s == NULL)
        return -1;
    n = (size_t)snprintf(s, cap, "{\"id\":null,\"method\":\"mining.notify\",\"params\":"
                         "[\"%s\",\"%.64s\",\"", job->id, prevhash);
    ut_hex_encode(job->coinbase, job->coinb1_len, s + n);
    n += 2 * job->coinb1_len;
    memcpy(s + n, "\",\"", 3);
    n += 3;
    ut_hex_encode(job->coinbase + job->coinb1_len + job->extranonce_size, job->coinb2_len, s + n);
    n += 2 * job->coinb2_len;
    memcpy(s + n, "\",[", 3);
    n += 3;
    for (size_t i = 0; i < job->branch_len; i++) {
        ut_hex_encode(job->branch[i], 32, hex);
        n += (size_t)snprintf(s + n, cap - n, "%s\"%s\"", i ? "," : "", hex);
    }
    n += (size_t)snprintf(s + n, cap - n, "],\"%08x\",\"%08x\",\"%08x\",%s]}\n", job->version,
                          job->nbits, job->ntime, job->clean ? "true" : "false");
    job->notify = s;
    job->notify_len = n;
    return 0;
}

st_job *st_job_from_json(const json_t *body, char *err, size_t errlen)
{
    st_jerr e = { err, errlen };
    st_job *job;
    size_t n;
    const char *s, *prevhash;
    json_t *v;

    if (!json_is_object(body))
        return st_job_fail(NULL, &e, "body is not an object");
    job = calloc(1, sizeof(*job));
    if (job == NULL)
        return st_job_fail(NULL, &e, "out of memory");
    s = st_json_str(body, "job_id", &n);
    if (s == NULL || !st_word_ok(s, n, 1, ST_JOB_ID_MAX))
        return st_job_fail(job, &e, "bad job_id");
    memcpy(job->id, s, n);
    v = json_object_get(body, "height");
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
        return st_job_fail(job, &e, "bad height");
    job->height = json_integer_value(v);
    s = st_json_str(body, "prev_block", &n);
    if (s == NULL || n != 64 || ut_hash_from_hex(s, job->prev_block) != 0)
        return st_job_fail(job, &e, "bad prev_block");
    prevhash = st_json_str(body, "prevhash", &n);
    if (prevhash == NULL || n != 64 || !st_prevhash_matches(job->prev_block, prevhash))
        return st_job_fail(job, &e, "bad prevhash (must be prev_block with words swapped)");
    v = json_object_get(body, "extranonce_size");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 32)
        return st_job_fail(job, &e, "bad extranonce_size");
    job->extranonce_size = (size_t)json_integer_value(v);
    if (st_job_coinbase(job, body) != 0)
        return st_job_fail(job, &e, "bad coinb1/coinb2");
    if (st_job_branch(job, body) != 0)
        return st_job_fail(job, &e, "bad merkle_branch");
    if (st_json_u32hex(body, "version", &job->version) != 0 ||
        st_json_u32hex(body, "nbits", &job->nbits) != 0 ||
        st_json_u32hex(body, "ntime", &job->ntime) != 0)
        return st_job_fail(job, &e, "bad version/nbits/ntime");
    if (ut_target_from_nbits(job->nbits, job->network_target) != 0)
        return st_job_fail(job, &e, "bad nbits");
    job->min_time = job->ntime;
    v = json_object_get(body, "min_time");
    if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= job->ntime)
        job->min_time = (uint32_t)json_integer_value(v);
    job->clean = json_is_true(json_object_get(body, "clean"));
    job->empty = json_is_true(json_object_get(body, "empty"));
    /* The difficulty that a share's goal divides by comes from nbits, never
     * from a separate number; a body that states another one is refused. */
    job->network_diff = ut_nbits_to_diff(job->nbits);
    if (!ut_diff_ok(job->network_diff))
        return st_job_fail(job, &e, "bad nbits (network difficulty out of range)");
    v = json_object_get(body, "network_diff");
    if (v != NULL && (!json_is_number(v) ||
                      fabs(json_number_value(v) / job->network_diff - 1) > 1e-9))
        return st_job_fail(job, &e, "network_diff does not match nbits");
    if (st_job_notify(job, prevhash) != 0)
        return st_job_fail(job, &e, "out of memory");
    return job;
}

void st_job_free(st_job *job)
{
    if (job == NULL)
        return;
    free(job->coinbase);
    free(job->branch);
    free(job->notify);
    free(job);
}
