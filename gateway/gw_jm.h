/* gw_jm: the gateway's link to the jobmaster (ut_rpc_clt, which reconnects
 * by itself). On link up it sends CMD_JM_HELLO {"v":1,"gateway_id",
 * "process","host"}; CMD_JM_JOB pushes go to gw_server_on_job;
 * CMD_JM_BLOCK_RESULT pushes are logged. A share that meets the network
 * target is sent as CMD_JM_BLOCK_FOUND at once; its reply is logged and an
 * accepted block counted (ut_meta_block). Blocks found while the link is
 * down wait (up to 64) and go out when it comes back. While the link is
 * down the gateway keeps serving the last job.
 *
 * A block counts (blocks_accepted, ut_meta_block) only when the reply says
 * accepted and, when the jobmaster reports it, "is_tip": a block the node
 * took but that did not become the tip (a sibling on an already extended
 * parent) is logged and counted as rejected.
 *
 * Block candidates are rationed per parent block (stratum/st_guard.h);
 * skipped candidates are still accepted as shares and counted as
 * blocks_skipped. */
#ifndef GW_JM_H
#define GW_JM_H

#include <stdbool.h>
#include "gateway/gw_server.h"
#include "stratum/st_guard.h"
#include "stratum/st_sink.h"

gw_jm *gw_jm_create(gw_server *srv);
int gw_jm_start(gw_jm *jm);
void gw_jm_free(gw_jm *jm);
bool gw_jm_up(const gw_jm *jm);
/* The link while it is up, else NULL (the agent port relays blocks on it). */
struct ut_rpc_link *gw_jm_link(const gw_jm *jm);

/* Builds the CMD_JM_BLOCK_FOUND body of a block candidate into buf
 * (NUL-terminated). Returns its length, or 0 when it does not fit. */
size_t gw_block_body(const gw_server *srv, const st_block_ev *ev, char *buf, size_t cap);

/* A share met the network target (the Stratum server's block report): log
 * it, count it and send it to the jobmaster (or queue it while the link is
 * down). Works without a link (srv->jm NULL: logged and counted only). */
void gw_jm_block_found(gw_server *srv, const st_block_ev *ev);

#endif
