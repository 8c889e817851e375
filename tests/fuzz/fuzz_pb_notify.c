/* fuzz_pb_notify: poolbench's reading of another pool's mining.notify
 * (utils/ut_snotify.h). Input: byte 0 picks the mode; odd: the rest is
 * coinb1 bytes for ut_snotify_height; even: the rest is a JSON line as a
 * pool sends it, whose "params" (or the value itself) go to
 * ut_snotify_parse. Checks: no crash, no UB, no read past the input; a
 * parsed notify has a 64-digit prev_hex that round-trips through
 * ut_hash_from_hex to prev, and a NUL-terminated job_id. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "utils/ut_hex.h"
#include "utils/ut_snotify.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void fuzz_json(const uint8_t *p, size_t n)
{
    json_error_t jerr;
    json_t *o = json_loadb((const char *)p, n, JSON_DISABLE_EOF_CHECK, &jerr);
    if (!o)
        return;
    json_t *params = json_is_object(o) ? json_object_get(o, "params") : o;
    ut_snotify s;
    char err[160];
    if (ut_snotify_parse(params, &s, err, sizeof(err)) == 0) {
        uint8_t back[32];
        CHECK(strlen(s.prev_hex) == 64);
        CHECK(ut_hash_from_hex(s.prev_hex, back) == 0);
        CHECK(memcmp(back, s.prev, 32) == 0);
        CHECK(strlen(s.job_id) >= 1 && strlen(s.job_id) <= UT_SNOTIFY_JOB_ID_MAX);
    } else {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL);
    }
    json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1) {
        /* a copy of exactly the given bytes, so ASan sees any over-read */
        uint8_t *cb1 = malloc(size - 1 ? size - 1 : 1);
        if (!cb1)
            return 0;
        memcpy(cb1, data + 1, size - 1);
        uint32_t h;
        char err[160];
        (void)ut_snotify_height(cb1, size - 1, &h, err, sizeof(err));
        free(cb1);
    } else {
        fuzz_json(data + 1, size - 1);
    }
    return 0;
}
