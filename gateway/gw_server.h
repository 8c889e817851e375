/* gw_server: one gateway worker process: its event loop, the Stratum
 * server (stratum/, reporting through the sink in gw_sink.c), the
 * extranonce1 allocator, the jobmaster link, the HTTP status server and
 * accounting. Unit tests build one without sockets (gw_server_init) and
 * capture output through the Stratum sink's send/close hooks. */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gateway/gw_config.h"
#include "gateway/gw_en1.h"
#include "gateway/gw_shm.h"
#include "gateway/gw_stats.h"
#include "network/nw_timer.h"
#include "stratum/st_server.h"
#include "utils/ut_proc.h"

typedef struct gw_jm gw_jm;
typedef struct gw_agent gw_agent;
typedef struct ut_meta ut_meta;
typedef struct ut_status ut_status;

typedef struct gw_server gw_server;

struct gw_server {
    const gw_config *cfg;
    int worker;                 /* process index 0..15 */
    struct ev_loop *loop;
    gw_shm *shm;
    gw_stats *stats;            /* &shm->stats[worker] */
    st_server st;               /* counts into stats->st */
    gw_en1 en1;                 /* plugged into st as its allocator */
    /* Tests: sees every CMD_JM_BLOCK_FOUND body built. */
    void (*block_hook)(gw_server *srv, const char *body, size_t len);

    gw_jm *jm;
    gw_agent *agents;           /* the agent port (worker 0 only), or NULL */
    ut_status *http;
    ut_meta *meta;              /* NULL: accounting disabled */
    nw_timer sweep;
    nw_timer grace;
    ut_proc_sig sig;            /* SIGTERM/SIGINT: graceful stop; SIGHUP: log */
    bool stopping;
    uint32_t ip_strikes[2];     /* the last striking IP's invalid/junk counts (for the log) */
    double started;             /* wall clock */
};

/* Core state only (no sockets, no timers). 0 or -1. */
int gw_server_init(gw_server *srv, const gw_config *cfg, struct ev_loop *loop, gw_shm *shm,
                   int worker);
/* Releases connections (without callbacks into the network layer), jobs
 * and the allocator. */
void gw_server_free(gw_server *srv);

/* A worker process: init, listen, connect, run the loop until SIGTERM, and
 * clean up. Returns the exit status. */
int gw_server_run(const gw_config *cfg, gw_shm *shm, int worker);

/* A job arrived from the jobmaster (the decoded push body). */
void gw_server_on_job(gw_server *srv, const json_t *body);
/* Once a second: the Stratum server's sweep, then the connection gauge
 * for accounting. */
void gw_server_sweep(gw_server *srv);

#endif
