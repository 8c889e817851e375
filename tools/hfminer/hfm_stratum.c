/* hfm_stratum: Stratum V1 client wire format (see hfm_stratum.h).
 *
 * Replies to mining.submit are by far the most common line, so they are
 * parsed by a small scanner that understands exactly
 *   {"id":N,"result":true|false|null,"error":null|[code,"text",null]}
 * (keys in any order, any whitespace); anything else goes to jansson. */
#include "tools/hfminer/hfm_stratum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_hex.h"
#include "utils/ut_target.h"

/* ---- output: a bounded writer ------------------------------------------ */

typedef struct hfm_wr {
    char *buf;
    size_t cap;
    size_t len;
    bool full;
} hfm_wr;

static void wr_raw(hfm_wr *w, const char *s, size_t n)
{
    if (w->full || w->len + n + 1 > w->cap) {
        w->full = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void wr_str(hfm_wr *w, const char *s)
{
    wr_raw(w, s, strlen(s));
}

static void wr_u64(hfm_wr *w, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    wr_raw(w, tmp + sizeof(tmp) - n, n);
}

static void wr_hex(hfm_wr *w, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    if (w->full || w->len + 2 * n + 1 > w->cap) {
        w->full = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        w->buf[w->len++] = digits[p[i] >> 4];
        w->buf[w->len++] = digits[p[i] & 15];
    }
    w->buf[w->len] = '\0';
}

static void wr_hex32(hfm_wr *w, uint32_t v)
{
    uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    wr_hex(w, be, 4);
}

static void wr_quoted(hfm_wr *w, const char *s)
{
    static const char digits[] = "0123456789abcdef";
    wr_raw(w, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            wr_raw(w, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', digits[c >> 4], digits[c & 15]};
            wr_raw(w, esc, 6);
        } else {
            wr_raw(w, (const char *)&c, 1);
        }
    }
    wr_raw(w, "\"", 1);
}

static int wr_done(hfm_wr *w)
{
    return w->full ? -1 : (int)w->len;
}

int hfm_json_quote(char *buf, size_t cap, const char *s)
{
    hfm_wr w = {buf, cap, 0, false};
    wr_quoted(&w, s);
    return wr_done(&w);
}

/* ---- requests ----------------------------------------------------------- */

static void wr_head(hfm_wr *w, uint64_t id, const char *method)
{
    wr_str(w, "{\"id\":");
    wr_u64(w, id);
    wr_str(w, ",\"method\":\"");
    wr_str(w, method);
    wr_str(w, "\",\"params\":[");
}

int hfm_req_subscribe(char *buf, size_t cap, uint64_t id, const char *agent)
{
    hfm_wr w = {buf, cap, 0, false};
    wr_head(&w, id, "mining.subscribe");
    wr_quoted(&w, agent);
    wr_str(&w, "]}\n");
    return wr_done(&w);
}

int hfm_req_configure(char *buf, size_t cap, uint64_t id, uint32_t mask)
{
    hfm_wr w = {buf, cap, 0, false};
    wr_head(&w, id, "mining.configure");
    wr_str(&w, "[\"version-rolling\"],{\"version-rolling.mask\":\"");
    wr_hex32(&w, mask);
    wr_str(&w, "\",\"version-rolling.min-bit-count\":2}]}\n");
    return wr_done(&w);
}

int hfm_req_authorize(char *buf, size_t cap, uint64_t id, const char *user,
                      const char *password)
{
    hfm_wr w = {buf, cap, 0, false};
    wr_head(&w, id, "mining.authorize");
    wr_quoted(&w, user);
    wr_raw(&w, ",", 1);
    wr_quoted(&w, password ? password : "");
    wr_str(&w, "]}\n");
    return wr_done(&w);
}

int hfm_req_submit(char *buf, size_t cap, uint64_t id, const hfm_submit *s)
{
    hfm_wr w = {buf, cap, 0, false};
    wr_head(&w, id, "mining.submit");
    wr_quoted(&w, s->worker);
    wr_raw(&w, ",", 1);
    wr_quoted(&w, s->job_id);
    wr_str(&w, ",\"");
    wr_hex(&w, s->en2, s->en2_len);
    wr_str(&w, "\",\"");
    wr_hex32(&w, s->ntime);
    wr_str(&w, "\",\"");
    wr_hex32(&w, s->nonce);
    if (s->has_vbits) {
        wr_str(&w, "\",\"");
        wr_hex32(&w, s->vbits);
    }
    wr_str(&w, "\"]}\n");
    return wr_done(&w);
}

int hfm_reply_call(char *buf, size_t cap, const json_t *id_json, const char *result,
                   const char *err_msg)
{
    hfm_wr w = {buf, cap, 0, false};
    char *id = id_json ? json_dumps(id_json, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    wr_str(&w, "{\"id\":");
    wr_str(&w, id ? id : "null");
    free(id);
    wr_str(&w, ",\"result\":");
    if (result && !err_msg)
        wr_quoted(&w, result);
    else
        wr_str(&w, "null");
    wr_str(&w, ",\"error\":");
    if (err_msg) {
        wr_str(&w, "[20,");
        wr_quoted(&w, err_msg);
        wr_str(&w, ",null]");
    } else {
        wr_str(&w, "null");
    }
    wr_str(&w, "}\n");
    return wr_done(&w);
}

/* ---- parsing: the fast path for plain replies --------------------------- */

typedef struct hfm_scan {
    const char *p;
    const char *end;
} hfm_scan;

static void sc_ws(hfm_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r'))
        s->p++;
}

static bool sc_char(hfm_scan *s, char c)
{
    sc_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

static bool sc_word(hfm_scan *s, const char *word)
{
    size_t n = strlen(word);
    sc_ws(s);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    return true;
}

/* A string without escapes; *str and *n point into the input. */
static bool sc_plain_string(hfm_scan *s, const char **str, size_t *n)
{
    if (!sc_char(s, '"'))
        return false;
    const char *start = s->p;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\' || (unsigned char)*s->p < 0x20)
            return false;
        s->p++;
    }
    if (s->p >= s->end)
        return false;
    *str = start;
    *n = (size_t)(s->p - start);
    s->p++;
    return true;
}

/* A non-negative integer below 2^53 (what jansson and JavaScript agree on). */
static bool sc_uint(hfm_scan *s, uint64_t *v)
{
    sc_ws(s);
    const char *start = s->p;
    uint64_t x = 0;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9' && s->p - start < 16)
        x = x * 10 + (uint64_t)(*s->p++ - '0');
    if (s->p == start || (s->p - start > 1 && *start == '0') || x >= (UINT64_C(1) << 53))
        return false;
    if (s->p < s->end && ((*s->p >= '0' && *s->p <= '9') || *s->p == '.' || *s->p == 'e' ||
                          *s->p == 'E'))
        return false;
    *v = x;
    return true;
}

static bool sc_error(hfm_scan *s, hfm_msg *msg)
{
    if (sc_word(s, "null"))
        return true;
    const char *txt;
    size_t n;
    uint64_t code;
    if (!sc_char(s, '[') || !sc_uint(s, &code) || code > 100000 || !sc_char(s, ',') ||
        !sc_plain_string(s, &txt, &n) || !sc_char(s, ','))
        return false;
    if (!sc_word(s, "null") && !sc_plain_string(s, &txt, &n))
        return false;
    if (!sc_char(s, ']'))
        return false;
    msg->has_error = true;
    msg->err_code = (int)code;
    return true;
}

static bool sc_result(hfm_scan *s, hfm_msg *msg)
{
    if (sc_word(s, "true"))
        msg->result_kind = HFM_RES_TRUE;
    else if (sc_word(s, "false"))
        msg->result_kind = HFM_RES_FALSE;
    else if (sc_word(s, "null"))
        msg->result_kind = HFM_RES_NULL;
    else
        return false;
    return true;
}

static bool sc_member(hfm_scan *s, hfm_msg *msg, unsigned *seen)
{
    const char *key;
    size_t n;
    if (!sc_plain_string(s, &key, &n) || !sc_char(s, ':'))
        return false;
    if (n == 2 && memcmp(key, "id", 2) == 0 && !(*seen & 1)) {
        *seen |= 1;
        return sc_uint(s, &msg->id);
    }
    if (n == 6 && memcmp(key, "result", 6) == 0 && !(*seen & 2)) {
        *seen |= 2;
        return sc_result(s, msg);
    }
    if (n == 5 && memcmp(key, "error", 5) == 0 && !(*seen & 4)) {
        *seen |= 4;
        return sc_error(s, msg);
    }
    return false;
}

static bool hfm_msg_fast(const char *line, size_t len, hfm_msg *msg)
{
    hfm_scan s = {line, line + len};
    unsigned seen = 0;
    memset(msg, 0, sizeof(*msg));
    if (!sc_char(&s, '{'))
        return false;
    do {
        if (!sc_member(&s, msg, &seen))
            return false;
    } while (sc_char(&s, ','));
    if (!sc_char(&s, '}') || seen != 7)
        return false;
    sc_ws(&s);
    if (s.p != s.end)
        return false;
    msg->kind = HFM_MSG_REPLY;
    msg->has_id = true;
    return true;
}

/* ---- parsing: the general path ------------------------------------------ */

static hfm_res_kind hfm_result_kind(const json_t *r)
{
    if (!r || json_is_null(r))
        return HFM_RES_NULL;
    if (json_is_true(r))
        return HFM_RES_TRUE;
    if (json_is_false(r))
        return HFM_RES_FALSE;
    return HFM_RES_OTHER;
}

int hfm_error_code(const json_t *error)
{
    const json_t *code = NULL;
    if (json_is_array(error))
        code = json_array_get(error, 0);
    else if (json_is_object(error))
        code = json_object_get(error, "code");
    if (!json_is_integer(code))
        return 0;
    json_int_t v = json_integer_value(code);
    if (v < -1000000 || v > 1000000)
        return 0;
    return (int)v;
}

static int hfm_msg_slow(const char *line, size_t len, hfm_msg *msg)
{
    memset(msg, 0, sizeof(*msg));
    json_t *root = json_loadb(line, len, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return -1;
    }
    msg->root = root;
    json_t *id = json_object_get(root, "id");
    json_t *method = json_object_get(root, "method");
    msg->id_json = id;
    if (json_is_integer(id) && json_integer_value(id) >= 0) {
        msg->has_id = true;
        msg->id = (uint64_t)json_integer_value(id);
    }
    if (json_is_string(method)) {
        msg->kind = HFM_MSG_CALL;
        msg->method = json_string_value(method);
        msg->params = json_object_get(root, "params");
        return 0;
    }
    msg->result = json_object_get(root, "result");
    msg->error = json_object_get(root, "error");
    if (!msg->result && !msg->error) {
        hfm_msg_free(msg);
        return -1;
    }
    msg->kind = HFM_MSG_REPLY;
    msg->result_kind = hfm_result_kind(msg->result);
    msg->has_error = msg->error && !json_is_null(msg->error);
    msg->err_code = msg->has_error ? hfm_error_code(msg->error) : 0;
    return 0;
}

int hfm_msg_parse(const char *line, size_t len, hfm_msg *msg)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0 || len > HFM_LINE_MAX)
        return -1;
    if (hfm_msg_fast(line, len, msg))
        return 0;
    return hfm_msg_slow(line, len, msg);
}

void hfm_msg_free(hfm_msg *msg)
{
    json_decref(msg->root);
    memset(msg, 0, sizeof(*msg));
}

/* ---- parsers of the pool's messages ------------------------------------- */

int hfm_parse_u32_hex(const char *s, uint32_t *out)
{
    uint8_t be[4];
    if (!s || strlen(s) != 8 || ut_hex_decode(s, be, 4) != 0)
        return -1;
    *out = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 | (uint32_t)be[2] << 8 | be[3];
    return 0;
}

static int hfm_json_u32_hex(const json_t *v, uint32_t *out)
{
    return json_is_string(v) ? hfm_parse_u32_hex(json_string_value(v), out) : -1;
}

/* Decodes a hex JSON string of at most cap bytes into a fresh buffer. */
static int hfm_json_hex_alloc(const json_t *v, size_t cap, uint8_t **out, size_t *len)
{
    if (!json_is_string(v))
        return -1;
    const char *hex = json_string_value(v);
    size_t hexlen = json_string_length(v);
    if (hexlen % 2 || hexlen / 2 > cap)
        return -1;
    uint8_t *buf = malloc(hexlen / 2 + 1);
    if (!buf)
        return -1;
    if (ut_hex_decode_any(hex, hexlen, buf, hexlen / 2 + 1, len) != 0 || *len != hexlen / 2) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

static int hfm_json_en1(const json_t *v, uint8_t en1[HFM_EN_MAX], size_t *en1_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (hfm_json_hex_alloc(v, HFM_EN_MAX, &buf, &len))
        return -1;
    memcpy(en1, buf, len);
    *en1_len = len;
    free(buf);
    return 0;
}

static int hfm_json_size(const json_t *v, size_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > HFM_EN_MAX)
        return -1;
    *out = (size_t)json_integer_value(v);
    return 0;
}

int hfm_parse_subscribe(const json_t *result, uint8_t en1[HFM_EN_MAX], size_t *en1_len,
                        size_t *en2_size)
{
    uint8_t e1[HFM_EN_MAX];
    size_t l1, s2;
    if (!json_is_array(result) || json_array_size(result) < 3 ||
        hfm_json_en1(json_array_get(result, 1), e1, &l1) ||
        hfm_json_size(json_array_get(result, 2), &s2))
        return -1;
    memcpy(en1, e1, l1);
    *en1_len = l1;
    *en2_size = s2;
    return 0;
}

int hfm_parse_set_extranonce(const json_t *params, uint8_t en1[HFM_EN_MAX],
                             size_t *en1_len, size_t *en2_size)
{
    uint8_t e1[HFM_EN_MAX];
    size_t l1, s2;
    if (!json_is_array(params) || json_array_size(params) < 2 ||
        hfm_json_en1(json_array_get(params, 0), e1, &l1) ||
        hfm_json_size(json_array_get(params, 1), &s2))
        return -1;
    memcpy(en1, e1, l1);
    *en1_len = l1;
    *en2_size = s2;
    return 0;
}

static int hfm_notify_branch(hfm_job *job, const json_t *arr)
{
    if (!json_is_array(arr) || json_array_size(arr) > HFM_BRANCH_MAX)
        return -1;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *h = json_array_get(arr, i);
        if (!json_is_string(h) || json_string_length(h) != 64 ||
            ut_hex_decode(json_string_value(h), job->branch[i], 32) != 0)
            return -1;
    }
    job->branch_len = json_array_size(arr);
    return 0;
}

