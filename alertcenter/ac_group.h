/* ac_group: alerts grouped by (recipient, key) and turned into few mails.
 *
 * The first alert of a quiet group waits `gather` seconds for more, then
 * goes out in a mail; alerts of that group arriving afterwards are only
 * counted until `interval` seconds after that mail, when one mail says how
 * many came (and shows the first and the last). While a group keeps
 * firing its interval doubles with each mail, up to max_interval, and
 * falls back to interval once it was quiet for two intervals. So a storm
 * of 10,000 identical FATALs makes a mail at once and then one every
 * 1, 2, 4 ... minutes with the count: never 10,000 mails, never silence.
 * All groups of one recipient that are due together share one mail.
 *
 * A group with a mail not delivered yet (ac_mail's outbox) composes no
 * other: its count goes on growing and the next mail says so. So the
 * outbox holds at most one mail per group, and nothing is lost while the
 * SMTP server is down. At most max_groups groups: alerts of more distinct
 * keys are counted in one group "(other keys)". Loop thread only. */
#ifndef AC_GROUP_H
#define AC_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "utils/ut_hash.h"

typedef struct ac_group_cfg {
    double gather;             /* s the first alert of a quiet group waits (2) */
    double interval;           /* s between two mails of a group, at least (60) */
    double max_interval;       /* s, the most it doubles to (3600) */
    size_t max_groups;         /* (10000) */
    const char *prefix;        /* subject prefix ("[headframe]") */
    const char *host;          /* alertcenter's host, named in the footer */
} ac_group_cfg;

/* One alert entering a group. */
typedef struct ac_item {
    const char *to;            /* "" = the operators, else one address */
    const char *key;           /* the group ("gateway gw_server.c:120", "miner:alice") */
    const char *level;         /* "FATAL", "ERROR", "WARN", "INFO" */
    const char *source;        /* "gateway@pool1 pid 4242" */
    const char *what;          /* short, for the subject ("gw_server.c:120: cannot bind") */
    const char *line;          /* the whole log line or message */
    double time;               /* unix seconds */
    uint64_t dropped;          /* the sender's left-outs it reported */
    bool list;                 /* keep every line of the period (up to 50), not first+last */
} ac_item;

/* A mail composed from due groups. */
typedef struct ac_out {
    char *to;                  /* "" = operators */
    char *subject;
    char *body;
    char **keys;               /* the groups in it (for ac_group_done) */
    size_t nkeys;
    uint64_t alerts;           /* alerts it reports */
} ac_out;

typedef struct ac_group ac_group;

ac_group *ac_group_create(const ac_group_cfg *cfg);
void ac_group_free(ac_group *g);
void ac_group_add(ac_group *g, const ac_item *it, double now);
/* The next mail that is due at now (the caller owns it: ac_out_free), or
 * NULL. Its groups are marked as waiting for delivery. */
ac_out *ac_group_next(ac_group *g, double now);
/* The mail with these keys for `to` was delivered: its groups may compose again. */
void ac_group_done(ac_group *g, const ac_out *out);
void ac_out_free(ac_out *o);
/* Makes every group with alerts not yet mailed due at now, gather and
 * interval notwithstanding (shutdown: mail what is known before exiting). */
void ac_group_flush(ac_group *g, double now);
/* Logs (ERROR) each group whose alerts are in no mail yet; returns how many. */
size_t ac_group_log_unmailed(const ac_group *g);
/* The earliest time a group is due (for a timer), or 0 when none waits. */
double ac_group_due(const ac_group *g);

typedef struct ac_group_stats {
    size_t groups;
    uint64_t alerts;           /* added */
    uint64_t mailed;           /* alerts reported in composed mails */
    uint64_t overflow;         /* alerts put in "(other keys)" */
} ac_group_stats;
void ac_group_stats_get(const ac_group *g, ac_group_stats *out);

#endif
