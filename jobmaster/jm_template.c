/* jm_template: turns a getblocktemplate JSON result into struct jm_template,
 * validating every field it uses so later code can trust it. */
#include "jobmaster/jm_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_diff.h"
#include "utils/ut_hex.h"
#include "utils/ut_target.h"

/* 21 million coins in satoshis: no coinbase may pay more (Core's MAX_MONEY). */
#define JM_MAX_MONEY 2100000000000000LL

static int jm_tmpl_fail(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "getblocktemplate: %s", what);
    return -1;
}

static int jm_tmpl_u32(const json_t *gbt, const char *key, uint32_t *out)
{
    json_t *v = json_object_get(gbt, key);
    if (!json_is_integer(v))
        return -1;
    json_int_t n = json_integer_value(v);
    if (n < 0 || n > 0xffffffffLL)
        return -1;
    *out = (uint32_t)n;
    return 0;
}

/* "bits" is an 8-digit big-endian hex string. */
static int jm_tmpl_bits(const json_t *gbt, uint32_t *out)
{
    const char *s = json_string_value(json_object_get(gbt, "bits"));
    uint8_t b[4];
    if (!s || strlen(s) != 8 || ut_hex_decode(s, b, 4) < 0)
        return -1;
    *out = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    return 0;
}

static bool jm_tmpl_has_segwit(const json_t *gbt)
{
    json_t *rules = json_object_get(gbt, "rules");
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r) {
        const char *s = json_string_value(r);
        if (s && (strcmp(s, "segwit") == 0 || strcmp(s, "!segwit") == 0))
            return true;
    }
    return false;
}

static int jm_tmpl_commitment(jm_template *t, const json_t *gbt)
{
    const char *hex = json_string_value(json_object_get(gbt, "default_witness_commitment"));
    static const uint8_t head[6] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    if (!hex || !jm_tmpl_has_segwit(gbt))
        return 0;
    size_t hexlen = strlen(hex);
    if (hexlen > 2 * 80)             /* an OP_RETURN output script: 38 bytes, some slack */
        return -1;
    t->commitment = malloc(hexlen / 2 + 1);
    if (!t->commitment ||
        ut_hex_decode_any(hex, hexlen, t->commitment, hexlen / 2 + 1, &t->commitment_len) < 0 ||
        t->commitment_len < 38 || memcmp(t->commitment, head, sizeof(head)) != 0)
        return -1;
    return 0;
}

static int jm_tmpl_tx(jm_tx *tx, const json_t *obj)
{
    const char *data = json_string_value(json_object_get(obj, "data"));
    const char *txid = json_string_value(json_object_get(obj, "txid"));
    if (!txid)   /* nodes before segwit: "hash" is the txid */
        txid = json_string_value(json_object_get(obj, "hash"));
    if (!data || !txid || ut_hash_from_hex(txid, tx->txid) < 0)
        return -1;
    size_t hexlen = strlen(data);
    if (hexlen < 2 || hexlen % 2)
        return -1;
    tx->data = malloc(hexlen / 2);
    if (!tx->data || ut_hex_decode_any(data, hexlen, tx->data, hexlen / 2, &tx->len) < 0)
        return -1;
    return 0;
}

static int jm_tmpl_txs(jm_template *t, const json_t *gbt, char *err, size_t errlen)
{
    json_t *arr = json_object_get(gbt, "transactions");
    if (!json_is_array(arr))
        return jm_tmpl_fail(err, errlen, "missing transactions array");
    size_t n = json_array_size(arr);
    if (n == 0)
        return 0;
    t->txs = calloc(n, sizeof(jm_tx));
    if (!t->txs)
        return jm_tmpl_fail(err, errlen, "out of memory");
    for (size_t i = 0; i < n; i++) {
        t->tx_count = i + 1;
        if (jm_tmpl_tx(&t->txs[i], json_array_get(arr, i)) < 0) {
            snprintf(err, errlen, "getblocktemplate: transactions[%zu]: bad data or txid", i);
            return -1;
        }
    }
    return 0;
}

static int jm_tmpl_header_fields(jm_template *t, const json_t *gbt, char *err, size_t errlen)
{
    json_t *value = json_object_get(gbt, "coinbasevalue");
    const char *prev = json_string_value(json_object_get(gbt, "previousblockhash"));
    uint8_t target[32];
    if (jm_tmpl_u32(gbt, "height", &t->height) < 0 || t->height == 0 || t->height > INT32_MAX)
        return jm_tmpl_fail(err, errlen, "missing or bad height");
    if (jm_tmpl_u32(gbt, "version", &t->version) < 0)
        return jm_tmpl_fail(err, errlen, "missing or bad version");
    if (jm_tmpl_u32(gbt, "curtime", &t->curtime) < 0)
        return jm_tmpl_fail(err, errlen, "missing or bad curtime");
    if (jm_tmpl_u32(gbt, "mintime", &t->mintime) < 0 || t->mintime > t->curtime)
        t->mintime = t->curtime;
    if (jm_tmpl_bits(gbt, &t->bits) < 0 || ut_target_from_nbits(t->bits, target) != 0 ||
        !ut_diff_ok(ut_nbits_to_diff(t->bits)))
        return jm_tmpl_fail(err, errlen, "missing or bad bits");
    if (!prev || ut_hash_from_hex(prev, t->prev) < 0)
        return jm_tmpl_fail(err, errlen, "missing or bad previousblockhash");
    ut_hash_to_hex(t->prev, t->prev_hex);
    if (!json_is_integer(value) || json_integer_value(value) < 0 ||
        json_integer_value(value) > JM_MAX_MONEY)
        return jm_tmpl_fail(err, errlen, "missing or bad coinbasevalue");
    t->coinbase_value = (uint64_t)json_integer_value(value);
    return 0;
}

jm_template *jm_template_parse(const json_t *gbt, char *err, size_t errlen)
{
    if (!json_is_object(gbt)) {
        jm_tmpl_fail(err, errlen, "result is not an object");
        return NULL;
    }
    jm_template *t = calloc(1, sizeof(*t));
    if (!t) {
        jm_tmpl_fail(err, errlen, "out of memory");
        return NULL;
    }
    if (jm_tmpl_header_fields(t, gbt, err, errlen) < 0 || jm_tmpl_txs(t, gbt, err, errlen) < 0)
        goto fail;
    if (jm_tmpl_commitment(t, gbt) < 0) {
        jm_tmpl_fail(err, errlen, "bad default_witness_commitment");
        goto fail;
    }
    return t;
fail:
    jm_template_free(t);
    return NULL;
}

void jm_template_free(jm_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->tx_count; i++)
        free(t->txs[i].data);
    free(t->txs);
    free(t->commitment);
    free(t);
}
