/* Tests of ut_node: against an in-test JSON-RPC server (ut_http on its own
 * loop thread) for the request body, basic auth and cookie files, failover
 * past a closed port, a silent node (timeout), HTTP 401 and 503, a node
 * warming up (all UT_NODE_ERR_TRANSPORT, failed over), node error objects
 * (UT_NODE_ERR_NODE, returned, not failed over); then against the real
 * bcoin regtest node started with depends/regtest.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "utils/ut_http.h"
#include "utils/ut_log.h"
#include "utils/ut_node.h"

typedef struct server {
    struct ev_loop *loop;
    ev_async stop;
    pthread_t thread;
    ut_http_svr *svr;
    int port;
    pthread_mutex_t lock;
    int requests;
    char auth[256];          /* decoded "user:password" of the last request */
    char path[64];
    char content_type[64];
    json_t *last;            /* the last request body */
    const char *password;    /* when set, other passwords get 401 */
} server;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "Basic dXNlcjpwdw==" -> "user:pw". */
static void decode_basic(const char *hdr, char *out, size_t n)
{
    unsigned char buf[256];
    out[0] = '\0';
    if (!hdr || strncmp(hdr, "Basic ", 6) != 0 || strlen(hdr + 6) > 300)
        return;
    int len = EVP_DecodeBlock(buf, (const unsigned char *)hdr + 6, (int)strlen(hdr + 6));
    if (len < 0)
        return;
    size_t l = strlen(hdr + 6);
    if (l >= 1 && hdr[6 + l - 1] == '=')
        len--;
    if (l >= 2 && hdr[6 + l - 2] == '=')
        len--;
    snprintf(out, n, "%.*s", len, buf);
}

static void handler(const ut_http_req *req, ut_http_resp *resp, void *udata)
{
    server *s = udata;
    const char *ct = ut_http_req_header(req, "Content-Type");
    json_t *body = json_loads(req->body, 0, NULL);
    json_t *id = json_object_get(body, "id");
    const char *method = json_string_value(json_object_get(body, "method"));
    char auth[256];

    decode_basic(ut_http_req_header(req, "Authorization"), auth, sizeof(auth));
    pthread_mutex_lock(&s->lock);
    s->requests++;
    snprintf(s->auth, sizeof(s->auth), "%s", auth);
    snprintf(s->path, sizeof(s->path), "%s", req->path);
    snprintf(s->content_type, sizeof(s->content_type), "%s", ct ? ct : "");
    json_decref(s->last);
    s->last = json_incref(body);
    const char *pw = s->password;
    pthread_mutex_unlock(&s->lock);

    const char *colon = strchr(auth, ':');
    if (pw && (!colon || strcmp(colon + 1, pw) != 0)) {
        ut_http_resp_text(resp, 401, "text/plain", "");
    } else if (strcmp(req->path, "/busy") == 0) {
        /* Bitcoin Core when its RPC work queue is full. */
        ut_http_resp_text(resp, 503, "text/plain", "Work queue depth exceeded");
    } else if (strcmp(req->path, "/warming") == 0) {
        ut_http_resp_json(resp, 500, json_pack("{s:n, s:{s:i, s:s}, s:O}", "result", "error",
                                               "code", -28, "message",
                                               "Loading block index...", "id", id));
    } else if (!method) {
        ut_http_resp_text(resp, 400, "text/plain", "bad request");
    } else if (strcmp(method, "getblockcount") == 0) {
        ut_http_resp_json(resp, 200, json_pack("{s:i, s:n, s:O}", "result", 42, "error", "id",
                                               id));
    } else if (strcmp(method, "echo") == 0) {
        ut_http_resp_json(resp, 200, json_pack("{s:O, s:n, s:O}", "result",
                                               json_object_get(body, "params"), "error",
                                               "id", id));
    } else if (strcmp(method, "nothing") == 0) {
        ut_http_resp_json(resp, 200, json_pack("{s:n, s:n, s:O}", "result", "error", "id",
                                               id));
    } else {
        /* Bitcoin Core answers errors with HTTP 500 and a JSON-RPC body. */
        ut_http_resp_json(resp, 500, json_pack("{s:n, s:{s:i, s:s}, s:O}", "result", "error",
                                               "code", -8, "message",
                                               "Block height out of range", "id", id));
    }
    json_decref(body);
}

