/* jm_empty: tip signals decoded and checked, and the template of an
 * empty-block job built from them (see jm_empty.h). */
#include "jobmaster/jm_empty.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_hex.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"
#include "utils/ut_target.h"

#define JM_RETARGET 2016

static int jm_tip_fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "tip: %s", what);
    return -1;
}

int jm_tip_parse(const json_t *body, jm_tip *tip, char *err, size_t errlen)
{
    memset(tip, 0, sizeof(*tip));
    json_t *h = json_object_get(body, "height");
    const char *hash = json_string_value(json_object_get(body, "hash"));
    const char *hdr = json_string_value(json_object_get(body, "header"));
    const char *peer = json_string_value(json_object_get(body, "peer"));
    const char *via = json_string_value(json_object_get(body, "via"));
    uint8_t raw[80], target[32];
    if (!json_is_integer(h) || json_integer_value(h) < 0 || json_integer_value(h) >= INT32_MAX)
        return jm_tip_fail(err, errlen, "height: expected an integer 0..2^31-2");
    if (!hash || ut_hash_from_hex(hash, tip->hash) < 0)
        return jm_tip_fail(err, errlen, "hash: expected 64 hex digits");
    if (!hdr || strlen(hdr) != 160 || ut_hex_decode(hdr, raw, 80) < 0)
        return jm_tip_fail(err, errlen, "header: expected 160 hex digits");
    uint8_t got[32];
    ut_header_hash(raw, got);
    if (memcmp(got, tip->hash, 32) != 0)
        return jm_tip_fail(err, errlen, "header does not hash to hash");
    tip->height = (uint32_t)json_integer_value(h);
    tip->version = ut_le32_get(raw);
    memcpy(tip->prev, raw + 4, 32);
    tip->time = ut_le32_get(raw + 68);
    tip->bits = ut_le32_get(raw + 72);
    if (ut_target_from_nbits(tip->bits, target) != 0 || !ut_hash_meets(tip->hash, target))
        return jm_tip_fail(err, errlen, "header hash above its own target");
    ut_hash_to_hex(tip->hash, tip->hash_hex);
    snprintf(tip->peer, sizeof(tip->peer), "%s", peer ? peer : "");
    snprintf(tip->via, sizeof(tip->via), "%s", via ? via : "");
    return 0;
}

static int jm_hex_u32(const json_t *o, const char *key, uint32_t *out)
{
    const char *s = json_string_value(json_object_get(o, key));
    uint8_t b[4];
    if (!s || strlen(s) != 8 || ut_hex_decode(s, b, 4) < 0)
        return -1;
    *out = ut_be32_get(b);
    return 0;
}

int jm_tip_from_header_json(const json_t *hdr, jm_tip *tip, char *err, size_t errlen)
{
    memset(tip, 0, sizeof(*tip));
    const char *hash = json_string_value(json_object_get(hdr, "hash"));
    json_t *h = json_object_get(hdr, "height"), *t = json_object_get(hdr, "time");
    json_t *v = json_object_get(hdr, "version");
    if (!hash || ut_hash_from_hex(hash, tip->hash) < 0 || !json_is_integer(h) ||
        json_integer_value(h) < 0 || json_integer_value(h) >= INT32_MAX ||
        !json_is_integer(t) || !json_is_integer(v) || jm_hex_u32(hdr, "bits", &tip->bits) < 0)
        return jm_tip_fail(err, errlen, "getblockheader: missing hash, height, time, version "
                           "or bits");
    tip->height = (uint32_t)json_integer_value(h);
    tip->time = (uint32_t)json_integer_value(t);
    tip->version = (uint32_t)json_integer_value(v);
    ut_hash_to_hex(tip->hash, tip->hash_hex);
    snprintf(tip->via, sizeof(tip->via), "blocknotify");
    return 0;
}

uint64_t jm_subsidy(uint32_t height, uint32_t halving_interval)
{
    uint32_t halvings = halving_interval ? height / halving_interval : 0;
    return halvings >= 64 ? 0 : (5000000000ull >> halvings);
}

uint32_t jm_halving_interval(const char *network)
{
    bool reg = network && (strcmp(network, "regtest") == 0 ||
                           strcmp(network, "bcoin-regtest") == 0);
    return reg ? 150 : 210000;
}

jm_template *jm_empty_template(const jm_template *cur, const jm_tip *tip, const char *network,
                               uint32_t now, char *err, size_t errlen)
{
    bool reg = jm_halving_interval(network) == 150;
    uint32_t height = tip->height + 1;
    if (!reg && height % JM_RETARGET == 0) {
        snprintf(err, errlen, "height %u is a retarget height: nbits unknown", height);
        return NULL;
    }
    jm_template *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->height = height;
    t->version = cur->version;
    t->bits = tip->bits;
    t->mintime = tip->time + 1;
    t->curtime = now > t->mintime ? now : t->mintime;
    memcpy(t->prev, tip->hash, 32);
    ut_hash_to_hex(t->prev, t->prev_hex);
    t->coinbase_value = jm_subsidy(height, jm_halving_interval(network));
    return t;
}
