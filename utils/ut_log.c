/* ut_log: leveled, thread-safe logging to one file (or stderr).
 *
 * Every record becomes one line
 *   "YYYY-MM-DD HH:MM:SS.mmm [pid] LEVEL file.c:42 message\n"
 * formatted into a fixed stack buffer (records longer than UT_LOG_LINE_MAX
 * are cut and end with a marker), so logging never allocates. The file is
 * rotated by size (path -> path.1 -> ... -> path.N) and can be reopened
 * after an external logrotate. Several processes may write one file (a
 * gateway's workers): the size is the file's own (re-read every
 * UT_LOG_STAT_EVERY lines), and the rotation is done under an flock of
 * path.lock by the process that finds the file at path still too big; the
 * others find path renamed and reopen it, so no line is lost or written
 * into a file that was just shifted away. FATAL lines are also handed to a hook,
 * and ERROR/FATAL lines to the alert hook (ut_alert), outside the lock, so
 * a hook may log itself without deadlocking. */
#include "utils/ut_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define UT_LOG_LINE_MAX 8192
#define UT_LOG_TRUNC_MARK "...[truncated]"
#define UT_LOG_STAT_EVERY 256   /* lines between two looks at the file's real size */

typedef struct ut_log_state {
    pthread_mutex_t lock;
    char path[PATH_MAX];   /* empty: stderr */
    int fd;                /* -1: stderr */
    size_t size;           /* bytes in the current file (as far as we know) */
    unsigned lines;        /* since the last look at its real size */
    size_t max_size;
    int max_files;
    void (*hook)(const char *line, void *arg);
    void *hook_arg;
    ut_log_alert_fn alert;      /* ERROR and FATAL records */
    void *alert_arg;
} ut_log_state;

static ut_log_state ut_log_g = {
    .lock = PTHREAD_MUTEX_INITIALIZER, .path = "", .fd = -1,
};
_Atomic int ut_log_min = UT_LOG_INFO;
static _Thread_local bool ut_log_in_hook;

static const char *ut_log_names[] = {"DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL"};

/* Opens st->path for appending and records its size. Lock held. */
static int ut_log_open_file(ut_log_state *st)
{
    int fd = open(st->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "ut_log: cannot open %s: %s\n", st->path, strerror(errno));
        return -1;
    }
    struct stat sb;
    st->size = fstat(fd, &sb) == 0 ? (size_t)sb.st_size : 0;
    st->fd = fd;
    return 0;
}

/* Lock held. */
static void ut_log_close_file(ut_log_state *st)
{
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
    st->size = 0;
}

