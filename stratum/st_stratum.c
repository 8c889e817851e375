/* st_stratum: reading a request line and dispatching it to its method
 * (behaviour in st_stratum.h; the methods are in st_auth.c, st_configure.c
 * and st_submit.c). */
#include <stdio.h>
#include <string.h>
#include "stratum/st_methods.h"
#include "stratum/st_out.h"
#include "stratum/st_share.h"
#include "stratum/st_stratum.h"
#include "utils/ut_log.h"

const char *st_safe(const char *s, size_t n, char *buf, size_t cap)
{
    size_t j = 0;

    for (size_t i = 0; i < n && j + 1 < cap; i++)
        buf[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    buf[j] = '\0';
    return buf;
}

/* mining.extranonce.subscribe: the extranonce never changes. */
static void st_m_extranonce(st_conn *c, const st_req *req, const char *id, size_t idlen)
{
    (void)req;
    st_reply_true(c, id, idlen);
}

typedef void (*st_method_fn)(st_conn *c, const st_req *req, const char *id, size_t idlen);

static const struct {
    const char *name;
    st_method_fn fn;
} st_methods[] = {
    { "mining.submit", st_m_submit },
    { "mining.subscribe", st_m_subscribe },
    { "mining.authorize", st_m_authorize },
    { "mining.configure", st_m_configure },
    { "mining.suggest_difficulty", st_m_suggest },
    { "mining.extranonce.subscribe", st_m_extranonce },
};

void st_stratum_dispatch(st_conn *c, const st_req *req)
{
    static ut_log_rl rl;
    const char *id = "null";
    size_t idlen = 4;
    char safe[80];

    if (req->id.type != ST_JV_ABSENT) {
        id = req->id.p;
        idlen = req->id.n;
    }
    if (req->method.type == ST_JV_ABSENT && req->has_result)
        return;   /* a reply from the miner */
    for (size_t i = 0; i < sizeof(st_methods) / sizeof(st_methods[0]); i++) {
        if (st_jv_is(&req->method, st_methods[i].name)) {
            st_methods[i].fn(c, req, id, idlen);
            return;
        }
    }
    UT_LOG_LIMITED(&rl, st_now(c->srv), UT_LOG_INFO,
                   "unknown method: peer=%s conn=%llu method=\"%s\"", c->peer,
                   (unsigned long long)c->id,
                   req->method.type == ST_JV_STRING
                       ? st_safe(req->method.p, req->method.n, safe, sizeof(safe)) : "");
    st_reply_error(c, id, idlen, ST_ERR_OTHER, "Unknown method");
    st_conn_strike(c, true);
}

void st_stratum_line(st_conn *c, const char *line, size_t len)
{
    st_req req;
    json_t *root = NULL;
    json_error_t jerr;
    char idbuf[ST_REQ_MAX_ID + 16];
    static ut_log_rl rl;

    if (!st_req_parse_fast(line, len, &req)) {
        root = json_loadb(line, len, 0, &jerr);
        if (root == NULL || st_req_from_json(root, &req, idbuf, sizeof(idbuf)) != 0) {
            st_stat_add(&c->srv->stats->parse_errors, 1);
            UT_LOG_LIMITED(&rl, st_now(c->srv), UT_LOG_WARN,
                           "parse error: peer=%s conn=%llu worker=%s: %s", c->peer,
                           (unsigned long long)c->id, c->nnames ? c->names[0].full : "-",
                           root ? "not a JSON object" : jerr.text);
            json_decref(root);
            st_reply_error(c, "null", 4, ST_ERR_OTHER, "Parse error");
            st_conn_strike(c, true);
            return;
        }
    }
    st_stratum_dispatch(c, &req);
    json_decref(root);
}
