/* jm_coinbase: serializes a job's coinbase transaction (without witness)
 * and cuts it into coinb1/coinb2 around the extranonce slot. */
#include "jobmaster/jm_coinbase.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_pack.h"
#include "utils/ut_script.h"

#define JM_SCRIPTSIG_MIN 2
#define JM_SCRIPTSIG_MAX 100

void jm_coinbase_split(uint64_t value, const jm_payout *payouts, size_t n, uint64_t *amounts)
{
    unsigned __int128 total = 0;
    uint64_t given = 0;
    for (size_t i = 0; i < n; i++)
        total += payouts[i].weight;
    for (size_t i = 0; i + 1 < n; i++) {
        amounts[i] = total ? (uint64_t)((unsigned __int128)value * payouts[i].weight / total) : 0;
        given += amounts[i];
    }
    if (n > 0)
        amounts[n - 1] = value - given;
}

/* A direct data push: opcode n (1..75) or OP_PUSHDATA1 n (76..255). */
static void jm_put_push(ut_bytes *b, const void *data, size_t n)
{
    if (n >= 76)
        ut_bytes_u8(b, 0x4c);
    ut_bytes_u8(b, (uint8_t)n);
    if (data)
        ut_bytes_put(b, data, n);
}

/* The scriptSig up to and including the extranonce push opcode. */
static void jm_scriptsig_head(const jm_coinbase_params *p, ut_bytes *b)
{
    uint8_t height[9];
    size_t hlen = ut_bip34_height(p->height, height);
    ut_bytes_put(b, height, hlen);
    size_t tag_len = strlen(p->tag);
    if (tag_len > 0)
        jm_put_push(b, p->tag, tag_len);
    jm_put_push(b, NULL, p->extranonce_size);
}

static void jm_put_output(ut_bytes *b, uint64_t value, const uint8_t *script, size_t len)
{
    ut_bytes_le64(b, value);
    ut_bytes_compact(b, len);
    ut_bytes_put(b, script, len);
}

/* coinb2: sequence, outputs (payouts then the commitment), locktime. */
static void jm_coinb2(const jm_coinbase_params *p, const uint64_t *amounts, ut_bytes *b)
{
    ut_bytes_le32(b, 0xffffffff);
    ut_bytes_compact(b, p->payout_count + (p->commitment ? 1 : 0));
    for (size_t i = 0; i < p->payout_count; i++)
        jm_put_output(b, amounts[i], p->payouts[i].script, p->payouts[i].script_len);
    if (p->commitment)
        jm_put_output(b, 0, p->commitment, p->commitment_len);
    ut_bytes_le32(b, 0);
}

static int jm_cb_fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "coinbase: %s", msg);
    return -1;
}

int jm_coinbase_build(const jm_coinbase_params *p, jm_coinbase *out, char *err, size_t errlen)
{
    ut_bytes head, b1, b2;
    uint64_t amounts[JM_MAX_PAYOUTS];
    memset(out, 0, sizeof(*out));
    if (p->payout_count == 0 || p->payout_count > JM_MAX_PAYOUTS)
        return jm_cb_fail(err, errlen, "no payouts");
    ut_bytes_init(&head);
    jm_scriptsig_head(p, &head);
    size_t sig_len = head.len + p->extranonce_size;
    if (sig_len < JM_SCRIPTSIG_MIN || sig_len > JM_SCRIPTSIG_MAX || p->extranonce_size > 75) {
        ut_bytes_free(&head);
        return jm_cb_fail(err, errlen, "scriptSig outside 2..100 bytes (pool tag too long?)");
    }
    ut_bytes_init(&b1);
    ut_bytes_le32(&b1, p->version);
    ut_bytes_u8(&b1, 1);                      /* one input */
    for (int i = 0; i < 32; i++)
        ut_bytes_u8(&b1, 0);                  /* null prevout hash */
    ut_bytes_le32(&b1, 0xffffffff);           /* null prevout index */
    ut_bytes_compact(&b1, sig_len);
    ut_bytes_put(&b1, head.data, head.len);
    ut_bytes_free(&head);

    jm_coinbase_split(p->value, p->payouts, p->payout_count, amounts);
    ut_bytes_init(&b2);
    jm_coinb2(p, amounts, &b2);
    if (b1.oom || b2.oom) {
        ut_bytes_free(&b1);
        ut_bytes_free(&b2);
        return jm_cb_fail(err, errlen, "out of memory");
    }
    out->coinb1 = b1.data;
    out->coinb1_len = b1.len;
    out->coinb2 = b2.data;
    out->coinb2_len = b2.len;
    return 0;
}

void jm_coinbase_free(jm_coinbase *cb)
{
    free(cb->coinb1);
    free(cb->coinb2);
    memset(cb, 0, sizeof(*cb));
}
