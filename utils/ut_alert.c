/* ut_alert: the ERROR/FATAL alert sender every module installs, its config
 * section, and the datagram's format and parser (see ut_alert.h). */
#include "utils/ut_alert.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "network/nw_addr.h"
#include "utils/ut_cfg_listen.h"

static const char *ut_alert_levels[] = {"DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL"};

const char *ut_alert_level_name(ut_log_level level)
{
    return (unsigned)level <= UT_LOG_FATAL ? ut_alert_levels[level] : "ERROR";
}

int ut_alert_level_parse(const char *name, ut_log_level *out)
{
    for (int i = 0; i <= UT_LOG_FATAL; i++) {
        if (strcmp(name, ut_alert_levels[i]) == 0) {
            *out = (ut_log_level)i;
            return 0;
        }
    }
    return -1;
}

/* ---- config ---------------------------------------------------------- */

int ut_cfg_alert(ut_cfg *c, ut_alert_cfg *out)
{
    json_t *sec = ut_cfg_object(c, c->root, "alert", false);
    nw_addr a;

    memset(out, 0, sizeof(*out));
    out->rate = 20;
    out->burst = 100;
    out->report = 60;
    if (!sec)
        return c->err[0] ? -1 : 0;
    if (ut_cfg_str_list(c, sec, "addr", &out->addr, true,
                        "an array of addresses \"udp@HOST:PORT\"") != 0 ||
        ut_cfg_double(c, sec, "rate", &out->rate, 0.01, 1e6, false) < 0 ||
        ut_cfg_double(c, sec, "burst", &out->burst, 1, 1e6, false) < 0 ||
        ut_cfg_double(c, sec, "report", &out->report, 0, 86400, false) < 0)
        return -1;
    for (out->n = 0; out->addr && out->addr[out->n]; out->n++) {
        if (nw_addr_parse(&a, out->addr[out->n]) != 0 || a.proto != NW_UDP)
            return ut_cfg_fail_in(c, sec, "addr", "item %zu: expected an address like "
                                  "\"udp@127.0.0.1:7700\", got '%s'", out->n,
                                  out->addr[out->n]);
    }
    if (out->n > UT_ALERT_MAX_DST)
        return ut_cfg_fail_in(c, sec, "addr", "at most %d alertcenters", UT_ALERT_MAX_DST);
    return 0;
}

void ut_alert_cfg_free(ut_alert_cfg *cfg)
{
    ut_cfg_host_list_free(cfg->addr);
    memset(cfg, 0, sizeof(*cfg));
}

/* ---- format and parse -------------------------------------------------- */

/* Appends s JSON-escaped to buf[*len..cap) as long as a whole escape fits
 * in room bytes; returns false when s was cut. Bytes >= 0x80 become '?':
 * a log line may carry any bytes a peer sent, and the datagram must stay
 * valid UTF-8 for the parser. */
static bool ut_alert_escape(char *buf, size_t *len, size_t room, const char *s)
{
    size_t end = *len + room;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        char tmp[8];
        size_t n;
        if (ch == '"' || ch == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)ch;
            n = 2;
        } else if (ch < 0x20) {
            n = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", ch);
        } else {
            tmp[0] = ch >= 0x80 ? '?' : (char)ch;
            n = 1;
        }
        if (*len + n > end)
            return false;
        memcpy(buf + *len, tmp, n);
        *len += n;
    }
    return true;
}

