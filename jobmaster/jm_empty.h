/* jm_empty: empty-block jobs. A new-tip signal (bitpeer's CMD_BP_TIP, or a
 * blocknotify whose block jobmaster looked up) names the new tip's height,
 * hash and header; from it and the current job's template this builds the
 * template of a coinbase-only block on that tip:
 *
 *   height = tip + 1, prev = the tip, no transactions (empty merkle branch),
 *   coinbase value = the subsidy alone (no fees without transactions),
 *   no witness commitment (no transaction has witness data),
 *   version = the current template's, nbits = the tip header's,
 *   curtime = max(now, tip time + 1), mintime = tip time + 1.
 *
 * Limits: nbits is carried over from the tip, which is right on regtest
 * and within a difficulty period; at a retarget height (height % 2016 == 0)
 * on other networks no empty job is made (the full template follows as
 * before). Testnet's 20-minute minimum-difficulty rule is not modelled. */
#ifndef JM_EMPTY_H
#define JM_EMPTY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jobmaster/jm_template.h"

typedef struct jm_tip {
    uint32_t height;           /* of the tip block itself */
    uint8_t hash[32];          /* internal byte order */
    char hash_hex[65];
    uint32_t version, time, bits;
    uint8_t prev[32];
    char peer[64];
    char via[32];
} jm_tip;

/* Decodes a CMD_BP_TIP body: the header must hash to "hash" and meet its
 * own nBits target. 0, or -1 with err set. */
int jm_tip_parse(const json_t *body, jm_tip *tip, char *err, size_t errlen);
/* The same from a getblockheader result (verbose form). */
int jm_tip_from_header_json(const json_t *hdr, jm_tip *tip, char *err, size_t errlen);

/* Block subsidy in satoshis at height: 50 BTC halved every interval blocks. */
uint64_t jm_subsidy(uint32_t height, uint32_t halving_interval);
/* 150 on regtest / bcoin-regtest, 210000 elsewhere. */
uint32_t jm_halving_interval(const char *network);

/* The empty template on tip, or NULL with err set (the retarget case, out
 * of memory). cur is the current job's template (for the version). */
jm_template *jm_empty_template(const jm_template *cur, const jm_tip *tip, const char *network,
                               uint32_t now, char *err, size_t errlen);

#endif
