/* jm_poolbench: one ut_rpc client per poolbench; CMD_PB_TIP pushes in. */
#include "jobmaster/jm_poolbench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_rpc_link.h"

struct jm_poolbench {
    ut_rpc_clt **clts;
    size_t n;
    jm_poolbench_tip_cb on_tip;
    void *arg;
    uint64_t tips, bad;
};

static int jm_pb_fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "poolbench tip: %s", what);
    return -1;
}

static int jm_pb_u32(const json_t *body, const char *key, uint32_t *out)
{
    json_t *v = json_object_get(body, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > (json_int_t)UINT32_MAX)
        return -1;
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

int jm_pb_tip_parse(const json_t *body, jm_tip *tip, char *err, size_t errlen)
{
    memset(tip, 0, sizeof(*tip));
    const char *hash = json_string_value(json_object_get(body, "hash"));
    const char *bits = json_string_value(json_object_get(body, "bits"));
    const char *pool = json_string_value(json_object_get(body, "pool"));
    uint8_t b[4];
    if (jm_pb_u32(body, "height", &tip->height) < 0 || tip->height >= INT32_MAX)
        return jm_pb_fail(err, errlen, "height: expected an integer 0..2^31-2");
    if (!hash || strlen(hash) != 64 || ut_hash_from_hex(hash, tip->hash) < 0)
        return jm_pb_fail(err, errlen, "hash: expected 64 hex digits");
    if (!bits || strlen(bits) != 8 || ut_hex_decode(bits, b, 4) < 0)
        return jm_pb_fail(err, errlen, "bits: expected 8 hex digits");
    tip->bits = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (jm_pb_u32(body, "time", &tip->time) < 0 || tip->time == 0)
        return jm_pb_fail(err, errlen, "time: expected an integer 1..2^32-1");
    tip->time -= 1;
    if (jm_pb_u32(body, "version", &tip->version) < 0)
        return jm_pb_fail(err, errlen, "version: expected an integer 0..2^32-1");
    ut_hash_to_hex(tip->hash, tip->hash_hex);
    snprintf(tip->peer, sizeof(tip->peer), "%s", pool ? pool : "");
    snprintf(tip->via, sizeof(tip->via), "poolbench");
    return 0;
}

static void jm_pb_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    jm_poolbench *p = udata;
    double t0 = ev_time();
    if (msg->command != CMD_PB_TIP) {
        log_warn("poolbench %s: unexpected command %04x", ut_rpc_link_peer(link),
                 msg->command);
        return;
    }
    json_error_t jerr;
    json_t *body = json_loadb(msg->body, msg->body_len, 0, &jerr);
    jm_tip tip;
    char err[256];
    if (!json_is_object(body)) {
        p->bad++;
        log_error("poolbench %s: CMD_PB_TIP body is no JSON object", ut_rpc_link_peer(link));
    } else if (jm_pb_tip_parse(body, &tip, err, sizeof(err)) < 0) {
        p->bad++;
        log_warn("poolbench %s: bad CMD_PB_TIP: %s", ut_rpc_link_peer(link), err);
    } else {
        p->tips++;
        p->on_tip(&tip, t0, p->arg);
    }
    json_decref(body);
}

static void jm_pb_on_up(ut_rpc_link *link, void *udata)
{
    log_info("poolbench %s: connected", ut_rpc_link_peer(link));
}

static void jm_pb_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    log_warn("poolbench %s: link down: %s", ut_rpc_link_peer(link), reason);
}

jm_poolbench *jm_poolbench_create(struct ev_loop *loop, char *const *addrs, size_t n,
                                  double heartbeat, jm_poolbench_tip_cb on_tip, void *arg)
{
    static const ut_rpc_handlers h = {.on_msg = jm_pb_on_msg, .on_up = jm_pb_on_up,
                                      .on_down = jm_pb_on_down};
    jm_poolbench *p = calloc(1, sizeof(*p));
    if (!p || !(p->clts = calloc(n ? n : 1, sizeof(ut_rpc_clt *)))) {
        free(p);
        return NULL;
    }
    p->on_tip = on_tip;
    p->arg = arg;
    for (size_t i = 0; i < n; i++) {
        ut_rpc_cfg rc = {.addr = addrs[i], .heartbeat = heartbeat};
        p->clts[i] = ut_rpc_clt_create(loop, &rc, &h, p);
        if (!p->clts[i]) {
            jm_poolbench_free(p);
            return NULL;
        }
        p->n = i + 1;
    }
    return p;
}

int jm_poolbench_start(jm_poolbench *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (ut_rpc_clt_start(p->clts[i]) < 0)
            return -1;
    return 0;
}

void jm_poolbench_free(jm_poolbench *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        ut_rpc_clt_free(p->clts[i]);
    free(p->clts);
    free(p);
}

size_t jm_poolbench_up(const jm_poolbench *p)
{
    size_t up = 0;
    for (size_t i = 0; i < p->n; i++)
        up += ut_rpc_clt_up(p->clts[i]);
    return up;
}

size_t jm_poolbench_count(const jm_poolbench *p) { return p->n; }
uint64_t jm_poolbench_tips(const jm_poolbench *p) { return p->tips; }
uint64_t jm_poolbench_bad(const jm_poolbench *p) { return p->bad; }