static void on_stop(struct ev_loop *loop, ev_async *w, int revents)
{
    ev_break(loop, EVBREAK_ALL);
}

static void *loop_thread(void *arg)
{
    server *s = arg;
    ev_run(s->loop, 0);
    return NULL;
}

static int setup(void **state)
{
    server *s = calloc(1, sizeof(*s));
    ut_http_cfg cfg = {.bind = "tcp@127.0.0.1:0"};

    pthread_mutex_init(&s->lock, NULL);
    s->loop = ev_loop_new(EVFLAG_AUTO);
    s->svr = ut_http_svr_create(s->loop, &cfg, handler, s);
    if (!s->svr || ut_http_svr_start(s->svr) != 0)
        return -1;
    s->port = ut_http_svr_port(s->svr);
    ev_async_init(&s->stop, on_stop);
    ev_async_start(s->loop, &s->stop);
    pthread_create(&s->thread, NULL, loop_thread, s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    server *s = *state;
    ev_async_send(s->loop, &s->stop);
    pthread_join(s->thread, NULL);
    ut_http_svr_free(s->svr);
    ev_loop_destroy(s->loop);
    json_decref(s->last);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return 0;
}

/* A port nobody listens on: bind, read the port, close. */
static int closed_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* A node that accepts connections (kernel backlog) and never answers. */
static int silent_listener(int *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

static void set_url(ut_node_url *u, int port, const char *path, const char *user,
                    const char *pw)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "http://127.0.0.1:%d%s", port, path);
    u->url = strdup(buf);
    u->user = user ? strdup(user) : NULL;
    u->password = pw ? strdup(pw) : NULL;
    u->cookie_file = NULL;
}

static void free_urls(ut_node_url *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(u[i].url);
        free(u[i].user);
        free(u[i].password);
        free(u[i].cookie_file);
    }
}

