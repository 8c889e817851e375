/* hfm_opts: hfminer's command line: parsing, checking, the usage text and
 * the expansion of worker-name patterns ('user%u.w%w'). */
#ifndef HFM_OPTS_H
#define HFM_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    HFM_INVALID_NONE = 0,
    HFM_INVALID_JOB,         /* an unknown job id */
    HFM_INVALID_DUPLICATE,   /* the previous share again */
    HFM_INVALID_LOWDIFF,     /* a hash above the share target */
    HFM_INVALID_NTIME,       /* ntime far past the job's */
    HFM_INVALID_EN2LEN,      /* extranonce2 one byte too long */
    HFM_INVALID_VERSION,     /* version bits outside the granted mask */
    HFM_INVALID_WORKER,      /* a worker that never authorized */
} hfm_invalid_kind;

typedef struct hfm_opts {
    char addr[300];          /* "tcp@127.0.0.1:3333" (nw_addr form) */
    char host[256];
    int port;
    const char *user;        /* name or pattern with %u (user) and %w (worker) */
    const char *password;
    unsigned users;          /* 0: --user is used as given */
    unsigned workers_per_user;
    unsigned connections;
    bool load;               /* load-generator mode */
    unsigned threads;
    double rate;             /* submits per second in total, 0 = no limit */
    uint64_t shares;         /* stop after this many submits in total, 0 = never */
    double duration;         /* seconds, 0 = no limit */
    bool json;
    bool quiet;
    bool version_rolling;
    uint32_t vr_mask;
    hfm_invalid_kind invalid;
    unsigned invalid_every;  /* every k-th share is made invalid */
    double connect_timeout;
    double reply_timeout;
    unsigned pipeline;       /* submits in flight per connection */
    double progress;         /* seconds between progress lines */
    const char *agent;
    bool help;
} hfm_opts;

/* Fills o from argv. Returns 0, or -1 with a message naming the flag in err. */
int hfm_opts_parse(hfm_opts *o, int argc, char **argv, char *err, size_t errlen);
void hfm_opts_usage(FILE *f);
const char *hfm_invalid_name(hfm_invalid_kind kind);
/* The distinct worker names, in order (user-major); *n gets their count.
 * The array and the strings are malloc'd; free with hfm_opts_names_free. */
char **hfm_opts_names(const hfm_opts *o, size_t *n);
void hfm_opts_names_free(char **names, size_t n);
/* One name from the pattern; 0 or -1 when it does not fit. */
int hfm_opts_expand(const char *pattern, unsigned user, unsigned worker, char *out,
                    size_t cap);
/* "tcp@127.0.0.1:3333" / "tcp@[::1]:3333" for a numeric host ("localhost"
 * means 127.0.0.1). 0, or -1 when host is not a numeric address. */
int hfm_make_addr(const char *host, int port, char *out, size_t cap);

#endif
