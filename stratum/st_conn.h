/* st_conn: one miner connection (a Stratum session): its state, its life
 * from creation to release, the length limit on its lines, the strikes
 * against it and closing it. Replies go out through st_out.h; the methods
 * are in st_stratum.h. A connection belongs to its st_server, which frees
 * it when the network session ends (or in st_server_free). */
#ifndef ST_CONN_H
#define ST_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "network/nw_addr.h"
#include "network/nw_ses.h"
#include "stratum/st_dupset.h"
#include "stratum/st_layout.h"
#include "stratum/st_strike.h"
#include "stratum/st_vardiff.h"

#define ST_NAME_MAX 64

/* An authorized worker name on a connection. A name costs the server
 * nothing beyond this entry (bounded by max_workers) until it has an
 * accepted share, or did on this server before: only then is it active,
 * the sink hears `worker` and its shares reach the accounting (with the
 * rejects it had before, so an honest miner's counts stay exact while a
 * name that never does work leaves no trace). */
typedef struct st_wname {
    char full[2 * ST_NAME_MAX + 2];   /* "user.worker" as the miner sent it */
    char user[ST_NAME_MAX + 1];
    char worker[ST_NAME_MAX + 1];     /* "" when the name had no '.' part */
    bool active;                      /* had an accepted share on this connection */
    uint32_t held_rejects;            /* rejected before it was active: reported
                                         when it becomes active, else dropped */
} st_wname;

typedef struct st_server st_server;

typedef struct st_conn {
    st_server *srv;
    nw_ses *ses;                /* NULL in unit tests */
    uint64_t id;
    nw_addr addr;               /* the peer; all zero when unknown (tests) */
    char peer[64];              /* "1.2.3.4:5678" */
    char host[48];              /* "1.2.3.4" */
    double connected;           /* loop time */
    bool closing;
    bool subscribed;
    bool started;               /* initial set_difficulty + notify sent */
    char agent[64];
    bool has_en1;
    uint64_t en1_handle;        /* the allocator's, for release */
    uint8_t en1[ST_EN1_MAX];    /* en1_size bytes used */
    char en1_hex[2 * ST_EN1_MAX + 1];
    uint32_t vmask;             /* granted version-rolling mask, 0 = none */
    double floor;               /* minimum-difficulty from mining.configure, 0 = none */
    double diff;                /* current difficulty */
    double prev_diff;           /* difficulty before the last change */
    uint64_t diff_seq;          /* jobs with seq >= this were sent under diff */
    uint64_t last_job_seq;      /* seq of the last job notified */
    st_vardiff vd;
    st_dupset dups;             /* its shares on live jobs (duplicates) */
    double dups_raised;         /* loop time the set last forced a higher difficulty */
    st_strikes strikes;
    st_wname *names;
    size_t nnames;
    uint64_t accepted;
    uint64_t rejected;
    uint64_t rej_window;        /* rejects in the current summary window (st_rejlog) */
    void *udata;                /* the user's; the server never touches it */
    struct st_conn *prev, *next;
} st_conn;

/* Creates a connection (ses may be NULL in tests; peer NULL gives a made-up
 * "test:<id>" name). Returns NULL when out of memory. */
st_conn *st_conn_new(st_server *srv, nw_ses *ses, const nw_addr *peer);
/* Releases everything the connection holds (its extranonce1 goes back to
 * the allocator, the sink hears `closed`) and frees it. */
void st_conn_free(st_conn *c);

/* Closes c after writing what is queued for it. Safe to call twice. */
void st_conn_close(st_conn *c, const char *reason);

/* One framed message as read from the socket (trailing '\n' included when
 * the line was within max_line; without it the line was too long: error
 * reply, a junk strike, and the connection is closed). */
void st_conn_message(st_conn *c, const char *msg, size_t len);

/* A strike against c (invalid share or junk line). Past a threshold the
 * sink's strike_out decides; by default c is closed. Returns true when c
 * was closed. */
bool st_conn_strike(st_conn *c, bool is_junk);

/* Marks w (one of c's names) active and tells the sink (st_sink.h). */
void st_conn_activate(st_conn *c, st_wname *w, bool first_seen);

/* The authorized name equal to the n bytes at s, or NULL. */
const st_wname *st_conn_worker(const st_conn *c, const char *s, size_t n);

#endif
