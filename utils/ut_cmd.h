/* ut_cmd: the command numbers of every internal link, in one place so two
 * modules can never disagree. Bodies are JSON objects with a "v" field;
 * docs/protocol.md lists each body. */
#ifndef UT_CMD_H
#define UT_CMD_H

/* jobmaster <-> gateway / mineragent-facing gateways */
#define CMD_JM_HELLO        0x0101  /* gateway -> jobmaster request: {"v":1,"gateway_id":N,"host":".."} */
#define CMD_JM_JOB          0x0102  /* jobmaster -> gateway push: a job (see docs/protocol.md) */
#define CMD_JM_BLOCK_FOUND  0x0103  /* gateway -> jobmaster request: a share that meets the network target */
#define CMD_JM_BLOCK_RESULT 0x0104  /* jobmaster -> gateways push: what the node said about a block */

/* gateway / mineragent -> metarelay -> metawriter */
#define CMD_MW_BATCH        0x0201  /* request: one batch of per-minute counts and events */

/* mineragent <-> gateway (the agent port; after TLS and agent authentication).
 * The agent also sends CMD_JM_BLOCK_FOUND and CMD_MW_BATCH requests on this
 * link, and receives CMD_JM_JOB pushes, with the bodies above. */
#define CMD_AG_HELLO        0x0401  /* agent -> gateway request: who it is; reply: its extranonce1 */

/* jobmaster <-> bitpeer (jobmaster connects to each bitpeer's "rpc" listener;
 * all pushes, nothing waits for a reply) */
#define CMD_BP_BLOCK        0x0501  /* jobmaster -> bitpeer: a found block {"v":1,"hash":..,"height":N,"block":hex} */
#define CMD_BP_BEST         0x0502  /* jobmaster -> bitpeer: the block its jobs build on {"v":1,"height":N,"hash":..} */
#define CMD_BP_TIP          0x0503  /* bitpeer -> jobmaster: a new tip seen on P2P {"v":1,"height":N,"hash":..,"header":hex80,"peer":..,"via":..} */
#define CMD_PB_TIP          0x0601  /* poolbench -> jobmaster: another pool's notify moved past our job {"v":1,"height":N (the tip's),"hash":..,"bits":"hex8","time":N,"version":N,"pool":..,"via":"poolbench"} */

/* jobmaster <-> blockmaster (jobmaster connects to each blockmaster's "rpc"
 * listener, with agent authentication; the blockmaster asks back on the
 * same link for what its mempool lacks) */
#define CMD_BM_BLOCK        0x0601  /* jobmaster -> blockmaster push: {"v":1,"hash":..,"height":N,"size":bytes,"thin":hex cmpctblock v2} */
#define CMD_BM_GETTXN       0x0602  /* blockmaster -> jobmaster request: {"v":1,"hash":..,"idx":[i,..]}; reply {"v":1,"txs":[hex,..]} */
#define CMD_BM_GETBLOCK     0x0603  /* blockmaster -> jobmaster request: {"v":1,"hash":..}; reply {"v":1,"block":hex} */

/* every module -> alertcenter */
#define CMD_ALERT           0x0301  /* push: a FATAL log line */

#endif
