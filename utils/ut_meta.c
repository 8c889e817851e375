/* ut_meta: the sending side of the accounting path (see ut_meta.h).
 *
 * Counting: ut_meta_share & co. add into an in-memory table keyed by
 * (minute, user, worker) plus small per-minute system counters and a list
 * of events. No allocation per share once a (minute, user, worker) cell
 * exists.
 *
 * Shipping: every flush_interval the table is closed into one or more
 * batches (at most max_batch_records records each). A batch has an identity
 * source/epoch/seq: the epoch is random per process lifetime, seq counts
 * batches within it, so no two batches ever share an id, even across
 * restarts. Batches are sent as CMD_MW_BATCH requests, a window at a time,
 * and kept until the next hop answers status 0. A batch not acknowledged
 * within spool_after seconds (or created while the link is down, or pushed
 * out of memory by max_mem_bytes, or still pending at ut_meta_free) is
 * written to the spool; spooled batches left by an earlier process with
 * the same source id are resent, with their original identity, after a
 * restart. The receivers deduplicate by identity, so a resend never counts
 * twice.
 *
 * Journal: what is counted between two batches lives only in memory, so
 * every counted item is also appended to a journal buffer (a few bytes per
 * share: the cell index, diff and goal; the cell's names and minute are
 * written once, when the cell is created). ut_meta_sync writes the buffer
 * as one chunk to spool_dir/mj-<source>.<epoch>.<seq> where seq is the seq
 * of the first batch the data will become. Chunk: u32 payload length, u32
 * CRC32C of the rest, f64 time, payload (records, host byte order); a torn
 * last chunk fails its check and is dropped. Closing: a close record (with
 * the close time) is synced, the batches are spooled (fsync'd), then the
 * journal is removed and a new one begins with the connection state. When
 * a batch cannot be spooled (disk full, permissions), the journal is kept
 * and the batches of that close are held: kept in memory, never sent, and
 * spooled again by the tick every MT_SPOOL_RETRY seconds (one log line per
 * try); once all of them are on disk their journal goes and they are sent.
 * A process that ends first leaves the journal for the next one. At
 * start, a leftover journal is replayed into a table of its own and closed
 * at the same time into the same (epoch, seq) batches; those the spool
 * already holds are skipped, the others spooled, then the journal goes.
 * No batch is sent before it is spooled and its journal removed, so a
 * leftover journal never belongs to an acknowledged batch.
 *
 * max_spool_bytes bounds the unacknowledged batches, each counted once at
 * its spooled size, whether or not its body is also in memory for sending
 * (held batches not written yet count as if they were). */
#include "utils/ut_io.h"
#include "utils/ut_meta.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "utils/ut_cmd.h"
#include "utils/ut_crc32c.h"
#include "utils/ut_log.h"
#include "utils/ut_meta_check.h"
#include "utils/ut_rpc_link.h"
#include "utils/ut_spool.h"

#define MT_DEFAULT_FLUSH 10.0
#define MT_DEFAULT_SPOOL_MAX (1024ull * 1024 * 1024)
#define MT_DEFAULT_RECORDS 2000
#define MT_DEFAULT_MEM (64u * 1024 * 1024)
#define MT_DEFAULT_SPOOL_AFTER 5.0
#define MT_DEFAULT_TIMEOUT 10.0
#define MT_DEFAULT_WINDOW 8
#define MT_TICK 0.25
#define MT_BACKOFF_MIN 0.5
#define MT_BACKOFF_MAX 30.0
#define MT_SPOOL_RETRY 1.0              /* s between tries to spool held batches */
#define MT_REFUSED_LOG 1.0              /* s between two lines about refused shares */
#define JR_HDR 16                       /* u32 len, u32 crc, f64 time */
#define JR_BUF_INIT (64u * 1024)
#define JR_SYNC_AT (1024u * 1024)       /* a buffer this big is written at once */

/* One (minute, user, worker) cell. user and worker live in names[]. */
typedef struct mt_rec {
    struct mt_rec *next;      /* hash chain */
    struct mt_rec *order;     /* insertion order, for stable batches */
    int64_t minute;
    uint64_t hash;
    int64_t s, r;
    double p, g;
    size_t wpos;              /* offset of worker in names */
    uint32_t jid;             /* index in the journal's cell records */
    char names[];             /* user '\0' worker '\0' */
} mt_rec;

/* System counters of one minute. */
typedef struct mt_sys {
    struct mt_sys *next;
    int64_t minute;
    double pow;
    int64_t share, reject, block, connections;
    bool has_conn;
} mt_sys;

/* One batch waiting for an acknowledgement. */
typedef struct mt_batch {
    struct mt_batch *prev, *next;
    ut_meta *m;
    char name[UT_SPOOL_NAME_MAX + 1];   /* spool record name */
    char id[128];                       /* "source/epoch/seq", as every module logs it */
    char *body;                         /* NULL while it lives only on disk */
    size_t len;
    bool spooled, inflight;
    bool held;                          /* its journal is kept: never sent */
    uint64_t jseq;                      /* while held: the seq naming its journal */
    double created, retry_at;
} mt_batch;

struct ut_meta {
    struct ev_loop *loop;
    ut_meta_cfg cfg;
    char *coin, *coin_name, *host, *source, *upstream, *spool_dir;
    char epoch[17];
    char prefix[UT_META_SOURCE_MAX + 8];  /* spool prefix "mb-<source>." */
    uint64_t seq;

    mt_rec **buckets;
    size_t nbuckets, nrecs;
    mt_rec *first, *last;                 /* insertion order */
    mt_sys *sys;
    /* Events as compact JSON texts, each ended by a NUL, in one buffer: no
     * allocation per event that would outlive the call and leave the heap
     * full of holes between the connections' memory after a flush. */
    char *ev;
    size_t evlen, evcap, nev;

    int64_t conn_value, conn_next;

    ut_spool *spool;
    ut_rpc_clt *clt;
    ut_rpc_link *ext;          /* a link lent by the caller (ut_meta_link_up), or NULL */
    mt_batch *head, *tail;
    size_t npending, inflight;
    size_t mem_bytes;
    size_t nheld;                         /* held batches (see mt_hold) */
    uint64_t held_bytes;                  /* record bytes of held, unspooled ones */
    double spool_retry_at;
    uint64_t acked;
    double backoff;
    bool closing, started;
    ev_timer flush_timer, tick_timer;

    /* journal */
    char jprefix[UT_META_SOURCE_MAX + 8]; /* "mj-<source>." */
    char jpath[4096];
    unsigned char *jbuf;                  /* JR_HDR reserved, then records */
    size_t jlen, jcap;
    int jfd;                              /* -1 until first written */
    bool jon;                             /* off while replaying */
    bool jerr;                            /* a write failed (logged once) */
    bool replaying, replay_failed;

    /* shares refused for their numbers (mt_refuse) */
    uint64_t refused, refused_unlogged;
    double refused_log_at;
};

/* ---- small helpers ---- */

static double mt_now(ut_meta *m)
{
    if (m->cfg.clock)
        return m->cfg.clock(m->cfg.clock_arg);
    return ev_now(m->loop);
}

/* The unix minute of t. NaN and times beyond +-UT_META_T_MAX are clamped
 * first, so the conversion to int64 is always defined. */
static int64_t mt_minute(double t)
{
    if (isnan(t))
        t = 0;
    else if (t > (double)UT_META_T_MAX)
        t = (double)UT_META_T_MAX;
    else if (t < -(double)UT_META_T_MAX)
        t = -(double)UT_META_T_MAX;
    int64_t s = (int64_t)floor(t);
    return s - (((s % 60) + 60) % 60);
}

