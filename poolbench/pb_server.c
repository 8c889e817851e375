/* pb_server: pools -> notifies -> CMD_PB_TIP to jobmasters (see pb_server.h). */
#include "poolbench/pb_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "poolbench/pb_http.h"
#include "utils/ut_cmd.h"
#include "utils/ut_log.h"

int pb_tip_body(const ut_snotify *n, const char *name, char *out, size_t cap)
{
    if (n->height == 0)
        return -1;
    int len = snprintf(out, cap, "{\"v\":1,\"height\":%u,\"hash\":\"%s\",\"bits\":\"%08x\","
                       "\"time\":%u,\"version\":%u,\"pool\":\"%s\",\"via\":\"poolbench\"}",
                       n->height - 1, n->prev_hex, n->nbits, n->ntime, n->version, name);
    return len < 0 || (size_t)len >= cap ? -1 : 0;
}

static void pb_push_one(ut_rpc_link *link, void *arg)
{
    const char *body = arg;
    ut_rpc_push(link, CMD_PB_TIP, body, strlen(body));
}

static void pb_on_notify(pb_pool *p, const ut_snotify *n, double t0, void *arg)
{
    pb_server *srv = arg;
    if (n->height <= srv->best_height)
        return;
    srv->best_height = n->height;
    pb_pool_stats_of(p)->tips++;
    if (pb_tip_body(n, pb_pool_name(p), srv->best_body, sizeof(srv->best_body)) < 0) {
        srv->best_body[0] = '\0';
        return;
    }
    ut_rpc_svr_foreach(srv->rpc, pb_push_one, srv->best_body);
    srv->tips_sent++;
    srv->last_tip_seconds = ev_time() - t0;
    log_notice("pool %s: builds height=%u on %s; told %zu jobmaster(s) in %.3f ms",
               pb_pool_name(p), n->height, n->prev_hex, ut_rpc_svr_count(srv->rpc),
               srv->last_tip_seconds * 1e3);
}

static void pb_rpc_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    log_warn("rpc: jobmaster %s: unexpected command %04x", ut_rpc_link_peer(link),
             msg->command);
}

static void pb_rpc_on_up(ut_rpc_link *link, void *udata)
{
    pb_server *srv = udata;
    log_info("rpc: jobmaster %s connected", ut_rpc_link_peer(link));
    if (srv->best_body[0])
        ut_rpc_push(link, CMD_PB_TIP, srv->best_body, strlen(srv->best_body));
}

static void pb_rpc_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    log_warn("rpc: jobmaster %s gone: %s", ut_rpc_link_peer(link), reason);
}

static int pb_server_listen(pb_server *srv)
{
    const pb_config *cfg = srv->cfg;
    static const ut_rpc_handlers rh = {.on_msg = pb_rpc_on_msg, .on_up = pb_rpc_on_up,
                                       .on_down = pb_rpc_on_down};
    ut_rpc_cfg rc = {.addr = cfg->rpc.bind, .heartbeat = cfg->rpc_heartbeat,
                     .allow = (const char **)cfg->rpc.allow};
    srv->rpc = ut_rpc_svr_create(srv->loop, &rc, &rh, srv);
    if (!srv->rpc || ut_rpc_svr_start(srv->rpc) < 0) {
        log_fatal("rpc: cannot listen on %s", cfg->rpc.bind);
        return -1;
    }
    if (cfg->http.bind) {
        srv->http = pb_http_start(srv->loop, cfg->http.bind,
                                  (const char *const *)cfg->http.allow, srv);
        if (!srv->http) {
            log_fatal("http: cannot listen on %s", cfg->http.bind);
            return -1;
        }
    }
    return 0;
}

static int pb_server_pools(pb_server *srv)
{
    const pb_config *cfg = srv->cfg;
    for (size_t i = 0; i < cfg->pool_count; i++) {
        srv->pools[i] = pb_pool_create(srv->loop, &cfg->pools[i], cfg->reconnect_min,
                                       cfg->reconnect_max, cfg->idle_timeout, pb_on_notify,
                                       srv);
        if (!srv->pools[i] || pb_pool_start(srv->pools[i]) < 0) {
            log_fatal("pool %s: cannot start a client to %s", cfg->pools[i].name,
                      cfg->pools[i].addr);
            return -1;
        }
        srv->pool_count = i + 1;
    }
    return 0;
}

pb_server *pb_server_create(struct ev_loop *loop, const pb_config *cfg)
{
    pb_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->loop = loop;
    srv->cfg = cfg;
    srv->started = (double)time(NULL);
    if (pb_server_listen(srv) < 0 || pb_server_pools(srv) < 0) {
        pb_server_free(srv);
        return NULL;
    }
    return srv;
}

void pb_server_free(pb_server *srv)
{
    if (!srv)
        return;
    for (size_t i = 0; i < srv->pool_count; i++)
        pb_pool_free(srv->pools[i]);
    ut_status_free(srv->http);
    if (srv->rpc)
        ut_rpc_svr_free(srv->rpc);
    free(srv);
}

size_t pb_server_jobmasters(const pb_server *srv)
{
    return srv->rpc ? ut_rpc_svr_count(srv->rpc) : 0;
}