int ut_log_init(const ut_log_cfg *cfg)
{
    ut_log_state *st = &ut_log_g;
    int rc = 0;

    atomic_store(&ut_log_min, (int)cfg->level);
    pthread_mutex_lock(&st->lock);
    ut_log_close_file(st);
    st->path[0] = '\0';
    st->max_size = cfg->max_size;
    st->max_files = cfg->max_files < 0 ? 0 : cfg->max_files;
    if (cfg->path && cfg->path[0] && strcmp(cfg->path, "-") != 0) {
        if (strlen(cfg->path) >= sizeof(st->path) - 16) {
            fprintf(stderr, "ut_log: path too long: %s\n", cfg->path);
            rc = -1;
        } else {
            strcpy(st->path, cfg->path);
            rc = ut_log_open_file(st);
            if (rc != 0)
                st->path[0] = '\0';
        }
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

void ut_log_close(void)
{
    ut_log_state *st = &ut_log_g;

    pthread_mutex_lock(&st->lock);
    ut_log_close_file(st);
    st->path[0] = '\0';
    st->hook = NULL;
    st->hook_arg = NULL;
    st->alert = NULL;
    st->alert_arg = NULL;
    pthread_mutex_unlock(&st->lock);
}

int ut_log_level_parse(const char *name, ut_log_level *out)
{
    static const char *lower[] = {"debug", "info", "notice", "warn", "error", "fatal"};

    for (int i = 0; i <= UT_LOG_FATAL; i++) {
        if (strcasecmp(name, lower[i]) == 0) {
            *out = (ut_log_level)i;
            return 0;
        }
    }
    if (strcasecmp(name, "warning") == 0) {
        *out = UT_LOG_WARN;
        return 0;
    }
    return -1;
}

void ut_log_set_level(ut_log_level level)
{
    atomic_store(&ut_log_min, (int)level);
}

void ut_log_set_fatal_hook(void (*hook)(const char *line, void *arg), void *arg)
{
    pthread_mutex_lock(&ut_log_g.lock);
    ut_log_g.hook = hook;
    ut_log_g.hook_arg = arg;
    pthread_mutex_unlock(&ut_log_g.lock);
}

void ut_log_set_alert_hook(ut_log_alert_fn hook, void *arg)
{
    pthread_mutex_lock(&ut_log_g.lock);
    ut_log_g.alert = hook;
    ut_log_g.alert_arg = arg;
    pthread_mutex_unlock(&ut_log_g.lock);
}

void ut_log_reopen(void)
{
    ut_log_state *st = &ut_log_g;

    pthread_mutex_lock(&st->lock);
    if (st->path[0]) {
        ut_log_close_file(st);
        ut_log_open_file(st);
    }
    pthread_mutex_unlock(&st->lock);
}

/* Shifts path.i to path.i+1, drops path.N and moves path to path.1. */
static void ut_log_shift(ut_log_state *st)
{
    char from[PATH_MAX + 16], to[PATH_MAX + 16];

    if (st->max_files <= 0) {
        unlink(st->path);
    } else {
        snprintf(to, sizeof(to), "%s.%d", st->path, st->max_files);
        unlink(to);
        for (int i = st->max_files - 1; i >= 1; i--) {
            snprintf(from, sizeof(from), "%s.%d", st->path, i);
            snprintf(to, sizeof(to), "%s.%d", st->path, i + 1);
            rename(from, to);
        }
        snprintf(to, sizeof(to), "%s.1", st->path);
        rename(st->path, to);
    }
}

/* The file at path is still the one we write and is too big: shift it.
 * Either way we then write to whatever is at path now. Under an flock of
 * path.lock, so of several processes only one shifts. Lock held. */
static void ut_log_rotate(ut_log_state *st)
{
    char lock[PATH_MAX + 16];
    struct stat at_path, ours;
    int lfd;

    snprintf(lock, sizeof(lock), "%s.lock", st->path);
    lfd = open(lock, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (lfd >= 0)
        flock(lfd, LOCK_EX);
    if (stat(st->path, &at_path) == 0 && fstat(st->fd, &ours) == 0 &&
        at_path.st_ino == ours.st_ino && at_path.st_dev == ours.st_dev &&
        (size_t)at_path.st_size >= st->max_size)
        ut_log_shift(st);
    ut_log_close_file(st);
    ut_log_open_file(st);
    if (lfd >= 0) {
        flock(lfd, LOCK_UN);
        close(lfd);
    }
}

/* Writes the whole line to the file or stderr. Lock held. */
static void ut_log_emit(ut_log_state *st, const char *line, size_t len)
{
    int fd = st->fd >= 0 ? st->fd : STDERR_FILENO;
    size_t off = 0;

    while (off < len) {
        ssize_t n = write(fd, line + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (st->fd < 0)
        return;
    st->size += off;
    if (st->max_size > 0 && ++st->lines >= UT_LOG_STAT_EVERY) {
        struct stat sb;          /* other processes may write it too */
        st->lines = 0;
        if (fstat(st->fd, &sb) == 0 && (size_t)sb.st_size > st->size)
            st->size = (size_t)sb.st_size;
    }
    if (st->max_size > 0 && st->size >= st->max_size)
        ut_log_rotate(st);
}

/* "2026-11-22 04:25:33.123 [pid] LEVEL file.c:42 " into buf; returns length. */
static size_t ut_log_prefix(char *buf, size_t cap, ut_log_level level, const char *file,
                            int line)
{
    struct timespec ts;
    struct tm tm;
    const char *base = strrchr(file, '/');
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    n = snprintf(buf, cap, "%04d-%02d-%02d %02d:%02d:%02d.%03ld [%d] %s %s:%d ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(), ut_log_names[level],
                 base ? base + 1 : file, line);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* Formats the record into buf (capacity UT_LOG_LINE_MAX), cutting it with a
 * marker when too long, and ends it with a newline. Returns the length. */
static size_t ut_log_format(char *buf, ut_log_level level, const char *file, int line,
                            const char *fmt, va_list ap)
{
    const size_t cap = UT_LOG_LINE_MAX;
    const size_t mark = sizeof(UT_LOG_TRUNC_MARK) - 1;
    size_t len = ut_log_prefix(buf, cap, level, file, line);
    int n = vsnprintf(buf + len, cap - len, fmt, ap);

    if (n < 0)
        n = 0;
    if ((size_t)n >= cap - len - 1) {
        /* Too long (room is kept for the newline): overwrite the tail. */
        len = cap - 2 - mark;
        memcpy(buf + len, UT_LOG_TRUNC_MARK, mark);
        len += mark;
    } else {
        len += (size_t)n;
    }
    /* A record is one line: embedded newlines would break log parsers. */
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n' || buf[i] == '\r')
            buf[i] = ' ';
    }
    buf[len++] = '\n';
    buf[len] = '\0';
    return len;
}

void ut_log_write(ut_log_level level, const char *file, int line, const char *fmt, ...)
{
    ut_log_state *st = &ut_log_g;
    char buf[UT_LOG_LINE_MAX];
    void (*hook)(const char *, void *);
    void *hook_arg, *alert_arg;
    ut_log_alert_fn alert;
    va_list ap;
    size_t len;

    if (level < UT_LOG_DEBUG || level > UT_LOG_FATAL)
        level = UT_LOG_ERROR;
    if ((int)level < atomic_load(&ut_log_min))
        return;
    va_start(ap, fmt);
    len = ut_log_format(buf, level, file, line, fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&st->lock);
    ut_log_emit(st, buf, len);
    hook = st->hook;
    hook_arg = st->hook_arg;
    alert = level >= UT_LOG_ERROR ? st->alert : NULL;
    alert_arg = st->alert_arg;
    pthread_mutex_unlock(&st->lock);

    if ((alert || (level == UT_LOG_FATAL && hook)) && !ut_log_in_hook) {
        buf[len - 1] = '\0';    /* the hooks get the line without its newline */
        ut_log_in_hook = true;
        if (alert)
            alert(level, file, line, buf, alert_arg);
        if (level == UT_LOG_FATAL && hook)
            hook(buf, hook_arg);
        ut_log_in_hook = false;
    }
}

bool ut_log_rl_take(ut_log_rl *rl, double now, unsigned long long *dropped)
{
    double window = rl->window > 0 ? rl->window : 10;
    unsigned burst = rl->burst > 0 ? rl->burst : 5;

    *dropped = 0;
    if (now - rl->start >= window || now < rl->start) {
        rl->start = now;
        rl->used = 0;
    }
    if (rl->used >= burst) {
        rl->suppressed++;
        return false;
    }
    rl->used++;
    *dropped = rl->suppressed;
    rl->suppressed = 0;
    return true;
}
