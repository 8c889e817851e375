/* st_config: the settings of a Stratum server, typed. The user fills it
 * (the gateway from its JSON file: gateway/gw_config.h documents the keys
 * stratum.*, jobs.*, vardiff.* and ban.* that land here) and keeps it alive
 * as long as the server; the server reads it through a pointer, so a change
 * takes effect at its next use. */
#ifndef ST_CONFIG_H
#define ST_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "stratum/st_strike.h"
#include "stratum/st_vardiff.h"

typedef struct st_config {
    size_t max_line;            /* longest request line in bytes */
    size_t max_output;          /* output queued for a connection that does not
                                   read (jobs, replies); past it it is closed */
    double idle_timeout;        /* seconds without input before closing; 0 = never */
    double subscribe_timeout;   /* seconds a connection may stay unsubscribed
                                   or unauthorized */
    size_t max_workers;         /* authorized worker names per connection */
    size_t en1_size;            /* ST_EN1_MIN..ST_EN1_MAX (st_layout.h) */
    size_t en2_size;            /* ST_EN2_MIN..ST_EN2_MAX */
    uint32_t version_mask;      /* the pool's version-rolling mask (BIP310) */
    st_vardiff_cfg vardiff;
    size_t jobs_keep;           /* recent jobs kept */
    double jobs_max_age;        /* seconds a job is kept after it arrived */
    size_t jobs_max_shares;     /* shares one connection may have on the kept
                                   jobs (its duplicate set, st_dupset.h) */
    st_strike_cfg strikes;
} st_config;

/* The defaults (the gateway's): max_line 4096, idle 600 s, subscribe 60 s,
 * 256 KiB of output per connection, 64 workers, en1 4 + en2 8, mask 1fffe000, vardiff 1024 in [1, 1e15]
 * aiming at a share per 10 s retargeted every 60 s, 16 jobs for 600 s with
 * 4 Mi shares each, strikes: 200 invalid shares or 20 junk lines per 60 s. */
void st_config_defaults(st_config *cfg);

/* 0 when the server can run with cfg, else -1 with the reason in err. */
int st_config_check(const st_config *cfg, char *err, size_t errlen);

#endif
