/* ut_log: leveled logging to a file (or stderr) with size-based rotation
 * and a hook that sees every FATAL line (alertcenter's feed). One line per
 * record: "2026-11-22 04:25:33.123 [pid] LEVEL file.c:42 message". */
#ifndef UT_LOG_H
#define UT_LOG_H

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
/* After an external logrotate (SIGHUP). Takes a lock: call it from the loop
 * (an ev_signal watcher), not from a raw signal handler. */
void ut_log_reopen(void);

void ut_log_write(ut_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_debug(...)  ut_log_write(UT_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...)   ut_log_write(UT_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_notice(...) ut_log_write(UT_LOG_NOTICE, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...)   ut_log_write(UT_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...)  ut_log_write(UT_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define log_fatal(...)  ut_log_write(UT_LOG_FATAL, __FILE__, __LINE__, __VA_ARGS__)

#endif
