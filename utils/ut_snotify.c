/* ut_snotify: mining.notify from another pool, decoded and checked (see
 * ut_snotify.h). Nothing here trusts a length it has not checked. */
#include "utils/ut_snotify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_hex.h"
#include "utils/ut_script.h"

#define UT_SNOTIFY_CB1_MAX 4096   /* coinb1 bytes at most (real ones are < 200) */

static int ut_sn_fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "%s", what);
    return -1;
}

int ut_snotify_prevhash(const char *hex, uint8_t prev[32])
{
    uint8_t b[32];
    if (!hex || strlen(hex) != 64 || ut_hex_decode(hex, b, 32) < 0)
        return -1;
    for (size_t w = 0; w < 8; w++)
        for (size_t j = 0; j < 4; j++)
            prev[w * 4 + j] = b[w * 4 + 3 - j];
    return 0;
}

/* A compact size at cb1[*pos]; only the 1- and 3-byte forms (a scriptSig
 * is at most 100 bytes). */
static int ut_sn_compact(const uint8_t *cb1, size_t len, size_t *pos, size_t *out)
{
    if (*pos >= len)
        return -1;
    uint8_t first = cb1[*pos];
    if (first < 0xfd) {
        *out = first;
        *pos += 1;
        return 0;
    }
    if (first != 0xfd || len - *pos < 3)
        return -1;
    *out = (size_t)cb1[*pos + 1] | (size_t)cb1[*pos + 2] << 8;
    *pos += 3;
    return 0;
}

int ut_snotify_height(const uint8_t *cb1, size_t len, uint32_t *height, char *err,
                      size_t errlen)
{
    size_t pos = 4, n = 0, slen = 0;
    if (len < 4 + 1 + 36 + 1)
        return ut_sn_fail(err, errlen, "coinb1: too short for a coinbase input");
    if (cb1[4] == 0x00 && cb1[5] == 0x01)
        pos += 2;                         /* segwit marker and flag */
    if (ut_sn_compact(cb1, len, &pos, &n) < 0 || n != 1)
        return ut_sn_fail(err, errlen, "coinb1: expected one input");
    if (len - pos < 36)
        return ut_sn_fail(err, errlen, "coinb1: truncated outpoint");
    static const uint8_t zero[32];
    if (memcmp(cb1 + pos, zero, 32) != 0 || cb1[pos + 32] != 0xff || cb1[pos + 33] != 0xff ||
        cb1[pos + 34] != 0xff || cb1[pos + 35] != 0xff)
        return ut_sn_fail(err, errlen, "coinb1: not a coinbase (outpoint not null)");
    pos += 36;
    if (ut_sn_compact(cb1, len, &pos, &slen) < 0)
        return ut_sn_fail(err, errlen, "coinb1: bad scriptSig length");
    if (slen < 1 || slen > 100)
        return ut_sn_fail(err, errlen, "coinb1: scriptSig length out of 1..100");
    size_t avail = len - pos < slen ? len - pos : slen;   /* coinb1 may end mid-script */
    if (ut_bip34_parse(cb1 + pos, avail, height) < 0)
        return ut_sn_fail(err, errlen, "coinb1: no BIP34 height push");
    return 0;
}

static int ut_sn_u32(const json_t *v, uint32_t *out)
{
    const char *s = json_string_value(v);
    uint8_t b[4];
    if (!s || strlen(s) != 8 || ut_hex_decode(s, b, 4) < 0)
        return -1;
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

static int ut_sn_coinb1(const json_t *v, ut_snotify *out, char *err, size_t errlen)
{
    const char *s = json_string_value(v);
    size_t n = s ? strlen(s) : 0;
    if (!s || n % 2 || n / 2 > UT_SNOTIFY_CB1_MAX)
        return ut_sn_fail(err, errlen, "coinb1: expected hex of at most 4096 bytes");
    uint8_t *cb1 = malloc(n / 2 + 1);
    if (!cb1)
        return ut_sn_fail(err, errlen, "out of memory");
    int rc = ut_hex_decode(s, cb1, n / 2) < 0
                 ? ut_sn_fail(err, errlen, "coinb1: expected hex")
                 : ut_snotify_height(cb1, n / 2, &out->height, err, errlen);
    free(cb1);
    return rc;
}

int ut_snotify_parse(const json_t *params, ut_snotify *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_array(params) || json_array_size(params) < 9)
        return ut_sn_fail(err, errlen, "params: expected an array of 9");
    const char *job_id = json_string_value(json_array_get(params, 0));
    if (!job_id || !job_id[0] || strlen(job_id) > UT_SNOTIFY_JOB_ID_MAX)
        return ut_sn_fail(err, errlen, "job_id: expected 1..64 characters");
    snprintf(out->job_id, sizeof(out->job_id), "%s", job_id);
    if (ut_snotify_prevhash(json_string_value(json_array_get(params, 1)), out->prev) < 0)
        return ut_sn_fail(err, errlen, "prevhash: expected 64 hex digits");
    ut_hash_to_hex(out->prev, out->prev_hex);
    if (ut_sn_coinb1(json_array_get(params, 2), out, err, errlen) < 0)
        return -1;
    json_t *branch = json_array_get(params, 4);
    if (!json_is_array(branch))
        return ut_sn_fail(err, errlen, "merkle_branch: expected an array");
    out->branch_count = json_array_size(branch);
    if (ut_sn_u32(json_array_get(params, 5), &out->version) < 0)
        return ut_sn_fail(err, errlen, "version: expected 8 hex digits");
    if (ut_sn_u32(json_array_get(params, 6), &out->nbits) < 0)
        return ut_sn_fail(err, errlen, "nbits: expected 8 hex digits");
    if (ut_sn_u32(json_array_get(params, 7), &out->ntime) < 0)
        return ut_sn_fail(err, errlen, "ntime: expected 8 hex digits");
    out->clean = json_is_true(json_array_get(params, 8));
    return 0;
}
