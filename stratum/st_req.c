/* st_req: request views for the Stratum dispatcher; a small hand-written
 * reader for the usual flat request shape (the fast path for mining.submit)
 * and an adapter from jansson for everything else. */
#include <string.h>
#include "stratum/st_req.h"

typedef struct st_rd {
    const char *p;
    const char *end;
} st_rd;

static void st_rd_ws(st_rd *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\r' || *r->p == '\n'))
        r->p++;
}

static bool st_rd_lit(st_rd *r, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n) != 0)
        return false;
    r->p += n;
    return true;
}

/* A string without escapes, of printable ASCII. */
static bool st_rd_string(st_rd *r, st_jv *v)
{
    const char *s;

    if (r->p >= r->end || *r->p != '"')
        return false;
    s = ++r->p;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20 || c >= 0x7f || c == '\\')
            return false;
        r->p++;
    }
    if (r->p >= r->end)
        return false;
    v->type = ST_JV_STRING;
    v->p = s;
    v->n = (size_t)(r->p - s);
    r->p++;
    return true;
}

static bool st_rd_digits(st_rd *r)
{
    const char *s = r->p;

    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    return r->p > s;
}

/* A number in strict JSON grammar, at most 32 characters. */
static bool st_rd_number(st_rd *r, st_jv *v)
{
    const char *s = r->p;

    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (r->p >= r->end || *r->p < '1' || *r->p > '9' || !st_rd_digits(r))
        return false;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (!st_rd_digits(r))
            return false;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (!st_rd_digits(r))
            return false;
    }
    if (r->p - s > 32)
        return false;
    v->type = ST_JV_NUMBER;
    v->p = s;
    v->n = (size_t)(r->p - s);
    return true;
}

static bool st_rd_scalar(st_rd *r, st_jv *v)
{
    const char *s = r->p;

    v->json = NULL;
    if (r->p >= r->end)
        return false;
    switch (*r->p) {
    case '"':
        return st_rd_string(r, v);
    case 'n':
        v->type = ST_JV_NULL;
        break;
    case 't':
        v->type = ST_JV_TRUE;
        break;
    case 'f':
        v->type = ST_JV_FALSE;
        break;
    default:
        return st_rd_number(r, v);
    }
    if (!st_rd_lit(r, v->type == ST_JV_NULL ? "null" : v->type == ST_JV_TRUE ? "true" : "false"))
        return false;
    v->p = s;
    v->n = (size_t)(r->p - s);
    return true;
}

static bool st_rd_params(st_rd *r, st_req *req)
{
    r->p++;   /* '[' */
    req->has_params = true;
    req->params_array = true;
    st_rd_ws(r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return true;
    }
    for (;;) {
        st_jv v;
        st_rd_ws(r);
        if (req->nparams >= ST_REQ_MAX_PARAMS || !st_rd_scalar(r, &v))
            return false;
        req->params[req->nparams++] = v;
        st_rd_ws(r);
        if (r->p >= r->end)
            return false;
        if (*r->p == ']') {
            r->p++;
            return true;
        }
        if (*r->p++ != ',')
            return false;
    }
}

/* One member "key": value; false to give up. */
static bool st_rd_member(st_rd *r, st_req *req)
{
    st_jv key, v;
    st_jv *slot = NULL;

    if (!st_rd_string(r, &key))
        return false;
    st_rd_ws(r);
    if (r->p >= r->end || *r->p++ != ':')
        return false;
    st_rd_ws(r);
    if (key.n == 6 && memcmp(key.p, "params", 6) == 0) {
        if (req->has_params)
            return false;
        if (r->p < r->end && *r->p == '[')
            return st_rd_params(r, req);
        /* params not an array: kept as the only param, params_array false. */
        req->has_params = true;
        if (!st_rd_scalar(r, &req->params[0]))
            return false;
        req->nparams = 1;
        return true;
    }
    if (key.n == 2 && memcmp(key.p, "id", 2) == 0)
        slot = &req->id;
    else if (key.n == 6 && memcmp(key.p, "method", 6) == 0)
        slot = &req->method;
    else if (key.n == 6 && memcmp(key.p, "result", 6) == 0)
        req->has_result = true;
    if (slot != NULL && slot->type != ST_JV_ABSENT)
        return false;   /* duplicate key: let jansson decide */
    const char *start = r->p;
    if (!st_rd_scalar(r, slot ? slot : &v))
        return false;
    if (slot == &req->id) {
        /* The id is echoed as JSON text: keep the quotes of a string. */
        req->id.p = start;
        req->id.n = (size_t)(r->p - start);
        if (req->id.n > ST_REQ_MAX_ID)
            return false;
    }
    return true;
}