static int hfm_notify_fields(hfm_job *job, const json_t *params)
{
    const json_t *id = json_array_get(params, 0);
    const json_t *prev = json_array_get(params, 1);
    const json_t *clean = json_array_get(params, 8);
    if (!json_is_string(id) || json_string_length(id) == 0 ||
        json_string_length(id) > HFM_JOB_ID_MAX || strlen(json_string_value(id)) !=
        json_string_length(id))
        return -1;
    strcpy(job->id, json_string_value(id));
    if (!json_is_string(prev) || hfm_prevhash_from_notify(json_string_value(prev),
                                                          job->prevhash))
        return -1;
    if (hfm_json_hex_alloc(json_array_get(params, 2), HFM_COINBASE_MAX, &job->coinb1,
                           &job->coinb1_len) ||
        hfm_json_hex_alloc(json_array_get(params, 3), HFM_COINBASE_MAX, &job->coinb2,
                           &job->coinb2_len) ||
        hfm_notify_branch(job, json_array_get(params, 4)) ||
        hfm_json_u32_hex(json_array_get(params, 5), &job->version) ||
        hfm_json_u32_hex(json_array_get(params, 6), &job->nbits) ||
        hfm_json_u32_hex(json_array_get(params, 7), &job->ntime) || !json_is_boolean(clean))
        return -1;
    if (job->coinb1_len + job->coinb2_len + 2 * HFM_EN_MAX > HFM_COINBASE_MAX)
        return -1;
    job->clean = json_is_true(clean);
    if (ut_target_from_nbits(job->nbits, job->net_target) != 0)
        memset(job->net_target, 0, 32);
    return 0;
}

