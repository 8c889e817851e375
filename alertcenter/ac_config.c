/* ac_config: parses alertcenter.json into struct ac_config once at
 * start-up (see ac_config.h). Every error names the file and the key. */
#include "alertcenter/ac_config.h"

#include <stdlib.h>
#include <string.h>
#include "utils/ut_cfg_log.h"
#include "utils/ut_config.h"

static char *ac_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int ac_cfg_redis(ac_config *cfg, ut_cfg *uc)
{
    json_t *r = ut_cfg_redis_read(uc, &cfg->redis, 5, 600);
    const char *list = "alert:list", *counts = "alert:count";

    cfg->redis_list_max = 10000;
    if (!r || ut_cfg_str(uc, r, "list", &list, false) < 0 ||
        ut_cfg_size(uc, r, "list_max", &cfg->redis_list_max, 1, 100000000, false) < 0 ||
        ut_cfg_str(uc, r, "counts", &counts, false) < 0)
        return -1;
    cfg->redis_list = ac_dup(list);
    cfg->redis_counts = ac_dup(counts);
    return 0;
}

static int ac_cfg_mail_tls(ac_config *cfg, ut_cfg *uc, json_t *m)
{
    const char *tls = "none", *level = "error";
    if (ut_cfg_str(uc, m, "tls", &tls, false) < 0 ||
        ut_cfg_bool(uc, m, "insecure", &cfg->mail_insecure, false) < 0 ||
        ut_cfg_str(uc, m, "level", &level, false) < 0)
        return -1;
    if (ut_cfg_describing(uc))
        return 0;
    if (strcmp(tls, "none") == 0)
        cfg->mail_tls = AC_TLS_NONE;
    else if (strcmp(tls, "starttls") == 0)
        cfg->mail_tls = AC_TLS_STARTTLS;
    else if (strcmp(tls, "ssl") == 0)
        cfg->mail_tls = AC_TLS_SSL;
    else
        return ut_cfg_fail_in(uc, m, "tls", "expected none|starttls|ssl, got '%s'", tls);
    if (ut_log_level_parse(level, &cfg->mail_level) < 0)
        return ut_cfg_fail_in(uc, m, "level", "expected debug|info|notice|warn|error|fatal, "
                              "got '%s'", level);
    return 0;
}

static int ac_cfg_mail(ac_config *cfg, ut_cfg *uc)
{
    json_t *m = ut_cfg_object(uc, uc->root, "mail", true);
    int64_t groups = 10000;
    cfg->mail_prefix = strdup("[headframe]");
    cfg->gather = 2;
    cfg->interval = 60;
    cfg->max_interval = 3600;
    cfg->retry_max = 300;
    cfg->mail_timeout = 30;
    cfg->shutdown_wait = 10;
    if (!m || ut_cfg_str_dup(uc, m, "url", &cfg->mail_url, true) < 0 ||
        ac_cfg_mail_tls(cfg, uc, m) < 0 ||
        ut_cfg_str_dup(uc, m, "user", &cfg->mail_user, false) < 0 ||
        ut_cfg_str_dup(uc, m, "password", &cfg->mail_password, false) < 0 ||
        ut_cfg_str_dup(uc, m, "from", &cfg->mail_from, true) < 0 ||
        ut_cfg_str_list(uc, m, "to", &cfg->mail_to, true, "an array of e-mail addresses") < 0 ||
        ut_cfg_str_dup(uc, m, "prefix", &cfg->mail_prefix, false) < 0 ||
        ut_cfg_double(uc, m, "gather", &cfg->gather, 0, 3600, false) < 0 ||
        ut_cfg_double(uc, m, "interval", &cfg->interval, 0.1, 86400, false) < 0 ||
        ut_cfg_double(uc, m, "max_interval", &cfg->max_interval, 0.1, 86400 * 7, false) < 0 ||
        ut_cfg_int(uc, m, "max_groups", &groups, 1, 10000000, false) < 0 ||
        ut_cfg_double(uc, m, "retry_max", &cfg->retry_max, 0.1, 86400, false) < 0 ||
        ut_cfg_double(uc, m, "timeout", &cfg->mail_timeout, 1, 3600, false) < 0 ||
        ut_cfg_str_dup(uc, m, "ca_file", &cfg->mail_ca_file, false) < 0 ||
        ut_cfg_double(uc, m, "shutdown_wait", &cfg->shutdown_wait, 0, 3600, false) < 0)
        return -1;
    cfg->max_groups = (size_t)groups;
    if (!ut_cfg_describing(uc) && (!cfg->mail_to || !cfg->mail_to[0]))
        return ut_cfg_fail_in(uc, m, "to", "expected at least one address");
    return 0;
}