int st_req_parse_fast(const char *line, size_t len, st_req *req)
{
    st_rd r = { line, line + len };

    memset(req, 0, sizeof(*req));
    st_rd_ws(&r);
    if (r.p >= r.end || *r.p++ != '{')
        return 0;
    st_rd_ws(&r);
    if (r.p < r.end && *r.p == '}') {
        r.p++;
    } else {
        for (;;) {
            st_rd_ws(&r);
            if (!st_rd_member(&r, req))
                return 0;
            st_rd_ws(&r);
            if (r.p >= r.end)
                return 0;
            if (*r.p == '}') {
                r.p++;
                break;
            }
            if (*r.p++ != ',')
                return 0;
        }
    }
    st_rd_ws(&r);
    return r.p == r.end;
}

static void st_jv_from_json(json_t *j, st_jv *v)
{
    v->json = j;
    v->p = NULL;
    v->n = 0;
    switch (json_typeof(j)) {
    case JSON_STRING:
        v->type = ST_JV_STRING;
        v->p = json_string_value(j);
        v->n = json_string_length(j);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        v->type = ST_JV_NUMBER;
        break;
    case JSON_NULL:
        v->type = ST_JV_NULL;
        break;
    case JSON_TRUE:
        v->type = ST_JV_TRUE;
        break;
    case JSON_FALSE:
        v->type = ST_JV_FALSE;
        break;
    default:
        v->type = ST_JV_OTHER;
        break;
    }
}

int st_req_from_json(json_t *root, st_req *req, char *idbuf, size_t idcap)
{
    json_t *id, *method, *params;

    memset(req, 0, sizeof(*req));
    if (!json_is_object(root))
        return -1;
    id = json_object_get(root, "id");
    method = json_object_get(root, "method");
    params = json_object_get(root, "params");
    req->has_result = json_object_get(root, "result") != NULL;
    if (id != NULL) {
        st_jv_from_json(id, &req->id);
        size_t n = json_dumpb(id, idbuf, idcap, JSON_ENCODE_ANY | JSON_COMPACT);
        if (n == 0 || n >= idcap) {
            /* Unprintable or too long to echo: answer as for a missing id. */
            req->id.type = ST_JV_NULL;
            memcpy(idbuf, "null", 5);
            n = 4;
        }
        idbuf[n] = '\0';
        req->id.p = idbuf;
        req->id.n = n;
    }
    if (method != NULL)
        st_jv_from_json(method, &req->method);
    if (params != NULL) {
        req->has_params = true;
        req->params_array = json_is_array(params);
        if (req->params_array) {
            req->nparams = json_array_size(params);
            for (size_t i = 0; i < req->nparams && i < ST_REQ_MAX_PARAMS; i++)
                st_jv_from_json(json_array_get(params, i), &req->params[i]);
        } else {
            req->nparams = 1;
            st_jv_from_json(params, &req->params[0]);
        }
    }
    return 0;
}

bool st_jv_is(const st_jv *v, const char *s)
{
    size_t n = strlen(s);

    return v->type == ST_JV_STRING && v->n == n && memcmp(v->p, s, n) == 0;
}

bool st_word_ok(const char *s, size_t n, size_t min, size_t max)
{
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}
