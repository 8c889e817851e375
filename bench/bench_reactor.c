/* bench_reactor: figures for the network library over loopback TCP.
 * A forked child runs an nw_svr echo server for newline-framed messages
 * that batches its replies (one send per read event, flushed in
 * on_batch_end, as the gateway does); this process drives it with nw_clt
 * clients. Prints:
 *   - echoed messages per second, 1 connection with 1000 in flight,
 *   - the same with 100 connections, 100 in flight each,
 *   - server RSS growth per idle connection over 10,000 connections,
 *   - sizeof(nw_ses).
 * No pass/fail; about 4 s in all. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/nw_clt.h"
#include "network/nw_svr.h"

#define BENCH_SECONDS 1.0
#define IDLE_CONNS 10000

/* A mining.submit-sized line (about 100 bytes). */
static const char bench_line[] =
    "{\"id\":12,\"method\":\"mining.submit\",\"params\":[\"worker.1\",\"6740a1b2\","
    "\"00000001\",\"6740a1b2\",\"1a2b3c4d\"]}\n";
#define LINE_LEN (sizeof(bench_line) - 1)

typedef struct report {
    size_t sessions;
    long rss_kb;
    unsigned long long messages;
} report;

static int line_decode(nw_ses *ses, const void *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    return nl ? (int)(nl - (const char *)data + 1) : 0;
}

static long rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- the server child ---- */

typedef struct server {
    nw_svr *svr;
    nw_buf out;              /* replies of the current read event */
    unsigned long long messages;
    int ctl_in, ctl_out;
    ev_io ctl;
} server;

static server SV;

static void srv_on_message(nw_ses *ses, const void *msg, size_t len)
{
    nw_buf_append(&SV.out, msg, len);
    SV.messages++;
}

static void srv_on_batch_end(nw_ses *ses)
{
    nw_ses_send(ses, SV.out.data + SV.out.rpos, nw_buf_len(&SV.out));
    nw_buf_consume(&SV.out, nw_buf_len(&SV.out));
}

/* One byte per request: 'r' answers with a report, 'q' (or EOF) quits. */
static void srv_ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    char c = 'q';
    if (read(SV.ctl_in, &c, 1) != 1 || c == 'q') {
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    report r = { nw_svr_count(SV.svr), rss_kb(), SV.messages };
    if (write(SV.ctl_out, &r, sizeof(r)) != sizeof(r))
        ev_break(loop, EVBREAK_ALL);
}

static void run_server(int ctl_in, int ctl_out)
{
    static const nw_handlers h = {
        .decode = line_decode,
        .on_message = srv_on_message,
        .on_batch_end = srv_on_batch_end,
    };
    raise_fd_limit();
    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    nw_svr_cfg cfg = { .bind = "tcp@127.0.0.1:0", .backlog = 4096 };
    SV.svr = nw_svr_create(loop, &cfg, &h, NULL);
    SV.ctl_in = ctl_in;
    SV.ctl_out = ctl_out;
    nw_buf_init(&SV.out);
    int port = -1;
    nw_addr a;
    if (SV.svr && nw_svr_start(SV.svr) == 0 && nw_svr_local_addr(SV.svr, &a) == 0)
        port = ntohs(a.u.in4.sin_port);
    if (write(ctl_out, &port, sizeof(port)) != sizeof(port) || port < 0)
        _exit(1);
    ev_io_init(&SV.ctl, srv_ctl_cb, ctl_in, EV_READ);
    ev_io_start(loop, &SV.ctl);
    ev_run(loop, 0);
    ev_io_stop(loop, &SV.ctl);
    nw_svr_free(SV.svr);
    nw_buf_free(&SV.out);
    ev_loop_destroy(loop);
    _exit(0);
}

/* ---- control of the child ---- */

static int ctl_to_child, ctl_from_child;

static report ask_report(void)
{
    report r;
    memset(&r, 0, sizeof(r));
    if (write(ctl_to_child, "r", 1) != 1 || read(ctl_from_child, &r, sizeof(r)) != sizeof(r))
        fprintf(stderr, "bench_reactor: server child not answering\n");
    return r;
}

/* ---- load clients ---- */

typedef struct loader {
    nw_clt *clt;
    int window;
    int got_in_batch;
} loader;

static struct {
    struct ev_loop *loop;
    unsigned long long received;
    int connected;
    bool running;
    char *burst;             /* window copies of the line */
} L;

static void send_lines(nw_ses *ses, int n)
{
    nw_ses_send(ses, L.burst, (size_t)n * LINE_LEN);
}

static void ld_on_connect(nw_ses *ses, bool ok)
{
    loader *ld = nw_clt_udata(nw_ses_clt(ses));
    if (!ok)
        return;
    L.connected++;
    send_lines(ses, ld->window);
}

