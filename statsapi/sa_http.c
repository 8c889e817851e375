/* sa_http: the API, the dashboard's files, /status and /metrics (see
 * sa_http.h). */
#include "statsapi/sa_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utils/ut_log.h"
#include "utils/ut_metrics.h"
#include "utils/ut_version.h"

#define SA_FILE_MAX (4 * 1024 * 1024)

struct sa_http {
    const sa_config *cfg;
    sa_store *st;
    ut_status *status;
    sa_series *series;
    char *pool_text;              /* the cached pool answer */
    int64_t pool_at;              /* the second it was built in */
    uint64_t pool_gen;            /* the refresh it was built from */
    uint64_t requests, not_found;
};

static int sa_hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int sa_url_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int hi = sa_hex(in[i + 1]);
            int lo = sa_hex(in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c == 0 || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* The whole file, malloc'd (NUL after len bytes), or NULL. */
static char *sa_read_file(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t n = 0;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        if (sz >= 0 && (size_t)sz <= max && fseek(f, 0, SEEK_SET) == 0 &&
            (data = malloc((size_t)sz + 1)) != NULL) {
            n = fread(data, 1, (size_t)sz, f);
            data[n] = '\0';
        }
    }
    fclose(f);
    *len = n;
    return data;
}

static int64_t sa_time(void)
{
    return (int64_t)time(NULL);
}

/* The fields every API answer has. */
static void sa_envelope(const sa_http *h, json_t *o, int64_t now)
{
    json_object_set_new(o, "api_version", json_integer(1));
    json_object_set_new(o, "coin", json_string(h->cfg->coin));
    json_object_set_new(o, "time", json_integer((json_int_t)now));
    json_object_set_new(o, "updated", h->st->updated ? json_integer((json_int_t)h->st->updated)
                                                     : json_null());
    json_object_set_new(o, "loading", json_boolean(h->st->loading));
    json_object_set_new(o, "history_loading", json_boolean(h->st->history_loading));
    json_object_set_new(o, "alive_minutes", json_integer((json_int_t)h->cfg->alive_minutes));
}

static void sa_json_text(ut_http_resp *resp, int status, char *text)
{
    free(resp->body);
    resp->status = status;
    resp->content_type = "application/json";
    resp->body = text;
    resp->body_len = text ? strlen(text) : 0;
}

static void sa_error(ut_http_resp *resp, int status, const char *msg)
{
    json_t *o = json_pack("{s:i, s:s}", "api_version", 1, "error", msg);
    ut_http_resp_json(resp, status, o);
}

static void sa_pool(sa_http *h, ut_http_resp *resp)
{
    int64_t now = sa_time();

    pthread_rwlock_rdlock(&h->st->lock);
    if (!h->pool_text || h->pool_at != now || h->pool_gen != h->st->refreshes) {
        json_t *o = sa_pool_json(h->st, now, h->cfg->alive_minutes * 60, h->cfg->stratum_url);
        sa_envelope(h, o, now);
        free(h->pool_text);
        h->pool_text = json_dumps(o, JSON_COMPACT);
        h->pool_at = now;
        h->pool_gen = h->st->refreshes;
        json_decref(o);
    }
    pthread_rwlock_unlock(&h->st->lock);
    if (!h->pool_text)
        sa_error(resp, 500, "out of memory");
    else
        sa_json_text(resp, 200, strdup(h->pool_text));
}