size_t ut_alert_format(char *buf, size_t cap, const ut_alert_rec *rec)
{
    size_t len = 0, limit = cap < UT_ALERT_DGRAM_MAX ? cap : UT_ALERT_DGRAM_MAX;
    int n;

    memcpy(buf, "{\"v\":1,\"module\":\"", 17);
    len = 17;
    ut_alert_escape(buf, &len, 64, rec->module);
    memcpy(buf + len, "\",\"host\":\"", 10);
    len += 10;
    ut_alert_escape(buf, &len, 128, rec->host);
    n = snprintf(buf + len, limit - len, "\",\"pid\":%ld,\"level\":\"%s\",\"time\":%.3f,"
                 "\"key\":\"", rec->pid, ut_alert_level_name(rec->level), rec->time);
    len += (size_t)n;
    ut_alert_escape(buf, &len, 256, rec->key);
    n = snprintf(buf + len, limit - len, "\",\"dropped\":%llu,\"line\":\"",
                 (unsigned long long)rec->dropped);
    len += (size_t)n;
    /* The rest is the line's: room for the closing "} and a "..." mark. */
    if (!ut_alert_escape(buf, &len, limit - len - 6, rec->line)) {
        memcpy(buf + len, "...", 3);
        len += 3;
    }
    memcpy(buf + len, "\"}", 3);
    return len + 2;
}

static int ut_alert_str(json_t *o, const char *name, char *out, size_t cap, bool required,
                        char *err, size_t errlen)
{
    json_t *v = json_object_get(o, name);

    if (!v && !required) {
        out[0] = '\0';
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(err, errlen, "\"%s\": expected a string shorter than %zu bytes", name, cap);
        return -1;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Names (module, host, key) are printable ASCII that needs no escaping:
 * they go into mail subjects and Redis keys as they are. */
static bool ut_alert_ident(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f || *s == '"' || *s == '\\')
            return false;
    return true;
}

static int ut_alert_fields(json_t *o, ut_alert_rec *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, "v"), *pid = json_object_get(o, "pid");
    json_t *t = json_object_get(o, "time"), *d = json_object_get(o, "dropped");
    char level[16];

    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return snprintf(err, errlen, "\"v\": expected 1"), -1;
    if (ut_alert_str(o, "module", out->module, sizeof(out->module), true, err, errlen) ||
        ut_alert_str(o, "host", out->host, sizeof(out->host), true, err, errlen) ||
        ut_alert_str(o, "key", out->key, sizeof(out->key), true, err, errlen) ||
        ut_alert_str(o, "line", out->line, sizeof(out->line), true, err, errlen) ||
        ut_alert_str(o, "level", level, sizeof(level), true, err, errlen))
        return -1;
    if (!out->module[0] || !out->key[0])
        return snprintf(err, errlen, "\"module\" and \"key\" must not be empty"), -1;
    if (!ut_alert_ident(out->module) || !ut_alert_ident(out->host) || !ut_alert_ident(out->key))
        return snprintf(err, errlen, "\"module\", \"host\" and \"key\" must be printable "
                        "ASCII without quotes or backslashes"), -1;
    if (ut_alert_level_parse(level, &out->level) != 0)
        return snprintf(err, errlen, "\"level\": unknown level"), -1;
    if (!json_is_integer(pid) || json_integer_value(pid) < 0 ||
        json_integer_value(pid) > 0x7fffffff)
        return snprintf(err, errlen, "\"pid\": expected an integer 0..2^31-1"), -1;
    out->pid = (long)json_integer_value(pid);
    out->time = json_is_number(t) ? json_number_value(t) : -1;
    if (!isfinite(out->time) || out->time <= 0 || out->time > 1e11)
        return snprintf(err, errlen, "\"time\": expected unix seconds"), -1;
    if (d && (!json_is_integer(d) || json_integer_value(d) < 0))
        return snprintf(err, errlen, "\"dropped\": expected a count"), -1;
    out->dropped = d ? (uint64_t)json_integer_value(d) : 0;
    return 0;
}

int ut_alert_parse(const char *data, size_t len, ut_alert_rec *out, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *o;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len > UT_ALERT_DGRAM_MAX) {
        snprintf(err, errlen, "datagram of %zu bytes, more than %d", len, UT_ALERT_DGRAM_MAX);
        return -1;
    }
    o = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "not a JSON object: %s", o ? "other type" : jerr.text);
        json_decref(o);
        return -1;
    }
    rc = ut_alert_fields(o, out, err, errlen);
    json_decref(o);
    return rc;
}

