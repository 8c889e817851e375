/* ac_recv: alert datagrams in (see ac_recv.h). */
#include "alertcenter/ac_recv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "network/nw_addr.h"
#include "utils/ut_log.h"

struct ac_recv {
    struct ev_loop *loop;
    ev_io io;
    int fd;
    char **allow;
    ac_recv_fn fn;
    void *arg;
    ac_recv_stats st;
    ut_log_rl rl_bad, rl_refused;
};

static bool ac_allowed(const ac_recv *r, const nw_addr *from)
{
    char host[64];
    if (!r->allow)
        return true;
    nw_addr_host(from, host, sizeof(host));
    for (size_t i = 0; r->allow[i]; i++)
        if (strcmp(r->allow[i], host) == 0)
            return true;
    return false;
}

static void ac_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
    ac_recv *r = w->data;
    static ut_alert_rec rec;       /* loop thread only */
    char buf[UT_ALERT_DGRAM_MAX + 1], err[160], peer[80];

    for (int i = 0; i < 512; i++) {
        nw_addr from = {.proto = NW_UDP};
        socklen_t len = sizeof(from.u);
        ssize_t n = recvfrom(r->fd, buf, sizeof(buf), MSG_DONTWAIT, &from.u.sa, &len);
        if (n < 0)
            break;                 /* EAGAIN, or an error the next event shows again */
        from.len = len;
        if (!ac_allowed(r, &from)) {
            r->st.refused++;
            UT_LOG_LIMITED(&r->rl_refused, ev_now(loop), UT_LOG_WARN,
                           "recv: datagram from %s refused (not in recv.allow)",
                           nw_addr_str(&from, peer, sizeof(peer)));
            continue;
        }
        if (ut_alert_parse(buf, (size_t)n, &rec, err, sizeof(err)) != 0) {
            r->st.bad++;
            UT_LOG_LIMITED(&r->rl_bad, ev_now(loop), UT_LOG_WARN,
                           "recv: bad datagram of %zd bytes from %s: %s", n,
                           nw_addr_str(&from, peer, sizeof(peer)), err);
            continue;
        }
        r->st.received++;
        r->fn(&rec, r->arg);
    }
}

ac_recv *ac_recv_start(struct ev_loop *loop, const char *bind_spec, char **allow,
                       ac_recv_fn fn, void *arg)
{
    ac_recv *r = calloc(1, sizeof(*r));
    nw_addr a;
    int size = 8 << 20;

    if (!r)
        return NULL;
    if (nw_addr_parse(&a, bind_spec) != 0 || a.proto != NW_UDP) {
        log_error("recv: bad address %s", bind_spec);
        free(r);
        return NULL;
    }
    r->fd = socket(a.u.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (r->fd < 0 || bind(r->fd, &a.u.sa, a.len) != 0) {
        log_error("recv: cannot bind %s: %m", bind_spec);
        if (r->fd >= 0)
            close(r->fd);
        free(r);
        return NULL;
    }
    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    r->loop = loop;
    r->allow = allow;
    r->fn = fn;
    r->arg = arg;
    r->rl_bad = (ut_log_rl){.window = 60, .burst = 5};
    r->rl_refused = (ut_log_rl){.window = 60, .burst = 5};
    ev_io_init(&r->io, ac_on_read, r->fd, EV_READ);
    r->io.data = r;
    ev_io_start(loop, &r->io);
    return r;
}

void ac_recv_free(ac_recv *r)
{
    if (!r)
        return;
    ev_io_stop(r->loop, &r->io);
    close(r->fd);
    free(r);
}

void ac_recv_stop(ac_recv *r)
{
    if (r)
        ev_io_stop(r->loop, &r->io);
}

void ac_recv_stats_get(const ac_recv *r, ac_recv_stats *out)
{
    *out = r->st;
}