static uint64_t mt_hash(const char *user, const char *worker, int64_t minute)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)minute;
    for (const char *p = user; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (const char *p = worker; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

bool ut_meta_source_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > UT_META_SOURCE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != ':' && s[i] != '-')
            return false;
    }
    return true;
}

bool ut_meta_agent_source(const char *id, char *out, size_t n)
{
    int len = snprintf(out, n, "ag-%s", id ? id : "");

    if (id == NULL || *id == '\0' || strchr(id, ':') != NULL || len < 0 ||
        (size_t)len >= n || !ut_meta_source_ok(out)) {
        if (n > 0)
            out[0] = '\0';
        return false;
    }
    return true;
}

static bool mt_epoch_ok(const char *e)
{
    if (!e || strlen(e) != 16)
        return false;
    for (int i = 0; i < 16; i++) {
        if (!isxdigit((unsigned char)e[i]) || isupper((unsigned char)e[i]))
            return false;
    }
    return true;
}

int ut_meta_ident_parse(const json_t *body, ut_meta_ident *out)
{
    const char *src = json_string_value(json_object_get(body, "source"));
    const char *ep = json_string_value(json_object_get(body, "epoch"));
    json_t *seq = json_object_get(body, "seq");
    if (!ut_meta_source_ok(src) || !mt_epoch_ok(ep) || !json_is_integer(seq) ||
        json_integer_value(seq) < 1)
        return -1;
    snprintf(out->source, sizeof(out->source), "%s", src);
    snprintf(out->epoch, sizeof(out->epoch), "%s", ep);
    out->seq = (uint64_t)json_integer_value(seq);
    return 0;
}

const char *ut_meta_ident_str(const ut_meta_ident *id, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s/%" PRIu64, id->source, id->epoch, id->seq);
    return buf;
}

/* A random 64-bit epoch; never the same for two process lifetimes. */
static void mt_new_epoch(char out[17])
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
    }
    snprintf(out, 17, "%016" PRIx64, r);
}

/* ---- journal: writing ---- */

static int jr_grow(ut_meta *m, size_t n)
{
    size_t cap = m->jcap ? m->jcap : JR_BUF_INIT;
    while (cap < m->jlen + n)
        cap *= 2;
    unsigned char *p = realloc(m->jbuf, cap);
    if (!p)
        return -1;
    m->jbuf = p;
    m->jcap = cap;
    return 0;
}

/* Room for n more bytes of records, or NULL (out of memory, logged). */
static unsigned char *jr_reserve(ut_meta *m, size_t n)
{
    if (m->jlen + n > m->jcap && jr_grow(m, n) != 0) {
        log_fatal("meta %s: out of memory, a journal record is lost", m->source);
        return NULL;
    }
    unsigned char *p = m->jbuf + m->jlen;
    m->jlen += n;
    return p;
}

static unsigned char *jr_put(unsigned char *p, const void *v, size_t n)
{
    memcpy(p, v, n);
    return p + n;
}

static size_t jr_slen(const char *s)
{
    size_t n = strlen(s);
    return n > 65535 ? 65535 : n;
}

static unsigned char *jr_put_str(unsigned char *p, const char *s)
{
    uint16_t n = (uint16_t)jr_slen(s);
    p = jr_put(p, &n, 2);
    return jr_put(p, s, n);
}

/* A record of a type byte, an optional minute and n strings. */
static void jr_strings(ut_meta *m, char type, const int64_t *minute, const char *const *str,
                       int n)
{
    size_t len = 1 + (minute ? 8 : 0);
    for (int i = 0; i < n; i++)
        len += 2 + jr_slen(str[i]);
    unsigned char *p = jr_reserve(m, len);
    if (!p)
        return;
    *p++ = (unsigned char)type;
    if (minute)
        p = jr_put(p, minute, 8);
    for (int i = 0; i < n; i++)
        p = jr_put_str(p, str[i]);
}

static void jr_cell(ut_meta *m, const mt_rec *r)
{
    const char *str[2] = {r->names, r->names + r->wpos};
    jr_strings(m, 'C', &r->minute, str, 2);
}

/* Two numbers after a type byte: 'H' (header), 'N' (connections), 'X' (close). */
static void jr_pair(ut_meta *m, char type, const void *a, const void *b)
{
    unsigned char *p = jr_reserve(m, 17);
    if (!p)
        return;
    *p++ = (unsigned char)type;
    p = jr_put(p, a, 8);
    jr_put(p, b, 8);
}

static void jr_share(ut_meta *m, const mt_rec *r, double diff, double goal, bool accepted)
{
    unsigned char *p = jr_reserve(m, accepted ? 21 : 5);
    if (!p)
        return;
    *p++ = accepted ? 'A' : 'R';
    p = jr_put(p, &r->jid, 4);
    if (accepted) {
        p = jr_put(p, &diff, 8);
        jr_put(p, &goal, 8);
    }
    if (m->jlen >= JR_SYNC_AT)
        ut_meta_sync(m);
}

static int jr_open(ut_meta *m)
{
    snprintf(m->jpath, sizeof(m->jpath), "%s/%s%s.%010" PRIu64, m->spool_dir, m->jprefix,
             m->epoch, m->seq + 1);
    m->jfd = open(m->jpath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
    if (m->jfd < 0) {
        if (!m->jerr)
            log_error("meta %s: cannot open journal %s: %s", m->source, m->jpath,
                      strerror(errno));
        m->jerr = true;
        return -1;
    }
    return 0;
}

void ut_meta_sync(ut_meta *m)
{
    if (!m->jon || m->jlen <= JR_HDR)
        return;
    if (m->jfd < 0 && jr_open(m) != 0) {
        m->jlen = JR_HDR;          /* counted in memory still, just not crash-safe */
        return;
    }
    uint32_t len = (uint32_t)(m->jlen - JR_HDR);
    double t = mt_now(m);
    memcpy(m->jbuf, &len, 4);
    memcpy(m->jbuf + 8, &t, 8);
    uint32_t crc = ut_crc32c(0, m->jbuf + 8, m->jlen - 8);
    memcpy(m->jbuf + 4, &crc, 4);
    if (ut_write_all(m->jfd, m->jbuf, m->jlen) != 0) {
        if (!m->jerr)
            log_error("meta %s: cannot write journal %s: %s", m->source, m->jpath,
                      strerror(errno));
        m->jerr = true;
    }
    m->jlen = JR_HDR;
}

/* Starts the journal of the next batch: its first record is the
 * connection state, which closing it will roll on from. */
static void jr_begin(ut_meta *m)
{
    m->jlen = JR_HDR;
    m->jerr = false;
    if (m->jon)
        jr_pair(m, 'H', &m->conn_value, &m->conn_next);
}

/* Closes the journal; removes it too unless keep (its data is not all
 * spooled yet: mt_release_journals removes it later). */
static void jr_end(ut_meta *m, bool keep)
{
    if (m->jfd >= 0) {
        close(m->jfd);
        m->jfd = -1;
        if (!keep)
            unlink(m->jpath);
    }
    m->jlen = JR_HDR;
}

/* ---- counting ---- */

static int mt_grow(ut_meta *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 256;
    mt_rec **b = calloc(nb, sizeof(*b));
    if (!b)
        return -1;
    for (mt_rec *r = m->first; r; r = r->order) {
        size_t i = r->hash & (nb - 1);
        r->next = b[i];
        b[i] = r;
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
    return 0;
}

static mt_rec *mt_rec_new(ut_meta *m, const char *user, const char *worker, int64_t minute,
                          uint64_t h)
{
    if (m->nrecs >= m->nbuckets && mt_grow(m) != 0)
        return NULL;
    size_t ul = strlen(user), wl = strlen(worker);
    mt_rec *r = calloc(1, sizeof(*r) + ul + wl + 2);
    if (!r)
        return NULL;
    r->minute = minute;
    r->hash = h;
    r->wpos = ul + 1;
    r->jid = (uint32_t)m->nrecs;
    memcpy(r->names, user, ul + 1);
    memcpy(r->names + ul + 1, worker, wl + 1);
    size_t i = h & (m->nbuckets - 1);
    r->next = m->buckets[i];
    m->buckets[i] = r;
    if (m->last)
        m->last->order = r;
    else
        m->first = r;
    m->last = r;
    m->nrecs++;
    if (m->jon)
        jr_cell(m, r);
    return r;
}

static mt_rec *mt_rec_get(ut_meta *m, const char *user, const char *worker, int64_t minute)
{
    uint64_t h = mt_hash(user, worker, minute);
    if (m->nbuckets) {
        for (mt_rec *r = m->buckets[h & (m->nbuckets - 1)]; r; r = r->next) {
            if (r->hash == h && r->minute == minute && strcmp(r->names, user) == 0 &&
                strcmp(r->names + r->wpos, worker) == 0)
                return r;
        }
    }
    return mt_rec_new(m, user, worker, minute, h);
}

static mt_sys *mt_sys_get(ut_meta *m, int64_t minute)
{
    mt_sys **pp = &m->sys;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->minute == minute)
            return *pp;
        if ((*pp)->minute > minute)
            break;
    }
    mt_sys *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->minute = minute;
    s->next = *pp;
    *pp = s;
    return s;
}

