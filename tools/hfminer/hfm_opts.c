/* hfm_opts: hfminer's command line (see hfm_opts.h and docs/hfminer.md). */
#include "tools/hfminer/hfm_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tools/hfminer/hfm_stratum.h"

#define HFM_NAME_MAX 256
#define HFM_NAMES_MAX 1000000

enum {
    OPT_URL = 256, OPT_USER, OPT_PASSWORD, OPT_USERS, OPT_WORKERS, OPT_CONNECTIONS,
    OPT_LOAD, OPT_THREADS, OPT_RATE, OPT_SHARES, OPT_DURATION, OPT_JSON, OPT_QUIET,
    OPT_VR, OPT_INVALID, OPT_INVALID_EVERY, OPT_CONNECT_TIMEOUT, OPT_REPLY_TIMEOUT,
    OPT_PIPELINE, OPT_PROGRESS, OPT_AGENT, OPT_HELP,
};

static const struct option hfm_longopts[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"user", required_argument, NULL, OPT_USER},
    {"password", required_argument, NULL, OPT_PASSWORD},
    {"users", required_argument, NULL, OPT_USERS},
    {"workers-per-user", required_argument, NULL, OPT_WORKERS},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"load", no_argument, NULL, OPT_LOAD},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"shares", required_argument, NULL, OPT_SHARES},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"version-rolling", optional_argument, NULL, OPT_VR},
    {"submit-invalid", required_argument, NULL, OPT_INVALID},
    {"invalid-every", required_argument, NULL, OPT_INVALID_EVERY},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"reply-timeout", required_argument, NULL, OPT_REPLY_TIMEOUT},
    {"pipeline", required_argument, NULL, OPT_PIPELINE},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"agent", required_argument, NULL, OPT_AGENT},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char *hfm_invalid_names[] = {
    "none", "job", "duplicate", "lowdiff", "ntime", "en2len", "version", "worker",
};

const char *hfm_invalid_name(hfm_invalid_kind kind)
{
    if ((size_t)kind >= sizeof(hfm_invalid_names) / sizeof(hfm_invalid_names[0]))
        return "?";
    return hfm_invalid_names[kind];
}

void hfm_opts_usage(FILE *f)
{
    fputs("usage: hfminer --url stratum+tcp://HOST:PORT --user NAME [options]\n"
          "  --password P            mining.authorize password (default x)\n"
          "  --threads N             hashing threads in mining mode (default 1)\n"
          "  --version-rolling[=M]   ask for version rolling, mask M (default 1fffe000)\n"
          "  --load                  load-generator mode (implied by --connections)\n"
          "  --connections N         Stratum sessions in one process\n"
          "  --users U               users for a --user pattern (%u = 0..U-1)\n"
          "  --workers-per-user W    workers per user (%w = 0..W-1)\n"
          "  --rate R                submits per second in total (0 = no limit)\n"
          "  --pipeline N            submits in flight per connection (default 256)\n"
          "  --shares N              stop after N submits in total\n"
          "  --duration S            stop after S seconds\n"
          "  --submit-invalid KIND   job|duplicate|lowdiff|ntime|en2len|version|worker\n"
          "  --invalid-every K       make every K-th share invalid (default 1)\n"
          "  --connect-timeout S     exit 1 when no session is ready after S s (default 10)\n"
          "  --reply-timeout S       a submit without reply after S s is lost (default 10)\n"
          "  --progress S            seconds between progress lines (default 5)\n"
          "  --json                  print a JSON summary on stdout at exit\n"
          "  --quiet                 no progress lines, only errors on stderr\n"
          "  --agent S               mining.subscribe user agent\n", f);
}