static int server_requests(server *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void test_request_and_auth(void **state)
{
    server *s = *state;
    ut_node_url u[1];
    char err[256];
    json_t *res = NULL;

    set_url(&u[0], s->port, "/", "alice", "s3cret:with:colons");
    ut_node_cfg cfg = {.nodes = u, .count = 1, .timeout = 5};
    ut_node_conn *c = ut_node_conn_new(&cfg);
    assert_non_null(c);

    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_true(json_is_integer(res));
    assert_int_equal(json_integer_value(res), 42);
    json_decref(res);
    pthread_mutex_lock(&s->lock);
    assert_string_equal(s->auth, "alice:s3cret:with:colons");
    assert_string_equal(s->content_type, "application/json");
    assert_string_equal(json_string_value(json_object_get(s->last, "jsonrpc")), "1.0");
    assert_string_equal(json_string_value(json_object_get(s->last, "method")), "getblockcount");
    assert_int_equal(json_integer_value(json_object_get(s->last, "id")), 1);
    assert_true(json_is_array(json_object_get(s->last, "params")));
    assert_int_equal(json_array_size(json_object_get(s->last, "params")), 0);
    pthread_mutex_unlock(&s->lock);

    json_t *params = json_pack("[i, s, {s:b}]", 7, "x", "k", 1);
    assert_int_equal(ut_node_call(c, "echo", params, &res, err, sizeof(err)), 0);
    assert_true(json_equal(res, params));
    json_decref(res);
    pthread_mutex_lock(&s->lock);
    assert_int_equal(json_integer_value(json_object_get(s->last, "id")), 2);
    pthread_mutex_unlock(&s->lock);
    json_decref(params);

    /* A large body (a block-sized request) round-trips intact. */
    char *big = malloc(900 * 1024 + 1);
    memset(big, 'b', 900 * 1024);
    big[900 * 1024] = '\0';
    params = json_pack("[s]", big);
    assert_int_equal(ut_node_call(c, "echo", params, &res, err, sizeof(err)), 0);
    assert_true(json_equal(res, params));
    json_decref(res);
    json_decref(params);
    free(big);

    assert_int_equal(ut_node_call(c, "nothing", NULL, &res, err, sizeof(err)), 0);
    assert_true(json_is_null(res));
    json_decref(res);
    ut_node_conn_free(c);
    free_urls(u, 1);
}

static void test_cookie_file(void **state)
{
    server *s = *state;
    char path[64], err[256];
    ut_node_url u[1];
    json_t *res = NULL;
    FILE *fp;

    snprintf(path, sizeof(path), "/tmp/hf-test-cookie-%d", (int)getpid());
    fp = fopen(path, "w");
    fputs("__cookie__:abc123\n", fp);
    fclose(fp);
    set_url(&u[0], s->port, "/", NULL, NULL);
    u[0].cookie_file = strdup(path);
    ut_node_cfg cfg = {.nodes = u, .count = 1, .timeout = 5};
    ut_node_conn *c = ut_node_conn_new(&cfg);

    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)), 0);
    json_decref(res);
    pthread_mutex_lock(&s->lock);
    assert_string_equal(s->auth, "__cookie__:abc123");
    pthread_mutex_unlock(&s->lock);
    /* The node restarted and wrote a new cookie: read at each call. */
    fp = fopen(path, "w");
    fputs("__cookie__:def456", fp);
    fclose(fp);
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)), 0);
    json_decref(res);
    pthread_mutex_lock(&s->lock);
    assert_string_equal(s->auth, "__cookie__:def456");
    pthread_mutex_unlock(&s->lock);
    /* No cookie file: an error naming the node and the file. */
    unlink(path);
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)),
                     UT_NODE_ERR_TRANSPORT);
    assert_null(res);
    char want[160];
    snprintf(want, sizeof(want), "node 127.0.0.1:%d: cannot read cookie file %s", s->port,
             path);
    assert_string_equal(err, want);
    ut_node_conn_free(c);
    free_urls(u, 1);
}

static void test_failover(void **state)
{
    server *s = *state;
    ut_node_url u[2];
    char err[512], want[128];
    json_t *res = NULL;
    int dead = closed_port();

    set_url(&u[0], dead, "/", "u", "p");
    set_url(&u[1], s->port, "/", "u", "p");
    ut_node_cfg cfg = {.nodes = u, .count = 2, .timeout = 5, .connect_timeout = 1};
    ut_node_conn *c = ut_node_conn_new(&cfg);

    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)), 0);
    assert_int_equal(json_integer_value(res), 42);
    json_decref(res);
    assert_int_equal(ut_node_last(c), 1);
    assert_string_equal(err, "");
    assert_int_equal(server_requests(s), 1);
    /* The node that answered is tried first next time. */
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)), 0);
    json_decref(res);
    assert_int_equal(ut_node_last(c), 1);
    ut_node_conn_free(c);

    /* Both down: one error naming each node. */
    free(u[1].url);
    int dead2 = closed_port();
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/", dead2);
    u[1].url = strdup(want);
    c = ut_node_conn_new(&cfg);
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)),
                     UT_NODE_ERR_TRANSPORT);
    assert_null(res);
    snprintf(want, sizeof(want), "node 127.0.0.1:%d: ", dead);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof(want), "; node 127.0.0.1:%d: ", dead2);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "onnect"));   /* curl: "Failed to connect ..." */
    ut_node_conn_free(c);
    free_urls(u, 2);
}

