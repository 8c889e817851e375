/* st_listen: the network side of a Stratum server (see st_listen.h). */
#include <stdint.h>
#include <string.h>
#include "stratum/st_listen.h"
#include "stratum/st_out.h"
#include "utils/ut_log.h"

static st_server *st_ses_server(const nw_ses *ses)
{
    return nw_svr_udata(nw_ses_svr(ses));
}

/* One line up to and including '\n'; max_line + 1 bytes without one are a
 * too-long line, handed on as is. */
static int st_listen_decode(nw_ses *ses, const void *data, size_t len)
{
    st_conn *c = ses->privdata;
    size_t max;
    const char *nl;

    if (c == NULL)
        return len > (size_t)INT32_MAX ? INT32_MAX : (int)len;   /* being refused: drop */
    max = c->srv->cfg->max_line;
    nl = memchr(data, '\n', len < max + 1 ? len : max + 1);
    if (nl != NULL)
        return (int)(nl - (const char *)data) + 1;
    if (len > max)
        return (int)max + 1;   /* no newline within the limit: a too-long line */
    return 0;
}

static void st_listen_on_message(nw_ses *ses, const void *msg, size_t len)
{
    st_conn *c = ses->privdata;

    if (c != NULL)
        st_conn_message(c, msg, len);
}

static void st_listen_on_accept(nw_ses *ses)
{
    st_server *srv = st_ses_server(ses);
    const char *refused = NULL;
    st_conn *c;

    if (srv->sink.admit != NULL)
        refused = srv->sink.admit(srv->sink.arg, &ses->peer);
    if (refused != NULL) {
        nw_ses_close(ses, refused);
        return;
    }
    c = st_conn_new(srv, ses, &ses->peer);
    if (c == NULL) {
        log_error("out of memory accepting peer=%s", nw_ses_peer_str(ses));
        nw_ses_close(ses, "out of memory");
        return;
    }
    ses->privdata = c;
    log_debug("connected: peer=%s conn=%llu", c->peer, (unsigned long long)c->id);
}

static void st_listen_on_close(nw_ses *ses, const char *reason)
{
    st_conn *c = ses->privdata;

    if (c == NULL)
        return;
    ses->privdata = NULL;
    /* INFO only for a miner that did work: junk connections would write
     * lines at whatever rate they are opened. */
    UT_LOG_AT(c->accepted > 0 ? UT_LOG_INFO : UT_LOG_DEBUG,
              "disconnected: peer=%s conn=%llu worker=%s reason=%s accepted=%llu rejected=%llu",
              c->peer, (unsigned long long)c->id, c->nnames ? c->names[0].full : "-", reason,
              (unsigned long long)c->accepted, (unsigned long long)c->rejected);
    st_conn_free(c);
}

static void st_listen_on_batch_end(nw_ses *ses)
{
    st_conn *c = ses->privdata;

    if (c != NULL && c->srv->out_owner == c)
        st_flush(c->srv);
}

const nw_handlers st_listen_handlers = {
    .decode = st_listen_decode,
    .on_message = st_listen_on_message,
    .on_accept = st_listen_on_accept,
    .on_close = st_listen_on_close,
    .on_batch_end = st_listen_on_batch_end,
};

int st_listen(st_server *srv, const char *bind, size_t max_sessions)
{
    nw_svr_cfg s = {
        .bind = bind,
        .max_msg = srv->cfg->max_line + 2,
        .idle_timeout = srv->cfg->idle_timeout,
        .reuseport = true,
        .max_sessions = max_sessions,
        .wbuf_limit = srv->cfg->max_output,
    };

    srv->svr = nw_svr_create(srv->loop, &s, &st_listen_handlers, srv);
    if (srv->svr == NULL)
        return -1;
    if (nw_svr_start(srv->svr) != 0)
        return -1;
    return 0;
}

void st_listen_stop(st_server *srv)
{
    if (srv->svr != NULL)
        nw_svr_stop(srv->svr);
}

void st_listen_free(st_server *srv)
{
    if (srv->svr != NULL)
        nw_svr_free(srv->svr);   /* closes every connection */
    srv->svr = NULL;
}
