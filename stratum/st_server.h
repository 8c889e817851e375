/* st_server: a Stratum V1 server without a process around it: the
 * connections, the recent jobs, the batched output, the extranonce1
 * allocator and the sink it reports to. The user (gateway, mineragent)
 * owns the struct, the config, the stats and the loop; it feeds jobs in
 * (st_server_on_job), calls st_server_sweep once a second and either lets
 * st_listen.h accept miners or, in tests, creates connections with
 * st_conn_new and captures output through the sink's send/close. */
#ifndef ST_SERVER_H
#define ST_SERVER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "network/nw_buf.h"
#include "network/nw_svr.h"
#include "stratum/st_config.h"
#include "stratum/st_conn.h"
#include "stratum/st_job_store.h"
#include "stratum/st_layout.h"
#include "stratum/st_names.h"
#include "stratum/st_rejlog.h"
#include "stratum/st_sink.h"
#include "stratum/st_stats.h"

struct st_server {
    const st_config *cfg;       /* the user's; read at every use */
    struct ev_loop *loop;
    st_stats *stats;            /* the user's, or &own_stats */
    st_sink sink;
    st_en1_alloc en1;
    st_job_store jobs;
    st_names seen;              /* worker names seen (first_seen) */
    st_conn *conns;
    size_t nconns;
    uint64_t next_conn_id;

    /* Replies of the connection being served, written out in one go. */
    nw_buf out;
    st_conn *out_owner;

    nw_svr *svr;                /* st_listen; NULL without */
    double fake_now;            /* tests: > 0 replaces the loop clock */
    st_rejlog rejlog;           /* rejected shares, summarised every 10 s */
    st_stats own_stats;
};

/* Core state only (no sockets). sink and en1 are copied; en1.alloc is
 * required; stats NULL: the server counts in own_stats. The gauges of
 * stats (connections, subscribed, workers) start from zero; the counters
 * go on. 0, or -1 when cfg does not hold together (logged) or out of
 * memory. */
int st_server_init(st_server *srv, const st_config *cfg, struct ev_loop *loop,
                   const st_sink *sink, const st_en1_alloc *en1, st_stats *stats);
/* Releases the connections (the sink hears `closed`, the network layer
 * nothing: call st_listen_free first when listening), the jobs and the
 * output buffer. */
void st_server_free(st_server *srv);
double st_now(const st_server *srv);

/* A CMD_JM_JOB body arrived: decoded, checked against the extranonce
 * layout, stored and sent to every started connection. 0, or -1 when it
 * was refused (logged) or is already kept. */
int st_server_on_job(st_server *srv, const json_t *body);
/* Once a second: subscribe timeouts, vardiff for quiet miners, job expiry. */
void st_server_sweep(st_server *srv);

#endif
