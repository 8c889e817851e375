/* test_hfm_run: whole hfminer runs (hfm_run, real sockets on 127.0.0.1)
 * against a small Stratum pool written here, which checks every share on
 * its own (coinbase, merkle, header, sha256d, target) and counts its
 * verdicts. The summary hfminer prints must agree with the pool's counts:
 * load mode with version rolling, mining mode on threads, every kind of
 * deliberately invalid share, a pool that hangs up, client.reconnect,
 * clean jobs mid-run, hostile lines from the pool, and exit code 1 when
 * nothing listens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tools/hfminer/hfm_opts.h"
#include "tools/hfminer/hfm_run.h"
#include "utils/ut_hex.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"
#include "utils/ut_target.h"

#define FP_CLIENTS 8
#define FP_SEEN 8192

typedef struct fp_client {
    int fd;
    char buf[8192];
    size_t len;
    uint8_t en1[4];
    uint32_t mask;
    int shares;
    char workers[4][64];
    int n_workers;
} fp_client;

typedef struct fake_pool {
    int lfd;
    int port;
    pthread_t th;
    atomic_int stop;
    /* Behaviour. */
    double diff;
    int en2_size;
    bool hostile;           /* send junk lines before the first job */
    int close_after;        /* hang up after this many submits on a session */
    int reconnect_after;    /* client.reconnect after this many submits */
    int clean_every;        /* a new clean job after this many accepted shares */
    /* The current job; older job ids are stale. */
    int job_no;
    char job_id[16];
    uint8_t prev[32];
    uint8_t coinb1[40], coinb2[40];
    uint8_t branch[32];
    uint32_t version, nbits, ntime;
    /* Sessions and counts (read by the test after the thread ended). */
    fp_client cl[FP_CLIENTS];
    int connections;
    int submits;
    int accepted;
    int rejected[32];
    int rolled;             /* accepted shares with version bits set */
    int blocks;
    int get_version_replies;
    int unknown_method_errors;
    uint8_t seen[FP_SEEN][32];
    int n_seen;
} fake_pool;

static void fp_send(fp_client *c, const char *line)
{
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t n = write(c->fd, line + off, len - off);
        if (n <= 0)
            return;
        off += (size_t)n;
    }
}

