/* fuzz_st_job: a CMD_JM_JOB body (the fuzz input: JSON as the jobmaster,
 * or for a mineragent a gateway, sends it) decoded by st_job_from_json.
 * Checks: no crash, no leak, no UB; a refused body comes with a non-empty
 * reason; an accepted job is consistent: its id is NUL-terminated within
 * ST_JOB_ID_MAX, coinbase_len = coinb1 + extranonce + coinb2 (at most
 * ST_JOB_MAX_COINBASE), at most ST_JOB_MAX_BRANCH branch hashes, and the
 * mining.notify line is notify_len bytes ending with its only '\n'. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "stratum/st_job.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    char err[256];
    json_t *body = json_loadb((const char *)data, size, 0, &jerr);

    if (body == NULL)
        return 0;
    err[0] = '\0';
    st_job *job = st_job_from_json(body, err, sizeof(err));
    if (job == NULL) {
        CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
    } else {
        CHECK(memchr(job->id, '\0', sizeof(job->id)) != NULL);
        CHECK(job->coinbase_len == job->coinb1_len + job->extranonce_size + job->coinb2_len);
        CHECK(job->coinbase_len <= ST_JOB_MAX_COINBASE);
        CHECK(job->coinbase != NULL || job->coinbase_len == 0);
        CHECK(job->branch_len <= ST_JOB_MAX_BRANCH);
        CHECK(job->notify != NULL && job->notify_len > 0);
        CHECK(strlen(job->notify) == job->notify_len);
        CHECK(job->notify[job->notify_len - 1] == '\n');
        CHECK(memchr(job->notify, '\n', job->notify_len - 1) == NULL);
        st_job_free(job);
    }
    json_decref(body);
    return 0;
}
