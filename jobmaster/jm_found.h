/* jm_found: decodes a CMD_JM_BLOCK_FOUND body (docs/protocol-bodies.md)
 * into typed fields, and renders the reply / CMD_JM_BLOCK_RESULT body. */
#ifndef JM_FOUND_H
#define JM_FOUND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "jobmaster/jm_block.h"

typedef struct jm_found_req {
    char job_id[17];
    jm_found found;                 /* extranonce1||extranonce2, version, ntime, nonce */
    char hash[65];                  /* the gateway's hash (display hex), "" if absent */
    char user[64];
    char worker[64];
    char peer[64];
    int64_t gateway_id;
} jm_found_req;

/* Returns 0, or -1 with err naming the bad field ("nonce: expected 8 hex digits"). */
int jm_found_parse(const json_t *body, jm_found_req *out, char *err, size_t errlen);

typedef struct jm_found_verdict {
    bool accepted;
    bool is_tip;                    /* the node's best block is this block */
    char hash[65];
    uint32_t height;
    char reason[256];
} jm_found_verdict;

/* {"v":1,"accepted":..,"hash":..,"height":..,"reason":..,"is_tip":..}; with
 * req (the CMD_JM_BLOCK_RESULT form) also user, worker, gateway_id, job_id. */
json_t *jm_found_result_json(const jm_found_verdict *v, const jm_found_req *req);

#endif
