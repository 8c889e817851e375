/* jm_found: CMD_JM_BLOCK_FOUND body decoding and the result bodies. */
#include "jobmaster/jm_found.h"

#include <stdio.h>
#include <string.h>
#include "utils/ut_hex.h"

static int jm_found_fail(char *err, size_t errlen, const char *field, const char *what)
{
    snprintf(err, errlen, "%s: %s", field, what);
    return -1;
}

/* A BE hex u32 ("1a2b3c4d"). */
static int jm_found_u32(const json_t *body, const char *key, uint32_t *out)
{
    const char *s = json_string_value(json_object_get(body, key));
    uint8_t b[4];
    if (!s || strlen(s) != 8 || ut_hex_decode(s, b, 4) < 0)
        return -1;
    *out = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    return 0;
}

/* Appends the hex field key to the extranonce buffer. */
static int jm_found_en(const json_t *body, const char *key, jm_found *f)
{
    const char *s = json_string_value(json_object_get(body, key));
    size_t n = 0;
    if (!s)
        return -1;
    size_t room = sizeof(f->extranonce) - f->extranonce_len;
    if (ut_hex_decode_any(s, strlen(s), f->extranonce + f->extranonce_len, room, &n) < 0)
        return -1;
    f->extranonce_len += n;
    return 0;
}

static void jm_found_str(const json_t *body, const char *key, char *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(body, key));
    snprintf(out, cap, "%s", s ? s : "");
}

int jm_found_parse(const json_t *body, jm_found_req *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *job_id = json_string_value(json_object_get(body, "job_id"));
    if (!job_id || strlen(job_id) != 16)
        return jm_found_fail(err, errlen, "job_id", "expected 16 hex digits");
    memcpy(out->job_id, job_id, 17);
    if (jm_found_en(body, "extranonce1", &out->found) < 0)
        return jm_found_fail(err, errlen, "extranonce1", "expected hex");
    if (jm_found_en(body, "extranonce2", &out->found) < 0)
        return jm_found_fail(err, errlen, "extranonce2", "expected hex");
    if (jm_found_u32(body, "ntime", &out->found.ntime) < 0)
        return jm_found_fail(err, errlen, "ntime", "expected 8 hex digits");
    if (jm_found_u32(body, "nonce", &out->found.nonce) < 0)
        return jm_found_fail(err, errlen, "nonce", "expected 8 hex digits");
    if (jm_found_u32(body, "version", &out->found.version) < 0)
        return jm_found_fail(err, errlen, "version", "expected 8 hex digits");
    jm_found_str(body, "hash", out->hash, sizeof(out->hash));
    jm_found_str(body, "user", out->user, sizeof(out->user));
    jm_found_str(body, "worker", out->worker, sizeof(out->worker));
    jm_found_str(body, "peer", out->peer, sizeof(out->peer));
    out->gateway_id = json_integer_value(json_object_get(body, "gateway_id"));
    return 0;
}

json_t *jm_found_result_json(const jm_found_verdict *v, const jm_found_req *req)
{
    json_t *o = json_pack("{s:i, s:b, s:s, s:I, s:s, s:b}", "v", 1, "accepted", v->accepted,
                          "hash", v->hash, "height", (json_int_t)v->height, "reason", v->reason,
                          "is_tip", v->is_tip);
    if (o && req) {
        json_object_set_new(o, "user", json_string(req->user));
        json_object_set_new(o, "worker", json_string(req->worker));
        json_object_set_new(o, "gateway_id", json_integer(req->gateway_id));
        json_object_set_new(o, "job_id", json_string(req->job_id));
    }
    return o;
}
