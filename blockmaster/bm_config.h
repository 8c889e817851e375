/* bm_config: blockmaster.json, parsed once at start-up into bm_config.
 *
 *   {
 *     "node": {"url": "http://127.0.0.1:48445/", "user": "x", "password": ".."
 *              | "cookie_file": "..", "timeout": 10},   // this site's node
 *     "rpc": {"bind": "tcp@0.0.0.0:7821", "allow": [...], "heartbeat": 2,
 *             "agents": [{"id": "jm-dc1", "secret": ">= 16 chars"}],  // HMAC link auth
 *             "tls": {"cert": "..", "key": "..", "ca": "..", "require_client_cert": false}},
 *     "bitpeer": {"addr": ["tcp@127.0.0.1:7801"]},  // optional: rebuilt blocks to P2P too
 *     "http": {"bind": "tcp@127.0.0.1:7831", "allow": [...]},
 *     "mempool_poll": 1,      // seconds between getrawmempool polls
 *     "mempool_max": 300000,  // transactions kept at most
 *     "max_missing": 1000,    // more missing than this: ask for the full block
 *     "fetch_timeout": 5,     // seconds for a getblocktxn / full block answer
 *     "log": {...}, "alert": {...}
 *   }
 * (blockmaster --help lists every key with its type, range and default.) */
#ifndef BM_CONFIG_H
#define BM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "utils/ut_alert.h"
#include "utils/ut_auth.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_config.h"
#include "utils/ut_log.h"
#include "utils/ut_node.h"

typedef struct bm_config {
    char *file;
    ut_log_cfg log;
    char *log_path;
    ut_alert_cfg alert;

    ut_node_cfg node;          /* one node: this site's */
    ut_node_url node_url;

    ut_cfg_listen rpc;
    double rpc_heartbeat;
    ut_auth_agent *agents;     /* ended by {NULL}; NULL: no authentication */
    size_t agent_count;
    char *tls_cert, *tls_key, *tls_ca;
    bool tls_require_cert;

    char **bitpeer;            /* NULL: none */
    size_t bitpeer_count;
    ut_cfg_listen http;

    double mempool_poll;
    size_t mempool_max;
    size_t max_missing;
    double fetch_timeout;
} bm_config;

int bm_config_load(bm_config *cfg, const char *path, char *err, size_t errlen);
/* The keys the reader knows (path NULL) or looked up in path: ut_proc.h. */
int bm_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
void bm_config_free(bm_config *cfg);

#endif