/* ---- the sender -------------------------------------------------------- */

typedef struct ut_alert_state {
    pthread_mutex_t lock;
    int fd;
    nw_addr dst[UT_ALERT_MAX_DST];
    size_t ndst;
    char module[32];
    char host[64];
    double rate, burst, tokens, last;
    double report, last_report;    /* the counter line: period, when last said */
    unsigned long long said[3];    /* sent, limited, failed when last said */
    unsigned long long unsent;     /* left out since the last datagram */
    _Atomic unsigned long long sent, limited, failed;
} ut_alert_state;

static ut_alert_state ut_alert_g = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

static double ut_alert_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void ut_alert_hook(ut_log_level level, const char *file, int line, const char *text,
                          void *arg)
{
    ut_alert_send(level, file, line, text);
}

int ut_alert_start(const char *module, const ut_alert_cfg *cfg)
{
    ut_alert_state *st = &ut_alert_g;
    int fd, off = 0;
    bool v6 = true;

    if (!cfg || cfg->n == 0)
        return 0;
    /* One IPv6 socket reaches IPv4 (mapped) and IPv6 alertcenters; a host
     * without IPv6 gets an IPv4 socket (IPv6 alertcenters then fail). */
    fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    else if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) >= 0)
        v6 = false;
    if (fd < 0) {
        log_error("alert: cannot open a UDP socket: %m");
        return -1;
    }
    ut_alert_stop();
    pthread_mutex_lock(&st->lock);
    st->fd = fd;
    st->ndst = 0;
    for (size_t i = 0; i < cfg->n && st->ndst < UT_ALERT_MAX_DST; i++) {
        nw_addr a;
        if (nw_addr_parse(&a, cfg->addr[i]) != 0)
            continue;
        if (v6 && a.u.sa.sa_family == AF_INET) {     /* as an IPv4-mapped IPv6 address */
            struct sockaddr_in6 m = {.sin6_family = AF_INET6, .sin6_port = a.u.in4.sin_port};
            m.sin6_addr.s6_addr[10] = 0xff;
            m.sin6_addr.s6_addr[11] = 0xff;
            memcpy(&m.sin6_addr.s6_addr[12], &a.u.in4.sin_addr, 4);
            a.u.in6 = m;
            a.len = sizeof(m);
        }
        st->dst[st->ndst++] = a;
    }
    snprintf(st->module, sizeof(st->module), "%s", module);
    if (gethostname(st->host, sizeof(st->host)) != 0)
        snprintf(st->host, sizeof(st->host), "unknown");
    st->host[sizeof(st->host) - 1] = '\0';
    st->rate = cfg->rate > 0 ? cfg->rate : 20;
    st->burst = cfg->burst >= 1 ? cfg->burst : 100;
    st->tokens = st->burst;
    st->last = ut_alert_mono();
    st->report = cfg->report >= 0 ? cfg->report : 60;
    st->last_report = st->last;
    st->unsent = 0;
    pthread_mutex_unlock(&st->lock);
    ut_log_set_alert_hook(ut_alert_hook, NULL);
    log_info("alert: %s sends ERROR/FATAL alerts to %zu alertcenter(s), first %s, "
             "at most %g/s (burst %g)", module, st->ndst, cfg->addr[0], st->rate, st->burst);
    return 0;
}

void ut_alert_stop(void)
{
    ut_alert_state *st = &ut_alert_g;

    ut_log_set_alert_hook(NULL, NULL);
    pthread_mutex_lock(&st->lock);
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
    st->ndst = 0;
    pthread_mutex_unlock(&st->lock);
}