static int hfm_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int hfm_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int hfm_num(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno || !isfinite(v) || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int hfm_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int hfm_make_addr(const char *host, int port, char *out, size_t cap)
{
    unsigned char tmp[16];
    int n;
    if (strcmp(host, "localhost") == 0)
        host = "127.0.0.1";
    if (port < 1 || port > 65535)
        return -1;
    if (inet_pton(AF_INET, host, tmp) == 1)
        n = snprintf(out, cap, "tcp@%s:%d", host, port);
    else if (inet_pton(AF_INET6, host, tmp) == 1)
        n = snprintf(out, cap, "tcp@[%s]:%d", host, port);
    else
        return -1;
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* stratum+tcp://HOST:PORT, tcp://HOST:PORT or HOST:PORT ([v6]:PORT). */
static int hfm_parse_url(hfm_opts *o, const char *url)
{
    const char *p = url;
    if (strncmp(p, "stratum+tcp://", 14) == 0)
        p += 14;
    else if (strncmp(p, "tcp://", 6) == 0)
        p += 6;
    const char *colon;
    const char *hstart = p;
    size_t hlen;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (!close || close[1] != ':')
            return -1;
        hstart = p + 1;
        hlen = (size_t)(close - hstart);
        colon = close + 1;
    } else {
        colon = strrchr(p, ':');
        if (!colon)
            return -1;
        hlen = (size_t)(colon - p);
    }
    uint64_t port;
    if (hlen == 0 || hlen >= sizeof(o->host) || hfm_uint(colon + 1, 1, 65535, &port))
        return -1;
    memcpy(o->host, hstart, hlen);
    o->host[hlen] = '\0';
    if (strchr(o->host, '/'))
        return -1;
    o->port = (int)port;
    return hfm_make_addr(o->host, o->port, o->addr, sizeof(o->addr));
}

static int hfm_parse_invalid(hfm_opts *o, const char *s)
{
    for (size_t i = 1; i < sizeof(hfm_invalid_names) / sizeof(hfm_invalid_names[0]); i++) {
        if (strcmp(s, hfm_invalid_names[i]) == 0) {
            o->invalid = (hfm_invalid_kind)i;
            return 0;
        }
    }
    return -1;
}

/* --version-rolling, --version-rolling=MASK or --version-rolling MASK. */
static int hfm_parse_vr(hfm_opts *o, int argc, char **argv)
{
    const char *m = optarg;
    if (!m && optind < argc && hfm_parse_u32_hex(argv[optind], &o->vr_mask) == 0) {
        optind++;
        return 0;
    }
    if (m && strncmp(m, "0x", 2) == 0)
        m += 2;
    if (m && hfm_parse_u32_hex(m, &o->vr_mask))
        return -1;
    return o->vr_mask ? 0 : -1;
}

static void hfm_opts_defaults(hfm_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->password = "x";
    o->users = 1;
    o->workers_per_user = 1;
    o->connections = 1;
    o->threads = 1;
    o->vr_mask = 0x1fffe000;
    o->invalid_every = 1;
    o->connect_timeout = 10;
    o->reply_timeout = 10;
    o->pipeline = 256;
    o->progress = 5;
    o->agent = "hfminer/0.1";
}

static int hfm_opts_one(hfm_opts *o, int c, int argc, char **argv, char *err, size_t errlen)
{
    uint64_t u;
    const char *a = optarg;
    switch (c) {
    case OPT_URL:
        if (hfm_parse_url(o, a))
            return hfm_fail(err, errlen, "--url: expected stratum+tcp://HOST:PORT with a "
                            "numeric HOST, got '%s'", a);
        return 0;
    case OPT_USER:
        if (*a == '\0' || strlen(a) >= HFM_NAME_MAX)
            return hfm_fail(err, errlen, "--user: expected a name of 1..%d characters",
                            HFM_NAME_MAX - 1);
        o->user = a;
        return 0;
    case OPT_PASSWORD:
        o->password = a;
        return 0;
    case OPT_USERS:
        if (hfm_uint(a, 1, 1000000, &u))
            return hfm_fail(err, errlen, "--users: expected 1..1000000, got '%s'", a);
        o->users = (unsigned)u;
        return 0;
    case OPT_WORKERS:
        if (hfm_uint(a, 1, 1000000, &u))
            return hfm_fail(err, errlen, "--workers-per-user: expected 1..1000000, got '%s'", a);
        o->workers_per_user = (unsigned)u;
        return 0;
    case OPT_CONNECTIONS:
        if (hfm_uint(a, 1, 100000, &u))
            return hfm_fail(err, errlen, "--connections: expected 1..100000, got '%s'", a);
        o->connections = (unsigned)u;
        o->load = true;
        return 0;
    case OPT_LOAD:
        o->load = true;
        return 0;
    case OPT_THREADS:
        if (hfm_uint(a, 1, 256, &u))
            return hfm_fail(err, errlen, "--threads: expected 1..256, got '%s'", a);
        o->threads = (unsigned)u;
        return 0;
    case OPT_RATE:
        if (hfm_num(a, 0, 1e9, &o->rate))
            return hfm_fail(err, errlen, "--rate: expected a number >= 0, got '%s'", a);
        return 0;
    case OPT_SHARES:
        if (hfm_uint(a, 1, UINT64_MAX / 2, &o->shares))
            return hfm_fail(err, errlen, "--shares: expected a count >= 1, got '%s'", a);
        return 0;
    case OPT_DURATION:
        if (hfm_num(a, 0.001, 1e7, &o->duration))
            return hfm_fail(err, errlen, "--duration: expected seconds > 0, got '%s'", a);
        return 0;
    case OPT_JSON:
        o->json = true;
        return 0;
    case OPT_QUIET:
        o->quiet = true;
        return 0;
    case OPT_VR:
        o->version_rolling = true;
        if (hfm_parse_vr(o, argc, argv))
            return hfm_fail(err, errlen, "--version-rolling: expected a non-zero 8-digit hex "
                            "mask, got '%s'", a ? a : "");
        return 0;
    case OPT_INVALID:
        if (hfm_parse_invalid(o, a))
            return hfm_fail(err, errlen, "--submit-invalid: expected job, duplicate, lowdiff, "
                            "ntime, en2len, version or worker, got '%s'", a);
        o->load = true;
        return 0;
    case OPT_INVALID_EVERY:
        if (hfm_uint(a, 1, 1000000000, &u))
            return hfm_fail(err, errlen, "--invalid-every: expected a count >= 1, got '%s'", a);
        o->invalid_every = (unsigned)u;
        return 0;
    case OPT_CONNECT_TIMEOUT:
        if (hfm_num(a, 0.01, 1e6, &o->connect_timeout))
            return hfm_fail(err, errlen, "--connect-timeout: expected seconds > 0, got '%s'", a);
        return 0;
    case OPT_REPLY_TIMEOUT:
        if (hfm_num(a, 0.01, 1e6, &o->reply_timeout))
            return hfm_fail(err, errlen, "--reply-timeout: expected seconds > 0, got '%s'", a);
        return 0;
    case OPT_PIPELINE:
        if (hfm_uint(a, 1, 65536, &u))
            return hfm_fail(err, errlen, "--pipeline: expected 1..65536, got '%s'", a);
        o->pipeline = (unsigned)u;
        return 0;
    case OPT_PROGRESS:
        if (hfm_num(a, 0.1, 1e6, &o->progress))
            return hfm_fail(err, errlen, "--progress: expected seconds >= 0.1, got '%s'", a);
        return 0;
    case OPT_AGENT:
        o->agent = a;
        return 0;
    case OPT_HELP:
        o->help = true;
        return 0;
    default:
        return hfm_fail(err, errlen, "unknown option");
    }
}

/* The flag getopt stopped at, for messages. */
static const char *hfm_bad_flag(int argc, char **argv)
{
    int i = optind - 1;
    return i > 0 && i < argc ? argv[i] : "?";
}

int hfm_opts_parse(hfm_opts *o, int argc, char **argv, char *err, size_t errlen)
{
    hfm_opts_defaults(o);
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", hfm_longopts, NULL)) != -1) {
        if (c == '?' || c == ':')
            return hfm_fail(err, errlen, "%s: unknown option or missing value",
                            hfm_bad_flag(argc, argv));
        if (hfm_opts_one(o, c, argc, argv, err, errlen))
            return -1;
    }
    if (o->help)
        return 0;
    if (optind < argc)
        return hfm_fail(err, errlen, "%s: unexpected argument", argv[optind]);
    if (!o->addr[0])
        return hfm_fail(err, errlen, "--url: required");
    if (!o->user)
        return hfm_fail(err, errlen, "--user: required");
    if ((uint64_t)o->users * o->workers_per_user > HFM_NAMES_MAX)
        return hfm_fail(err, errlen, "--users: users x workers-per-user above %d",
                        HFM_NAMES_MAX);
    char probe[HFM_NAME_MAX];
    if (hfm_opts_expand(o->user, o->users - 1, o->workers_per_user - 1, probe, sizeof(probe)))
        return hfm_fail(err, errlen, "--user: pattern expands to a name that is too long");
    return 0;
}

