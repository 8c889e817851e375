/* st_sink: what the Stratum server tells its user, through a struct of
 * callbacks and one argument. Every callback is optional (NULL: nothing
 * happens, or the default named below). The server calls them from inside
 * its own handling; they may use the connection during the call only and
 * must not free it (st_conn_close is allowed from share, block, worker and
 * strike_out: the connection is freed later).
 *
 * The user keeps what is its own business: accounting (ut_meta), building
 * and sending found blocks, IP bans, journal syncing before replies. */
#ifndef ST_SINK_H
#define ST_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "network/nw_addr.h"
#include "stratum/st_conn.h"
#include "stratum/st_job.h"
#include "stratum/st_share.h"

/* One share of an active worker (st_conn.h), accepted or rejected. Not
 * reported: submits that name no authorized worker (25, 24), and rejected
 * shares of a name that never had one accepted (junk under a made-up name
 * must not create accounting keys); the server's counters have them all. */
typedef struct st_share_ev {
    const st_conn *conn;
    const st_wname *worker;
    const st_job *job;       /* NULL when the job was not found */
    bool accepted;
    int code;                /* ST_OK, or the error code the miner got */
    double diff;             /* credited difficulty (accepted), else the
                                difficulty that applied */
    double goal;             /* diff / job network_diff; 0 without a job */
} st_share_ev;

/* A share that meets the network target, reported before the miner gets
 * its answer (the share itself is then reported as accepted). */
typedef struct st_block_ev {
    const st_conn *conn;
    const st_wname *worker;
    const st_job *job;
    const st_share_res *res;  /* ntime, nonce, version (rolled), hash, diff */
    const uint8_t *en1;       /* the session's extranonce1 */
    size_t en1_size;
    const char *en1_hex;
    const uint8_t *en2;       /* the miner's extranonce2 */
    size_t en2_size;
} st_block_ev;

typedef struct st_sink {
    void *arg;   /* first argument of every callback */

    void (*share)(void *arg, const st_share_ev *ev);
    void (*block)(void *arg, const st_block_ev *ev);
    /* A worker name on c became active: at authorize when the name did
     * work on this server before, else at its first accepted share (called
     * before that share is reported); first_seen: the first time this
     * server saw the name active since it started. */
    void (*worker)(void *arg, const st_conn *c, const st_wname *w, bool first_seen);
    /* c is being released (its names are still there). */
    void (*closed)(void *arg, const st_conn *c);
    /* A strike against c (is_junk: a junk line, else an invalid share).
     * Return true when c's side is over the limits. NULL: the connection's
     * own count (c->strikes against cfg->strikes) decides. The gateway
     * counts per IP over all its workers instead. */
    bool (*strike)(void *arg, st_conn *c, bool is_junk);
    /* c passed a strike threshold. Return true to close it (reason
     * "banned"), false to let it go on. NULL: close. */
    bool (*strike_out)(void *arg, st_conn *c);
    /* A connection from peer was accepted by the listener: NULL admits it,
     * a text refuses it (it is the close reason). NULL callback: admit. */
    const char *(*admit)(void *arg, const nw_addr *peer);
    /* Queued replies are about to be written (make the shares they accept
     * durable first). */
    void (*sync)(void *arg);
    /* Output. NULL: write to / close c->ses (nothing when it is NULL).
     * send may close c; the server uses nothing of c after it. */
    void (*send)(void *arg, st_conn *c, const void *data, size_t len);
    void (*close)(void *arg, st_conn *c, const char *reason);
} st_sink;

#endif