static void fp_sendf(fp_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fp_sendf(fp_client *c, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fp_send(c, line);
}

static void fp_new_job(fake_pool *p)
{
    p->job_no++;
    snprintf(p->job_id, sizeof(p->job_id), "%08x", 0x5000 + p->job_no);
    for (int i = 0; i < 32; i++) {
        p->prev[i] = (uint8_t)(i * 7 + p->job_no);
        p->branch[i] = (uint8_t)(i * 13 + p->job_no);
    }
    for (int i = 0; i < 40; i++) {
        p->coinb1[i] = (uint8_t)(i + p->job_no);
        p->coinb2[i] = (uint8_t)(200 - i);
    }
    p->version = 0x20000000;
    p->nbits = 0x207fffff;
    p->ntime = 0x6740a1b2 + (uint32_t)p->job_no;
}

static void fp_notify(fake_pool *p, fp_client *c, bool clean)
{
    char prev[65], b1[81], b2[81], br[65];
    uint8_t tmp[32];
    memcpy(tmp, p->prev, 32);
    for (int w = 0; w < 8; w++)          /* notify form: words byte-swapped */
        ut_bytes_reverse(tmp + 4 * w, 4);
    ut_hex_encode(tmp, 32, prev);
    ut_hex_encode(p->coinb1, 40, b1);
    ut_hex_encode(p->coinb2, 40, b2);
    ut_hex_encode(p->branch, 32, br);
    fp_sendf(c, "{\"id\":null,\"method\":\"mining.notify\",\"params\":[\"%s\",\"%s\",\"%s\","
             "\"%s\",[\"%s\"],\"%08x\",\"%08x\",\"%08x\",%s]}\n", p->job_id, prev, b1, b2, br,
             p->version, p->nbits, p->ntime, clean ? "true" : "false");
}

static void fp_hostile(fp_client *c)
{
    fp_send(c, "this is not json\n");
    fp_send(c, "{\"id\":null,\"method\":\"mining.notify\",\"params\":[1,2]}\n");
    fp_send(c, "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[\"x\"]}\n");
    fp_send(c, "{\"id\":null,\"method\":\"mining.set_extranonce\",\"params\":[{}]}\n");
    fp_send(c, "{\"id\":4242,\"result\":true,\"error\":null}\n");
    fp_send(c, "{\"id\":null,\"result\":null,\"error\":[20,\"x\",null]}\n");
    fp_send(c, "{\"id\":null,\"method\":\"client.show_message\",\"params\":[5]}\n");
    fp_send(c, "{\"id\":null,\"method\":\"client.reconnect\",\"params\":[1,2,3]}\n");
    fp_send(c, "{\"id\":\"v1\",\"method\":\"client.get_version\",\"params\":[]}\n");
    fp_send(c, "{\"id\":77,\"method\":\"mining.bogus\",\"params\":[]}\n");
    fp_send(c, "[1,2,3]\n\n\r\n");
}

/* Checks one share as a pool would; returns 0 or the error code. */
static int fp_check(fake_pool *p, fp_client *c, json_t *params)
{
    size_t n = json_array_size(params);
    const char *worker = json_string_value(json_array_get(params, 0));
    const char *job = json_string_value(json_array_get(params, 1));
    const char *en2 = json_string_value(json_array_get(params, 2));
    const char *ntime = json_string_value(json_array_get(params, 3));
    const char *nonce = json_string_value(json_array_get(params, 4));
    if (n < 5 || n > 6 || !worker || !job || !en2 || !ntime || !nonce)
        return 20;
    bool authorized = false;
    for (int i = 0; i < c->n_workers; i++)
        authorized |= strcmp(c->workers[i], worker) == 0;
    if (!authorized)
        return 24;
    if (strcmp(job, p->job_id) != 0)
        return 21;
    uint8_t e2[16], be[4];
    if (strlen(en2) != 2 * (size_t)p->en2_size || ut_hex_decode(en2, e2, p->en2_size))
        return 20;
    if (strlen(ntime) != 8 || ut_hex_decode(ntime, be, 4))
        return 20;
    uint32_t nt = ut_be32_get(be);
    if (nt < p->ntime || nt > p->ntime + 7200)
        return 20;
    if (strlen(nonce) != 8 || ut_hex_decode(nonce, be, 4))
        return 20;
    uint32_t nn = ut_be32_get(be);
    uint32_t version = p->version;
    if (n == 6) {
        const char *vb = json_string_value(json_array_get(params, 5));
        if (!vb || strlen(vb) != 8 || ut_hex_decode(vb, be, 4))
            return 20;
        uint32_t bits = ut_be32_get(be);
        if (bits & ~c->mask)
            return 20;
        version = (version & ~c->mask) | bits;
    }
    uint8_t cb[40 + 4 + 16 + 40], pair[64], header[80], hash[32], target[32];
    memcpy(cb, p->coinb1, 40);
    memcpy(cb + 40, c->en1, 4);
    memcpy(cb + 44, e2, p->en2_size);
    memcpy(cb + 44 + p->en2_size, p->coinb2, 40);
    ut_sha256d(cb, 84 + p->en2_size, pair);
    memcpy(pair + 32, p->branch, 32);
    ut_le32_put(header, version);
    memcpy(header + 4, p->prev, 32);
    ut_sha256d(pair, 64, header + 36);
    ut_le32_put(header + 68, nt);
    ut_le32_put(header + 72, p->nbits);
    ut_le32_put(header + 76, nn);
    ut_sha256d(header, 80, hash);
    for (int i = 0; i < p->n_seen; i++)
        if (memcmp(p->seen[i], hash, 32) == 0)
            return 22;
    ut_target_from_diff(p->diff, target);
    if (!ut_hash_meets(hash, target))
        return 23;
    if (p->n_seen < FP_SEEN)
        memcpy(p->seen[p->n_seen++], hash, 32);
    p->rolled += version != p->version;
    ut_target_from_nbits(p->nbits, target);
    p->blocks += ut_hash_meets(hash, target);
    return 0;
}

static void fp_close(fp_client *c)
{
    close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void fp_submit(fake_pool *p, fp_client *c, json_t *id, json_t *params)
{
    int code = fp_check(p, c, params);
    json_int_t rid = json_integer_value(id);
    p->submits++;
    c->shares++;
    if (code == 0) {
        p->accepted++;
        fp_sendf(c, "{\"id\":%lld,\"result\":true,\"error\":null}\n", (long long)rid);
    } else {
        p->rejected[code]++;
        fp_sendf(c, "{\"id\":%lld,\"result\":null,\"error\":[%d,\"rejected\",null]}\n",
                 (long long)rid, code);
    }
    if (code == 0 && p->clean_every && p->accepted % p->clean_every == 0) {
        fp_new_job(p);
        for (int i = 0; i < FP_CLIENTS; i++)
            if (p->cl[i].fd >= 0)
                fp_notify(p, &p->cl[i], true);
    }
    if (p->reconnect_after && c->shares == p->reconnect_after)
        fp_send(c, "{\"id\":null,\"method\":\"client.reconnect\",\"params\":[]}\n");
    if (p->close_after && c->shares == p->close_after)
        fp_close(c);
}

static void fp_line(fake_pool *p, fp_client *c, const char *line)
{
    json_t *m = json_loads(line, 0, NULL);
    const char *method = json_string_value(json_object_get(m, "method"));
    json_t *id = json_object_get(m, "id");
    json_t *params = json_object_get(m, "params");
    long long rid = (long long)json_integer_value(id);
    if (!method) {
        /* The miner's answers to our calls. */
        if (json_is_string(id) && json_is_string(json_object_get(m, "result")))
            p->get_version_replies++;
        if (json_integer_value(id) == 77 && json_is_array(json_object_get(m, "error")))
            p->unknown_method_errors++;
    } else if (strcmp(method, "mining.configure") == 0) {
        const char *want = json_string_value(json_object_get(json_array_get(params, 1),
                                                             "version-rolling.mask"));
        uint8_t be[4] = {0};
        if (want && strlen(want) == 8)
            ut_hex_decode(want, be, 4);
        c->mask = ut_be32_get(be) & 0x1fffe000;
        fp_sendf(c, "{\"id\":%lld,\"result\":{\"version-rolling\":true,"
                 "\"version-rolling.mask\":\"%08x\"},\"error\":null}\n", rid, c->mask);
    } else if (strcmp(method, "mining.subscribe") == 0) {
        char en1[9];
        ut_hex_encode(c->en1, 4, en1);
        fp_sendf(c, "{\"id\":%lld,\"result\":[[[\"mining.notify\",\"%s\"]],\"%s\",%d],"
                 "\"error\":null}\n", rid, en1, en1, p->en2_size);
    } else if (strcmp(method, "mining.authorize") == 0) {
        const char *w = json_string_value(json_array_get(params, 0));
        if (w && c->n_workers < 4)
            snprintf(c->workers[c->n_workers++], 64, "%s", w);
        fp_sendf(c, "{\"id\":%lld,\"result\":true,\"error\":null}\n", rid);
        if (c->n_workers == 1) {
            if (p->hostile)
                fp_hostile(c);
            fp_sendf(c, "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[%.17g]}\n",
                     p->diff);
            fp_notify(p, c, true);
        }
    } else if (strcmp(method, "mining.submit") == 0) {
        fp_submit(p, c, id, params);
    }
    json_decref(m);
}

static void fp_read(fake_pool *p, fp_client *c)
{
    ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len - 1);
    if (n <= 0) {
        fp_close(c);
        return;
    }
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    char *start = c->buf, *nl;
    while (c->fd >= 0 && (nl = strchr(start, '\n')) != NULL) {
        *nl = '\0';
        fp_line(p, c, start);
        start = nl + 1;
    }
    if (c->fd < 0)
        return;
    c->len -= (size_t)(start - c->buf);
    memmove(c->buf, start, c->len);
}

static void fp_accept(fake_pool *p)
{
    int fd = accept(p->lfd, NULL, NULL);
    if (fd < 0)
        return;
    for (int i = 0; i < FP_CLIENTS; i++) {
        fp_client *c = &p->cl[i];
        if (c->fd >= 0)
            continue;
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        p->connections++;
        ut_be32_put(c->en1, 0xe0000000u + (uint32_t)p->connections);
        return;
    }
    close(fd);
}

static void *fp_main(void *arg)
{
    fake_pool *p = arg;
    while (!atomic_load(&p->stop)) {
        struct pollfd pfd[FP_CLIENTS + 1];
        int map[FP_CLIENTS + 1], n = 0;
        pfd[n] = (struct pollfd){.fd = p->lfd, .events = POLLIN};
        map[n++] = -1;
        for (int i = 0; i < FP_CLIENTS; i++) {
            if (p->cl[i].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = p->cl[i].fd, .events = POLLIN};
                map[n++] = i;
            }
        }
        if (poll(pfd, (nfds_t)n, 20) <= 0)
            continue;
        for (int k = 0; k < n; k++) {
            if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (map[k] < 0)
                fp_accept(p);
            else if (p->cl[map[k]].fd >= 0)
                fp_read(p, &p->cl[map[k]]);
        }
    }
    for (int i = 0; i < FP_CLIENTS; i++)
        if (p->cl[i].fd >= 0)
            fp_close(&p->cl[i]);
    return NULL;
}