/* Emits the connection count of every minute that ended since the last
 * call: the value held at the minute's end. */
static void mt_roll_connections(ut_meta *m, double now)
{
    int64_t cur = mt_minute(now);
    if (cur - m->conn_next > 60 * 60)
        m->conn_next = cur - 60 * 60;       /* a clock jump: keep the last hour */
    for (; m->conn_next < cur; m->conn_next += 60) {
        mt_sys *s = mt_sys_get(m, m->conn_next);
        if (!s)
            return;
        s->connections = m->conn_value;
        s->has_conn = true;
    }
}

static void mt_count(mt_rec *r, mt_sys *s, double diff, double goal, bool accepted)
{
    if (accepted) {
        r->s++;
        r->p += diff;
        r->g += goal;
        s->share++;
        s->pow += diff;
    } else {
        r->r++;
        s->reject++;
    }
}

/* Why an accepted share's numbers cannot be counted, or NULL. r and s
 * (NULL: not known yet) are the record and the minute it would add to:
 * no sum may pass what ut_meta_body_check accepts, so a batch of ours is
 * never refused for its numbers. */
static const char *mt_share_why(const mt_rec *r, const mt_sys *s, double diff, double goal)
{
    if (!ut_meta_num_ok(diff))
        return "the difficulty is not a finite number in [0, 1e60]";
    if (!ut_meta_num_ok(goal))
        return "the goal is not a finite number in [0, 1e60]";
    if ((r && (!ut_meta_num_ok(r->p + diff) || !ut_meta_num_ok(r->g + goal))) ||
        (s && !ut_meta_num_ok(s->pow + diff)))
        return "it would take a sum of the minute past 1e60";
    return NULL;
}

/* Logs the refused ones: at most one line per MT_REFUSED_LOG seconds. */
static void mt_refused_log(ut_meta *m, const char *what)
{
    double now = ev_now(m->loop);
    if (what && now < m->refused_log_at + MT_REFUSED_LOG) {
        m->refused_unlogged++;
        return;
    }
    if (!what && (!m->refused_unlogged || now < m->refused_log_at + MT_REFUSED_LOG))
        return;
    log_error("meta %s: %s%" PRIu64 " more shares refused since the last line, %" PRIu64
              " in all", m->source, what ? what : "", m->refused_unlogged, m->refused);
    m->refused_unlogged = 0;
    m->refused_log_at = now;
}

static void mt_refuse(ut_meta *m, const char *user, const char *worker, double diff,
                      double goal, const char *why)
{
    char what[512];
    m->refused++;
    snprintf(what, sizeof(what), "share of %s.%s (diff %g, goal %g) refused, not counted: %s; ",
             user, worker, diff, goal, why);
    mt_refused_log(m, what);
}

void ut_meta_share(ut_meta *m, const char *user, const char *worker, double diff,
                   double goal, bool accepted)
{
    user = user ? user : "";
    worker = worker ? worker : "";
    const char *why = accepted ? mt_share_why(NULL, NULL, diff, goal) : NULL;
    if (why) {
        mt_refuse(m, user, worker, diff, goal, why);
        return;
    }
    int64_t minute = mt_minute(mt_now(m));
    mt_rec *r = mt_rec_get(m, user, worker, minute);
    mt_sys *s = mt_sys_get(m, minute);
    if (!r || !s) {
        log_fatal("meta %s: out of memory, a share of %s.%s is lost", m->source, user, worker);
        return;
    }
    if (accepted && (why = mt_share_why(r, s, diff, goal)) != NULL) {
        mt_refuse(m, user, worker, diff, goal, why);
        return;
    }
    mt_count(r, s, diff, goal, accepted);
    if (m->jon)
        jr_share(m, r, diff, goal, accepted);
}

static int mt_event_put(ut_meta *m, const char *text)
{
    size_t n = strlen(text) + 1;

    if (m->evlen + n > m->evcap) {
        size_t cap = m->evcap ? m->evcap : 4096;
        char *p;
        while (cap < m->evlen + n)
            cap *= 2;
        if ((p = realloc(m->ev, cap)) == NULL)
            return -1;
        m->ev = p;
        m->evcap = cap;
    }
    memcpy(m->ev + m->evlen, text, n);
    m->evlen += n;
    m->nev++;
    return 0;
}

static void mt_event(ut_meta *m, json_t *ev)
{
    char *text = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

    if (!text || mt_event_put(m, text) != 0)
        log_fatal("meta %s: out of memory, an event is lost", m->source);
    free(text);
    json_decref(ev);
}

static const char *mt_str(const char *s)
{
    return s ? s : "";
}

static void mt_block_at(ut_meta *m, int64_t minute, const char *const str[3])
{
    mt_sys *s = mt_sys_get(m, minute);
    if (s)
        s->block++;
    mt_event(m, json_pack("{s:s, s:s, s:s, s:s}", "type", "newblock", "user", str[0],
                          "worker", str[1], "hash", str[2]));
}

void ut_meta_block(ut_meta *m, const char *user, const char *worker, const char *hash)
{
    int64_t minute = mt_minute(mt_now(m));
    const char *str[3] = {mt_str(user), mt_str(worker), mt_str(hash)};
    mt_block_at(m, minute, str);
    if (m->jon)
        jr_strings(m, 'B', &minute, str, 3);
}

static void mt_event_add(ut_meta *m, const char *const str[4])
{
    mt_event(m, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "newevent", "user", str[0],
                          "worker", str[1], "peer", str[2], "event", str[3]));
}

void ut_meta_event(ut_meta *m, const char *user, const char *worker, const char *peer,
                   const char *event)
{
    const char *str[4] = {mt_str(user), mt_str(worker), mt_str(peer), mt_str(event)};
    mt_event_add(m, str);
    if (m->jon)
        jr_strings(m, 'E', NULL, str, 4);
}

static void mt_new_worker_add(ut_meta *m, const char *const str[2])
{
    mt_event(m, json_pack("{s:s, s:s, s:s}", "type", "newworker", "user", str[0], "worker",
                          str[1]));
}

