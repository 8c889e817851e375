/* ut_rpc_answer: error replies and the requests waiting for one answer
 * (see ut_rpc_answer.h). */
#include "utils/ut_rpc_answer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ut_rpc_reply_error(ut_rpc_link *link, const ut_rpc_msg *req, uint32_t status,
                        const char *why)
{
    json_t *o = json_pack("{s:i, s:s}", "v", 1, "error", why);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    const char *body = text ? text : "{\"v\":1}";

    ut_rpc_reply(link, req, status, body, strlen(body));
    free(text);
    json_decref(o);
}

void ut_rpc_waiters_add(ut_rpc_waiters *ws, ut_rpc_link *link, const ut_rpc_msg *req)
{
    ut_rpc_waiter *w;

    if (ws->n == UT_RPC_WAITERS_MAX) {
        memmove(&ws->w[0], &ws->w[1], (UT_RPC_WAITERS_MAX - 1) * sizeof(ws->w[0]));
        ws->n--;
    }
    w = &ws->w[ws->n++];
    w->link = link;
    w->req = *req;
    w->req.body = NULL;
    w->req.body_len = 0;
    snprintf(w->peer, sizeof(w->peer), "%s", ut_rpc_link_peer(link));
}

void ut_rpc_waiters_forget(ut_rpc_waiters *ws, const ut_rpc_link *link)
{
    for (size_t i = 0; i < ws->n; i++) {
        if (ws->w[i].link == link)
            ws->w[i].link = NULL;
    }
}

void ut_rpc_waiters_reply(const ut_rpc_waiters *ws, uint32_t status, const void *body,
                          size_t len)
{
    for (size_t i = 0; i < ws->n; i++) {
        if (ws->w[i].link)
            ut_rpc_reply(ws->w[i].link, &ws->w[i].req, status, body, len);
    }
}

const char *ut_rpc_waiters_peer(const ut_rpc_waiters *ws)
{
    return ws->n ? ws->w[0].peer : "-";
}
