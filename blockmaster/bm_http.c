/* bm_http: /status and /metrics from struct bm_server, on the loop thread. */
#include "blockmaster/bm_http.h"

#include "blockmaster/bm_server.h"
#include "utils/ut_log.h"
#include "utils/ut_metrics.h"

static json_t *bm_http_last(const bm_last *l)
{
    if (!l->hash[0])
        return json_null();
    json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "hash", l->hash,
                          "height", (json_int_t)l->height, "mode", l->mode, "result", l->result,
                          "fallback", l->fallback, "size", (json_int_t)l->size, "txs",
                          (json_int_t)l->txs, "from_mempool", (json_int_t)l->from_mempool,
                          "fetched", (json_int_t)l->fetched);
    json_object_set_new(o, "thin_bytes", json_integer((json_int_t)l->thin_bytes));
    json_object_set_new(o, "fetch_bytes", json_integer((json_int_t)l->fetch_bytes));
    json_object_set_new(o, "full_bytes", json_integer((json_int_t)l->full_bytes));
    json_object_set_new(o, "seconds", json_real(l->seconds));
    return o;
}

static json_t *bm_http_status(void *arg)
{
    bm_server *srv = arg;
    const bm_stats *st = &srv->st;
    const bm_mempool_stats *ms = bm_mempool_get_stats(srv->mempool);
    json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "module", "blockmaster", "jobmasters",
                          (json_int_t)bm_server_jobmasters(srv), "bitpeers",
                          (json_int_t)srv->bitpeer_count, "bitpeers_up",
                          (json_int_t)bm_server_bitpeers_up(srv));
    json_object_set_new(o, "mempool", json_pack("{s:I, s:I, s:I, s:I, s:f}", "txs",
                        (json_int_t)bm_mempool_count(srv->mempool), "polls",
                        (json_int_t)ms->polls, "poll_errors", (json_int_t)ms->poll_errors,
                        "fetched", (json_int_t)ms->fetched, "last_poll", ms->last_poll));
    json_t *b = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "received",
                          (json_int_t)st->blocks, "thin", (json_int_t)st->thin_ok, "full",
                          (json_int_t)st->full, "failed", (json_int_t)st->failed, "accepted",
                          (json_int_t)st->accepted, "rejected", (json_int_t)st->rejected,
                          "duplicates", (json_int_t)st->duplicates, "txs_fetched",
                          (json_int_t)st->txs_fetched);
    json_object_set_new(o, "blocks", b);
    json_object_set_new(o, "bytes", json_pack("{s:I, s:I, s:I, s:I}", "thin",
                        (json_int_t)st->thin_bytes, "fetch", (json_int_t)st->fetch_bytes,
                        "full", (json_int_t)st->full_bytes, "blocks",
                        (json_int_t)st->block_bytes));
    json_object_set_new(o, "bad_requests", json_integer((json_int_t)st->bad_requests));
    json_object_set_new(o, "bitpeer_sent", json_integer((json_int_t)st->bitpeer_sent));
    json_object_set_new(o, "last", bm_http_last(&st->last));
    return o;
}

static void bm_m(ut_metrics *m, const char *name, const char *type, const char *help, double v)
{
    ut_metrics_add(m, name, type, help, NULL, v);
}

static char *bm_http_metrics(void *arg)
{
    bm_server *srv = arg;
    const bm_stats *st = &srv->st;
    ut_metrics m = {.prefix = "hf_blockmaster_"};
    bm_m(&m, "jobmasters", "gauge", "Authenticated jobmaster links.",
         (double)bm_server_jobmasters(srv));
    bm_m(&m, "mempool_txs", "gauge", "Transactions held from the node's mempool.",
         (double)bm_mempool_count(srv->mempool));
    bm_m(&m, "mempool_poll_errors_total", "counter", "Failed mempool polls.",
         (double)bm_mempool_get_stats(srv->mempool)->poll_errors);
    bm_m(&m, "blocks_total", "counter", "Thin blocks received (duplicates excluded).",
         (double)st->blocks);
    ut_metrics_family(&m, "blocks_rebuilt_total", "counter", "Blocks ready to submit, by how.");
    ut_metrics_sample(&m, "mode=\"thin\"", (double)st->thin_ok);
    ut_metrics_sample(&m, "mode=\"full\"", (double)st->full);
    bm_m(&m, "blocks_failed_total", "counter", "Blocks neither rebuilt nor fetched whole.",
         (double)st->failed);
    bm_m(&m, "blocks_accepted_total", "counter", "Blocks the node accepted (submitblock null).",
         (double)st->accepted);
    bm_m(&m, "blocks_rejected_total", "counter", "Blocks the node refused or never answered.",
         (double)st->rejected);
    bm_m(&m, "txs_fetched_total", "counter", "Transactions asked from the sender.",
         (double)st->txs_fetched);
    ut_metrics_family(&m, "link_bytes_total", "counter", "Link body bytes received, by kind.");
    ut_metrics_sample(&m, "kind=\"thin\"", (double)st->thin_bytes);
    ut_metrics_sample(&m, "kind=\"fetch\"", (double)st->fetch_bytes);
    ut_metrics_sample(&m, "kind=\"full\"", (double)st->full_bytes);
    bm_m(&m, "block_bytes_total", "counter", "Bytes of the blocks submitted.",
         (double)st->block_bytes);
    bm_m(&m, "last_block_seconds", "gauge", "Last block: thin block read -> node answered.",
         st->last.seconds);
    return ut_metrics_end(&m);
}

ut_status *bm_http_start(struct ev_loop *loop, const char *bind, const char *const *allow,
                         struct bm_server *srv)
{
    ut_status *s = ut_status_start(loop, bind, allow, bm_http_status, bm_http_metrics, srv);
    if (!s)
        log_fatal("http: cannot listen on %s", bind);
    return s;
}
