/* jm_bmaster: jobmaster's links to the blockmasters of the pool's other
 * sites (config "blockmaster": {"addr": [...], "id": .., "secret": ..,
 * "tls": {...}}), every one connected at once with agent authentication.
 * Each found block goes to all of them as a thin block (CMD_BM_BLOCK: the
 * BIP152 cmpctblock v2 payload and the block size); the last few blocks
 * are kept to answer their CMD_BM_GETTXN and CMD_BM_GETBLOCK requests. */
#ifndef JM_BMASTER_H
#define JM_BMASTER_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jm_bmaster jm_bmaster;

typedef struct jm_bmaster_cfg {
    char **addrs;
    size_t n;
    const char *id, *secret;   /* agent authentication (both required) */
    const char *tls_ca, *tls_host, *tls_cert, *tls_key;   /* tls_ca set: TLS on */
    double heartbeat;
} jm_bmaster_cfg;

jm_bmaster *jm_bmaster_create(struct ev_loop *loop, const jm_bmaster_cfg *cfg);
int jm_bmaster_start(jm_bmaster *b);
void jm_bmaster_free(jm_bmaster *b);
/* Sends the block as a thin block to every connected blockmaster; returns
 * how many links took it. */
size_t jm_bmaster_send_block(jm_bmaster *b, const char *hash_hex, uint32_t height,
                             const uint8_t *raw, size_t len);
size_t jm_bmaster_up(const jm_bmaster *b);
size_t jm_bmaster_count(const jm_bmaster *b);

#endif
