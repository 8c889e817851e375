/* ut_meta_journal: writing the share journal. Every counted item is also
 * appended as a small record (host byte order) to a buffer; ut_meta_sync
 * writes it as one chunk (u32 payload length, u32 CRC32C of the rest, f64
 * time, records) to spool_dir/mj-<source>.<epoch>.<seq>. Records: 'H'
 * header (connection state), 'C' cell (minute, user, worker), 'A'/'R'
 * accepted/rejected share of a cell, 'T' stale (rejected) share of a cell
 * (added later: a journal without it replays as before), 'B' block, 'K'
 * block with height and reward (added later, like 'T'), 'E' event, 'W' new worker,
 * 'N' connection sample, 'X' close. Replay: ut_meta_replay.c. */
#include "utils/ut_meta_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utils/ut_crc32c.h"
#include "utils/ut_io.h"
#include "utils/ut_log.h"

/* Empties the buffer but for the chunk header's room. */
static void jr_clear(ut_meta *m)
{
    nw_buf_reset(&m->jbuf);
    nw_buf_push(&m->jbuf, JR_HDR);      /* never fails: the storage is there */
}

int jr_init(ut_meta *m)
{
    nw_buf_init(&m->jbuf);
    if (nw_buf_reserve(&m->jbuf, JR_BUF_INIT) != 0)
        return -1;
    jr_clear(m);
    return 0;
}

/* Room for n more bytes of records, or NULL (out of memory, logged). */
static unsigned char *jr_reserve(ut_meta *m, size_t n)
{
    unsigned char *p = nw_buf_push(&m->jbuf, n);
    if (!p)
        log_fatal("meta %s: out of memory, a journal record is lost", m->source);
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
void jr_strings(ut_meta *m, char type, const int64_t *minute, const char *const *str,
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

void jr_cell(ut_meta *m, const mt_rec *r)
{
    const char *str[2] = {r->names, r->names + r->wpos};
    jr_strings(m, 'C', &r->minute, str, 2);
}

/* Two numbers after a type byte: 'H' (header), 'N' (connections), 'X' (close). */
void jr_pair(ut_meta *m, char type, const void *a, const void *b)
{
    unsigned char *p = jr_reserve(m, 17);
    if (!p)
        return;
    *p++ = (unsigned char)type;
    p = jr_put(p, a, 8);
    jr_put(p, b, 8);
}

void jr_share(ut_meta *m, const mt_rec *r, double diff, double goal, bool accepted)
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
    if (nw_buf_len(&m->jbuf) >= JR_SYNC_AT)
        ut_meta_sync(m);
}

void jr_stale(ut_meta *m, const mt_rec *r)
{
    unsigned char *p = jr_reserve(m, 5);
    if (!p)
        return;
    *p++ = 'T';
    jr_put(p, &r->jid, 4);
    if (nw_buf_len(&m->jbuf) >= JR_SYNC_AT)
        ut_meta_sync(m);
}

/* 'K': minute, height, reward, then user, worker, hash as in 'B'. */
void jr_block_info(ut_meta *m, int64_t minute, int64_t height, int64_t reward,
                   const char *const str[3])
{
    size_t len = 1 + 24;
    for (int i = 0; i < 3; i++)
        len += 2 + jr_slen(str[i]);
    unsigned char *p = jr_reserve(m, len);
    if (!p)
        return;
    *p++ = 'K';
    p = jr_put(p, &minute, 8);
    p = jr_put(p, &height, 8);
    p = jr_put(p, &reward, 8);
    for (int i = 0; i < 3; i++)
        p = jr_put_str(p, str[i]);
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
    size_t n = nw_buf_len(&m->jbuf);
    unsigned char *buf = (unsigned char *)m->jbuf.data;
    if (!m->jon || n <= JR_HDR)
        return;
    if (m->jfd < 0 && jr_open(m) != 0) {
        jr_clear(m);               /* counted in memory still, just not crash-safe */
        return;
    }
    uint32_t len = (uint32_t)(n - JR_HDR);
    double t = mt_now(m);
    memcpy(buf, &len, 4);
    memcpy(buf + 8, &t, 8);
    uint32_t crc = ut_crc32c(0, buf + 8, n - 8);
    memcpy(buf + 4, &crc, 4);
    if (ut_write_all(m->jfd, buf, n) != 0) {
        if (!m->jerr)
            log_error("meta %s: cannot write journal %s: %s", m->source, m->jpath,
                      strerror(errno));
        m->jerr = true;
    }
    jr_clear(m);
}

/* Starts the journal of the next batch: its first record is the
 * connection state, which closing it will roll on from. */
void jr_begin(ut_meta *m)
{
    jr_clear(m);
    m->jerr = false;
    if (m->jon)
        jr_pair(m, 'H', &m->conn_value, &m->conn_next);
}

/* Closes the journal; removes it too unless keep (its data is not all
 * spooled yet: mt_release_journals removes it later). */
void jr_end(ut_meta *m, bool keep)
{
    if (m->jfd >= 0) {
        close(m->jfd);
        m->jfd = -1;
        if (!keep)
            unlink(m->jpath);
    }
    jr_clear(m);
}
