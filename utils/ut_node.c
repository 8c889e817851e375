/* ut_node: blocking JSON-RPC 1.0 calls to a Bitcoin node (Bitcoin Core or
 * bcoin) over libcurl, for nw_job worker threads. One curl handle per
 * ut_node_conn (connections are reused between calls). Nodes are tried
 * starting with the last one that answered; a node that fails at the
 * transport level (no connection, timeout, an HTTP error without a JSON-RPC
 * body, a cookie file that cannot be read, a node warming up) is skipped
 * for the next one and the call fails with UT_NODE_ERR_TRANSPORT when none
 * answers, while an error object from the node is returned as it is, with
 * UT_NODE_ERR_NODE. */
#include "utils/ut_node.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network/nw_buf.h"

#define UT_NODE_MAX_REPLY (256u * 1024 * 1024)   /* a huge getblocktemplate fits */
#define UT_NODE_CRED_MAX 1024
#define UT_NODE_RPC_IN_WARMUP (-28)   /* "Loading block index...", "Verifying blocks..." */

struct ut_node_conn {
    const ut_node_cfg *cfg;
    CURL *curl;
    struct curl_slist *headers;
    size_t last;          /* index of the node that answered last */
    long next_id;
    nw_buf reply;         /* reply buffer (UT_NODE_MAX_REPLY at most), reused */
    bool reply_overflow;
};

static pthread_once_t ut_node_once = PTHREAD_ONCE_INIT;

static void ut_node_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

ut_node_conn *ut_node_conn_new(const ut_node_cfg *cfg)
{
    ut_node_conn *c;

    pthread_once(&ut_node_once, ut_node_global_init);
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->cfg = cfg;
    c->next_id = 1;
    nw_buf_init_max(&c->reply, UT_NODE_MAX_REPLY);
    c->curl = curl_easy_init();
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    /* No "Expect: 100-continue" for big bodies (submitblock): it costs a round trip. */
    if (c->headers)
        c->headers = curl_slist_append(c->headers, "Expect:");
    if (!c->curl || !c->headers) {
        ut_node_conn_free(c);
        return NULL;
    }
    return c;
}

void ut_node_conn_free(ut_node_conn *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->headers);
    nw_buf_free(&c->reply);
    free(c);
}

size_t ut_node_last(const ut_node_conn *c)
{
    return c->last;
}

/* Appends to err ("; " between entries), never past errlen. */
static void ut_node_err_add(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ut_node_err_add(char *err, size_t errlen, const char *fmt, ...)
{
    size_t used = strnlen(err, errlen);
    va_list ap;

    if (errlen == 0 || used + 1 >= errlen)
        return;
    if (used) {
        snprintf(err + used, errlen - used, "; ");
        used = strnlen(err, errlen);
    }
    va_start(ap, fmt);
    vsnprintf(err + used, errlen - used, fmt, ap);
    va_end(ap);
}

/* "127.0.0.1:8332" out of "http://user@127.0.0.1:8332/path". */
static void ut_node_hostport(const char *url, char *buf, size_t n)
{
    const char *p = strstr(url, "://");
    const char *end, *at;
    size_t len;

    p = p ? p + 3 : url;
    end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    len = (size_t)(end - p);
    if (len >= n)
        len = n - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
}

static size_t ut_node_on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
    ut_node_conn *c = arg;
    size_t n = size * nmemb;

    if (nw_buf_append(&c->reply, ptr, n) != 0) {
        c->reply_overflow = errno == ENOBUFS;
        return 0;    /* aborts the transfer */
    }
    return n;
}

/* Reads "user:password" from a cookie file into buf (newline stripped). */
static int ut_node_read_cookie(const char *path, char *buf, size_t n)
{
    FILE *fp = fopen(path, "r");
    size_t len;

    if (!fp)
        return -1;
    len = fread(buf, 1, n - 1, fp);
    fclose(fp);
    buf[len] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    return strchr(buf, ':') ? 0 : -1;
}

/* Sets URL, credentials and timeouts of node for the next transfer. */
static int ut_node_setup(ut_node_conn *c, const ut_node_url *node, const char *body,
                         char *cred, size_t credlen)
{
    const ut_node_cfg *cfg = c->cfg;
    double timeout = cfg->timeout > 0 ? cfg->timeout : 10;
    double ctimeout = cfg->connect_timeout > 0 ? cfg->connect_timeout : 2;
    CURL *h = c->curl;

    if (node->cookie_file) {
        if (ut_node_read_cookie(node->cookie_file, cred, credlen) != 0)
            return -1;
    } else {
        snprintf(cred, credlen, "%s:%s", node->user ? node->user : "",
                 node->password ? node->password : "");
    }
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, node->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERPWD, cred);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(ctimeout * 1000));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ut_node_on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    return 0;
}

/* The node's error object. A node still warming up has not really taken
 * the call: that counts as transport, so the next node is tried. */
