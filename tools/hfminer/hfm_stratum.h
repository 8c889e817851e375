/* hfm_stratum: the Stratum V1 client's wire format. Builds request lines
 * (subscribe, configure, authorize, submit) and parses what a pool sends:
 * replies (matched by numeric id) and the pool's own calls (notify,
 * set_difficulty, ...). Nothing here touches the network; every parser
 * treats its input as hostile and returns -1 instead of guessing. */
#ifndef HFM_STRATUM_H
#define HFM_STRATUM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/hfminer/hfm_work.h"

#define HFM_LINE_MAX (256 * 1024)   /* longest line we accept from a pool */

typedef enum { HFM_MSG_REPLY = 1, HFM_MSG_CALL = 2 } hfm_msg_kind;
typedef enum { HFM_RES_TRUE = 1, HFM_RES_FALSE, HFM_RES_NULL, HFM_RES_OTHER } hfm_res_kind;

/* One parsed line. A reply has a numeric id (has_id) and a result; a call
 * has a method and params. root owns every json_t here (NULL when the
 * fast path parsed a plain submit reply). */
typedef struct hfm_msg {
    hfm_msg_kind kind;
    bool has_id;               /* id is a non-negative integer */
    uint64_t id;
    hfm_res_kind result_kind;
    bool has_error;            /* error is present and not null */
    int err_code;              /* the error's code, 0 when none was given */
    json_t *root;
    json_t *result;            /* borrowed from root */
    json_t *error;             /* borrowed from root */
    json_t *id_json;           /* borrowed from root: the id as sent (calls) */
    const char *method;        /* borrowed from root */
    json_t *params;            /* borrowed from root */
} hfm_msg;

/* What one mining.submit carries. Strings are copied and JSON-escaped. */
typedef struct hfm_submit {
    const char *worker;
    const char *job_id;
    const uint8_t *en2;
    size_t en2_len;
    uint32_t ntime;
    uint32_t nonce;
    bool has_vbits;
    uint32_t vbits;
} hfm_submit;

/* Parses one line (without its '\n'). 0, or -1 for anything that is not
 * a JSON object shaped like a reply or a call. */
int hfm_msg_parse(const char *line, size_t len, hfm_msg *msg);
void hfm_msg_free(hfm_msg *msg);

/* Request builders: write one line ending in '\n' into buf. Return its
 * length, or -1 when it does not fit in cap. */
int hfm_req_subscribe(char *buf, size_t cap, uint64_t id, const char *agent);
int hfm_req_configure(char *buf, size_t cap, uint64_t id, uint32_t mask);
int hfm_req_authorize(char *buf, size_t cap, uint64_t id, const char *user,
                      const char *password);
int hfm_req_submit(char *buf, size_t cap, uint64_t id, const hfm_submit *s);
/* Reply to a pool's call (client.get_version, unknown methods). id_json is
 * echoed as sent; result may be NULL (JSON null); with err_msg an error
 * [20, err_msg, null] is sent instead. */
int hfm_reply_call(char *buf, size_t cap, const json_t *id_json, const char *result,
                   const char *err_msg);

/* Writes s as a JSON string (with quotes) into buf; returns the length
 * or -1 when it does not fit. */
int hfm_json_quote(char *buf, size_t cap, const char *s);

/* Parsers of what pools send. Each returns 0 or -1 (input left alone). */
int hfm_parse_subscribe(const json_t *result, uint8_t en1[HFM_EN_MAX], size_t *en1_len,
                        size_t *en2_size);
/* Returns a new job (one reference) or NULL. */
hfm_job *hfm_parse_notify(const json_t *params);
int hfm_parse_difficulty(const json_t *params, double *diff);
/* result of mining.configure: 0 and the granted mask (requested & pool's),
 * -1 when version rolling was not granted or the reply is malformed. */
int hfm_parse_configure(const json_t *result, uint32_t requested, uint32_t *granted);
int hfm_parse_set_extranonce(const json_t *params, uint8_t en1[HFM_EN_MAX],
                             size_t *en1_len, size_t *en2_size);
int hfm_parse_version_mask(const json_t *params, uint32_t *mask);
/* client.reconnect [host, port, wait]; absent parts leave the outputs. */
int hfm_parse_reconnect(const json_t *params, char *host, size_t hostcap, int *port,
                        double *wait);
/* The code of an error value: [code, msg, ...], {"code":..}, or 0. */
int hfm_error_code(const json_t *error);
/* An 8-digit big-endian hex u32 ("20000000"). 0 or -1. */
int hfm_parse_u32_hex(const char *s, uint32_t *out);

#endif