static int ac_cfg_hook(ac_config *cfg, ut_cfg *uc)
{
    json_t *h = ut_cfg_object(uc, uc->root, "webhook", false);
    if (!h)
        return uc->err[0] ? -1 : 0;
    return ut_cfg_str_dup(uc, h, "url", &cfg->hook_url, true) < 0 ||
           ut_cfg_str_dup(uc, h, "chat_id", &cfg->hook_chat_id, false) < 0 ? -1 : 0;
}

static int ac_cfg_watch(ac_config *cfg, ut_cfg *uc, json_t *h)
{
    json_t *arr = ut_cfg_array(uc, h, "watch", false), *w;
    size_t i;
    if (!arr)
        return uc->err[0] ? -1 : 0;
    cfg->watch = calloc(json_array_size(arr) + 1, sizeof(*cfg->watch));
    json_array_foreach(arr, i, w) {
        ac_watch *x = &cfg->watch[cfg->nwatch++];
        x->quiet_after = 60;
        x->backlog_max = 100;
        if (ut_cfg_str_dup(uc, w, "name", &x->name, true) < 0 ||
            ut_cfg_str_dup(uc, w, "url", &x->url, true) < 0 ||
            ut_cfg_double(uc, w, "quiet_after", &x->quiet_after, 0.1, 86400, false) < 0 ||
            ut_cfg_str_dup(uc, w, "backlog", &x->backlog, false) < 0 ||
            ut_cfg_double(uc, w, "backlog_max", &x->backlog_max, 0, 1e15, false) < 0)
            return -1;
    }
    return 0;
}

static int ac_cfg_health(ac_config *cfg, ut_cfg *uc)
{
    json_t *h = ut_cfg_object(uc, uc->root, "health", false), *jm;
    int64_t window = 10;
    cfg->health_interval = 10;
    cfg->no_job_after = 600;
    cfg->jm_quiet_after = 60;
    cfg->share_drop = 0.5;
    cfg->min_hour_shares = 10;
    cfg->blocks = true;
    if (!h)
        return uc->err[0] ? -1 : 0;
    if (ut_cfg_double(uc, h, "interval", &cfg->health_interval, 0.1, 3600, false) < 0)
        return -1;
    jm = ut_cfg_object(uc, h, "jobmaster", false);
    if (uc->err[0] ||
        (jm && (ut_cfg_str_dup(uc, jm, "url", &cfg->jm_url, true) < 0 ||
                ut_cfg_double(uc, jm, "no_job_after", &cfg->no_job_after, 1, 86400, false) < 0 ||
                ut_cfg_double(uc, jm, "quiet_after", &cfg->jm_quiet_after, 0.1, 86400,
                              false) < 0)))
        return -1;
    if (ac_cfg_watch(cfg, uc, h) < 0 ||
        ut_cfg_double(uc, h, "share_drop", &cfg->share_drop, 0, 1, false) < 0 ||
        ut_cfg_int(uc, h, "share_window", &window, 1, 59, false) < 0 ||
        ut_cfg_double(uc, h, "min_hour_shares", &cfg->min_hour_shares, 0, 1e12, false) < 0 ||
        ut_cfg_bool(uc, h, "blocks", &cfg->blocks, false) < 0)
        return -1;
    cfg->share_window = (int)window;
    return 0;
}

static int ac_cfg_subs(ac_config *cfg, ut_cfg *uc, json_t *m)
{
    json_t *arr = ut_cfg_array(uc, m, "subscriptions", false), *s;
    size_t i;
    if (!arr)
        return uc->err[0] ? -1 : 0;
    cfg->subs = calloc(json_array_size(arr) + 1, sizeof(*cfg->subs));
    json_array_foreach(arr, i, s) {
        ac_sub *x = &cfg->subs[cfg->nsubs++];
        if (ut_cfg_str_dup(uc, s, "user", &x->user, true) < 0 ||
            ut_cfg_str_dup(uc, s, "email", &x->email, true) < 0 ||
            ut_cfg_str_list(uc, s, "workers", &x->workers, false, "an array of worker names") < 0)
            return -1;
    }
    return 0;
}

