/* sa_series: chart series from Redis with a small cache (see sa_series.h). */
#include "statsapi/sa_series.h"
#include "statsapi/sa_redis.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_log.h"

#define SA_CACHE 64
#define SA_MINUTES 1440
#define SA_HOURS 720

typedef struct sa_cached {
    char key[2 * 256 + 8];
    int64_t built;
    char *text;
} sa_cached;

struct sa_series {
    const sa_config *cfg;
    redisContext *c;
    sa_cached cache[SA_CACHE];
};

sa_series *sa_series_new(const sa_config *cfg)
{
    sa_series *s = calloc(1, sizeof(*s));
    if (s)
        s->cfg = cfg;
    return s;
}

void sa_series_free(sa_series *s)
{
    if (!s)
        return;
    for (int i = 0; i < SA_CACHE; i++)
        free(s->cache[i].text);
    if (s->c)
        redisFree(s->c);
    free(s);
}

void sa_series_bucket(double *points, size_t n, int64_t start, int64_t step, int64_t minute,
                      double value)
{
    if (minute < start)
        return;
    int64_t i = (minute - start) / step;
    if (i < (int64_t)n)
        points[i] += value;
}

static int sa_series_connect(sa_series *s, char *err, size_t errlen)
{
    if (s->c && !s->c->err)
        return 0;
    if (s->c)
        redisFree(s->c);
    s->c = sa_redis_open(&s->cfg->redis, err, errlen);
    return s->c ? 0 : -1;
}

/* Reads one key's minutes into points (n of step seconds from start). */
static int sa_series_key(sa_series *s, const char *key, bool hourly, int64_t start,
                         double *points, size_t n)
{
    redisReply *rep;

    if (hourly) {
        rep = redisCommand(s->c, "HGETALL %s", key);
        if (!rep || rep->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(rep);
            return -1;
        }
        for (size_t i = 0; i + 1 < rep->elements; i += 2)
            sa_series_bucket(points, n, start, 3600, strtoll(rep->element[i]->str, NULL, 10),
                             strtod(rep->element[i + 1]->str, NULL));
        freeReplyObject(rep);
        return 0;
    }
    const char **argv = malloc((n + 2) * sizeof(*argv));
    size_t *argl = malloc((n + 2) * sizeof(*argl));
    char (*f)[24] = malloc(n * sizeof(*f));
    int rc = -1;
    if (argv && argl && f) {
        argv[0] = "HMGET";
        argl[0] = 5;
        argv[1] = key;
        argl[1] = strlen(key);
        for (size_t i = 0; i < n; i++) {
            argl[2 + i] = (size_t)snprintf(f[i], sizeof(f[i]), "%" PRId64,
                                           start + 60 * (int64_t)i);
            argv[2 + i] = f[i];
        }
        rep = redisCommandArgv(s->c, (int)(n + 2), argv, argl);
        if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == n) {
            for (size_t i = 0; i < n; i++)
                if (rep->element[i]->type == REDIS_REPLY_STRING)
                    points[i] += strtod(rep->element[i]->str, NULL);
            rc = 0;
        }
        freeReplyObject(rep);
    }
    free(argv);
    free(argl);
    free(f);
    return rc;
}

static json_t *sa_series_array(const double *v, size_t n, double scale)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, scale == 1 ? json_integer((json_int_t)v[i])
                                            : json_real(v[i] * scale));
    return a;
}

static char *sa_series_build(sa_series *s, const char *who, bool hourly, int64_t now,
                             char *err, size_t errlen)
{
    const char *coin = s->cfg->coin;
    size_t n = hourly ? SA_HOURS : SA_MINUTES;
    int64_t step = hourly ? 3600 : 60, last = now / step * step;
    int64_t start = last - step * (int64_t)(n - 1);
    double *v[4];
    char keys[4][600];
    char *text = NULL;

    if (!*who) {
        snprintf(keys[0], 600, "%s:m:pow", coin);
        snprintf(keys[1], 600, "%s:m:share", coin);
        snprintf(keys[2], 600, "%s:m:reject", coin);
        snprintf(keys[3], 600, "%s:m:stale", coin);
    } else {
        snprintf(keys[0], 600, "%s:p:%s", coin, who);
        snprintf(keys[1], 600, "%s:s:%s", coin, who);
        snprintf(keys[2], 600, "%s:s:%s:reject", coin, who);
        snprintf(keys[3], 600, "%s:st:%s", coin, who);
    }
    for (int k = 0; k < 4; k++)
        v[k] = calloc(n, sizeof(double));
    int rc = v[0] && v[1] && v[2] && v[3] ? 0 : -1;
    for (int k = 0; k < 4 && rc == 0; k++)
        rc = sa_series_key(s, keys[k], hourly, start, v[k], n);
    if (rc != 0)
        snprintf(err, errlen, "redis: %s", s->c && s->c->err ? s->c->errstr : "bad reply");
    if (rc == 0) {
        json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:o, s:o}",
                              "api_version", 1,
                              "who", who, "resolution", hourly ? "hour" : "minute", "step",
                              (json_int_t)step, "start", (json_int_t)start, "time",
                              (json_int_t)now, "hashrate",
                              sa_series_array(v[0], n, 4294967296.0 / (double)step),
                              "accepted", sa_series_array(v[1], n, 1), "rejected",
                              sa_series_array(v[2], n, 1), "stale",
                              sa_series_array(v[3], n, 1));
        text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
    }
    for (int k = 0; k < 4; k++)
        free(v[k]);
    return text;
}

char *sa_series_get(sa_series *s, const char *who, bool hourly, int64_t now, char *err,
                    size_t errlen)
{
    char key[sizeof(s->cache[0].key)];
    sa_cached *slot = &s->cache[0];

    snprintf(key, sizeof(key), "%c%s", hourly ? 'h' : 'm', who);
    for (int i = 0; i < SA_CACHE; i++) {
        sa_cached *c = &s->cache[i];
        if (c->text && strcmp(c->key, key) == 0) {
            if (now - c->built < SA_SERIES_TTL)
                return strdup(c->text);
            slot = c;
            break;
        }
        if (!c->text || c->built < slot->built)
            slot = c;
        if (!c->text)
            break;
    }
    if (sa_series_connect(s, err, errlen) != 0)
        return NULL;
    char *text = sa_series_build(s, who, hourly, now, err, errlen);
    if (!text)
        return NULL;
    free(slot->text);
    snprintf(slot->key, sizeof(slot->key), "%s", key);
    slot->built = now;
    slot->text = strdup(text);
    return text;
}