static void test_timeout(void **state)
{
    server *s = *state;
    ut_node_url u[2];
    char err[512], want[64];
    json_t *res = NULL;
    int port;
    int lfd = silent_listener(&port);

    set_url(&u[0], port, "/", "u", "p");
    set_url(&u[1], s->port, "/", "u", "p");
    ut_node_cfg cfg = {.nodes = u, .count = 1, .timeout = 0.5};
    ut_node_conn *c = ut_node_conn_new(&cfg);
    double t0 = now();
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)),
                     UT_NODE_ERR_TRANSPORT);
    double took = now() - t0;
    assert_true(took >= 0.45 && took < 2.0);
    snprintf(want, sizeof(want), "node 127.0.0.1:%d: ", port);
    assert_int_equal(strncmp(err, want, strlen(want)), 0);
    assert_non_null(strstr(err, "timed out"));
    ut_node_conn_free(c);

    /* A silent node is a transport failure: the next node answers. */
    cfg.count = 2;
    c = ut_node_conn_new(&cfg);
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)), 0);
    assert_int_equal(json_integer_value(res), 42);
    json_decref(res);
    assert_int_equal(ut_node_last(c), 1);
    ut_node_conn_free(c);
    free_urls(u, 2);
    close(lfd);
}

static void test_node_error_not_failed_over(void **state)
{
    server *s = *state;
    ut_node_url u[2];
    char err[256], want[128];
    json_t *res = NULL;

    set_url(&u[0], s->port, "/first", "u", "p");
    set_url(&u[1], s->port, "/second", "u", "p");
    ut_node_cfg cfg = {.nodes = u, .count = 2, .timeout = 5};
    ut_node_conn *c = ut_node_conn_new(&cfg);
    json_t *params = json_pack("[i]", 99999);
    assert_int_equal(ut_node_call(c, "getblockhash", params, &res, err, sizeof(err)),
                     UT_NODE_ERR_NODE);
    json_decref(params);
    assert_null(res);
    snprintf(want, sizeof(want), "node 127.0.0.1:%d: -8: Block height out of range", s->port);
    assert_string_equal(err, want);
    assert_int_equal(server_requests(s), 1);
    pthread_mutex_lock(&s->lock);
    assert_string_equal(s->path, "/first");
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(ut_node_last(c), 0);
    ut_node_conn_free(c);
    free_urls(u, 2);
}

static void test_bad_password_fails_over(void **state)
{
    server *s = *state;
    ut_node_url u[2];
    char err[256], want[128];
    json_t *res = NULL;

    pthread_mutex_lock(&s->lock);
    s->password = "right";
    pthread_mutex_unlock(&s->lock);
    set_url(&u[0], s->port, "/a", "u", "wrong");
    set_url(&u[1], s->port, "/b", "u", "right");
    ut_node_cfg cfg = {.nodes = u, .count = 1, .timeout = 5};
    ut_node_conn *c = ut_node_conn_new(&cfg);
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)),
                     UT_NODE_ERR_TRANSPORT);
    snprintf(want, sizeof(want), "node 127.0.0.1:%d: HTTP 401 (bad credentials)", s->port);
    assert_string_equal(err, want);
    ut_node_conn_free(c);
    cfg.count = 2;
    c = ut_node_conn_new(&cfg);
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)), 0);
    json_decref(res);
    assert_int_equal(ut_node_last(c), 1);
    ut_node_conn_free(c);
    free_urls(u, 2);
}

/* HTTP 503 without a JSON-RPC body, and a node warming up (-28), are
 * transport errors: the next node is tried, and with none left the call
 * fails with UT_NODE_ERR_TRANSPORT naming both. */
