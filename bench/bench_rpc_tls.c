/* bench_rpc_tls: ut_rpc_link request/reply over loopback, plaintext
 * against TLS (TLSv1.3, P-256 certificates made by the openssl command in
 * a temporary directory). A forked child runs two ut_rpc servers (one
 * plaintext, one TLS) that answer every request with its own body; this
 * process keeps 100 requests in flight on one client link for 1 s.
 * Prints requests/s for 64-byte and 64 KiB bodies, both ways. No
 * pass/fail; about 4 s in all. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/nw_tls_testkit.h"
#include "utils/ut_log.h"
#include "utils/ut_rpc_link.h"

#define INFLIGHT 100
#define SECONDS 1.0

#define K tls_kit_k

/* ---- the server child ---- */

static void echo_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    if (msg->type == UT_RPC_REQUEST)
        ut_rpc_reply(link, msg, 0, msg->body, msg->body_len);
}

static void run_servers(int out)
{
    static const ut_rpc_handlers h = {.on_msg = echo_msg};
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_tls_cfg tls = {.cert_file = K.srv, .key_file = K.srv_key};
    ut_rpc_cfg plain = {.addr = "tcp@127.0.0.1:0"}, secure = {.addr = "tcp@127.0.0.1:0",
                                                              .tls = &tls};
    ut_rpc_svr *a = ut_rpc_svr_create(loop, &plain, &h, NULL);
    ut_rpc_svr *b = ut_rpc_svr_create(loop, &secure, &h, NULL);
    int ports[2] = {-1, -1};

    if (a && b && ut_rpc_svr_start(a) == 0 && ut_rpc_svr_start(b) == 0) {
        ports[0] = ut_rpc_svr_port(a);
        ports[1] = ut_rpc_svr_port(b);
    }
    if (write(out, ports, sizeof(ports)) != sizeof(ports) || ports[0] < 0)
        _exit(1);
    ev_run(loop, 0);
    _exit(0);
}

/* ---- the client ---- */

typedef struct run {
    struct ev_loop *loop;
    ut_rpc_clt *clt;
    const char *body;
    size_t len;
    unsigned long long replies;
    int errors;
} run;

static void send_one(run *r);

static void on_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    run *r = arg;
    if (!msg) {
        r->errors++;
        return;
    }
    r->replies++;
    send_one(r);
}

static void send_one(run *r)
{
    ut_rpc_link *l = ut_rpc_clt_link(r->clt);
    if (l && ut_rpc_request(l, 0x0101, r->body, r->len, on_reply, r) != 0)
        r->errors++;
}

static void tick(struct ev_loop *loop, ev_timer *w, int revents)
{
}

/* Runs the loop until cond or secs pass. */
static void spin(run *r, bool (*cond)(run *), double secs)
{
    ev_timer t;
    double end = ev_time() + secs;
    ev_timer_init(&t, tick, 0.01, 0.01);
    ev_timer_start(r->loop, &t);
    while ((!cond || !cond(r)) && ev_time() < end)
        ev_run(r->loop, EVRUN_ONCE);
    ev_timer_stop(r->loop, &t);
}

static bool is_up(run *r)
{
    return ut_rpc_clt_up(r->clt);
}

static double measure(struct ev_loop *loop, int port, bool tls, size_t len)
{
    char addr[64];
    nw_tls_cfg tc = {.ca_file = K.ca};
    run r = {.loop = loop, .len = len};
    char *body = calloc(1, len);

    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    ut_rpc_cfg cfg = {.addr = addr, .tls = tls ? &tc : NULL};
    r.body = body;
    r.clt = ut_rpc_clt_create(loop, &cfg, &(ut_rpc_handlers){0}, NULL);
    if (!r.clt || ut_rpc_clt_start(r.clt) != 0)
        return 0;
    spin(&r, is_up, 3);
    for (int i = 0; i < INFLIGHT; i++)
        send_one(&r);
    spin(&r, NULL, 0.1);                  /* warm up */
    unsigned long long before = r.replies;
    double t0 = ev_time();
    spin(&r, NULL, SECONDS);
    double rate = (double)(r.replies - before) / (ev_time() - t0);
    int errors = r.errors;                /* freeing fails the requests in flight */
    ut_rpc_clt_free(r.clt);
    free(body);
    return errors ? -rate : rate;
}

int main(void)
{
    int fds[2];
    ut_log_cfg lc = {.level = UT_LOG_WARN};

    signal(SIGPIPE, SIG_IGN);
    ut_log_init(&lc);
    if (tls_kit_make(&K) != 0 || pipe(fds) < 0) {
        fprintf(stderr, "bench_rpc_tls: cannot make certificates (openssl command)\n");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0)
        run_servers(fds[1]);
    int ports[2];
    if (pid < 0 || read(fds[0], ports, sizeof(ports)) != sizeof(ports) || ports[0] < 0) {
        fprintf(stderr, "bench_rpc_tls: servers did not start\n");
        return 1;
    }
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    printf("== bench_rpc_tls (ut_rpc_link over loopback, server in a child, %d in flight)\n",
           INFLIGHT);
    size_t sizes[2] = {64, 64 * 1024};
    for (int i = 0; i < 2; i++) {
        double p = measure(loop, ports[0], false, sizes[i]);
        double t = measure(loop, ports[1], true, sizes[i]);
        printf("%6zu-byte bodies: plaintext %.0f req/s, TLS %.0f req/s (%.2f of plaintext)%s\n",
               sizes[i], p, t, p > 0 ? t / p : 0.0, p < 0 || t < 0 ? " (errors)" : "");
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    ev_loop_destroy(loop);
    tls_kit_remove(&K);
    ut_log_close();
    return 0;
}
