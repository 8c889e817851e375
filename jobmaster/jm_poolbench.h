/* jm_poolbench: jobmaster's links to its poolbench processes (config
 * "poolbench": {"addr": [...]}), ut_rpc clients that reconnect by
 * themselves. poolbench watches other pools' mining.notify and pushes
 * CMD_PB_TIP when one builds on a block above our job; each push is turned
 * into a jm_tip (jm_pb_tip_parse) and handed to on_tip, the same entry
 * point bitpeer's CMD_BP_TIP takes. Nothing is sent to poolbench. */
#ifndef JM_POOLBENCH_H
#define JM_POOLBENCH_H

#include <ev.h>
#include <jansson.h>
#include <stddef.h>
#include "jobmaster/jm_empty.h"

typedef struct jm_poolbench jm_poolbench;

/* tip: decoded; t0: ev_time when the push was read. */
typedef void (*jm_poolbench_tip_cb)(const jm_tip *tip, double t0, void *arg);

/* CMD_PB_TIP body -> jm_tip. Unlike CMD_BP_TIP there is no header to check
 * the proof of work against: the other pool's notify names prevhash, nbits,
 * ntime and version only. tip->time is ntime - 1, so the empty job's ntime
 * is at least the other pool's (which that pool found valid); tip->prev
 * stays zero (unknown). 0, or -1 with err set. */
int jm_pb_tip_parse(const json_t *body, jm_tip *tip, char *err, size_t errlen);

jm_poolbench *jm_poolbench_create(struct ev_loop *loop, char *const *addrs, size_t n,
                                  double heartbeat, jm_poolbench_tip_cb on_tip, void *arg);
int jm_poolbench_start(jm_poolbench *p);
void jm_poolbench_free(jm_poolbench *p);
size_t jm_poolbench_up(const jm_poolbench *p);
size_t jm_poolbench_count(const jm_poolbench *p);
uint64_t jm_poolbench_tips(const jm_poolbench *p);      /* pushes that decoded */
uint64_t jm_poolbench_bad(const jm_poolbench *p);       /* pushes that did not */

#endif