static void test_busy_and_warmup_are_transport(void **state)
{
    server *s = *state;
    ut_node_url u[3];
    char err[512], want[160];
    json_t *res = NULL;

    set_url(&u[0], s->port, "/busy", "u", "p");
    set_url(&u[1], s->port, "/warming", "u", "p");
    set_url(&u[2], s->port, "/", "u", "p");
    ut_node_cfg cfg = {.nodes = u, .count = 2, .timeout = 5};
    ut_node_conn *c = ut_node_conn_new(&cfg);
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)),
                     UT_NODE_ERR_TRANSPORT);
    assert_null(res);
    snprintf(want, sizeof(want), "node 127.0.0.1:%d: HTTP 503; node 127.0.0.1:%d: -28: "
             "Loading block index... (node starting)", s->port, s->port);
    assert_string_equal(err, want);
    assert_int_equal(server_requests(s), 2);
    ut_node_conn_free(c);

    cfg.count = 3;
    c = ut_node_conn_new(&cfg);
    assert_int_equal(ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err)), 0);
    assert_int_equal(json_integer_value(res), 42);
    json_decref(res);
    assert_int_equal(ut_node_last(c), 2);
    assert_string_equal(err, "");
    ut_node_conn_free(c);
    free_urls(u, 3);
}

/* ---- the real node ---- */

static char regtest_dir[64];

static void regtest_stop(void)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "./depends/regtest.sh stop %s >/dev/null 2>&1; rm -rf %s",
             regtest_dir, regtest_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "regtest stop failed\n");
}

static void test_bcoin_regtest(void **state)
{
    char cmd[256], err[256], want[128];
    ut_node_url u[1];
    json_t *res = NULL;
    int rport = closed_port(), pport = closed_port();
    struct stat sb;

    if (stat("depends/regtest.sh", &sb) != 0) {
        const char *root = getenv("HF_ROOT");
        assert_non_null(root);   /* run from the repository root, or set HF_ROOT */
        assert_int_equal(chdir(root), 0);
    }
    snprintf(regtest_dir, sizeof(regtest_dir), "/tmp/hf-test-bcoin-XXXXXX");
    assert_non_null(mkdtemp(regtest_dir));
    snprintf(cmd, sizeof(cmd), "./depends/regtest.sh start %s %d %d nodekey >/dev/null",
             regtest_dir, rport, pport);
    if (system(cmd) != 0) {
        regtest_stop();
        fail_msg("could not start bcoin regtest (%s)", cmd);
    }

    set_url(&u[0], rport, "/", "x", "nodekey");
    ut_node_cfg cfg = {.nodes = u, .count = 1, .timeout = 10};
    ut_node_conn *c = ut_node_conn_new(&cfg);
    int rc = ut_node_call(c, "getblockcount", NULL, &res, err, sizeof(err));
    int height = rc == 0 && json_is_integer(res) ? (int)json_integer_value(res) : -1;
    json_decref(res);
    res = NULL;
    int rc2 = ut_node_call(c, "nosuchmethod", NULL, &res, err, sizeof(err));
    snprintf(want, sizeof(want), "node 127.0.0.1:%d: -32601: Method not found: nosuchmethod.",
             rport);
    bool err_ok = strcmp(err, want) == 0;
    char err2[256];
    free(u[0].password);
    u[0].password = strdup("wrongkey");
    int rc3 = ut_node_call(c, "getblockcount", NULL, &res, err2, sizeof(err2));
    ut_node_conn_free(c);
    free_urls(u, 1);
    regtest_stop();

    assert_int_equal(rc, 0);
    assert_int_equal(height, 0);
    assert_int_equal(rc2, UT_NODE_ERR_NODE);
    if (!err_ok)
        fail_msg("got '%s', want '%s'", err, want);
    assert_int_equal(rc3, UT_NODE_ERR_TRANSPORT);
    assert_non_null(strstr(err2, "HTTP 401"));
}

int main(void)
{
    ut_log_cfg lc = {.path = "-", .level = UT_LOG_WARN};
    ut_log_init(&lc);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_and_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cookie_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_error_not_failed_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_password_fails_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_and_warmup_are_transport, setup, teardown),
        cmocka_unit_test(test_bcoin_regtest),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ut_log_close();
    return rc;
}
