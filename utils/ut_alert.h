/* ut_alert: every module's ERROR and FATAL log lines, sent to alertcenter.
 *
 * The sender: ut_alert_start installs a ut_log alert hook that turns each
 * ERROR/FATAL record into one UDP datagram, one JSON object of at most
 * UT_ALERT_DGRAM_MAX bytes,
 *
 *   {"v":1,"module":"gateway","host":"pool1","pid":4242,"level":"FATAL",
 *    "time":1767323045.123,"key":"gw_server.c:120","dropped":0,"line":"..."}
 *
 * sent without waiting (MSG_DONTWAIT on an unconnected socket) to every
 * configured alertcenter. "key" is the source file and line of the record:
 * alertcenter groups by it. A token bucket bounds the rate (rate per
 * second, burst); a record over it is not sent and counted, and the next
 * datagram says how many were left out ("dropped"). A dead or absent
 * alertcenter costs a sendto that fails or goes nowhere: never a wait.
 * The sender's own counters (sent, over the rate, send errors) are logged
 * at NOTICE at most every `report` seconds while alerts are being made
 * ("alert: gateway pid 4242: ... since start"), so an operator sees from
 * the module's log alone that alerts are being left out or go nowhere.
 * Thread-safe (one mutex around the bucket and the sendto); after a fork
 * the child goes on with the parent's socket and its own pid.
 *
 * The config section every module accepts (ut_cfg_alert):
 *   "alert": {"addr": ["udp@127.0.0.1:7700"], "rate": 20, "burst": 100,
 *             "report": 60}
 * absent: no alerts are sent.
 *
 * The receiver: ut_alert_parse reads one datagram back (alertcenter; the
 * fuzz target tests/fuzz/fuzz_ut_alert.c). */
#ifndef UT_ALERT_H
#define UT_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utils/ut_config.h"
#include "utils/ut_log.h"

#define UT_ALERT_DGRAM_MAX 1400    /* bytes of one datagram: fits an Ethernet MTU */
#define UT_ALERT_MAX_DST 8

typedef struct ut_alert_cfg {
    char **addr;               /* NULL-terminated "udp@HOST:PORT", or NULL: off */
    size_t n;
    double rate;               /* datagrams per second on average */
    double burst;              /* and at most this many at once */
    double report;             /* s between two counter lines on the log; 0 = never */
} ut_alert_cfg;

/* Reads the optional "alert" section of the config root into *out
 * (defaults: off, rate 20, burst 100, report 60). 0, or -1 with c->err set. */
int ut_cfg_alert(ut_cfg *c, ut_alert_cfg *out);
void ut_alert_cfg_free(ut_alert_cfg *cfg);

/* Opens the socket and installs the log hook; with cfg NULL or no address
 * does nothing. module ("gateway") is copied. 0, or -1 (said on the log). */
int ut_alert_start(const char *module, const ut_alert_cfg *cfg);
/* Removes the hook and closes the socket. */
void ut_alert_stop(void);

/* What the hook does, callable directly (tests, a module's own alert):
 * true when a datagram went out to at least one alertcenter. */
bool ut_alert_send(ut_log_level level, const char *file, int line, const char *text);

typedef struct ut_alert_stats {
    unsigned long long sent;       /* datagrams handed to the kernel */
    unsigned long long limited;    /* records over the rate, not sent */
    unsigned long long failed;     /* sendto errors (per alertcenter) */
} ut_alert_stats;
void ut_alert_stats_get(ut_alert_stats *out);

/* One alert record, as sent and as parsed. */
typedef struct ut_alert_rec {
    char module[32];
    char host[64];
    long pid;
    ut_log_level level;
    double time;               /* unix seconds */
    char key[128];             /* "file.c:42" or a name */
    uint64_t dropped;          /* records the sender left out before this one */
    char line[UT_ALERT_DGRAM_MAX];
} ut_alert_rec;

/* The datagram of rec into buf (cap >= UT_ALERT_DGRAM_MAX): the line is cut
 * (ending "...") so the whole fits in UT_ALERT_DGRAM_MAX. Returns the length. */
size_t ut_alert_format(char *buf, size_t cap, const ut_alert_rec *rec);
/* Parses one datagram. 0, or -1 with why in err: not JSON, "v" not 1, a
 * field missing or of the wrong type, a string too long, an unknown level,
 * a time that is not a finite positive number. */
int ut_alert_parse(const char *data, size_t len, ut_alert_rec *out, char *err, size_t errlen);

/* "ERROR", "FATAL", ...; and back (0 or -1). */
const char *ut_alert_level_name(ut_log_level level);
int ut_alert_level_parse(const char *name, ut_log_level *out);

#endif
