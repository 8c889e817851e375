/* ac_app: alertcenter's parts, held together by main.c; ac_http reads them
 * for /status and /metrics. Loop thread only. */
#ifndef AC_APP_H
#define AC_APP_H

#include <ev.h>
#include "alertcenter/ac_config.h"
#include "alertcenter/ac_group.h"
#include "alertcenter/ac_mail.h"
#include "alertcenter/ac_recv.h"
#include "alertcenter/ac_store.h"
#include "utils/ut_status.h"

struct ac_health;
struct ac_miner;

typedef struct ac_app {
    struct ev_loop *loop;
    const ac_config *cfg;
    ac_group *grp;
    ac_mail *mail;
    ac_store *store;
    ac_recv *recv;
    struct ac_health *health;
    struct ac_miner *miner;
    ut_status *http;
    double started;
    uint64_t emitted;          /* alerts alertcenter made itself (health, miners) */
} ac_app;

/* An alert of alertcenter's own (health, miners): stored in Redis like a
 * received one (module "alertcenter") and grouped for mail. */
void ac_app_emit(const ac_item *it, void *app);

#endif