/* /api/v1/users/<user>[/workers/<worker>] */
static void sa_user_page(sa_http *h, const char *rest, ut_http_resp *resp)
{
    char user[SA_MAX_NAME + 1], worker[SA_MAX_NAME + 1];
    const char *slash = strchr(rest, '/');
    size_t ul = slash ? (size_t)(slash - rest) : strlen(rest);
    bool one = slash && strncmp(slash, "/workers/", 9) == 0;
    int64_t now = sa_time();

    if (sa_url_decode(rest, ul, user, sizeof(user)) != 0 || !user[0] ||
        (slash && !one) ||
        (one && sa_url_decode(slash + 9, strlen(slash + 9), worker, sizeof(worker)) != 0)) {
        sa_error(resp, 400, "bad user or worker name");
        return;
    }
    pthread_rwlock_rdlock(&h->st->lock);
    const sa_user *u = sa_store_find_user(h->st, user);
    json_t *o = u ? sa_user_json(h->st, u, now, h->cfg->alive_minutes * 60, h->cfg->stratum_url)
                  : NULL;
    pthread_rwlock_unlock(&h->st->lock);
    if (!u) {
        sa_error(resp, 404, "unknown user");
        return;
    }
    if (one) {
        json_t *found = NULL, *w;
        size_t i;
        json_array_foreach(json_object_get(o, "workers"), i, w)
            if (strcmp(json_string_value(json_object_get(w, "name")), worker) == 0)
                found = json_incref(w);
        json_decref(o);
        if (!found) {
            sa_error(resp, 404, "unknown worker");
            return;
        }
        o = found;
    }
    sa_envelope(h, o, now);
    ut_http_resp_json(resp, 200, o);
}

/* The value of name in a query string, decoded into out ("" when absent). */
static int sa_query(const char *query, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);

    out[0] = '\0';
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
            return sa_url_decode(p + nl + 1, len - nl - 1, out, cap);
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}

static void sa_series_page(sa_http *h, const ut_http_req *req, ut_http_resp *resp)
{
    char user[SA_MAX_NAME + 1], worker[SA_MAX_NAME + 1], res[16], who[2 * SA_MAX_NAME + 2];
    char err[256];

    if (sa_query(req->query, "user", user, sizeof(user)) != 0 ||
        sa_query(req->query, "worker", worker, sizeof(worker)) != 0 ||
        sa_query(req->query, "res", res, sizeof(res)) != 0 || strchr(user, ':') ||
        strchr(worker, ':') || (worker[0] && !user[0]) ||
        (res[0] && strcmp(res, "minute") != 0 && strcmp(res, "hour") != 0)) {
        sa_error(resp, 400, "expected user=, worker= (names without ':') and res=minute|hour");
        return;
    }
    snprintf(who, sizeof(who), "%s%s%s", user, worker[0] ? ":" : "", worker);
    char *text = sa_series_get(h->series, who, strcmp(res, "hour") == 0, sa_time(), err,
                               sizeof(err));
    if (!text) {
        log_error("statsapi: series of '%s': %s", who, err);
        sa_error(resp, 503, "the series cannot be read now");
        return;
    }
    sa_json_text(resp, 200, text);
}

static const char *sa_type_of(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (dot && strcmp(dot, ".html") == 0)
        return "text/html; charset=utf-8";
    if (dot && strcmp(dot, ".js") == 0)
        return "application/javascript";
    if (dot && strcmp(dot, ".css") == 0)
        return "text/css";
    if (dot && strcmp(dot, ".svg") == 0)
        return "image/svg+xml";
    return "application/octet-stream";
}

static void sa_file(sa_http *h, const char *path, ut_http_resp *resp)
{
    size_t len = 0;
    char *data = sa_read_file(path, SA_FILE_MAX, &len);

    if (!data) {
        h->not_found++;
        ut_http_resp_text(resp, 404, "text/plain", "not found\n");
        return;
    }
    free(resp->body);
    resp->status = 200;
    resp->content_type = sa_type_of(path);
    resp->body = data;
    resp->body_len = len;
}

