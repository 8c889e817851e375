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

/* Calls method with params (borrowed; NULL = []). On success returns 0 and
 * *result holds a new reference (json null for a null result). On failure
 * returns -1 with err filled: transport errors, HTTP errors, or the node's
 * error object ("node 127.0.0.1:8332: -8: Block height out of range").
 * A node that fails at transport level is skipped in favour of the next. */
int ut_node_call(ut_node_conn *c, const char *method, json_t *params, json_t **result,
                 char *err, size_t errlen);

/* Which node answered the last call (index into cfg->nodes). */
size_t ut_node_last(const ut_node_conn *c);

#endif
