/* sa_node: the thread that asks the node whether recent found blocks are
 * still in the main chain (see sa_node.h). */
#include "statsapi/sa_node.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "utils/ut_log.h"
#include "utils/ut_node.h"

typedef struct sa_node {
    sa_store *st;
    const sa_config *cfg;
    ut_node_conn *conn;
    pthread_t thread;
    _Atomic bool stop;
} sa_node;

typedef struct sa_due {
    size_t i;
    char hash[72];
} sa_due;

/* Asks the node about one block; writes the answer into block i. */
static void sa_node_check(sa_node *n, const sa_due *d)
{
    char err[512] = "", err2[512] = "";
    json_t *hdr = NULL, *mh = NULL;
    json_t *p = json_pack("[s, b]", d->hash, 1);
    int rc = ut_node_call(n->conn, "getblockheader", p, &hdr, err, sizeof(err));
    const char *main_hash = NULL;

    json_decref(p);
    json_t *h = rc == 0 ? json_object_get(hdr, "height") : NULL;
    if (json_is_integer(h)) {
        p = json_pack("[I]", json_integer_value(h));
        int rc2 = ut_node_call(n->conn, "getblockhash", p, &mh, err2, sizeof(err2));
        json_decref(p);
        main_hash = rc2 == 0 ? json_string_value(mh) : rc2 == UT_NODE_ERR_NODE ? "" : NULL;
        if (rc2 == UT_NODE_ERR_TRANSPORT)
            log_warn("statsapi: node: getblockhash for block %s: %s", d->hash, err2);
    }
    int64_t conf;
    int status = sa_block_judge(d->hash, rc, hdr, err, main_hash, &conf);
    if (status < 0 && rc != 0)
        log_warn("statsapi: node: getblockheader %s: %s", d->hash, err);
    pthread_rwlock_wrlock(&n->st->lock);
    sa_block *b = d->i < n->st->nblocks ? &n->st->blocks[d->i] : NULL;
    if (b && strcmp(b->hash, d->hash) == 0) {
        b->checked = (int64_t)time(NULL);
        if (status >= 0 && status != b->status)
            log_notice("statsapi: block %s height %lld: %s -> %s", d->hash,
                       (long long)b->height, sa_block_status_names[b->status],
                       sa_block_status_names[status]);
        if (status >= 0) {
            b->status = status;
            b->confirmations = conf;
        }
    }
    pthread_rwlock_unlock(&n->st->lock);
    json_decref(hdr);
    json_decref(mh);
}

/* The blocks due now, newest first (at most SA_BLOCK_RECENT). */
static size_t sa_node_due(sa_node *n, sa_due *out)
{
    int64_t now = (int64_t)time(NULL);
    size_t k = 0;

    pthread_rwlock_rdlock(&n->st->lock);
    for (size_t i = n->st->nblocks; i > 0 && k < SA_BLOCK_RECENT; i--) {
        const sa_block *b = &n->st->blocks[i - 1];
        if (n->st->nblocks - (i - 1) > SA_BLOCK_RECENT)
            break;
        if (sa_block_due(b, i - 1, n->st->nblocks, now, n->cfg->node_interval)) {
            out[k].i = i - 1;
            memcpy(out[k].hash, b->hash, sizeof(out[k].hash));
            k++;
        }
    }
    pthread_rwlock_unlock(&n->st->lock);
    return k;
}

static void *sa_node_thread(void *arg)
{
    sa_node *n = arg;
    sa_due due[SA_BLOCK_RECENT];

    while (!atomic_load(&n->stop)) {
        size_t k = sa_node_due(n, due);
        for (size_t j = 0; j < k && !atomic_load(&n->stop); j++)
            sa_node_check(n, &due[j]);
        struct timespec ts = {0, 250 * 1000 * 1000};  /* due blocks are looked for 4 times a second */
        nanosleep(&ts, NULL);
    }
    return NULL;
}

sa_node *sa_node_start(sa_store *st, const sa_config *cfg, bool *failed)
{
    *failed = false;
    if (cfg->node.count == 0)
        return NULL;
    sa_node *n = calloc(1, sizeof(*n));
    if (n) {
        n->st = st;
        n->cfg = cfg;
        n->conn = ut_node_conn_new(&cfg->node);
    }
    if (!n || !n->conn || pthread_create(&n->thread, NULL, sa_node_thread, n) != 0) {
        log_error("statsapi: cannot start the node checker thread");
        if (n)
            ut_node_conn_free(n->conn);
        free(n);
        *failed = true;
        return NULL;
    }
    log_info("statsapi: node checker started, node %s, every %.0f s per block",
             cfg->node.nodes[0].url, cfg->node_interval);
    return n;
}

void sa_node_stop(sa_node *n)
{
    if (!n)
        return;
    atomic_store(&n->stop, true);
    pthread_join(n->thread, NULL);
    ut_node_conn_free(n->conn);
    free(n);
}