void ut_meta_new_worker(ut_meta *m, const char *user, const char *worker)
{
    const char *str[2] = {mt_str(user), mt_str(worker)};
    mt_new_worker_add(m, str);
    if (m->jon)
        jr_strings(m, 'W', NULL, str, 2);
}

static void mt_connections_at(ut_meta *m, double now, int64_t n)
{
    mt_roll_connections(m, now);
    m->conn_value = n;
}

void ut_meta_connections(ut_meta *m, int64_t n)
{
    if (n < 0 || n > UT_META_COUNT_MAX) {   /* a caller's bug: never a refused batch */
        log_error("meta %s: connection count %" PRId64 " out of range, not sampled", m->source,
                  n);
        return;
    }
    double now = mt_now(m);
    mt_connections_at(m, now, n);
    if (m->jon)
        jr_pair(m, 'N', &now, &n);
}

/* ---- building batches ---- */

static json_t *mt_rec_json(const mt_rec *r)
{
    json_t *o = json_pack("{s:I, s:s, s:s}", "t", (json_int_t)r->minute, "user", r->names,
                          "worker", r->names + r->wpos);
    if (!o)
        return NULL;
    if (r->s) {
        json_object_set_new(o, "s", json_integer(r->s));
        json_object_set_new(o, "p", json_real(r->p));
        json_object_set_new(o, "g", json_real(r->g));
    }
    if (r->r)
        json_object_set_new(o, "r", json_integer(r->r));
    return o;
}

static json_t *mt_sys_json(const mt_sys *s)
{
    json_t *o = json_pack("{s:I}", "t", (json_int_t)s->minute);
    if (!o)
        return NULL;
    if (s->share) {
        json_object_set_new(o, "pow", json_real(s->pow));
        json_object_set_new(o, "share", json_integer(s->share));
    }
    if (s->reject)
        json_object_set_new(o, "reject", json_integer(s->reject));
    if (s->block)
        json_object_set_new(o, "block", json_integer(s->block));
    if (s->has_conn)
        json_object_set_new(o, "connections", json_integer(s->connections));
    return o;
}

static json_t *mt_body_new(ut_meta *m, uint64_t seq, double now)
{
    if (!(now >= 0 && now <= (double)UT_META_T_MAX))
        now = 0;                        /* a broken clock: no undefined conversion */
    return json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:s, s:I, s:[], s:[], s:[]}", "v", 1,
                     "source", m->source, "epoch", m->epoch, "seq", (json_int_t)seq, "coin",
                     m->coin, "coin_name", m->coin_name, "host", m->host, "time",
                     (json_int_t)floor(now), "shares", "system", "events");
}

static void mt_batch_link(ut_meta *m, mt_batch *b)
{
    b->prev = m->tail;
    b->next = NULL;
    if (m->tail)
        m->tail->next = b;
    else
        m->head = b;
    m->tail = b;
    m->npending++;
}

static void mt_batch_unlink(ut_meta *m, mt_batch *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        m->head = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        m->tail = b->prev;
    m->npending--;
}

static void mt_batch_drop_body(ut_meta *m, mt_batch *b)
{
    if (b->body) {
        m->mem_bytes -= b->len;
        free(b->body);
        b->body = NULL;
    }
}

static void mt_batch_free(ut_meta *m, mt_batch *b)
{
    mt_batch_drop_body(m, b);
    free(b);
}

/* The link batches go out on now: the own client's, or the lent one. */
static ut_rpc_link *mt_link(const ut_meta *m)
{
    if (m->clt)
        return ut_rpc_clt_up(m->clt) ? ut_rpc_clt_link(m->clt) : NULL;
    return m->ext;
}

/* Writes a batch to the spool. Its body stays in memory for sending
 * while the link is up. Returns 0, or what ut_spool_put returned. */
static int mt_spool_batch(ut_meta *m, mt_batch *b)
{
    if (b->spooled)
        return 0;
    int rc = ut_spool_put(m->spool, b->name, b->body, b->len);
    if (rc != 0)
        return rc;
    b->spooled = true;
    if (!b->inflight && !mt_link(m))
        mt_batch_drop_body(m, b);
    return 0;
}

/* Holds b: its journal (named by jseq) is kept, so it is not sent until
 * every batch of that journal is spooled and the journal removed. */
static void mt_hold(ut_meta *m, mt_batch *b, uint64_t jseq)
{
    b->jseq = jseq;
    if (b->held)
        return;
    b->held = true;
    m->nheld++;
    if (!b->spooled)
        m->held_bytes += ut_spool_record_bytes(b->len);
}

/* Bytes of unacknowledged batches, each counted once at its spooled size
 * (held batches not written yet count as if they were). */
static uint64_t mt_unacked_bytes(const ut_meta *m)
{
    return ut_spool_bytes(m->spool) + m->held_bytes;
}

/* Replay: stores a rebuilt batch unless the spool holds it already. Takes
 * text. Returns 0. */
static int jr_replay_put(ut_meta *m, uint64_t seq, char *text, size_t len)
{
    char name[UT_SPOOL_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s%s.%010" PRIu64, m->prefix, m->epoch, seq);
    if (ut_spool_has(m->spool, name)) {
        log_notice("meta %s: journal batch %s/%s/%" PRIu64 " already spooled", m->source,
                   m->source, m->epoch, seq);
    } else if (ut_spool_put(m->spool, name, text, len) != 0) {
        log_fatal("meta %s: journal batch %s/%s/%" PRIu64 " cannot be spooled, journal kept",
                  m->source, m->source, m->epoch, seq);
        m->replay_failed = true;
    } else {
        log_notice("meta %s: batch %s/%s/%" PRIu64 " rebuilt from the journal (%zu bytes)",
                   m->source, m->source, m->epoch, seq, len);
    }
    free(text);
    return 0;
}

/* Turns a closed JSON body into a pending batch. Returns 0, or -1 when it
 * was refused (its seq is then not used). */
static int mt_batch_add(ut_meta *m, json_t *body, uint64_t seq, double now)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    mt_batch *b = text ? calloc(1, sizeof(*b)) : NULL;
    if (!b) {
        log_fatal("meta %s: out of memory, batch seq %" PRIu64 " is lost", m->source, seq);
        free(text);
        return -1;
    }
    size_t len = strlen(text);
    if (m->replaying) {
        free(b);
        return jr_replay_put(m, seq, text, len);
    }
    uint64_t unacked = mt_unacked_bytes(m);
    if (m->cfg.max_spool_bytes &&
        unacked + ut_spool_record_bytes(len) > m->cfg.max_spool_bytes) {
        log_fatal("meta %s: %" PRIu64 " bytes of unacknowledged batches pass max_spool_bytes,"
                  " batch %s/%s/%" PRIu64 " (%zu bytes) is refused, its counts are lost",
                  m->source, unacked, m->source, m->epoch, seq, len);
        free(text);
        free(b);
        return -1;
    }
    b->m = m;
    snprintf(b->name, sizeof(b->name), "%s%s.%010" PRIu64, m->prefix, m->epoch, seq);
    snprintf(b->id, sizeof(b->id), "%s/%s/%" PRIu64, m->source, m->epoch, seq);
    b->body = text;
    b->len = len;
    b->created = now;
    m->mem_bytes += len;
    mt_batch_link(m, b);
    log_debug("meta %s: batch %s closed, %zu bytes", m->source, b->id, len);
    /* Spooled before its journal goes and before it is ever sent. After a
     * failure (or behind held batches) it waits for mt_retry_held. */
    int rc = m->nheld ? -1 : mt_spool_batch(m, b);
    if (rc != 0 && !m->nheld) {
        log_fatal("meta %s: batch %s could not be spooled (%s), %zu bytes kept in memory"
                  " and its journal kept, retrying", m->source, b->id,
                  rc == -2 ? "spool full" : "I/O error", b->len);
        m->spool_retry_at = ev_now(m->loop) + MT_SPOOL_RETRY;
    }
    if (rc != 0)
        mt_hold(m, b, 0);        /* jseq set by mt_close_now */
    return 0;
}