int hfm_opts_expand(const char *pattern, unsigned user, unsigned worker, char *out,
                    size_t cap)
{
    size_t n = 0;
    for (const char *p = pattern; *p; p++) {
        char num[16];
        const char *piece = num;
        if (p[0] == '%' && p[1] == 'u') {
            snprintf(num, sizeof(num), "%u", user);
            p++;
        } else if (p[0] == '%' && p[1] == 'w') {
            snprintf(num, sizeof(num), "%u", worker);
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            piece = "%";
            p++;
        } else {
            num[0] = *p;
            num[1] = '\0';
        }
        size_t len = strlen(piece);
        if (n + len + 1 > cap)
            return -1;
        memcpy(out + n, piece, len);
        n += len;
    }
    if (cap == 0)
        return -1;
    out[n] = '\0';
    return 0;
}

void hfm_opts_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

static bool hfm_name_seen(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

char **hfm_opts_names(const hfm_opts *o, size_t *n)
{
    size_t total = (size_t)o->users * o->workers_per_user;
    bool patterned = (o->users == 1 || strstr(o->user, "%u")) &&
                     (o->workers_per_user == 1 || strstr(o->user, "%w"));
    char **names = calloc(total ? total : 1, sizeof(*names));
    size_t count = 0;
    if (!names)
        return NULL;
    for (unsigned u = 0; u < o->users; u++) {
        for (unsigned w = 0; w < o->workers_per_user; w++) {
            char name[HFM_NAME_MAX];
            if (hfm_opts_expand(o->user, u, w, name, sizeof(name)))
                goto fail;
            /* Names can only repeat when the pattern lacks %u or %w. */
            if (!patterned && hfm_name_seen(names, count, name))
                continue;
            names[count] = strdup(name);
            if (!names[count])
                goto fail;
            count++;
        }
    }
    *n = count;
    return names;
fail:
    hfm_opts_names_free(names, count);
    return NULL;
}