static int ut_node_error_object(json_t *error, const char *host, char *err, size_t errlen)
{
    json_t *msg = json_object_get(error, "message");
    long long code = (long long)json_integer_value(json_object_get(error, "code"));
    const char *text = json_is_string(msg) ? json_string_value(msg) : "unknown error";

    if (code == UT_NODE_RPC_IN_WARMUP) {
        ut_node_err_add(err, errlen, "node %s: %lld: %s (node starting)", host, code, text);
        return UT_NODE_ERR_TRANSPORT;
    }
    if (errlen)
        err[0] = '\0';   /* the node's answer is the error, not earlier failures */
    ut_node_err_add(err, errlen, "node %s: %lld: %s", host, code, text);
    return UT_NODE_ERR_NODE;
}

/* Reads the node's JSON-RPC reply. HTTP errors carrying a JSON-RPC error
 * (Bitcoin Core sends 500/404 with one) are node errors; others, and bad
 * credentials whatever the body says, are transport. */
static int ut_node_reply(ut_node_conn *c, const char *host, long http, json_t **result,
                         char *err, size_t errlen)
{
    json_t *doc = json_loadb(c->reply.data ? c->reply.data : "", nw_buf_len(&c->reply), 0, NULL);
    json_t *error = doc ? json_object_get(doc, "error") : NULL;
    json_t *res = doc ? json_object_get(doc, "result") : NULL;

    if (http == 401 || http == 403) {
        ut_node_err_add(err, errlen, "node %s: HTTP %ld (bad credentials)", host, http);
        json_decref(doc);
        return UT_NODE_ERR_TRANSPORT;
    }
    if (error && !json_is_null(error)) {
        int rc = ut_node_error_object(error, host, err, errlen);
        json_decref(doc);
        return rc;
    }
    if (http != 200 || !res) {
        if (http != 200)
            ut_node_err_add(err, errlen, "node %s: HTTP %ld", host, http);
        else
            ut_node_err_add(err, errlen, "node %s: reply is not JSON-RPC", host);
        json_decref(doc);
        return UT_NODE_ERR_TRANSPORT;
    }
    *result = json_incref(res);
    json_decref(doc);
    return 0;
}

/* One attempt against one node: 0 (a result), UT_NODE_ERR_NODE or
 * UT_NODE_ERR_TRANSPORT. */
static int ut_node_try(ut_node_conn *c, const ut_node_url *node, const char *body,
                       json_t **result, char *err, size_t errlen)
{
    char host[256], cred[UT_NODE_CRED_MAX], cerr[CURL_ERROR_SIZE];
    long http = 0;
    CURLcode rc;

    ut_node_hostport(node->url, host, sizeof(host));
    if (ut_node_setup(c, node, body, cred, sizeof(cred)) != 0) {
        ut_node_err_add(err, errlen, "node %s: cannot read cookie file %s", host,
                        node->cookie_file);
        return UT_NODE_ERR_TRANSPORT;
    }
    cerr[0] = '\0';
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, cerr);
    nw_buf_reset(&c->reply);
    c->reply_overflow = false;
    rc = curl_easy_perform(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
    memset(cred, 0, sizeof(cred));
    if (rc != CURLE_OK) {
        if (c->reply_overflow)
            ut_node_err_add(err, errlen, "node %s: reply larger than %u bytes", host,
                            UT_NODE_MAX_REPLY);
        else
            ut_node_err_add(err, errlen, "node %s: %s", host,
                            cerr[0] ? cerr : curl_easy_strerror(rc));
        return UT_NODE_ERR_TRANSPORT;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &http);
    return ut_node_reply(c, host, http, result, err, errlen);
}

int ut_node_call(ut_node_conn *c, const char *method, json_t *params, json_t **result,
                 char *err, size_t errlen)
{
    const ut_node_cfg *cfg = c->cfg;
    json_t *req;
    char *body;
    int rc = UT_NODE_ERR_TRANSPORT;

    *result = NULL;
    if (errlen)
        err[0] = '\0';
    if (cfg->count == 0) {
        ut_node_err_add(err, errlen, "no node configured");
        return UT_NODE_ERR_TRANSPORT;
    }
    req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "1.0", "id", (json_int_t)c->next_id++,
                    "method", method, "params", params ? json_incref(params) : json_array());
    body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!body) {
        ut_node_err_add(err, errlen, "cannot encode request for %s", method);
        return UT_NODE_ERR_TRANSPORT;   /* out of memory: nothing reached a node */
    }
    for (size_t i = 0; i < cfg->count && rc == UT_NODE_ERR_TRANSPORT; i++) {
        size_t idx = (c->last + i) % cfg->count;
        rc = ut_node_try(c, &cfg->nodes[idx], body, result, err, errlen);
        if (rc != UT_NODE_ERR_TRANSPORT)
            c->last = idx;
    }
    free(body);
    if (rc == 0 && errlen)
        err[0] = '\0';
    return rc;
}