/* Closes everything counted so far into batches of at most max records. */
static void mt_close_batches(ut_meta *m, double now)
{
    mt_roll_connections(m, now);
    size_t max = m->cfg.max_batch_records, nrec = 0;
    json_t *body = NULL;
    mt_rec *r = m->first;
    mt_sys *s = m->sys;
    size_t ev = 0, nev = m->nev, evpos = 0;
    while (r || s || ev < nev) {
        if (!body) {
            body = mt_body_new(m, m->seq + 1, now);
            if (!body)
                break;
            nrec = 0;
        }
        if (s) {
            json_array_append_new(json_object_get(body, "system"), mt_sys_json(s));
            s = s->next;
        } else if (r) {
            json_array_append_new(json_object_get(body, "shares"), mt_rec_json(r));
            r = r->order;
        } else {
            json_array_append_new(json_object_get(body, "events"),
                                  json_loads(m->ev + evpos, 0, NULL));
            evpos += strlen(m->ev + evpos) + 1;
            ev++;
        }
        if (++nrec >= max || (!r && !s && ev >= nev)) {
            if (mt_batch_add(m, body, m->seq + 1, now) == 0)
                m->seq++;
            json_decref(body);
            body = NULL;
        }
    }
    json_decref(body);
}

/* Forgets the counted data (after it went into batches). */
static void mt_reset_counts(ut_meta *m)
{
    for (mt_rec *r = m->first, *n; r; r = n) {
        n = r->order;
        free(r);
    }
    m->first = m->last = NULL;
    m->nrecs = 0;
    if (m->nbuckets)
        memset(m->buckets, 0, m->nbuckets * sizeof(*m->buckets));
    for (mt_sys *s = m->sys, *n; s; s = n) {
        n = s->next;
        free(s);
    }
    m->sys = NULL;
    m->evlen = m->nev = 0;
    if (m->evcap > (1u << 20)) {   /* a burst of events: give the big buffer back */
        free(m->ev);
        m->ev = NULL;
        m->evcap = 0;
    }
}

/* ---- sending ---- */

static void mt_pump(ut_meta *m);

static void mt_on_ack(ut_meta *m, mt_batch *b)
{
    if (b->spooled)
        ut_spool_del(m->spool, b->name);
    mt_batch_unlink(m, b);
    mt_batch_free(m, b);
    m->acked++;
    m->backoff = 0;
}

static void mt_on_bad(ut_meta *m, mt_batch *b, const ut_rpc_msg *msg)
{
    log_fatal("meta %s: batch %s refused for good by %s (status %u: %.*s), kept as .bad",
              m->source, b->id, m->upstream, msg->status, (int)msg->body_len,
              (const char *)msg->body);
    if (!b->spooled && ut_spool_put(m->spool, b->name, b->body, b->len) == 0)
        b->spooled = true;
    if (b->spooled)
        ut_spool_quarantine(m->spool, b->name);
    mt_batch_unlink(m, b);
    mt_batch_free(m, b);
}

static void mt_on_retry(ut_meta *m, mt_batch *b, const char *why)
{
    double now = ev_now(m->loop);
    m->backoff = m->backoff ? m->backoff * 2 : MT_BACKOFF_MIN;
    if (m->backoff > MT_BACKOFF_MAX)
        m->backoff = MT_BACKOFF_MAX;
    b->retry_at = now + m->backoff;
    log_warn("meta %s: batch %s to %s not acknowledged (%s), retry in %.1fs", m->source,
             b->id, m->upstream, why, m->backoff);
}

static void mt_on_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    mt_batch *b = arg;
    ut_meta *m = b->m;
    b->inflight = false;
    m->inflight--;
    if (m->closing)
        return;
    if (b->spooled)
        mt_batch_drop_body(m, b);
    if (msg && msg->status == UT_META_ST_OK) {
        mt_on_ack(m, b);
    } else if (msg && msg->status == UT_META_ST_BAD) {
        mt_on_bad(m, b, msg);
    } else {
        char why[128];
        if (msg)
            snprintf(why, sizeof(why), "status %u", msg->status);
        mt_on_retry(m, b, msg ? why : (error ? error : "no reply"));
    }
    mt_pump(m);
}

/* Loads the body of a spooled batch. Returns 0, -1 on failure (the batch
 * is then dropped from the list if its record is gone or corrupt). */
static int mt_load_body(ut_meta *m, mt_batch *b)
{
    if (b->body)
        return 0;
    char *data;
    size_t len;
    if (ut_spool_get(m->spool, b->name, &data, &len) != 0) {
        log_error("meta %s: spooled batch %s cannot be read, skipped", m->source, b->id);
        mt_batch_unlink(m, b);
        mt_batch_free(m, b);
        return -1;
    }
    b->body = data;
    b->len = len;
    m->mem_bytes += len;
    return 0;
}

static int mt_send(ut_meta *m, ut_rpc_link *link, mt_batch *b)
{
    if (mt_load_body(m, b) != 0)
        return 0;
    if (ut_rpc_request(link, CMD_MW_BATCH, b->body, b->len, mt_on_reply, b) != 0)
        return -1;
    b->inflight = true;
    m->inflight++;
    return 0;
}

static void mt_pump(ut_meta *m)
{
    ut_rpc_link *link = m->closing ? NULL : mt_link(m);
    if (!link)
        return;
    double now = ev_now(m->loop);
    for (mt_batch *b = m->head, *n; b && m->inflight < m->cfg.window; b = n) {
        n = b->next;
        if (b->inflight || b->held || b->retry_at > now)
            continue;
        if (mt_send(m, link, b) != 0)
            break;
    }
}

/* Lets go of the bodies of spooled batches unacknowledged for too long,
 * and of the oldest ones while bodies in memory pass max_mem_bytes (held
 * batches not spooled yet keep theirs: mt_retry_held spools them). */
static void mt_age(ut_meta *m)
{
    double now = ev_now(m->loop);
    for (mt_batch *b = m->head; b; b = b->next) {
        bool old = now - b->created >= m->cfg.spool_after || m->mem_bytes > m->cfg.max_mem_bytes;
        if (old && b->spooled && !b->inflight)
            mt_batch_drop_body(m, b);
    }
}

/* Removes the kept journals whose batches are all spooled now, and lets
 * those batches be sent. Held batches of one journal are adjacent. */
static void mt_release_journals(ut_meta *m)
{
    for (mt_batch *b = m->head; b;) {
        if (!b->held) {
            b = b->next;
            continue;
        }
        uint64_t jseq = b->jseq;
        bool all = true;
        mt_batch *e = b;
        for (; e && e->held && e->jseq == jseq; e = e->next)
            all = all && e->spooled;
        if (all) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s%s.%010" PRIu64, m->spool_dir, m->jprefix,
                     m->epoch, jseq);
            unlink(path);
            for (mt_batch *x = b; x != e; x = x->next) {
                x->held = false;
                m->nheld--;
            }
            log_notice("meta %s: held batches spooled, journal %s removed", m->source, path);
        }
        b = e;
    }
}

/* Tries again to spool the held batches, in order; at most once per
 * MT_SPOOL_RETRY unless force, with one log line per failed try. */
