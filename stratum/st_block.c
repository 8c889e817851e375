/* st_block: block candidate bodies (see st_block.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "stratum/st_block.h"
#include "stratum/st_conn.h"
#include "stratum/st_job.h"
#include "stratum/st_share.h"
#include "utils/ut_hex.h"
#include <jansson.h>

size_t st_block_body(const st_block_ev *ev, size_t split, int gateway_id, const char *peer,
                     char *buf, size_t cap)
{
    const st_share_res *r = ev->res;
    uint8_t en[ST_EN1_MAX + ST_EN2_MAX];
    char en1[2 * ST_EN1_MAX + 1], en2[2 * (ST_EN1_MAX + ST_EN2_MAX) + 1], hash[65];
    int n;

    if (split > ev->en1_size || ev->en1_size > ST_EN1_MAX || ev->en2_size > ST_EN2_MAX)
        return 0;
    memcpy(en, ev->en1, ev->en1_size);
    memcpy(en + ev->en1_size, ev->en2, ev->en2_size);
    ut_hex_encode(en, split, en1);
    ut_hex_encode(en + split, ev->en1_size + ev->en2_size - split, en2);
    ut_hash_to_hex(r->hash, hash);
    n = snprintf(buf, cap,
                 "{\"v\":1,\"job_id\":\"%s\",\"extranonce1\":\"%s\",\"extranonce2\":\"%s\","
                 "\"ntime\":\"%08x\",\"nonce\":\"%08x\",\"version\":\"%08x\",\"hash\":\"%s\","
                 "\"user\":\"%s\",\"worker\":\"%s\",\"gateway_id\":%d,\"peer\":\"%s\","
                 "\"height\":%" PRId64 "}",
                 ev->job->id, en1, en2, r->ntime, r->nonce, r->version, hash, ev->worker->user,
                 ev->worker->worker, gateway_id, peer, ev->job->height);
    if (n <= 0 || (size_t)n >= cap)
        return 0;
    return (size_t)n;
}

bool st_block_verdict(uint32_t status, const void *body, size_t len, bool *taken, char *why,
                      size_t n)
{
    json_t *b = json_loadb(body, len, 0, NULL);
    const char *r = json_string_value(json_object_get(b, "reason"));
    bool counts;

    *taken = status == 0 && json_is_true(json_object_get(b, "accepted"));
    counts = *taken && !json_is_false(json_object_get(b, "is_tip"));
    if (r == NULL)
        r = json_string_value(json_object_get(b, "error"));
    if (*taken && !counts)
        r = "accepted by the node but not the tip (side chain)";
    snprintf(why, n, "%s", counts || r == NULL ? "" : r);
    json_decref(b);
    return counts;
}

