/* fuzz_st_req: one Stratum line (the fuzz input, as read from a miner's
 * socket without its '\n') through st_req_parse_fast, and through jansson +
 * st_req_from_json the way st_stratum.c falls back.
 * Checks: no crash, no leak, no UB; when the fast parser accepts, every
 * view it returns (id, method, the kept params) lies inside the line and
 * nparams/has_params are consistent; when jansson (duplicates refused)
 * also decodes the line, both paths agree on the method, the params count
 * and every string param; st_req_from_json's id text is NUL-terminated
 * within its buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "stratum/st_req.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

static void check_view(const char *line, size_t len, const st_jv *v)
{
    if (v->type == ST_JV_ABSENT || v->type == ST_JV_OTHER)
        return;
    CHECK(v->p != NULL);
    CHECK(v->p >= line && v->n <= len && (size_t)(v->p - line) <= len - v->n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    st_req fast, slow;
    char idbuf[ST_REQ_MAX_ID + 8];
    int ok = st_req_parse_fast(line, size, &fast);

    if (ok) {
        check_view(line, size, &fast.id);
        check_view(line, size, &fast.method);
        size_t kept = fast.nparams < ST_REQ_MAX_PARAMS ? fast.nparams : ST_REQ_MAX_PARAMS;
        for (size_t i = 0; i < kept; i++)
            check_view(line, size, &fast.params[i]);
        CHECK(fast.nparams == 0 || fast.has_params);
        CHECK(fast.id.n <= ST_REQ_MAX_ID);
        CHECK(fast.method.type == ST_JV_ABSENT || fast.method.type != ST_JV_OTHER);
        (void)st_jv_is(&fast.method, "mining.submit");
    }

    json_error_t jerr;
    json_t *root = json_loadb(line, size, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        return 0;
    if (st_req_from_json(root, &slow, idbuf, sizeof(idbuf)) == 0) {
        CHECK(memchr(idbuf, '\0', sizeof(idbuf)) != NULL);
        if (ok) {
            CHECK(fast.method.type == slow.method.type);
            if (fast.method.type == ST_JV_STRING)
                CHECK(fast.method.n == slow.method.n &&
                      memcmp(fast.method.p, slow.method.p, fast.method.n) == 0);
            CHECK(fast.has_params == slow.has_params);
            CHECK(fast.params_array == slow.params_array);
            CHECK(fast.nparams == slow.nparams);
            CHECK(fast.has_result == slow.has_result);
            size_t kept = fast.nparams < ST_REQ_MAX_PARAMS ? fast.nparams : ST_REQ_MAX_PARAMS;
            for (size_t i = 0; i < kept; i++) {
                CHECK(fast.params[i].type == slow.params[i].type);
                if (fast.params[i].type == ST_JV_STRING)
                    CHECK(fast.params[i].n == slow.params[i].n &&
                          memcmp(fast.params[i].p, slow.params[i].p, fast.params[i].n) == 0);
            }
        }
    } else {
        CHECK(!json_is_object(root));
    }
    for (size_t i = 0; i < 3; i++)
        (void)st_word_ok(line, size < 70 ? size : 70, i, 64);
    json_decref(root);
    return 0;
}
