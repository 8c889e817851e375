/* jm_template: a getblocktemplate result decoded into the fields a job
 * needs (BIP22/BIP23/BIP145 names, as Bitcoin Core and bcoin send them). */
#ifndef JM_TEMPLATE_H
#define JM_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One template transaction: its txid (internal byte order) and its raw
 * serialization exactly as the node gave it ("data"). */
typedef struct jm_tx {
    uint8_t txid[32];
    uint8_t *data;
    size_t len;
} jm_tx;

typedef struct jm_template {
    uint32_t height;
    uint32_t version;
    uint32_t bits;
    uint32_t curtime;
    uint32_t mintime;
    uint8_t prev[32];               /* previousblockhash, internal byte order */
    char prev_hex[65];              /* previousblockhash as the node shows it */
    uint64_t coinbase_value;
    uint8_t *commitment;            /* default_witness_commitment script, or NULL */
    size_t commitment_len;
    jm_tx *txs;
    size_t tx_count;
} jm_template;

/* Decodes a getblocktemplate result. Returns a new template, or NULL with
 * err set ("transactions[3]: missing txid"). The witness commitment is kept
 * only when the template's rules name segwit. */
jm_template *jm_template_parse(const json_t *gbt, char *err, size_t errlen);
void jm_template_free(jm_template *t);

#endif
