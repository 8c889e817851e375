/* ma_farm: the farm's Stratum server and its sink (see ma_farm.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "mineragent/ma_farm.h"
#include "mineragent/ma_upstream.h"
#include "stratum/st_acct.h"
#include "stratum/st_ids.h"
#include "stratum/st_listen.h"
#include "stratum/st_sess.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"
#include "utils/ut_meta.h"

struct ma_farm {
    ma_agent *ag;
    st_config cfg;             /* the agent's, with this layout's sizes */
    st_server st;
    st_ids ids;                /* live per-miner prefixes */
    uint8_t up_en1[ST_EN1_MAX];
    size_t up_en1_size;        /* the gateway's extranonce1 */
    size_t up_en2_size;        /* the gateway's extranonce2 = prefix + miner's */
    bool listening;
};

/* ---- the extranonce1 of a miner: upstream extranonce1 || prefix ---- */

static int ma_en1_alloc(void *arg, uint8_t *out, size_t size, uint64_t *handle)
{
    ma_farm *f = arg;
    size_t prefix = f->up_en2_size - MA_MINER_EN2;
    uint32_t id;

    if (size != f->up_en1_size + prefix || st_ids_alloc(&f->ids, &id) != 0)
        return -1;
    memcpy(out, f->up_en1, f->up_en1_size);
    memset(out + f->up_en1_size, 0, prefix);
    for (size_t i = 0; i < 3; i++)
        out[size - 1 - i] = (uint8_t)(id >> (8 * i));
    *handle = id;
    return 0;
}

static void ma_en1_release(void *arg, uint64_t handle)
{
    ma_farm *f = arg;

    st_ids_release(&f->ids, (uint32_t)handle);
}

/* ---- the sink ---- */

static void ma_sink_share(void *arg, const st_share_ev *ev)
{
    st_acct_share(((ma_farm *)arg)->ag->meta, ev);
}

static void ma_sink_block(void *arg, const st_block_ev *ev)
{
    ma_farm *f = arg;

    ma_upstream_block(f->ag->up, ev);
}

static void ma_sink_worker(void *arg, const st_conn *c, const st_wname *w, bool first_seen)
{
    st_acct_worker(((ma_farm *)arg)->ag->meta, c, w, first_seen);
}

static void ma_sink_closed(void *arg, const st_conn *c)
{
    st_acct_closed(((ma_farm *)arg)->ag->meta, c);
}

static void ma_sink_sync(void *arg)
{
    ma_farm *f = arg;

    ut_meta_sync(f->ag->meta);
}

/* ---- life cycle ---- */

static int ma_farm_layout(ma_farm *f, const uint8_t *en1, size_t en1_size, size_t en2_size)
{
    if (en1_size < 1 || en2_size < MA_MINER_EN2 + 3 || en2_size > 8 ||
        en1_size + en2_size - MA_MINER_EN2 > ST_EN1_MAX) {
        log_error("farm: the gateway's layout (extranonce1 %zu bytes, extranonce2 %zu) leaves "
                  "no room for a 3-byte miner prefix and a 4-byte miner extranonce2",
                  en1_size, en2_size);
        return -1;
    }
    memcpy(f->up_en1, en1, en1_size);
    f->up_en1_size = en1_size;
    f->up_en2_size = en2_size;
    f->cfg = f->ag->cfg->stratum;
    f->cfg.en1_size = en1_size + en2_size - MA_MINER_EN2;
    f->cfg.en2_size = MA_MINER_EN2;
    return 0;
}

static int ma_farm_init(ma_farm *f)
{
    st_sink sink = { .arg = f, .share = ma_sink_share, .block = ma_sink_block,
                     .worker = ma_sink_worker, .closed = ma_sink_closed, .sync = ma_sink_sync };
    st_en1_alloc alloc = { .alloc = ma_en1_alloc, .release = ma_en1_release, .arg = f };
    uint32_t start = 0;

    if (getrandom(&start, sizeof(start), 0) != sizeof(start))
        start = (uint32_t)getpid();
    if (st_ids_init(&f->ids, start) != 0)
        return -1;
    st_ids_set_quarantine(&f->ids, (uint32_t)f->cfg.jobs_max_age + 60, NULL);
    if (st_server_init(&f->st, &f->cfg, f->ag->loop, &sink, &alloc, NULL) != 0) {
        st_ids_free(&f->ids);
        return -1;
    }
    return 0;
}

ma_farm *ma_farm_create(ma_agent *ag, const uint8_t *en1, size_t en1_size, size_t en2_size)
{
    ma_farm *f = calloc(1, sizeof(*f));
    const ma_config *cfg = ag->cfg;

    if (f == NULL)
        return NULL;
    f->ag = ag;
    if (ma_farm_layout(f, en1, en1_size, en2_size) != 0 || ma_farm_init(f) != 0) {
        free(f);
        return NULL;
    }
    if (st_listen(&f->st, cfg->stratum_bind, cfg->max_connections) != 0) {
        log_fatal("farm: cannot listen on %s: %m", cfg->stratum_bind);
        ma_farm_free(f);
        return NULL;
    }
    f->listening = true;
    log_notice("farm: Stratum on %s, miner extranonce1 %zu bytes (agent's %zu + prefix %zu), "
               "extranonce2 %d bytes", cfg->stratum_bind, f->cfg.en1_size, en1_size,
               en2_size - MA_MINER_EN2, MA_MINER_EN2);
    return f;
}

void ma_farm_free(ma_farm *f)
{
    if (f == NULL)
        return;
    if (f->listening)
        st_listen_free(&f->st);
    st_server_free(&f->st);
    st_ids_free(&f->ids);
    free(f);
}

bool ma_farm_matches(const ma_farm *f, const uint8_t *en1, size_t en1_size, size_t en2_size)
{
    return f->up_en1_size == en1_size && f->up_en2_size == en2_size &&
           memcmp(f->up_en1, en1, en1_size) == 0;
}

void ma_farm_job(ma_farm *f, const json_t *body)
{
    (void)st_server_on_job(&f->st, body);
}

void ma_farm_sweep(ma_farm *f)
{
    st_server_sweep(&f->st);
    ut_meta_connections(f->ag->meta, (int64_t)f->st.nconns);
}

void ma_farm_reconnect_all(ma_farm *f)
{
    st_sess_reconnect_all(&f->st);
}

st_server *ma_farm_server(ma_farm *f)
{
    return &f->st;
}

size_t ma_farm_upstream_en1_size(const ma_farm *f)
{
    return f->up_en1_size;
}
