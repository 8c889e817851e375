/* ma_agent: the parts of one mineragent process and what ties them: the
 * farm's Stratum server (ma_farm), the one link upstream (ma_upstream),
 * the accounting sender (ut_meta, sending over the upstream link) and the
 * status pages (ma_http). */
#ifndef MA_AGENT_H
#define MA_AGENT_H

#include <ev.h>
#include "mineragent/ma_config.h"

typedef struct ma_farm ma_farm;
typedef struct ma_upstream ma_upstream;
typedef struct ut_meta ut_meta;
typedef struct ut_status ut_status;

typedef struct ma_agent {
    const ma_config *cfg;
    struct ev_loop *loop;
    ma_upstream *up;
    ma_farm *farm;             /* NULL until the first gateway said HELLO */
    ut_meta *meta;
    ut_status *http;
    ev_timer tick;             /* once a second */
    double started;            /* wall clock */
} ma_agent;

#endif
