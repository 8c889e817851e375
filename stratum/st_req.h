/* st_req: one Stratum request line as views into the line, without
 * allocating. st_req_parse_fast reads only the common flat shape
 *   {"id":<scalar>,"method":"<string>","params":[<scalar>,...]}
 * (members in any order, other members with scalar values skipped, strings
 * without escapes and printable ASCII only, at most ST_REQ_MAX_PARAMS
 * params). Anything else makes it give up, and the caller parses the line
 * with jansson instead, which also produces the error replies; the fast
 * parser itself never rejects a line. st_req_from_json fills the same view
 * from a jansson object so both paths share one dispatcher. */
#ifndef ST_REQ_H
#define ST_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define ST_REQ_MAX_PARAMS 8
#define ST_REQ_MAX_ID 64   /* raw id text longer than this: fall back */

typedef enum {
    ST_JV_ABSENT = 0, ST_JV_STRING, ST_JV_NUMBER, ST_JV_NULL, ST_JV_TRUE, ST_JV_FALSE,
    ST_JV_OTHER   /* array or object (jansson path only) */
} st_jv_type;

/* A scalar: for strings p/n is the text between the quotes, for the other
 * types the raw JSON text; for ST_JV_OTHER p/n is NULL/0 and json is set.
 * Exception: st_req.id always holds the JSON text to echo (quotes kept). */
typedef struct st_jv {
    st_jv_type type;
    const char *p;
    size_t n;
    json_t *json;   /* jansson path: the value (borrowed), else NULL */
} st_jv;

typedef struct st_req {
    st_jv id;             /* id.p/id.n: JSON text to echo in the reply */
    st_jv method;
    bool has_params;
    bool params_array;    /* params was an array; when it was not, the value
                             is params[0] and nparams is 1 */
    size_t nparams;       /* may exceed ST_REQ_MAX_PARAMS; only the first are kept */
    st_jv params[ST_REQ_MAX_PARAMS];
    bool has_result;      /* a reply from the miner (has "result"), not a request */
} st_req;

/* 1 when the line had the simple shape and *req is filled, else 0. */
int st_req_parse_fast(const char *line, size_t len, st_req *req);

/* From a decoded object. String views point into root; the id text is
 * rendered into idbuf (compact JSON, cut to "null" if it does not fit).
 * Returns 0, or -1 when root is not an object. */
int st_req_from_json(json_t *root, st_req *req, char *idbuf, size_t idcap);

/* true when v is a string equal to s. */
bool st_jv_is(const st_jv *v, const char *s);

/* true when the n bytes at s are min..max characters of [A-Za-z0-9_-]
 * (job ids, worker names). */
bool st_word_ok(const char *s, size_t n, size_t min, size_t max);

#endif
