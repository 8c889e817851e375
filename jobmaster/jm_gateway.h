/* jm_gateway: the jobmaster's side of the gateway links (ut_rpc_svr).
 * Answers CMD_JM_HELLO and pushes the current job at once, pushes every
 * new job to every gateway that said hello, hands CMD_JM_BLOCK_FOUND to
 * the owner and sends the reply when the owner has the node's verdict
 * (the link may be gone by then: the reply is then dropped). */
#ifndef JM_GATEWAY_H
#define JM_GATEWAY_H

#include <ev.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "jobmaster/jm_config.h"
#include "jobmaster/jm_job.h"

typedef struct jm_gateway jm_gateway;
typedef struct jm_gw_pending jm_gw_pending;   /* a request waiting for its reply */

typedef struct jm_gateway_handlers {
    /* The job to push after a hello (NULL when there is none yet). */
    const jm_job *(*current_job)(void *arg);
    /* A found block; body is borrowed. The owner must call
     * jm_gateway_reply exactly once for pending (any time later). */
    void (*on_found)(jm_gw_pending *pending, const json_t *body, void *arg);
} jm_gateway_handlers;

jm_gateway *jm_gateway_create(struct ev_loop *loop, const jm_config *cfg,
                              const jm_gateway_handlers *h, void *arg);
int jm_gateway_start(jm_gateway *gw);
/* Closes every link; pending requests are dropped without a reply. */
void jm_gateway_free(jm_gateway *gw);

/* Pushes a job body to every gateway that said hello. */
void jm_gateway_push_job(jm_gateway *gw, const jm_job *job);
/* Pushes any command body to every gateway that said hello. */
void jm_gateway_push_all(jm_gateway *gw, uint16_t command, const char *body, size_t len);

/* Replies to a pending request (status 0 and body, or an error status)
 * and releases pending. body is borrowed. */
void jm_gateway_reply(jm_gateway *gw, jm_gw_pending *pending, uint32_t status,
                      const json_t *body);
/* "127.0.0.1:51234" of the request's link ("" once it is gone). */
const char *jm_gw_pending_peer(const jm_gw_pending *pending);

/* For status: one object per connected link, and the count. */
json_t *jm_gateway_status(const jm_gateway *gw);
size_t jm_gateway_count(const jm_gateway *gw);
uint64_t jm_gateway_jobs_pushed(const jm_gateway *gw);

#endif
