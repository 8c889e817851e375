/* jm_poller: decides when to fetch a block template. It polls
 * getbestblockhash every poll_interval and fetches a template at once when
 * the tip differs from the last template's prev block; it also fetches on
 * jm_poller_trigger (blocknotify datagram, a block we found was accepted)
 * and every refresh_interval after the last template (non-clean jobs with
 * fresh transactions and time). Only one getblocktemplate is in flight;
 * a trigger during one queues exactly one more. */
#ifndef JM_POLLER_H
#define JM_POLLER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include "jobmaster/jm_node.h"
#include "jobmaster/jm_template.h"

typedef struct jm_poller jm_poller;

/* A new template; the callee takes ownership. */
typedef void (*jm_template_cb)(jm_template *tmpl, const char *reason, void *arg);

jm_poller *jm_poller_create(struct ev_loop *loop, jm_node *node, double poll_interval,
                            double refresh_interval, jm_template_cb cb, void *arg);
/* Fetches the first template and starts the timers. */
void jm_poller_start(jm_poller *p);
void jm_poller_free(jm_poller *p);

/* Fetch a template now; reason goes to the log ("blocknotify", "block accepted"). */
void jm_poller_trigger(jm_poller *p, const char *reason);

/* For status: the node's best block as last seen (display hex, "" if none). */
const char *jm_poller_best(const jm_poller *p);
uint64_t jm_poller_templates(const jm_poller *p);   /* templates fetched */
uint64_t jm_poller_errors(const jm_poller *p);      /* failed node calls */

#endif