static void mt_retry_held(ut_meta *m, bool force)
{
    double now = ev_now(m->loop);
    if (!m->nheld || (!force && now < m->spool_retry_at))
        return;
    for (mt_batch *b = m->head; b; b = b->next) {
        if (!b->held || b->spooled)
            continue;
        int rc = mt_spool_batch(m, b);
        if (rc != 0) {
            log_fatal("meta %s: batch %s still cannot be spooled (%s), %zu batches held"
                      " in memory with their journal, retry in %.0fs", m->source, b->id,
                      rc == -2 ? "spool full" : "I/O error", m->nheld, MT_SPOOL_RETRY);
            m->spool_retry_at = now + MT_SPOOL_RETRY;
            break;
        }
        m->held_bytes -= ut_spool_record_bytes(b->len);
    }
    mt_release_journals(m);
}

static void mt_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    ut_meta *m = w->data;
    mt_refused_log(m, NULL);
    ut_meta_sync(m);
    mt_retry_held(m, false);
    mt_age(m);
    mt_pump(m);
}

/* Closes the counts into spooled batches, then retires their journal;
 * when one of them could not be spooled, the journal is kept and all of
 * them are held until it can be removed. */
static void mt_close_now(ut_meta *m, double now, bool last)
{
    mt_batch *before = m->tail;
    uint64_t jseq = m->seq + 1;
    if (m->jon) {
        jr_pair(m, 'X', &now, &now);
        ut_meta_sync(m);
    }
    mt_close_batches(m, now);
    mt_reset_counts(m);
    bool keep = false;
    for (mt_batch *b = before ? before->next : m->head; b; b = b->next)
        keep = keep || b->held;
    for (mt_batch *b = before ? before->next : m->head; keep && b; b = b->next)
        mt_hold(m, b, jseq);
    jr_end(m, keep);
    if (!last)
        jr_begin(m);
}

void ut_meta_flush(ut_meta *m)
{
    mt_close_now(m, mt_now(m), false);
    mt_pump(m);
}

/* Seconds until the next flush: flush_interval, or with align the time to
 * just after the next multiple of it (a short grace for late shares). */
static double mt_flush_delay(ut_meta *m)
{
    double iv = m->cfg.flush_interval, grace = iv / 60 < 1.0 ? iv / 60 : 1.0;

    if (!m->cfg.align)
        return iv;
    return iv - fmod(mt_now(m), iv) + grace;
}

static void mt_on_flush(struct ev_loop *loop, ev_timer *w, int revents)
{
    ut_meta *m = w->data;

    ut_meta_flush(m);
    ev_timer_stop(loop, w);
    ev_timer_set(w, mt_flush_delay(m), 0.0);
    ev_timer_start(loop, w);
    /* What the closed batch held (event objects, names) goes back to the
     * system instead of staying in the heap as holes. */
    malloc_trim(0);
}

static void mt_on_up(ut_rpc_link *link, void *udata)
{
    ut_meta *m = udata;
    (void)link;
    log_info("meta %s: connected to %s, %zu batches pending", m->source, m->upstream,
             m->npending);
    m->backoff = 0;
    for (mt_batch *b = m->head; b; b = b->next)
        b->retry_at = 0;
    mt_pump(m);
}

static void mt_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    ut_meta *m = udata;
    if (!m->closing)
        log_warn("meta %s: link to %s down (%s), %zu batches pending", m->source,
                 m->upstream, reason ? reason : "?", m->npending);
}

void ut_meta_link_up(ut_meta *m, ut_rpc_link *link)
{
    if (m->clt || !link)
        return;
    char *peer = strdup(ut_rpc_link_peer(link));
    if (peer) {
        free(m->upstream);
        m->upstream = peer;
        m->cfg.upstream = peer;
    }
    m->ext = link;
    mt_on_up(link, m);
}

void ut_meta_link_down(ut_meta *m, const char *reason)
{
    if (m->clt || !m->ext)
        return;
    m->ext = NULL;
    mt_on_down(NULL, reason, m);
}

static void mt_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    ut_meta *m = udata;
    log_warn("meta %s: unexpected command 0x%04x from %s", m->source, msg->command,
             ut_rpc_link_peer(link));
}

/* ---- life cycle ---- */

/* ---- journal: replay ---- */

/* Replay state of one journal: its cells by index (NULL: a cell whose
 * record was corrupt), where it closes, and the records skipped. */
typedef struct jr_replay {
    mt_rec **cells;
    size_t ncells, cap;
    bool header, closed;
    double close_at;
    size_t skipped;
    char first_skip[160];     /* why the first one was skipped */
} jr_replay;

/* Notes a record that is skipped: a number in it is not sane (a corrupt
 * journal, or one written before shares were checked). Logged once per
 * journal by jr_apply. */
static void jr_skip(jr_replay *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jr_skip(jr_replay *rp, const char *fmt, ...)
{
    if (rp->skipped++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rp->first_skip, sizeof(rp->first_skip), fmt, ap);
        va_end(ap);
    }
}

static bool jr_count_ok(int64_t n)
{
    return n >= 0 && n <= UT_META_COUNT_MAX;
}

/* Reads a u16-prefixed string into a malloc'd C string; NULL when short. */
static char *jr_get_str(const unsigned char **p, const unsigned char *end)
{
    uint16_t n;
    if (end - *p < 2)
        return NULL;
    memcpy(&n, *p, 2);
    if ((size_t)(end - *p - 2) < n)
        return NULL;
    char *s = strndup((const char *)*p + 2, n);
    *p += 2 + (size_t)n;
    return s;
}

/* Reads n strings; returns 0, or -1 (nothing left allocated). */
static int jr_get_strs(const unsigned char **p, const unsigned char *end, char **out, int n)
{
    for (int i = 0; i < n; i++) {
        out[i] = jr_get_str(p, end);
        if (!out[i]) {
            for (int j = 0; j < i; j++)
                free(out[j]);
            return -1;
        }
    }
    return 0;
}

/* A cell keeps its index even when its minute is corrupt (NULL then: the
 * shares that refer to it are skipped). */
static int jr_add_cell(ut_meta *m, jr_replay *rp, int64_t minute, char **str)
{
    if (rp->ncells == rp->cap) {
        size_t cap = rp->cap ? rp->cap * 2 : 256;
        mt_rec **c = realloc(rp->cells, cap * sizeof(*c));
        if (!c)
            return -1;
        rp->cells = c;
        rp->cap = cap;
    }
    mt_rec *r = NULL;
    if (!ut_meta_minute_ok(minute))
        jr_skip(rp, "cell %zu of %s.%s: minute %" PRId64 " is not a sane unix minute",
                rp->ncells, str[0], str[1], minute);
    else if (!(r = mt_rec_get(m, str[0], str[1], minute)))
        return -1;
    rp->cells[rp->ncells++] = r;
    return 0;
}

static int jr_apply_share(ut_meta *m, jr_replay *rp, const unsigned char **p,
                          const unsigned char *end, bool accepted)
{
    uint32_t id;
    double diff = 0, goal = 0;
    if (end - *p < (accepted ? 20 : 4))
        return -1;
    memcpy(&id, *p, 4);
    if (accepted) {
        memcpy(&diff, *p + 4, 8);
        memcpy(&goal, *p + 12, 8);
    }
    *p += accepted ? 20 : 4;
    if (id >= rp->ncells)
        return -1;
    mt_rec *r = rp->cells[id];
    if (!r) {
        jr_skip(rp, "a share of corrupt cell %" PRIu32, id);
        return 0;
    }
    mt_sys *s = mt_sys_get(m, r->minute);
    if (!s)
        return -1;
    const char *why = accepted ? mt_share_why(r, s, diff, goal) : NULL;
    if (why) {
        jr_skip(rp, "share of %s.%s (diff %g, goal %g): %s", r->names, r->names + r->wpos,
                diff, goal, why);
        return 0;
    }
    mt_count(r, s, diff, goal, accepted);
    return 0;
}

