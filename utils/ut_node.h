/* ut_node: a blocking JSON-RPC client for Bitcoin nodes (Bitcoin Core,
 * bcoin) on libcurl, with user/password or cookie-file auth, timeouts and
 * a list of nodes tried in order (the last one that answered first).
 * Blocking: call it from an nw_job worker thread, never from the loop.
 * One ut_node_conn per thread; ut_node_cfg is shared and read-only. */
#ifndef UT_NODE_H
#define UT_NODE_H

#include <jansson.h>
#include <stddef.h>

typedef struct ut_node_url {
    char *url;         /* "http://127.0.0.1:8332/" */
    char *user;        /* NULL with cookie_file */
    char *password;
    char *cookie_file; /* Bitcoin Core's .cookie: "user:password", read at each call */
} ut_node_url;

typedef struct ut_node_cfg {
    ut_node_url *nodes;
    size_t count;
    double timeout;          /* seconds per call; default 10 */
    double connect_timeout;  /* default 2 */
} ut_node_cfg;

typedef struct ut_node_conn ut_node_conn;

ut_node_conn *ut_node_conn_new(const ut_node_cfg *cfg);
void ut_node_conn_free(ut_node_conn *c);

/* What ut_node_call returns when it fails. The two differ in what a
 * caller may do next:
 *   UT_NODE_ERR_TRANSPORT  no node answered the call: connection refused or
 *                          reset, timeout, an HTTP error without a JSON-RPC
 *                          body (5xx, 401/403 bad credentials), a reply that
 *                          is not JSON-RPC, an unreadable cookie file, no node
 *                          configured; or a node still starting (error -28,
 *                          RPC_IN_WARMUP). The same call may work later or
 *                          on another node: retrying makes sense.
 *   UT_NODE_ERR_NODE       a node took the call and answered with a JSON-RPC
 *                          error object (-8 "Block height out of range",
 *                          -22 "Block decode failed", -32601 "Method not
 *                          found", ...). That is the node's final word on
 *                          this call: the same call gets the same answer. */
#define UT_NODE_ERR_TRANSPORT (-1)
#define UT_NODE_ERR_NODE (-2)

/* Calls method with params (borrowed; NULL = []). On success returns 0 and
 * *result holds a new reference (json null for a null result). On failure
 * returns UT_NODE_ERR_TRANSPORT or UT_NODE_ERR_NODE (see above) with err
 * filled: for a node error only the node's answer ("node 127.0.0.1:8332:
 * -8: Block height out of range"), for a transport error one entry per
 * node tried, "; " between them. A node that fails at transport level is
 * skipped in favour of the next; a node error is returned at once. Note
 * that a call the node executes but answers with a result string (Bitcoin
 * Core's submitblock: "rejected: bad-txnmrklroot", "duplicate") is a
 * success (0): the string is the result. */
int ut_node_call(ut_node_conn *c, const char *method, json_t *params, json_t **result,
                 char *err, size_t errlen);

/* Which node answered the last call (index into cfg->nodes). */
size_t ut_node_last(const ut_node_conn *c);

#endif
