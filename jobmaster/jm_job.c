/* jm_job: builds a job from a template (coinbase halves, merkle branch,
 * network target) and renders the CMD_JM_JOB body. */
#include "jobmaster/jm_job.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_hex.h"
#include "utils/ut_merkle.h"
#include "utils/ut_target.h"

uint64_t jm_job_next_id(uint64_t last, double now)
{
    double sec = floor(now);
    uint64_t usec = (uint64_t)((now - sec) * 1e6);
    if (usec > 999999)
        usec = 999999;
    uint64_t id = ((uint64_t)sec << 32) | (usec << 12);
    return id > last ? id : last + 1;
}

void jm_job_notify_prevhash(const uint8_t prev[32], char out[65])
{
    uint8_t swapped[32];
    for (int w = 0; w < 8; w++)
        for (int i = 0; i < 4; i++)
            swapped[w * 4 + i] = prev[w * 4 + 3 - i];
    ut_hex_encode(swapped, 32, out);
}

static int jm_job_branch(jm_job *job, char *err, size_t errlen)
{
    const jm_template *t = job->tmpl;
    if (t->tx_count == 0)
        return 0;
    uint8_t (*txids)[32] = malloc(t->tx_count * 32);
    if (!txids) {
        snprintf(err, errlen, "job: out of memory");
        return -1;
    }
    for (size_t i = 0; i < t->tx_count; i++)
        memcpy(txids[i], t->txs[i].txid, 32);
    job->branch_len = ut_merkle_branch((const uint8_t (*)[32])txids, t->tx_count, job->branch,
                                       JM_BRANCH_MAX);
    free(txids);
    return 0;
}

static char *jm_hex_dup(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (s)
        ut_hex_encode(p, n, s);
    return s;
}

static json_t *jm_json_hex(const uint8_t *p, size_t n)
{
    char *s = jm_hex_dup(p, n);
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

static json_t *jm_json_be32(uint32_t v)
{
    char buf[9];
    snprintf(buf, sizeof(buf), "%08x", v);
    return json_string(buf);
}

static json_t *jm_job_branch_json(const jm_job *job)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < job->branch_len; i++)
        json_array_append_new(arr, jm_json_hex(job->branch[i], 32));
    return arr;
}

json_t *jm_job_to_json(const jm_job *job)
{
    const jm_template *t = job->tmpl;
    char prevhash[65];
    jm_job_notify_prevhash(t->prev, prevhash);
    json_t *o = json_object();
    json_object_set_new(o, "v", json_integer(1));
    json_object_set_new(o, "job_id", json_string(job->id_hex));
    json_object_set_new(o, "height", json_integer(t->height));
    json_object_set_new(o, "prev_block", json_string(t->prev_hex));
    json_object_set_new(o, "prevhash", json_string(prevhash));
    json_object_set_new(o, "coinb1", jm_json_hex(job->cb.coinb1, job->cb.coinb1_len));
    json_object_set_new(o, "coinb2", jm_json_hex(job->cb.coinb2, job->cb.coinb2_len));
    json_object_set_new(o, "extranonce_size", json_integer((json_int_t)job->extranonce_size));
    json_object_set_new(o, "merkle_branch", jm_job_branch_json(job));
    json_object_set_new(o, "version", jm_json_be32(t->version));
    json_object_set_new(o, "nbits", jm_json_be32(t->bits));
    json_object_set_new(o, "ntime", jm_json_be32(t->curtime));
    json_object_set_new(o, "min_time", json_integer(t->mintime));
    json_object_set_new(o, "clean", json_boolean(job->clean));
    json_object_set_new(o, "network_diff", json_real(job->network_diff));
    json_object_set_new(o, "coinbase_value", json_integer((json_int_t)t->coinbase_value));
    json_object_set_new(o, "tx_count", json_integer((json_int_t)t->tx_count));
    json_object_set_new(o, "empty", json_boolean(job->empty));
    return o;
}

static int jm_job_render(jm_job *job, char *err, size_t errlen)
{
    json_t *o = jm_job_to_json(job);
    job->body = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(o);
    if (!job->body) {
        snprintf(err, errlen, "job: cannot render JSON");
        return -1;
    }
    job->body_len = strlen(job->body);
    return 0;
}

jm_job *jm_job_new(uint64_t id, jm_template *tmpl, const jm_coinbase_params *cbp, bool clean,
                   double now, char *err, size_t errlen)
{
    jm_job *job = calloc(1, sizeof(*job));
    if (!job) {
        jm_template_free(tmpl);
        snprintf(err, errlen, "job: out of memory");
        return NULL;
    }
    job->id = id;
    snprintf(job->id_hex, sizeof(job->id_hex), "%016llx", (unsigned long long)id);
    job->tmpl = tmpl;
    job->clean = clean;
    job->empty = false;     /* empty-block jobs come with the height signal */
    job->created = now;
    job->extranonce_size = cbp->extranonce_size;
    jm_coinbase_params p = *cbp;
    p.height = tmpl->height;
    p.value = tmpl->coinbase_value;
    p.commitment = tmpl->commitment;
    p.commitment_len = tmpl->commitment_len;
    if (ut_target_from_nbits(tmpl->bits, job->target) < 0) {
        snprintf(err, errlen, "job: bad nbits %08x", tmpl->bits);
        goto fail;
    }
    job->network_diff = ut_nbits_to_diff(tmpl->bits);
    if (jm_coinbase_build(&p, &job->cb, err, errlen) < 0 || jm_job_branch(job, err, errlen) < 0 ||
        jm_job_render(job, err, errlen) < 0)
        goto fail;
    return job;
fail:
    jm_job_free(job);
    return NULL;
}

int jm_job_mark_empty(jm_job *job, char *err, size_t errlen)
{
    job->empty = true;
    free(job->body);
    job->body = NULL;
    return jm_job_render(job, err, errlen);
}

void jm_job_free(jm_job *job)
{
    if (!job)
        return;
    jm_template_free(job->tmpl);
    jm_coinbase_free(&job->cb);
    free(job->body);
    free(job);
}