static void ld_on_message(nw_ses *ses, const void *msg, size_t len)
{
    loader *ld = nw_clt_udata(nw_ses_clt(ses));
    ld->got_in_batch++;
    L.received++;
}

static void ld_on_batch_end(nw_ses *ses)
{
    loader *ld = nw_clt_udata(nw_ses_clt(ses));
    if (L.running)
        send_lines(ses, ld->got_in_batch);
    ld->got_in_batch = 0;
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
}

static void run_loop_for(double seconds)
{
    ev_timer tick;
    ev_timer_init(&tick, tick_cb, 0.01, 0.01);
    ev_timer_start(L.loop, &tick);
    double end = ev_time() + seconds;
    while (ev_time() < end)
        ev_run(L.loop, EVRUN_ONCE);
    ev_timer_stop(L.loop, &tick);
}

static void bench_throughput(const char *addr, int nconn, int window)
{
    static const nw_handlers h = {
        .decode = line_decode,
        .on_message = ld_on_message,
        .on_connect = ld_on_connect,
        .on_batch_end = ld_on_batch_end,
    };
    loader *lds = calloc((size_t)nconn, sizeof(*lds));
    L.burst = malloc((size_t)window * LINE_LEN);
    for (int i = 0; i < window; i++)
        memcpy(L.burst + (size_t)i * LINE_LEN, bench_line, LINE_LEN);
    L.connected = 0;
    L.running = true;
    for (int i = 0; i < nconn; i++) {
        nw_clt_cfg cfg = { .addr = addr };
        lds[i].window = window;
        lds[i].clt = nw_clt_create(L.loop, &cfg, &h, &lds[i]);
        nw_clt_start(lds[i].clt);
    }
    double wait_end = ev_time() + 5.0;
    while (L.connected < nconn && ev_time() < wait_end)
        run_loop_for(0.01);
    run_loop_for(0.2);                     /* warm up */
    unsigned long long r0 = L.received;
    report s0 = ask_report();
    double t0 = ev_time();
    run_loop_for(BENCH_SECONDS);
    double dt = ev_time() - t0;
    unsigned long long r1 = L.received;
    report s1 = ask_report();
    L.running = false;
    printf("echo, %3d connection(s) x %4d in flight: %9.0f msg/s round trip "
           "(server handled %.0f msg/s, %zu-byte lines)\n",
           nconn, window, (double)(r1 - r0) / dt, (double)(s1.messages - s0.messages) / dt,
           LINE_LEN);
    for (int i = 0; i < nconn; i++)
        nw_clt_free(lds[i].clt);
    free(lds);
    free(L.burst);
    run_loop_for(0.1);
}

/* ---- idle memory ---- */

static void bench_idle_memory(int port)
{
    static int fds[IDLE_CONNS];
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    report before = ask_report();
    int n = 0;
    for (; n < IDLE_CONNS; n++) {
        fds[n] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[n] < 0 || connect(fds[n], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            if (fds[n] >= 0)
                close(fds[n]);
            break;
        }
    }
    report after = ask_report();
    for (int i = 0; i < 200 && after.sessions < before.sessions + (size_t)n; i++) {
        usleep(10000);
        after = ask_report();
    }
    size_t conns = after.sessions - before.sessions;
    printf("idle connections: %zu held, server RSS %ld -> %ld KiB: %.0f bytes per idle "
           "connection (user space; kernel socket memory not included)\n",
           conns, before.rss_kb, after.rss_kb,
           conns ? (double)(after.rss_kb - before.rss_kb) * 1024.0 / (double)conns : 0.0);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    int to_child[2], from_child[2];
    if (pipe(to_child) < 0 || pipe(from_child) < 0)
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close(to_child[1]);
        close(from_child[0]);
        run_server(to_child[0], from_child[1]);
    }
    close(to_child[0]);
    close(from_child[1]);
    ctl_to_child = to_child[1];
    ctl_from_child = from_child[0];
    int port = -1;
    if (read(ctl_from_child, &port, sizeof(port)) != sizeof(port) || port < 0) {
        fprintf(stderr, "bench_reactor: server did not start\n");
        return 1;
    }
    char addr[64];
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", port);
    L.loop = ev_loop_new(EVFLAG_AUTO);

    printf("== bench_reactor (loopback TCP, server in a child process)\n");
    printf("sizeof(nw_ses) = %zu bytes\n", sizeof(nw_ses));
    bench_throughput(addr, 1, 1000);
    bench_throughput(addr, 100, 100);
    bench_idle_memory(port);

    if (write(ctl_to_child, "q", 1) != 1)
        kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    ev_loop_destroy(L.loop);
    return 0;
}
