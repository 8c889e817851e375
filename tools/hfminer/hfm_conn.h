/* hfm_conn: one Stratum V1 session to the pool. Runs the handshake
 * (mining.configure when version rolling is wanted, mining.subscribe, one
 * mining.authorize per worker of the session), keeps what the pool told it
 * (extranonce1, difficulty, version mask, the current job), answers the
 * pool's calls, and sends shares: submits are queued in a batch and sent
 * by hfm_conn_flush; every reply is matched by id and counted in the shared
 * hfm_stats. The transport (nw_clt) reconnects by itself; client.reconnect
 * moves the session to the address the pool names. Loop thread only. */
#ifndef HFM_CONN_H
#define HFM_CONN_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "network/nw_buf.h"
#include "network/nw_clt.h"
#include "network/nw_timer.h"
#include "tools/hfminer/hfm_stats.h"
#include "tools/hfminer/hfm_work.h"

#define HFM_RECENT_JOBS 8

typedef enum { HFM_ST_DOWN = 0, HFM_ST_HANDSHAKE, HFM_ST_READY } hfm_conn_state;

typedef struct hfm_conn hfm_conn;

typedef struct hfm_conn_cb {
    void (*on_ready)(hfm_conn *c, void *ud);   /* every authorize was answered */
    void (*on_work)(hfm_conn *c, void *ud);    /* new job, extranonce or mask */
    void (*on_room)(hfm_conn *c, void *ud);    /* replies were read: room to send */
    void (*on_down)(hfm_conn *c, void *ud);    /* the session closed */
} hfm_conn_cb;

/* Settings every session shares; the caller keeps it alive. */
typedef struct hfm_conn_cfg {
    const char *agent;
    const char *password;
    bool version_rolling;
    uint32_t vr_mask;            /* requested mask */
    unsigned pipeline;           /* submits in flight at most */
    double reply_timeout;
    double connect_timeout;
    char *const *names;          /* every worker name (hfm_stats order) */
} hfm_conn_cfg;

/* A share to send. Strings are borrowed for the call. */
typedef struct hfm_share {
    const hfm_job *job;          /* its id is sent unless job_id is set */
    const char *job_id;
    const char *worker_name;     /* set: send this name, count under no worker */
    uint8_t en2[HFM_EN_MAX + 1];
    size_t en2_len;
    uint32_t ntime;
    uint32_t nonce;
    bool has_vbits;
    uint32_t vbits;
    double diff;                 /* credited when accepted (the job's) */
    bool block;                  /* the hash met the network target */
} hfm_share;

typedef struct hfm_pending {
    uint64_t id;                 /* 0: free */
    uint8_t kind;
    bool block;
    uint32_t worker;
    double diff;
    double t_sent;
} hfm_pending;

struct hfm_conn {
    size_t index;
    struct ev_loop *loop;
    const hfm_conn_cfg *cfg;
    char addr[300];
    char host[256];
    int port;
    nw_clt *clt;
    hfm_conn_state state;
    /* What the pool told this session. */
    uint8_t en1[HFM_EN_MAX];
    size_t en1_len;
    size_t en2_size;
    bool subscribed;
    double diff;                 /* for jobs notified from now on */
    uint32_t mask;               /* granted version mask, 0 = no rolling */
    hfm_job *job;                /* current job (a reference) or NULL */
    hfm_job *recent[HFM_RECENT_JOBS];  /* the last jobs (references), newest at
                                        * recent_pos - 1, for set_difficulty */
    size_t recent_pos;
    uint64_t job_seq;
    uint64_t epoch;              /* bumped when older work becomes useless */
    /* Workers: global indices into cfg->names, and which are authorized. */
    uint32_t *workers;
    bool *authorized;
    size_t n_workers;
    size_t n_authorized;
    size_t auth_pending;         /* authorize requests without a reply */
    size_t next_worker;
    /* Requests in flight, by id & (pend_cap - 1). */
    uint64_t next_id;
    uint64_t tail_id;            /* no older id is outstanding */
    hfm_pending *pend;
    size_t pend_cap;
    size_t inflight;             /* submits without a reply */
    /* Lines waiting for hfm_conn_flush (never consumed: rpos is 0). */
    nw_buf out;
    uint64_t submitted;
    hfm_stats *stats;
    const hfm_conn_cb *cb;
    void *ud;
    bool freeing;                /* hfm_conn_free is running */
    /* client.reconnect: no new submits, wait for the replies still due
     * (so every accepted share is counted), then move to move_addr. */
    bool moving;
    double move_at;              /* not before (the pool's wait) */
    double move_deadline;        /* not after, replies or not */
    nw_timer move_timer;
    char move_addr[300];
};

/* workers: global indices (copied). Returns NULL when out of memory. */
hfm_conn *hfm_conn_create(struct ev_loop *loop, size_t index, const char *host, int port,
                          const hfm_conn_cfg *cfg, const uint32_t *workers,
                          size_t n_workers, hfm_stats *stats, const hfm_conn_cb *cb,
                          void *ud);
int hfm_conn_start(hfm_conn *c);
void hfm_conn_free(hfm_conn *c);

/* How many more submits may be queued now (0 when not ready or no job). */
size_t hfm_conn_room(const hfm_conn *c);
/* Queues one submit. 0, or -1 when there is no room or no worker. */
int hfm_conn_submit(hfm_conn *c, const hfm_share *s);
/* Sends what was queued. */
void hfm_conn_flush(hfm_conn *c);
/* Counts submits older than the reply timeout as lost. */
void hfm_conn_expire(hfm_conn *c, double now);
/* Current monotonic time in seconds. */
double hfm_now(void);

#endif
