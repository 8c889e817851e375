/* ma_http: the mineragent's /status (JSON) and /metrics (Prometheus, names
 * prefixed hf_agent_) on http.bind: the upstream link (gateway in use, up,
 * extranonce1, failovers, blocks, bytes each way), the farm's Stratum
 * counters and the accounting backlog. */
#ifndef MA_HTTP_H
#define MA_HTTP_H

#include <jansson.h>
#include "mineragent/ma_agent.h"

ut_status *ma_http_start(ma_agent *ag, const char *bind, const char *const *allow);
json_t *ma_http_status(ma_agent *ag);
char *ma_http_metrics(ma_agent *ag);

#endif