hfm_job *hfm_parse_notify(const json_t *params)
{
    if (!json_is_array(params) || json_array_size(params) < 9)
        return NULL;
    hfm_job *job = hfm_job_new();
    if (!job)
        return NULL;
    if (hfm_notify_fields(job, params)) {
        hfm_job_unref(job);
        return NULL;
    }
    return job;
}

int hfm_parse_difficulty(const json_t *params, double *diff)
{
    const json_t *v = json_is_array(params) ? json_array_get(params, 0) : NULL;
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (!isfinite(d) || d <= 0 || d > 1e30)
        return -1;
    *diff = d;
    return 0;
}

int hfm_parse_configure(const json_t *result, uint32_t requested, uint32_t *granted)
{
    uint32_t mask;
    if (!json_is_object(result) || !json_is_true(json_object_get(result, "version-rolling")) ||
        hfm_json_u32_hex(json_object_get(result, "version-rolling.mask"), &mask))
        return -1;
    *granted = mask & requested;
    return 0;
}

int hfm_parse_version_mask(const json_t *params, uint32_t *mask)
{
    if (!json_is_array(params) || json_array_size(params) < 1)
        return -1;
    return hfm_json_u32_hex(json_array_get(params, 0), mask);
}

static int hfm_reconnect_port(const json_t *v, int *port)
{
    long p;
    if (json_is_integer(v)) {
        p = (long)json_integer_value(v);
    } else if (json_is_string(v)) {
        char *end;
        p = strtol(json_string_value(v), &end, 10);
        if (*json_string_value(v) == '\0' || *end != '\0')
            return -1;
    } else {
        return -1;
    }
    if (p < 1 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

int hfm_parse_reconnect(const json_t *params, char *host, size_t hostcap, int *port,
                        double *wait)
{
    if (json_is_null(params) || !params)
        return 0;
    if (!json_is_array(params))
        return -1;
    const json_t *h = json_array_get(params, 0);
    const json_t *p = json_array_get(params, 1);
    const json_t *w = json_array_get(params, 2);
    int newport = *port;
    if (h && !json_is_null(h) && (!json_is_string(h) || json_string_length(h) >= hostcap ||
                                  json_string_length(h) == 0))
        return -1;
    if (p && !json_is_null(p) && hfm_reconnect_port(p, &newport))
        return -1;
    if (w && !json_is_null(w) && (!json_is_number(w) || !isfinite(json_number_value(w)) ||
                                  json_number_value(w) < 0))
        return -1;
    if (h && json_is_string(h))
        strcpy(host, json_string_value(h));
    *port = newport;
    if (w && json_is_number(w))
        *wait = json_number_value(w) > 3600 ? 3600 : json_number_value(w);
    return 0;
}