/* Records with strings: C (cell), B (block), E (event), W (new worker). */
static int jr_apply_strs(ut_meta *m, jr_replay *rp, char type, const unsigned char **p,
                         const unsigned char *end)
{
    int64_t minute = 0;
    int n = type == 'E' ? 4 : type == 'B' ? 3 : 2;
    char *str[4];
    if (type == 'C' || type == 'B') {
        if (end - *p < 8)
            return -1;
        memcpy(&minute, *p, 8);
        *p += 8;
    }
    if (jr_get_strs(p, end, str, n) != 0)
        return -1;
    int rc = 0;
    if (type == 'C')
        rc = jr_add_cell(m, rp, minute, str);
    else if (type == 'B' && !ut_meta_minute_ok(minute))
        jr_skip(rp, "block %s: minute %" PRId64 " is not a sane unix minute", str[2], minute);
    else if (type == 'B')
        mt_block_at(m, minute, (const char *const *)str);
    else if (type == 'E')
        mt_event_add(m, (const char *const *)str);
    else
        mt_new_worker_add(m, (const char *const *)str);
    for (int i = 0; i < n; i++)
        free(str[i]);
    return rc;
}

/* H: the connection count and the next minute to report it for. A
 * corrupt one still opens the journal; the state stays this process's. */
static void jr_apply_header(ut_meta *m, jr_replay *rp, const unsigned char *a,
                            const unsigned char *b)
{
    int64_t value, next;
    memcpy(&value, a, 8);
    memcpy(&next, b, 8);
    rp->header = true;
    if (!jr_count_ok(value) || !ut_meta_minute_ok(next)) {
        jr_skip(rp, "header: connections %" PRId64 " or minute %" PRId64 " out of range",
                value, next);
        return;
    }
    m->conn_value = value;
    m->conn_next = next;
}

/* N: a connection count sample at a time. */
static void jr_apply_conn(ut_meta *m, jr_replay *rp, const unsigned char *a,
                          const unsigned char *b)
{
    double now;
    int64_t n;
    memcpy(&now, a, 8);
    memcpy(&n, b, 8);
    if (!ut_meta_time_ok(now) || !jr_count_ok(n)) {
        jr_skip(rp, "connections %" PRId64 " at time %g out of range", n, now);
        return;
    }
    mt_connections_at(m, now, n);
}

/* Records with two numbers: H (header), N (connections), X (close). */
static int jr_apply_pair(ut_meta *m, jr_replay *rp, char type, const unsigned char **p,
                         const unsigned char *end)
{
    unsigned char a[8], b[8];
    if (end - *p < 16)
        return -1;
    memcpy(a, *p, 8);
    memcpy(b, *p + 8, 8);
    *p += 16;
    if (type == 'H') {
        jr_apply_header(m, rp, a, b);
    } else if (type == 'N') {
        jr_apply_conn(m, rp, a, b);
    } else {
        double t;
        memcpy(&t, a, 8);
        if (!ut_meta_time_ok(t)) {
            jr_skip(rp, "close time %g is not a sane unix time", t);
            return 0;
        }
        rp->close_at = t;
        rp->closed = true;
    }
    return 0;
}

