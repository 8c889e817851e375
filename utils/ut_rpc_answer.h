/* ut_rpc_answer: answering the requests that arrive on a ut_rpc_link
 * server, the same way in every module:
 *
 *   - ut_rpc_reply_error: a refusal, with a status and the versioned error
 *     body {"v":1,"error":"<why>"} (docs/protocol-bodies.md).
 *   - ut_rpc_waiters: the requests waiting for the same answer. A server
 *     that holds a piece of work (metarelay a batch on its way to
 *     metawriter, metawriter a batch being applied) keeps every request
 *     asking for it here and answers them all when the work is done. A
 *     request whose link went down is forgotten (its sender resends); past
 *     UT_RPC_WAITERS_MAX the oldest one is dropped, its sender has given
 *     up on it already. */
#ifndef UT_RPC_ANSWER_H
#define UT_RPC_ANSWER_H

#include <stddef.h>
#include <stdint.h>
#include "utils/ut_rpc_link.h"

#define UT_RPC_WAITERS_MAX 4

/* One waiting request: its header (body dropped), its link and peer. */
typedef struct ut_rpc_waiter {
    ut_rpc_link *link;         /* NULL once the link went down */
    ut_rpc_msg req;            /* header only (body NULL) */
    char peer[64];             /* "host:port", kept for logs */
} ut_rpc_waiter;

typedef struct ut_rpc_waiters {
    ut_rpc_waiter w[UT_RPC_WAITERS_MAX];
    size_t n;
} ut_rpc_waiters;

/* Replies status with {"v":1,"error":why} (why JSON-escaped). */
void ut_rpc_reply_error(ut_rpc_link *link, const ut_rpc_msg *req, uint32_t status,
                        const char *why);

/* Keeps req (from link) among the waiters, dropping the oldest when full. */
void ut_rpc_waiters_add(ut_rpc_waiters *ws, ut_rpc_link *link, const ut_rpc_msg *req);
/* Forgets every request that came on link (call it from on_down). */
void ut_rpc_waiters_forget(ut_rpc_waiters *ws, const ut_rpc_link *link);
/* Replies the same answer to every waiter whose link is still up. */
void ut_rpc_waiters_reply(const ut_rpc_waiters *ws, uint32_t status, const void *body,
                          size_t len);
/* The peer of the oldest waiter, or "-" when there is none. */
const char *ut_rpc_waiters_peer(const ut_rpc_waiters *ws);

#endif
