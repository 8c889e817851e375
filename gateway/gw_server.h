/* gw_server: one gateway worker process: its event loop, the Stratum
 * listener, the connections, the job store, the extranonce1 allocator, the
 * jobmaster link, the HTTP status server and accounting. Everything the
 * Stratum code needs hangs off this struct; unit tests build one without
 * sockets (gw_server_init) and capture output through the send/close
 * hooks. */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gateway/gw_ban.h"
#include "gateway/gw_config.h"
#include "gateway/gw_en1.h"
#include "gateway/gw_job.h"
#include "gateway/gw_names.h"
#include "gateway/gw_shm.h"
#include "gateway/gw_stats.h"
#include "gateway/gw_vardiff.h"
#include "network/nw_svr.h"
#include "network/nw_timer.h"
#include "utils/ut_proc.h"

typedef struct gw_jm gw_jm;
typedef struct ut_meta ut_meta;
typedef struct ut_status ut_status;

#define GW_NAME_MAX 64

/* An authorized worker name on a connection. */
typedef struct gw_wname {
    char full[2 * GW_NAME_MAX + 2];   /* "user.worker" as the miner sent it */
    char user[GW_NAME_MAX + 1];
    char worker[GW_NAME_MAX + 1];     /* "" when the name had no '.' part */
} gw_wname;

typedef struct gw_server gw_server;

/* One miner connection. */
typedef struct gw_conn {
    gw_server *srv;
    nw_ses *ses;                /* NULL in unit tests */
    uint64_t id;
    char peer[64];              /* "1.2.3.4:5678" */
    char host[48];              /* "1.2.3.4" */
    uint8_t ban_key[16];
    bool has_ban_key;
    double connected;           /* loop time */
    bool closing;
    bool subscribed;
    bool started;               /* initial set_difficulty + notify sent */
    char agent[64];
    bool has_en1;
    uint32_t en1_counter;
    uint8_t en1[GW_EN1_MAX_SIZE];
    char en1_hex[2 * GW_EN1_MAX_SIZE + 1];
    uint32_t vmask;             /* granted version-rolling mask, 0 = none */
    double floor;               /* minimum-difficulty from mining.configure, 0 = none */
    double diff;                /* current difficulty */
    double prev_diff;           /* difficulty before the last change */
    uint64_t diff_seq;          /* jobs with seq >= this were sent under diff */
    uint64_t last_job_seq;      /* seq of the last job notified */
    gw_vardiff vd;
    gw_strikes strikes;
    gw_wname *names;
    size_t nnames;
    uint64_t accepted;
    uint64_t rejected;
    struct gw_conn *prev, *next;
} gw_conn;

struct gw_server {
    const gw_config *cfg;
    int worker;                 /* process index 0..15 */
    struct ev_loop *loop;
    gw_shm *shm;
    gw_stats *stats;            /* &shm->stats[worker] */
    gw_job_store jobs;
    gw_en1 en1;
    gw_names seen;              /* user.worker names seen (newworker events) */
    gw_conn *conns;
    size_t nconns;
    uint64_t next_conn_id;

    /* Replies of the connection being served, written out in one go. */
    char *out;
    size_t out_len;
    size_t out_cap;
    gw_conn *out_owner;

    /* Output hooks; the defaults write to / close the nw_ses. */
    void (*send)(gw_conn *c, const void *data, size_t len);
    void (*close)(gw_conn *c, const char *reason);
    double fake_now;            /* tests: > 0 replaces the loop clock */
    /* Tests: sees every CMD_JM_BLOCK_FOUND body built. */
    void (*block_hook)(gw_server *srv, const char *body, size_t len);

    nw_svr *svr;
    gw_jm *jm;
    ut_status *http;
    ut_meta *meta;              /* NULL: accounting disabled */
    nw_timer sweep;
    nw_timer grace;
    ut_proc_sig sig;            /* SIGTERM/SIGINT: graceful stop; SIGHUP: log */
    bool stopping;
    double started;             /* wall clock */
};

/* Core state only (no sockets, no timers). 0 or -1. */
int gw_server_init(gw_server *srv, const gw_config *cfg, struct ev_loop *loop, gw_shm *shm,
                   int worker);
/* Releases connections (without callbacks into the network layer), jobs
 * and the allocator. */
void gw_server_free(gw_server *srv);
double gw_now(const gw_server *srv);

/* A worker process: init, listen, connect, run the loop until SIGTERM, and
 * clean up. Returns the exit status. */
int gw_server_run(const gw_config *cfg, gw_shm *shm, int worker);

/* A job arrived from the jobmaster (the decoded push body). */
void gw_server_on_job(gw_server *srv, const json_t *body);
/* Once a second: subscribe timeouts, vardiff for quiet miners, job expiry. */
void gw_server_sweep(gw_server *srv);

#endif