static fake_pool *fp_start(double diff)
{
    fake_pool *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->diff = diff;
    p->en2_size = 4;
    for (int i = 0; i < FP_CLIENTS; i++)
        p->cl[i].fd = -1;
    fp_new_job(p);
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(p->lfd >= 0);
    int one = 1;
    setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(p->lfd, 16), 0);
    socklen_t sl = sizeof(sa);
    getsockname(p->lfd, (struct sockaddr *)&sa, &sl);
    p->port = ntohs(sa.sin_port);
    return p;
}

static void fp_run(fake_pool *p)
{
    assert_int_equal(pthread_create(&p->th, NULL, fp_main, p), 0);
}

static void fp_stop(fake_pool *p)
{
    atomic_store(&p->stop, 1);
    pthread_join(p->th, NULL);
    close(p->lfd);
}

/* Runs hfminer with the pool's URL plus args; returns the parsed summary. */
static json_t *run_miner(fake_pool *p, int *rc, const char **args)
{
    char url[64], err[256];
    char *argv[40];
    int argc = 0;
    snprintf(url, sizeof(url), "stratum+tcp://127.0.0.1:%d", p ? p->port : 1);
    argv[argc++] = "hfminer";
    argv[argc++] = "--url";
    argv[argc++] = url;
    argv[argc++] = "--quiet";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    hfm_opts o;
    if (hfm_opts_parse(&o, argc, argv, err, sizeof(err)))
        fail_msg("options: %s", err);
    char *summary = NULL;
    *rc = hfm_run(&o, &summary);
    assert_non_null(summary);
    json_t *j = json_loads(summary, 0, NULL);
    free(summary);
    assert_non_null(j);
    return j;
}

