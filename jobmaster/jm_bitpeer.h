/* jm_bitpeer: jobmaster's links to its bitpeers (config "bitpeer":
 * {"addr": [...]}), every one connected at once (ut_rpc clients that
 * reconnect by themselves). Found blocks go to all of them as CMD_BP_BLOCK
 * pushes, the block jobmaster builds on as CMD_BP_BEST (again on every
 * reconnect), and their CMD_BP_TIP pushes come back through on_tip. */
#ifndef JM_BITPEER_H
#define JM_BITPEER_H

#include <ev.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jm_bitpeer jm_bitpeer;

/* body: the CMD_BP_TIP JSON object; t0: ev_time when it was read. */
typedef void (*jm_bitpeer_tip_cb)(const json_t *body, const char *from, double t0, void *arg);

jm_bitpeer *jm_bitpeer_create(struct ev_loop *loop, char *const *addrs, size_t n,
                              double heartbeat, jm_bitpeer_tip_cb on_tip, void *arg);
int jm_bitpeer_start(jm_bitpeer *b);
void jm_bitpeer_free(jm_bitpeer *b);

/* Sends the block (raw bytes, hex-encoded here) to every connected
 * bitpeer; returns how many links took it. */
size_t jm_bitpeer_send_block(jm_bitpeer *b, const char *hash_hex, uint32_t height,
                             const uint8_t *raw, size_t len);
/* The block the current job builds on; remembered for links that come up later. */
void jm_bitpeer_send_best(jm_bitpeer *b, uint32_t height, const char *hash_hex);
size_t jm_bitpeer_up(const jm_bitpeer *b);
size_t jm_bitpeer_count(const jm_bitpeer *b);
uint64_t jm_bitpeer_blocks_sent(const jm_bitpeer *b);

#endif