/* Applies the records of one chunk. Returns 0, or -1 when malformed. */
static int jr_apply_chunk(ut_meta *m, jr_replay *rp, const unsigned char *p, size_t len)
{
    const unsigned char *end = p + len;
    while (p < end && !rp->closed) {
        char type = (char)*p++;
        int rc;
        if (!rp->header && type != 'H')
            return -1;
        if (type == 'A' || type == 'R')
            rc = jr_apply_share(m, rp, &p, end, type == 'A');
        else if (type == 'C' || type == 'B' || type == 'E' || type == 'W')
            rc = jr_apply_strs(m, rp, type, &p, end);
        else if (type == 'H' || type == 'N' || type == 'X')
            rc = jr_apply_pair(m, rp, type, &p, end);
        else
            rc = -1;
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Applies every whole chunk; stops at a torn or corrupt one. */
static void jr_apply(ut_meta *m, jr_replay *rp, const unsigned char *buf, size_t n,
                     const char *name)
{
    size_t off = 0;
    while (off < n && !rp->closed) {
        uint32_t len, crc;
        double t;
        if (n - off < JR_HDR)
            break;
        memcpy(&len, buf + off, 4);
        memcpy(&crc, buf + off + 4, 4);
        memcpy(&t, buf + off + 8, 8);
        if (n - off - JR_HDR < len || ut_crc32c(0, buf + off + 8, len + 8u) != crc)
            break;
        if (jr_apply_chunk(m, rp, buf + off + JR_HDR, len) != 0) {
            log_error("meta %s: journal %s: malformed chunk, the rest is dropped", m->source,
                      name);
            off = n;              /* said here, not again as a torn tail */
            break;
        }
        if (!rp->closed && ut_meta_time_ok(t))
            rp->close_at = t;
        else if (!rp->closed)
            jr_skip(rp, "chunk time %g is not a sane unix time", t);
        off += JR_HDR + len;
    }
    if (off < n && !rp->closed)
        log_warn("meta %s: journal %s: torn tail of %zu bytes dropped (never acknowledged)",
                 m->source, name, n - off);
    if (rp->skipped)
        log_error("meta %s: journal %s: %zu corrupt records skipped, not counted (first: %s)",
                  m->source, name, rp->skipped, rp->first_skip);
}

static unsigned char *jr_read_file(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 65536, len = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (len == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    *n = len;
    return buf;
}

/* Rebuilds the batches of one leftover journal under its own identity. */
static void jr_replay_one(ut_meta *m, const char *name)
{
    const char *rest = name + strlen(m->jprefix);      /* "<epoch16>.<seq>" */
    if (strlen(rest) <= 17 || rest[16] != '.' || strspn(rest, "0123456789abcdef") != 16 ||
        strspn(rest + 17, "0123456789") != strlen(rest + 17))
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", m->spool_dir, name);
    size_t n = 0;
    unsigned char *buf = jr_read_file(path, &n);
    if (!buf) {
        log_error("meta %s: journal %s cannot be read, kept", m->source, path);
        return;
    }
    char epoch[17];
    uint64_t seq = m->seq;
    int64_t cv = m->conn_value, cn = m->conn_next;
    memcpy(epoch, m->epoch, sizeof(epoch));
    snprintf(m->epoch, sizeof(m->epoch), "%.16s", rest);
    m->seq = strtoull(rest + 17, NULL, 10) - 1;
    m->replaying = true;
    m->replay_failed = false;
    jr_replay rp = {0};
    jr_apply(m, &rp, buf, n, name);
    if (rp.header)
        mt_close_batches(m, ut_meta_time_ok(rp.close_at) ? rp.close_at : mt_now(m));
    mt_reset_counts(m);
    m->replaying = false;
    memcpy(m->epoch, epoch, sizeof(epoch));
    m->seq = seq;
    m->conn_value = cv;
    m->conn_next = cn;
    free(rp.cells);
    free(buf);
    if (!m->replay_failed)
        unlink(path);
}

static int jr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the journals earlier processes with this source id left. */
static void jr_replay_all(ut_meta *m)
{
    DIR *d = opendir(m->spool_dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, m->jprefix, strlen(m->jprefix)) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn)
                break;
            names = nn;
        }
        if ((names[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    if (d)
        closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), jr_cmp);
    for (size_t i = 0; i < n; i++) {
        log_notice("meta %s: replaying journal %s", m->source, names[i]);
        jr_replay_one(m, names[i]);
        free(names[i]);
    }
    free(names);
}

/* Puts the batches an earlier process left in the spool back in the list. */
static void mt_replay_spool(ut_meta *m)
{
    size_t n = 0;
    char **names = ut_spool_list(m->spool, &n);
    size_t plen = strlen(m->prefix);
    for (size_t i = 0; i < n; i++) {
        const char *rest = names[i] + plen;    /* "<epoch16>.<seq>" */
        bool ok = strlen(rest) > 17 && rest[16] == '.' && strspn(rest, "0123456789abcdef") == 16 &&
                  strspn(rest + 17, "0123456789") == strlen(rest + 17);
        mt_batch *b = ok ? calloc(1, sizeof(*b)) : NULL;
        if (b) {
            b->m = m;
            snprintf(b->name, sizeof(b->name), "%s", names[i]);
            snprintf(b->id, sizeof(b->id), "%s/%.16s/%" PRIu64, m->source, rest,
                     (uint64_t)strtoull(rest + 17, NULL, 10));
            b->spooled = true;
            b->created = ev_now(m->loop);
            mt_batch_link(m, b);
        }
        free(names[i]);
    }
    free(names);
    if (m->npending)
        log_notice("meta %s: %zu spooled batches from an earlier run will be resent (%" PRIu64
                   " bytes)", m->source, m->npending, ut_spool_bytes(m->spool));
}

static char *mt_strdup_or(const char *s, const char *dflt)
{
    return strdup(s && *s ? s : dflt);
}

static void mt_apply_defaults(ut_meta_cfg *c)
{
    if (c->flush_interval <= 0)
        c->flush_interval = MT_DEFAULT_FLUSH;
    if (!c->max_spool_bytes)
        c->max_spool_bytes = MT_DEFAULT_SPOOL_MAX;
    if (!c->max_batch_records)
        c->max_batch_records = MT_DEFAULT_RECORDS;
    if (!c->max_mem_bytes)
        c->max_mem_bytes = MT_DEFAULT_MEM;
    if (c->spool_after <= 0)
        c->spool_after = MT_DEFAULT_SPOOL_AFTER;
    if (c->request_timeout <= 0)
        c->request_timeout = MT_DEFAULT_TIMEOUT;
    if (!c->window)
        c->window = MT_DEFAULT_WINDOW;
}

static int mt_copy_cfg(ut_meta *m, const ut_meta_cfg *cfg)
{
    m->cfg = *cfg;
    mt_apply_defaults(&m->cfg);
    m->coin = mt_strdup_or(cfg->coin, "btc");
    m->host = mt_strdup_or(cfg->host, "localhost");
    m->source = mt_strdup_or(cfg->source_id, "");
    m->upstream = cfg->upstream && *cfg->upstream ? strdup(cfg->upstream) : NULL;
    m->spool_dir = mt_strdup_or(cfg->spool_dir, "");
    m->coin_name = mt_strdup_or(cfg->coin_name, m->coin ? m->coin : "btc");
    if (!m->coin || !m->host || !m->source || !m->spool_dir || !m->coin_name ||
        (cfg->upstream && *cfg->upstream && !m->upstream))
        return -1;
    if (!(cfg->coin_name && *cfg->coin_name)) {
        for (char *p = m->coin_name; *p; p++)
            *p = (char)toupper((unsigned char)*p);
    }
    m->cfg.coin = m->coin;
    m->cfg.coin_name = m->coin_name;
    m->cfg.host = m->host;
    m->cfg.source_id = m->source;
    m->cfg.upstream = m->upstream;
    m->cfg.spool_dir = m->spool_dir;
    return 0;
}

static int mt_make_clt(ut_meta *m)
{
    if (!m->upstream)
        return 0;
    ut_rpc_cfg rc = {.addr = m->upstream, .request_timeout = m->cfg.request_timeout};
    ut_rpc_handlers h = {.on_msg = mt_on_msg, .on_up = mt_on_up, .on_down = mt_on_down};
    m->clt = ut_rpc_clt_create(m->loop, &rc, &h, m);
    if (!m->clt) {
        log_error("meta %s: bad upstream address '%s'", m->source, m->upstream);
        return -1;
    }
    return 0;
}

ut_meta *ut_meta_create(struct ev_loop *loop, const ut_meta_cfg *cfg)
{
    if (!ut_meta_source_ok(cfg->source_id)) {
        log_error("meta: source_id '%s' is not 1..64 of [A-Za-z0-9_:-]",
                  cfg->source_id ? cfg->source_id : "(null)");
        return NULL;
    }
    ut_meta *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->loop = loop;
    m->jfd = -1;
    if (mt_copy_cfg(m, cfg) != 0) {
        ut_meta_free(m);
        return NULL;
    }
    mt_new_epoch(m->epoch);
    snprintf(m->prefix, sizeof(m->prefix), "mb-%s.", m->source);
    m->conn_next = mt_minute(mt_now(m));
    m->spool = ut_spool_open(m->spool_dir, m->prefix, m->cfg.max_spool_bytes);
    if (!m->spool || mt_make_clt(m) != 0) {
        log_error("meta %s: cannot use spool dir '%s'", m->source, m->spool_dir);
        ut_meta_free(m);
        return NULL;
    }
    snprintf(m->jprefix, sizeof(m->jprefix), "mj-%s.", m->source);
    jr_replay_all(m);
    mt_replay_spool(m);
    if (jr_grow(m, JR_HDR) != 0) {
        ut_meta_free(m);
        return NULL;
    }
    m->jon = true;
    jr_begin(m);
    log_info("meta %s: epoch %s, upstream %s, spool %s", m->source, m->epoch,
             m->upstream ? m->upstream : "(none)", m->spool_dir);
    return m;
}

int ut_meta_start(ut_meta *m)
{
    ev_timer_init(&m->flush_timer, mt_on_flush, mt_flush_delay(m), 0.0);
    m->flush_timer.data = m;
    ev_timer_start(m->loop, &m->flush_timer);
    ev_timer_init(&m->tick_timer, mt_on_tick, MT_TICK, MT_TICK);
    m->tick_timer.data = m;
    ev_timer_start(m->loop, &m->tick_timer);
    m->started = true;
    if (m->clt && ut_rpc_clt_start(m->clt) != 0) {
        log_error("meta %s: cannot start the link to %s", m->source, m->upstream);
        return -1;
    }
    return 0;
}

void ut_meta_free(ut_meta *m)
{
    if (!m)
        return;
    if (m->spool) {
        mt_close_now(m, mt_now(m), true);
        mt_retry_held(m, true);     /* what still fails: its journal is replayed */
    }
    m->closing = true;
    if (m->started) {
        ev_timer_stop(m->loop, &m->flush_timer);
        ev_timer_stop(m->loop, &m->tick_timer);
    }
    if (m->clt)
        ut_rpc_clt_free(m->clt);
    for (mt_batch *b = m->head, *n; b; b = n) {
        n = b->next;
        mt_batch_free(m, b);
    }
    ut_spool_close(m->spool);
    if (m->jfd >= 0)
        close(m->jfd);
    free(m->jbuf);
    free(m->ev);
    free(m->buckets);
    free(m->coin);
    free(m->coin_name);
    free(m->host);
    free(m->source);
    free(m->upstream);
    free(m->spool_dir);
    free(m);
}

size_t ut_meta_pending(const ut_meta *m)
{
    return m->npending;
}

uint64_t ut_meta_spooled_bytes(const ut_meta *m)
{
    return m->spool ? ut_spool_bytes(m->spool) : 0;
}

uint64_t ut_meta_acked(const ut_meta *m)
{
    return m->acked;
}

uint64_t ut_meta_refused(const ut_meta *m)
{
    return m->refused;
}

const char *ut_meta_epoch(const ut_meta *m)
{
    return m->epoch;
}
