/* bp_config: bitpeer.json, parsed once at start-up into bp_config.
 *
 *   {
 *     "network": "regtest",                  // main|testnet|signet|regtest|bcoin-regtest: P2P magic
 *     "peers": {"addr": ["tcp@127.0.0.1:48444", "tcp@10.0.0.2:8333"],  // every one at once
 *               "reconnect_min": 0.5, "reconnect_max": 30,  // backoff between attempts, seconds
 *               "handshake_timeout": 10,   // version/verack within this or reconnect
 *               "ping_interval": 30,       // ping; no pong before the next ping: reconnect
 *               "compact_hb": true,        // ask peers for high-bandwidth cmpctblock (BIP152)
 *               "max_message": 33554432,   // bytes of one P2P payload at most
 *               "user_agent": "/headframe-bitpeer:0.1/"},
 *     "rpc": {"bind": "tcp@127.0.0.1:7801", "allow": ["127.0.0.1"], // jobmasters connect here
 *             "heartbeat": 2},
 *     "http": {"bind": "tcp@127.0.0.1:7811", "allow": ["127.0.0.1"]},  // /status, /metrics
 *     "keep_blocks": 8,                      // found blocks kept to answer getdata
 *     "known_headers": 100000,               // headers remembered (hash -> height)
 *     "log": {...}, "alert": {...}
 *   }
 * (bitpeer --help lists every key with its type, range and default.) */
#ifndef BP_CONFIG_H
#define BP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "utils/ut_alert.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_config.h"
#include "utils/ut_log.h"

typedef struct bp_config {
    char *file;
    ut_log_cfg log;            /* log.path points to log_path */
    char *log_path;
    ut_alert_cfg alert;

    char *network;
    uint32_t magic;

    char **peers;              /* peers.addr, NULL-terminated */
    size_t peer_count;
    double reconnect_min, reconnect_max;
    double handshake_timeout;
    double ping_interval;
    bool compact_hb;
    size_t max_message;
    char *user_agent;

    ut_cfg_listen rpc;
    double rpc_heartbeat;
    ut_cfg_listen http;
    size_t keep_blocks;
    size_t known_headers;
} bp_config;

int bp_config_load(bp_config *cfg, const char *path, char *err, size_t errlen);
/* The keys the reader knows (path NULL) or looked up in path: ut_proc.h. */
int bp_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
void bp_config_free(bp_config *cfg);

#endif