/* /static/<name>: a file of web_dir with a plain name, or chart.min.js. */
static void sa_static(sa_http *h, const char *name, ut_http_resp *resp)
{
    char path[1024];

    if (strcmp(name, "chart.min.js") == 0 && h->cfg->chartjs) {
        sa_file(h, h->cfg->chartjs, resp);
        return;
    }
    if (!*name || name[0] == '.' || strspn(name, "abcdefghijklmnopqrstuvwxyz"
                                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                                         strlen(name)) {
        ut_http_resp_text(resp, 404, "text/plain", "not found\n");
        return;
    }
    snprintf(path, sizeof(path), "%s/%s", h->cfg->web_dir, name);
    sa_file(h, path, resp);
}

static void sa_page(sa_http *h, const char *file, ut_http_resp *resp)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", h->cfg->web_dir, file);
    sa_file(h, path, resp);
}

static void sa_handle(const ut_http_req *req, ut_http_resp *resp, void *udata)
{
    sa_http *h = udata;
    const char *p = req->path;

    h->requests++;
    if (strcmp(req->method, "GET") != 0)
        ut_http_resp_text(resp, 405, "text/plain", "method not allowed\n");
    else if (strcmp(p, "/api/v1/pool") == 0)
        sa_pool(h, resp);
    else if (strncmp(p, "/api/v1/users/", 14) == 0)
        sa_user_page(h, p + 14, resp);
    else if (strcmp(p, "/api/v1/series") == 0)
        sa_series_page(h, req, resp);
    else if (strncmp(p, "/api/", 5) == 0)
        sa_error(resp, 404, "no such API path (see docs/stats-api.md)");
    else if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0)
        sa_page(h, "index.html", resp);
    else if (strncmp(p, "/user/", 6) == 0)
        sa_page(h, "user.html", resp);
    else if (strncmp(p, "/static/", 8) == 0)
        sa_static(h, p + 8, resp);
    else
        ut_http_resp_text(resp, 404, "text/plain", "not found\n");
}

static json_t *sa_status(void *arg)
{
    sa_http *h = arg;
    json_t *o;

    pthread_rwlock_rdlock(&h->st->lock);
    o = json_pack("{s:s, s:b, s:b, s:I, s:I, s:f, s:I, s:I, s:I, s:I}", "module", "statsapi",
                  "loading", h->st->loading, "history_loading", h->st->history_loading,
                  "refreshes", (json_int_t)h->st->refreshes,
                  "refresh_errors", (json_int_t)h->st->errors, "refresh_ms",
                  h->st->refresh_ms, "users", (json_int_t)ut_htab_count(&h->st->users),
                  "workers", (json_int_t)h->st->nworkers, "blocks",
                  (json_int_t)h->st->nblocks, "requests", (json_int_t)h->requests);
    pthread_rwlock_unlock(&h->st->lock);
    return o;
}

/* Per-worker samples, at most max_worker_metrics of the alive workers;
 * the number left out is a gauge of its own. */
static size_t sa_worker_metrics(sa_http *h, ut_metrics *m, int64_t now)
{
    size_t cap = h->cfg->max_worker_metrics, shown = 0, left = 0;
    int64_t alive_s = h->cfg->alive_minutes * 60;
    ut_htab_iter it;
    sa_user **up;

    ut_metrics_family(m, "worker_hashrate", "gauge",
                      "Hashes per second of an alive worker over 10 minutes (capped count).");
    ut_htab_iter_init(&it, &h->st->users);
    while ((up = ut_htab_next(&it, NULL, NULL)) != NULL) {
        for (size_t i = 0; i < (*up)->nworkers; i++) {
            const sa_worker *w = (*up)->workers[i];
            sa_win win;
            char u[SA_MAX_NAME * 2 + 1], wn[SA_MAX_NAME * 2 + 1], labels[1100];
            if (w->e.last_share <= 0 || w->e.last_share + 60 <= now - alive_s)
                continue;
            if (shown >= cap) {
                left++;
                continue;
            }
            sa_ent_window(&w->e, 1, now, &win);
            snprintf(labels, sizeof(labels), "user=\"%s\",worker=\"%s\"",
                     ut_metrics_escape((*up)->name, u, sizeof(u)),
                     ut_metrics_escape(w->name, wn, sizeof(wn)));
            ut_metrics_sample(m, labels, win.hashrate);
            shown++;
        }
    }
    return left;
}