/* Token bucket; lock held. */
static bool ut_alert_take(ut_alert_state *st)
{
    double now = ut_alert_mono();

    st->tokens += (now - st->last) * st->rate;
    st->last = now;
    if (st->tokens > st->burst)
        st->tokens = st->burst;
    if (st->tokens < 1) {
        st->unsent++;
        atomic_fetch_add(&st->limited, 1);
        return false;
    }
    st->tokens -= 1;
    return true;
}

/* The counters, when report seconds passed since they were last said and
 * they moved; lock held. Fills out[] and returns true when it is time. */
static bool ut_alert_due(ut_alert_state *st, unsigned long long out[6])
{
    double now = ut_alert_mono();
    unsigned long long cur[3] = {atomic_load(&st->sent), atomic_load(&st->limited),
                                 atomic_load(&st->failed)};

    if (st->report <= 0 || now - st->last_report < st->report ||
        (cur[0] == st->said[0] && cur[1] == st->said[1] && cur[2] == st->said[2]))
        return false;
    for (int i = 0; i < 3; i++) {
        out[i] = cur[i];
        out[3 + i] = cur[i] - st->said[i];
        st->said[i] = cur[i];
    }
    st->last_report = now;
    return true;
}

/* Said after the lock is released: a NOTICE never comes back to the hook. */
static void ut_alert_report(const char *module, const unsigned long long c[6])
{
    log_notice("alert: %s pid %ld: %llu alert(s) sent, %llu over the rate (not sent), %llu "
               "send error(s) since start; %llu, %llu, %llu since the last such line",
               module, (long)getpid(), c[0], c[1], c[2], c[3], c[4], c[5]);
}

bool ut_alert_send(ut_log_level level, const char *file, int line, const char *text)
{
    ut_alert_state *st = &ut_alert_g;
    static _Thread_local ut_alert_rec rec;     /* 1.7 KB: off the caller's stack */
    char buf[UT_ALERT_DGRAM_MAX + 8];
    const char *base = file ? strrchr(file, '/') : NULL;
    struct timespec ts;
    bool ok = false;

    unsigned long long counts[6];
    char module[sizeof(st->module)];
    bool due;

    pthread_mutex_lock(&st->lock);
    if (st->fd < 0) {
        pthread_mutex_unlock(&st->lock);
        return false;
    }
    if (!ut_alert_take(st)) {
        due = ut_alert_due(st, counts);
        memcpy(module, st->module, sizeof(module));
        pthread_mutex_unlock(&st->lock);
        if (due)
            ut_alert_report(module, counts);
        return false;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    memcpy(rec.module, st->module, sizeof(rec.module));
    memcpy(rec.host, st->host, sizeof(rec.host));
    rec.pid = (long)getpid();
    rec.level = level;
    rec.time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    snprintf(rec.key, sizeof(rec.key), "%s:%d", base ? base + 1 : file ? file : "?", line);
    rec.dropped = st->unsent;
    snprintf(rec.line, sizeof(rec.line), "%s", text ? text : "");
    size_t len = ut_alert_format(buf, sizeof(buf), &rec);
    for (size_t i = 0; i < st->ndst; i++) {
        if (sendto(st->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, &st->dst[i].u.sa,
                   st->dst[i].len) == (ssize_t)len)
            ok = true;
        else
            atomic_fetch_add(&st->failed, 1);
    }
    if (ok) {
        st->unsent = 0;
        atomic_fetch_add(&st->sent, 1);
    } else {
        st->unsent++;
    }
    due = ut_alert_due(st, counts);
    memcpy(module, st->module, sizeof(module));
    pthread_mutex_unlock(&st->lock);
    if (due)
        ut_alert_report(module, counts);
    return ok;
}

void ut_alert_stats_get(ut_alert_stats *out)
{
    out->sent = atomic_load(&ut_alert_g.sent);
    out->limited = atomic_load(&ut_alert_g.limited);
    out->failed = atomic_load(&ut_alert_g.failed);
}