static int ac_cfg_miners(ac_config *cfg, ut_cfg *uc)
{
    json_t *m = ut_cfg_object(uc, uc->root, "miners", false);
    int64_t window = 10;
    cfg->miner_interval = 60;
    cfg->offline_after = 600;
    cfg->drop_fraction = 0.5;
    if (!m)
        return uc->err[0] ? -1 : 0;
    cfg->miners = true;
    if (ut_cfg_double(uc, m, "interval", &cfg->miner_interval, 0.1, 3600, false) < 0 ||
        ut_cfg_double(uc, m, "offline_after", &cfg->offline_after, 1, 86400, false) < 0 ||
        ut_cfg_double(uc, m, "drop_fraction", &cfg->drop_fraction, 0, 1, false) < 0 ||
        ut_cfg_int(uc, m, "drop_window", &window, 1, 59, false) < 0 ||
        ut_cfg_str_dup(uc, m, "redis_hash", &cfg->sub_hash, false) < 0 ||
        ac_cfg_subs(cfg, uc, m) < 0)
        return -1;
    cfg->drop_window = (int)window;
    return 0;
}

static int ac_cfg_parse(ut_cfg *uc, void *arg)
{
    ac_config *cfg = arg;
    if (ut_cfg_log(uc, &cfg->log, &cfg->log_path) < 0 ||
        (!ut_cfg_listen_read(uc, uc->root, "recv", &cfg->recv, true, true) && uc->err[0]) ||
        (!ut_cfg_listen_read(uc, uc->root, "http", &cfg->http, false, true) && uc->err[0]) ||
        ut_cfg_str_dup(uc, uc->root, "coin", &cfg->coin, false) < 0)
        return -1;
    if (!ut_cfg_describing(uc) && strncmp(cfg->recv.bind, "udp@", 4) != 0)
        return ut_cfg_fail(uc, "recv.bind", "expected a UDP address \"udp@HOST:PORT\", got '%s'",
                           cfg->recv.bind);
    if (ac_cfg_redis(cfg, uc) < 0 || ac_cfg_mail(cfg, uc) < 0 || ac_cfg_hook(cfg, uc) < 0 ||
        ac_cfg_health(cfg, uc) < 0 || ac_cfg_miners(cfg, uc) < 0)
        return -1;
    return 0;
}

static int ac_config_run(ac_config *cfg, const char *path, ut_cfg_keys *keys, char *err,
                         size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path ? path : "");
    cfg->log = ut_cfg_log_defaults;
    cfg->coin = strdup("btc");
    if (ut_cfg_run(path, ac_cfg_parse, cfg, NULL, keys, err, errlen) == 0)
        return 0;
    ac_config_free(cfg);
    return -1;
}

int ac_config_load(ac_config *cfg, const char *path, char *err, size_t errlen)
{
    return ac_config_run(cfg, path, NULL, err, errlen);
}

int ac_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen)
{
    ac_config cfg;
    if (ac_config_run(&cfg, path, keys, err, errlen) != 0)
        return -1;
    ac_config_free(&cfg);
    return 0;
}

void ac_config_free(ac_config *cfg)
{
    ut_cfg_listen_free(&cfg->recv);
    ut_cfg_listen_free(&cfg->http);
    free(cfg->file);
    free(cfg->log_path);
    free(cfg->coin);
    ut_cfg_redis_free(&cfg->redis);
    free(cfg->redis_list);
    free(cfg->redis_counts);
    free(cfg->mail_url);
    free(cfg->mail_user);
    free(cfg->mail_password);
    free(cfg->mail_ca_file);
    free(cfg->mail_from);
    ut_cfg_host_list_free(cfg->mail_to);
    free(cfg->mail_prefix);
    free(cfg->hook_url);
    free(cfg->hook_chat_id);
    free(cfg->jm_url);
    for (size_t i = 0; i < cfg->nwatch; i++) {
        free(cfg->watch[i].name);
        free(cfg->watch[i].url);
        free(cfg->watch[i].backlog);
    }
    free(cfg->watch);
    for (size_t i = 0; i < cfg->nsubs; i++) {
        free(cfg->subs[i].user);
        free(cfg->subs[i].email);
        ut_cfg_host_list_free(cfg->subs[i].workers);
    }
    free(cfg->subs);
    free(cfg->sub_hash);
    memset(cfg, 0, sizeof(*cfg));
}
