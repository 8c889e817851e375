/* ut_log: leveled logging to a file (or stderr) with size-based rotation
 * and a hook that sees every FATAL line (alertcenter's feed). One line per
 * record: "2026-11-22 04:25:33.123 [pid] LEVEL file.c:42 message". */
#ifndef UT_LOG_H
#define UT_LOG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum {
    UT_LOG_DEBUG = 0, UT_LOG_INFO, UT_LOG_NOTICE, UT_LOG_WARN, UT_LOG_ERROR, UT_LOG_FATAL
} ut_log_level;

typedef struct ut_log_cfg {
    const char *path;      /* NULL or "" or "-": stderr */
    ut_log_level level;    /* records below it are dropped */
    size_t max_size;       /* rotate when the file passes it; 0 = never */
    int max_files;         /* keep path.1 .. path.N */
} ut_log_cfg;

/* Returns 0, or -1 when the file cannot be opened (message on stderr). */
int ut_log_init(const ut_log_cfg *cfg);
void ut_log_close(void);
int ut_log_level_parse(const char *name, ut_log_level *out); /* "debug".."fatal" */
void ut_log_set_level(ut_log_level level);
/* Called (on the logging thread) with the formatted line of each FATAL record. */
void ut_log_set_fatal_hook(void (*hook)(const char *line, void *arg), void *arg);
/* Called (on the logging thread, outside the log's lock) for each ERROR and
 * FATAL record that is written, with its level, source file and line (the
 * alert's grouping key) and the formatted line without its newline. Must
 * be cheap and must not block (ut_alert's sender); a record the hook logs
 * itself does not reach it again. NULL removes it. */
typedef void (*ut_log_alert_fn)(ut_log_level level, const char *file, int line,
                                const char *text, void *arg);
void ut_log_set_alert_hook(ut_log_alert_fn hook, void *arg);
/* After an external logrotate (SIGHUP). Takes a lock: call it from the loop
 * (an ev_signal watcher), not from a raw signal handler. */
void ut_log_reopen(void);

void ut_log_write(ut_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The lowest level written; read by the macros below. */
extern _Atomic int ut_log_min;

static inline bool ut_log_on(ut_log_level level)
{
    return (int)level >= atomic_load_explicit(&ut_log_min, memory_order_relaxed);
}

/* A record below the level costs one relaxed load: its arguments are not
 * evaluated (so a log_debug on the share path is free when debug is off). */
#define UT_LOG_AT(level, ...) \
    do { \
        if (ut_log_on(level)) \
            ut_log_write(level, __FILE__, __LINE__, __VA_ARGS__); \
    } while (0)
#define log_debug(...)  UT_LOG_AT(UT_LOG_DEBUG, __VA_ARGS__)
#define log_info(...)   UT_LOG_AT(UT_LOG_INFO, __VA_ARGS__)
#define log_notice(...) UT_LOG_AT(UT_LOG_NOTICE, __VA_ARGS__)
#define log_warn(...)   UT_LOG_AT(UT_LOG_WARN, __VA_ARGS__)
#define log_error(...)  UT_LOG_AT(UT_LOG_ERROR, __VA_ARGS__)
#define log_fatal(...)  UT_LOG_AT(UT_LOG_FATAL, __VA_ARGS__)

/* Rate limit for lines a remote peer can cause (junk lines, refused
 * connections): at most `burst` records per `window` seconds go out; the
 * rest are counted, and the first record of a later window says how many
 * were dropped ("(N like it suppressed)"). One static ut_log_rl per call
 * site; the clock is the caller's (loop time). Not thread-safe: one per
 * thread. */
typedef struct ut_log_rl {
    double window;            /* seconds; 0 = 10 */
    unsigned burst;           /* records per window; 0 = 5 */
    double start;             /* current window's start */
    unsigned used;            /* records written in it */
    unsigned long long suppressed;   /* dropped since the last written one */
} ut_log_rl;

/* True when a record may be written now; counts it either way. The number
 * dropped before it is handed out through *dropped (and reset). */
bool ut_log_rl_take(ut_log_rl *rl, double now, unsigned long long *dropped);

#define UT_LOG_LIMITED(rl, now, level, fmt, ...) \
    do { \
        unsigned long long ut_rl_dropped_; \
        if (ut_log_on(level) && ut_log_rl_take(rl, now, &ut_rl_dropped_)) { \
            if (ut_rl_dropped_ > 0) \
                ut_log_write(level, __FILE__, __LINE__, fmt " (%llu like it suppressed)", \
                             __VA_ARGS__, ut_rl_dropped_); \
            else \
                ut_log_write(level, __FILE__, __LINE__, fmt, __VA_ARGS__); \
        } \
    } while (0)

#endif
