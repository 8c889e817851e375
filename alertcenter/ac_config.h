/* ac_config: alertcenter.json, parsed once at start-up into ac_config.
 *
 *   {
 *     "log":   {"path": "log/alertcenter.log", "level": "info"},
 *     "recv":  {"bind": "udp@127.0.0.1:7700", "allow": ["127.0.0.1"]}, // alert datagrams
 *     "http":  {"bind": "tcp@127.0.0.1:7710", "allow": ["127.0.0.1"]}, // /status, /metrics
 *     "coin":  "btc",                          // key prefix of the accounting keys
 *     "redis": {"host": "127.0.0.1", "port": 6379, "db": 0, "password": "",
 *               "timeout": 5, "list": "alert:list", "list_max": 10000,
 *               "counts": "alert:count"},
 *     "mail":  {"url": "smtp://127.0.0.1:25", "tls": "none|starttls|ssl",
 *               "user": "", "password": "", "from": "alertcenter@pool.example",
 *               "to": ["ops@pool.example"], "level": "error", "prefix": "[headframe]",
 *               "gather": 2, "interval": 60, "max_interval": 3600,
 *               "max_groups": 10000, "retry_max": 300, "timeout": 30,
 *               "ca_file": "", "insecure": false, "shutdown_wait": 10},
 *     "webhook": {"url": "https://hooks.slack.com/...", "chat_id": ""},   // optional
 *     "health": {...},                          // optional, ac_health.h
 *     "miners": {...}                           // optional, ac_miner.h
 *   }
 * (alertcenter --help lists every key with its type, range and default.) */
#ifndef AC_CONFIG_H
#define AC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "utils/ut_cfg_redis.h"
#include "utils/ut_alert.h"
#include "utils/ut_cfg_listen.h"
#include "utils/ut_log.h"

typedef enum { AC_TLS_NONE = 0, AC_TLS_STARTTLS, AC_TLS_SSL } ac_tls;

typedef struct ac_watch {
    char *name;                /* "gateway1" */
    char *url;                 /* its /status */
    double quiet_after;        /* s without an answer: "gone quiet" */
    char *backlog;             /* a number in the /status JSON ("meta.pending_batches") */
    double backlog_max;        /* alert when it passes this and still grows */
} ac_watch;

typedef struct ac_sub {
    char *user;
    char *email;
    char **workers;            /* NULL: every worker of the user */
} ac_sub;

typedef struct ac_config {
    char *file;
    ut_log_cfg log;
    char *log_path;

    ut_cfg_listen recv;
    ut_cfg_listen http;
    char *coin;

    ut_cfg_redis redis;
    char *redis_list;
    size_t redis_list_max;
    char *redis_counts;

    char *mail_url;
    ac_tls mail_tls;
    bool mail_insecure;        /* accept any server certificate (tests, self-signed) */
    char *mail_ca_file;        /* CA bundle the server's certificate must chain to */
    double shutdown_wait;      /* s to deliver what is pending when stopped */
    char *mail_user, *mail_password, *mail_from;
    char **mail_to;            /* NULL-terminated */
    ut_log_level mail_level;   /* alerts below it are stored, not mailed */
    char *mail_prefix;
    double gather, interval, max_interval, retry_max, mail_timeout;
    size_t max_groups;

    char *hook_url, *hook_chat_id;

    /* health (ac_health) */
    double health_interval;
    char *jm_url;
    double no_job_after, jm_quiet_after;
    ac_watch *watch;
    size_t nwatch;
    double share_drop;         /* 0.5: alert below half the last hour's rate */
    int share_window;          /* minutes compared with the hour */
    double min_hour_shares;    /* shares per minute the hour must have had */
    bool blocks;               /* a mail for each new block in `newblock` */

    /* miners (ac_miner) */
    bool miners;
    double miner_interval, offline_after, drop_fraction;
    int drop_window;
    ac_sub *subs;
    size_t nsubs;
    char *sub_hash;            /* Redis hash user -> e-mail, or NULL */
} ac_config;

int ac_config_load(ac_config *cfg, const char *path, char *err, size_t errlen);
int ac_config_keys(const char *path, ut_cfg_keys *keys, char *err, size_t errlen);
void ac_config_free(ac_config *cfg);

#endif