static long long jn(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static long long jrej(json_t *o, const char *code)
{
    return (long long)json_integer_value(json_object_get(json_object_get(o, "rejected"), code));
}

/* What hfminer counted must add up and match what the pool saw. */
static void check_books(json_t *s, fake_pool *p)
{
    assert_int_equal(jn(s, "accepted"), p->accepted);
    long long rej = 0;
    for (int code = 0; code < 32; code++) {
        char key[16];
        snprintf(key, sizeof(key), "%d", code);
        assert_int_equal(jrej(s, key), p->rejected[code]);
        rej += p->rejected[code];
    }
    assert_int_equal(jn(s, "rejected_total"), rej);
    assert_int_equal(jn(s, "submitted"), jn(s, "accepted") + rej + jn(s, "no_reply"));
    assert_true(jn(s, "submitted") >= p->submits);
}

static void test_load_rolling(void **state)
{
    fake_pool *p = fp_start(1e-6);
    fp_run(p);
    const char *args[] = {"--user", "u%u.w%w", "--users", "2", "--workers-per-user", "2",
                          "--connections", "2", "--version-rolling", "--shares", "301", NULL};
    int rc;
    json_t *s = run_miner(p, &rc, args);
    fp_stop(p);
    assert_int_equal(rc, 0);
    assert_int_equal(jn(s, "submitted"), 301);
    assert_int_equal(jn(s, "accepted"), 301);
    assert_int_equal(jn(s, "no_reply"), 0);
    assert_int_equal(p->accepted, 301);
    assert_int_equal(p->rolled, 301);          /* rolled bits from the first share */
    assert_int_equal(jn(s, "blocks_candidates"), p->blocks);
    check_books(s, p);
    /* 4 workers over 2 sessions, 151 + 150 submits, alternating. */
    json_t *pw = json_object_get(s, "per_worker");
    assert_int_equal(json_object_size(pw), 4);
    long long sum = 0;
    double diff = 0;
    const char *key;
    json_t *w;
    json_object_foreach(pw, key, w) {
        sum += jn(w, "accepted");
        diff += json_real_value(json_object_get(w, "diff_accepted"));
    }
    assert_int_equal(sum, 301);
    assert_true(diff > 301e-6 * 0.999999 && diff < 301e-6 * 1.000001);
    assert_int_equal(jn(json_object_get(pw, "u0.w0"), "accepted"), 76);
    assert_int_equal(jn(json_object_get(pw, "u1.w0"), "accepted"), 75);
    assert_int_equal(jn(json_object_get(pw, "u0.w1"), "accepted"), 75);
    assert_int_equal(jn(json_object_get(pw, "u1.w1"), "accepted"), 75);
    json_decref(s);
    free(p);
}

static void test_mining_threads(void **state)
{
    fake_pool *p = fp_start(1e-5);         /* ~43000 hashes per share */
    fp_run(p);
    const char *args[] = {"--user", "alice.rig1", "--threads", "2", "--shares", "12", NULL};
    int rc;
    json_t *s = run_miner(p, &rc, args);
    fp_stop(p);
    assert_int_equal(rc, 0);
    assert_int_equal(jn(s, "submitted"), 12);
    assert_int_equal(jn(s, "accepted"), 12);
    assert_int_equal(p->accepted, 12);
    assert_true(jn(s, "hashes") > 12 * 1000);
    check_books(s, p);
    json_decref(s);
    free(p);
}

static void run_invalid(const char *kind, const char *every, int shares, int want_ok,
                        int code, int want_bad, double diff)
{
    fake_pool *p = fp_start(diff);
    fp_run(p);
    char n[16];
    snprintf(n, sizeof(n), "%d", shares);
    const char *args[] = {"--user", "alice.rig1", "--connections", "1", "--version-rolling",
                          "--submit-invalid", kind, "--invalid-every", every, "--shares", n,
                          NULL};
    int rc;
    json_t *s = run_miner(p, &rc, args);
    fp_stop(p);
    assert_int_equal(rc, 0);
    assert_int_equal(jn(s, "submitted"), shares);
    if (jn(s, "accepted") != want_ok || p->rejected[code] != want_bad)
        fail_msg("%s: accepted %lld (want %d), code %d: %d (want %d)", kind,
                 jn(s, "accepted"), want_ok, code, p->rejected[code], want_bad);
    check_books(s, p);
    json_decref(s);
    free(p);
}

static void test_invalid_kinds(void **state)
{
    run_invalid("job", "1", 20, 0, 21, 20, 1e-6);
    run_invalid("duplicate", "1", 20, 10, 22, 10, 1e-6);
    run_invalid("duplicate", "3", 16, 12, 22, 4, 1e-6);
    run_invalid("lowdiff", "2", 20, 10, 23, 10, 1e-9);
    run_invalid("ntime", "1", 10, 0, 20, 10, 1e-6);
    run_invalid("en2len", "4", 20, 15, 20, 5, 1e-6);
    run_invalid("version", "1", 10, 0, 20, 10, 1e-6);
    run_invalid("worker", "2", 10, 5, 24, 5, 1e-6);
}

static void test_pool_hangs_up(void **state)
{
    fake_pool *p = fp_start(1e-7);
    p->close_after = 40;
    fp_run(p);
    const char *args[] = {"--user", "a.b", "--connections", "1", "--shares", "100",
                          "--reply-timeout", "2", "--pipeline", "4", NULL};
    int rc;
    json_t *s = run_miner(p, &rc, args);
    fp_stop(p);
    assert_int_equal(rc, 0);
    assert_int_equal(jn(s, "submitted"), 100);
    assert_true(p->connections >= 3);          /* 40 + 40 + 20 */
    assert_true(jn(s, "disconnects") >= 2);
    assert_true(jn(s, "connects") >= 3);
    check_books(s, p);
    json_decref(s);
    free(p);
}

static void test_client_reconnect_and_clean_jobs(void **state)
{
    fake_pool *p = fp_start(1e-7);
    p->reconnect_after = 30;
    p->clean_every = 7;
    p->hostile = true;
    fp_run(p);
    const char *args[] = {"--user", "a.b", "--connections", "1", "--shares", "200",
                          "--pipeline", "8", NULL};
    int rc;
    json_t *s = run_miner(p, &rc, args);
    fp_stop(p);
    assert_int_equal(rc, 0);
    assert_int_equal(jn(s, "submitted"), 200);
    assert_true(p->connections >= 2);
    assert_true(p->accepted >= 28);            /* jobs change every 7 accepted shares */
    assert_true(p->job_no > 4);
    assert_int_equal(p->get_version_replies, p->connections);
    assert_int_equal(p->unknown_method_errors, p->connections);
    check_books(s, p);
    json_decref(s);
    free(p);
}

static void test_nothing_listens(void **state)
{
    /* A port that was just free. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    char url[64];
    snprintf(url, sizeof(url), "stratum+tcp://127.0.0.1:%d", ntohs(sa.sin_port));
    char *argv[] = {"hfminer", "--url", url, "--user", "a", "--quiet", "--connect-timeout",
                    "0.3", "--shares", "5", NULL};
    hfm_opts o;
    char err[256];
    assert_int_equal(hfm_opts_parse(&o, 10, argv, err, sizeof(err)), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char *summary = NULL;
    assert_int_equal(hfm_run(&o, &summary), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(dt >= 0.25 && dt < 3);
    json_t *s = json_loads(summary, 0, NULL);
    free(summary);
    assert_int_equal(jn(s, "submitted"), 0);
    assert_int_equal(jn(s, "connects"), 0);
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_rolling),
        cmocka_unit_test(test_mining_threads),
        cmocka_unit_test(test_invalid_kinds),
        cmocka_unit_test(test_pool_hangs_up),
        cmocka_unit_test(test_client_reconnect_and_clean_jobs),
        cmocka_unit_test(test_nothing_listens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
