/* gw_submit: mining.submit, the hot path: the session checks (25, 24, 21),
 * gw_share_check for the rest, a found block sent to the jobmaster before
 * the miner is answered, counters, accounting and vardiff. */
#ifndef GW_SUBMIT_H
#define GW_SUBMIT_H

#include <stddef.h>
#include "gateway/gw_req.h"
#include "gateway/gw_server.h"

void gw_submit(gw_conn *c, const gw_req *req, const char *id, size_t idlen);

#endif
