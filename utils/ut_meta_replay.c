/* ut_meta_replay: replay of the journals an earlier process with this
 * source id left (format: ut_meta_journal.c). Each is read into a table of
 * its own and closed into the same (epoch, seq) batches; those the spool
 * already holds are skipped, the others spooled, then the journal goes. A
 * torn tail or a malformed chunk ends the journal; a record with a number
 * out of range is skipped and counted, with one log line per journal. */
#include "utils/ut_meta_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utils/ut_crc32c.h"
#include "utils/ut_log.h"
#include "utils/ut_meta_check.h"

/* Replay: stores a rebuilt batch unless the spool holds it already. Takes
 * text. Returns 0. */
int jr_replay_put(ut_meta *m, uint64_t seq, char *text, size_t len)
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

/* Replay state of one journal: its cells by index (NULL: a cell whose
 * record was corrupt), where it closes, and the records skipped. */
typedef struct jr_replay {
    nw_buf cells;             /* mt_rec *, by index */
    size_t ncells;
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
    mt_rec *r = NULL;
    if (!ut_meta_minute_ok(minute))
        jr_skip(rp, "cell %zu of %s.%s: minute %" PRId64 " is not a sane unix minute",
                rp->ncells, str[0], str[1], minute);
    else if (!(r = mt_rec_get(m, str[0], str[1], minute)))
        return -1;
    if (nw_buf_append(&rp->cells, &r, sizeof(r)) != 0)
        return -1;
    rp->ncells++;
    return 0;
}

/* accepted: an 'A' record; else 'R' (stale false) or 'T' (stale true). */
static int jr_apply_share(ut_meta *m, jr_replay *rp, const unsigned char **p,
                          const unsigned char *end, bool accepted, bool stale)
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
    mt_rec *r = ((mt_rec **)(void *)rp->cells.data)[id];
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
    if (stale)
        mt_count_stale(r, s);
    else
        mt_count(r, s, diff, goal, accepted);
    return 0;
}

/* Records with strings: C (cell), B (block), K (block with height and
 * reward), E (event), W (new worker). */
static int jr_apply_strs(ut_meta *m, jr_replay *rp, char type, const unsigned char **p,
                         const unsigned char *end)
{
    int64_t minute = 0, height = -1, reward = -1;
    int n = type == 'E' ? 4 : type == 'B' || type == 'K' ? 3 : 2;
    char *str[4];
    if (type == 'C' || type == 'B' || type == 'K') {
        if (end - *p < 8)
            return -1;
        memcpy(&minute, *p, 8);
        *p += 8;
    }
    if (type == 'K') {
        if (end - *p < 16)
            return -1;
        memcpy(&height, *p, 8);
        memcpy(&reward, *p + 8, 8);
        *p += 16;
        type = 'B';
    }
    if (jr_get_strs(p, end, str, n) != 0)
        return -1;
    int rc = 0;
    if (type == 'C')
        rc = jr_add_cell(m, rp, minute, str);
    else if (type == 'B' && !ut_meta_minute_ok(minute))
        jr_skip(rp, "block %s: minute %" PRId64 " is not a sane unix minute", str[2], minute);
    else if (type == 'B')
        mt_block_at(m, minute, (const char *const *)str, height, reward);
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
        if (type == 'A' || type == 'R' || type == 'T')
            rc = jr_apply_share(m, rp, &p, end, type == 'A', type == 'T');
        else if (type == 'C' || type == 'B' || type == 'K' || type == 'E' || type == 'W')
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

/* The whole file into buf (what was read before an error, too); -1 when
 * it cannot be opened or memory runs out. */
static int jr_read_file(const char *path, nw_buf *buf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = 0;
    for (;;) {
        if (nw_buf_reserve(buf, 65536) != 0) {
            rc = -1;
            break;
        }
        ssize_t r = read(fd, buf->data + buf->wpos, buf->cap - buf->wpos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        nw_buf_commit(buf, (size_t)r);
    }
    close(fd);
    return rc;
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
    nw_buf buf;
    nw_buf_init(&buf);
    if (jr_read_file(path, &buf) != 0) {
        log_error("meta %s: journal %s cannot be read, kept", m->source, path);
        nw_buf_free(&buf);
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
    nw_buf_init(&rp.cells);
    jr_apply(m, &rp, (const unsigned char *)buf.data, nw_buf_len(&buf), name);
    if (rp.header)
        mt_close_batches(m, ut_meta_time_ok(rp.close_at) ? rp.close_at : mt_now(m));
    mt_reset_counts(m);
    m->replaying = false;
    memcpy(m->epoch, epoch, sizeof(epoch));
    m->seq = seq;
    m->conn_value = cv;
    m->conn_next = cn;
    nw_buf_free(&rp.cells);
    nw_buf_free(&buf);
    if (!m->replay_failed)
        unlink(path);
}

static int jr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays the journals earlier processes with this source id left. */
void jr_replay_all(ut_meta *m)
{
    DIR *d = opendir(m->spool_dir);
    nw_buf list;              /* char *: the journal names */
    struct dirent *e;
    nw_buf_init(&list);
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, m->jprefix, strlen(m->jprefix)) != 0)
            continue;
        char *name = strdup(e->d_name);
        if (name && nw_buf_append(&list, &name, sizeof(name)) != 0) {
            free(name);
            break;
        }
    }
    if (d)
        closedir(d);
    char **names = (char **)(void *)list.data;
    size_t n = nw_buf_len(&list) / sizeof(*names);
    if (n)
        qsort(names, n, sizeof(*names), jr_cmp);
    for (size_t i = 0; i < n; i++) {
        log_notice("meta %s: replaying journal %s", m->source, names[i]);
        jr_replay_one(m, names[i]);
        free(names[i]);
    }
    nw_buf_free(&list);
}