static char *sa_metrics(void *arg)
{
    sa_http *h = arg;
    ut_metrics m = {.prefix = "hf_statsapi_"};
    int64_t now = sa_time();
    size_t users, users_alive, workers, workers_alive;

    pthread_rwlock_rdlock(&h->st->lock);
    sa_store_counts(h->st, now, h->cfg->alive_minutes * 60, &users, &users_alive, &workers,
                    &workers_alive);
    ut_metrics_family(&m, "pool_hashrate", "gauge", "Pool hashes per second by window.");
    for (int i = 0; i < SA_NWIN; i++) {
        sa_win w;
        char labels[32];
        sa_ent_window(&h->st->pool, i, now, &w);
        snprintf(labels, sizeof(labels), "window=\"%s\"", sa_win_names[i]);
        ut_metrics_sample(&m, labels, w.hashrate);
    }
    ut_metrics_add(&m, "users", "gauge", "Users known.", NULL, (double)users);
    ut_metrics_add(&m, "users_alive", "gauge", "Users with an alive worker.", NULL,
                   (double)users_alive);
    ut_metrics_add(&m, "workers", "gauge", "Workers known.", NULL, (double)workers);
    ut_metrics_add(&m, "workers_alive", "gauge", "Workers with a share in alive_minutes.",
                   NULL, (double)workers_alive);
    ut_metrics_add(&m, "connections", "gauge", "Miner connections (newest whole minute).",
                   NULL, (double)h->st->info.connections);
    ut_metrics_add(&m, "blocks_found", "gauge", "Blocks in the newblock list.", NULL,
                   (double)h->st->nblocks);
    ut_metrics_add(&m, "network_difficulty", "gauge", "Network difficulty (0: not known).",
                   NULL, h->st->info.network_diff);
    ut_metrics_add(&m, "refreshes_total", "counter", "Refresh rounds done.", NULL,
                   (double)h->st->refreshes);
    ut_metrics_add(&m, "refresh_errors_total", "counter", "Refresh rounds that failed.", NULL,
                   (double)h->st->errors);
    ut_metrics_add(&m, "refresh_seconds", "gauge", "How long the last refresh took.", NULL,
                   h->st->refresh_ms / 1000.0);
    ut_metrics_add(&m, "requests_total", "counter", "HTTP requests other than /status and "
                   "/metrics.", NULL, (double)h->requests);
    size_t left = sa_worker_metrics(h, &m, now);
    ut_metrics_add(&m, "worker_metrics_left_out", "gauge",
                   "Alive workers without a worker_hashrate sample (max_worker_metrics).",
                   NULL, (double)left);
    pthread_rwlock_unlock(&h->st->lock);
    return ut_metrics_end(&m);
}

sa_http *sa_http_start(struct ev_loop *loop, const sa_config *cfg, sa_store *st)
{
    sa_http *h = calloc(1, sizeof(*h));

    if (!h)
        return NULL;
    h->cfg = cfg;
    h->st = st;
    h->series = sa_series_new(cfg);
    h->status = ut_status_start(loop, cfg->http.bind, (const char *const *)cfg->http.allow,
                                sa_status, sa_metrics, h);
    if (!h->series || !h->status) {
        log_error("statsapi: cannot serve HTTP on %s", cfg->http.bind);
        sa_http_free(h);
        return NULL;
    }
    ut_status_set_module(h->status, "statsapi");
    ut_status_set_other(h->status, sa_handle, h);
    return h;
}

int sa_http_port(const sa_http *h)
{
    return ut_status_port(h->status);
}

void sa_http_free(sa_http *h)
{
    if (!h)
        return;
    ut_status_free(h->status);
    sa_series_free(h->series);
    free(h->pool_text);
    free(h);
}
