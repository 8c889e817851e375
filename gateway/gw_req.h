/* gw_req: one Stratum request line as views into the line, without
 * allocating. gw_req_parse_fast reads only the common flat shape
 *   {"id":<scalar>,"method":"<string>","params":[<scalar>,...]}
 * (members in any order, other members with scalar values skipped, strings
 * without escapes and printable ASCII only, at most GW_REQ_MAX_PARAMS
 * params). Anything else makes it give up, and the caller parses the line
 * with jansson instead, which also produces the error replies; the fast
 * parser itself never rejects a line. gw_req_from_json fills the same view
 * from a jansson object so both paths share one dispatcher. */
#ifndef GW_REQ_H
#define GW_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define GW_REQ_MAX_PARAMS 8
#define GW_REQ_MAX_ID 64   /* raw id text longer than this: fall back */

typedef enum {
    GW_JV_ABSENT = 0, GW_JV_STRING, GW_JV_NUMBER, GW_JV_NULL, GW_JV_TRUE, GW_JV_FALSE,
    GW_JV_OTHER   /* array or object (jansson path only) */
} gw_jv_type;

/* A scalar: for strings p/n is the text between the quotes, for the other
 * types the raw JSON text; for GW_JV_OTHER p/n is NULL/0 and json is set.
 * Exception: gw_req.id always holds the JSON text to echo (quotes kept). */
typedef struct gw_jv {
    gw_jv_type type;
    const char *p;
    size_t n;
    json_t *json;   /* jansson path: the value (borrowed), else NULL */
} gw_jv;

typedef struct gw_req {
    gw_jv id;             /* id.p/id.n: JSON text to echo in the reply */
    gw_jv method;
    bool has_params;
    bool params_array;    /* params was an array; when it was not, the value
                             is params[0] and nparams is 1 */
    size_t nparams;       /* may exceed GW_REQ_MAX_PARAMS; only the first are kept */
    gw_jv params[GW_REQ_MAX_PARAMS];
    bool has_result;      /* a reply from the miner (has "result"), not a request */
} gw_req;

/* 1 when the line had the simple shape and *req is filled, else 0. */
int gw_req_parse_fast(const char *line, size_t len, gw_req *req);

/* From a decoded object. String views point into root; the id text is
 * rendered into idbuf (compact JSON, cut to "null" if it does not fit).
 * Returns 0, or -1 when root is not an object. */
int gw_req_from_json(json_t *root, gw_req *req, char *idbuf, size_t idcap);

/* true when v is a string equal to s. */
bool gw_jv_is(const gw_jv *v, const char *s);

#endif
