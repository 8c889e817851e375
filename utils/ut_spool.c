/* ut_spool: durable one-file-per-record storage for unacknowledged
 * accounting batches. See ut_spool.h for the guarantees.
 *
 * File format: 12-byte header, then the body.
 *   0 "HFS1"   4 u32 BE body length   8 u32 BE CRC32C of the body */
#include "utils/ut_io.h"
#include "utils/ut_spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network/nw_buf.h"
#include "utils/ut_crc32c.h"
#include "utils/ut_log.h"

#define SPOOL_MAGIC "HFS1"
#define SPOOL_HDR 12
#define SPOOL_SUFFIX ".batch"

static int spool_fail_writes;   /* ut_spool_test_fail_writes */

struct ut_spool {
    char *dir;
    char *prefix;
    int dirfd;
    uint64_t bytes;
    uint64_t max_bytes;
};

static bool spool_name_ok(const ut_spool *s, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > UT_SPOOL_NAME_MAX || strncmp(name, s->prefix, strlen(s->prefix)) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == ':';
        if (!ok)
            return false;
    }
    return name[0] != '.';
}

static void spool_path(const ut_spool *s, const char *name, const char *suffix, char *out,
                       size_t n)
{
    snprintf(out, n, "%s%s", name, suffix);
}

/* Size of the record file, or -1 when absent. */
static int64_t spool_file_size(const ut_spool *s, const char *file)
{
    struct stat sb;
    if (fstatat(s->dirfd, file, &sb, 0) != 0)
        return -1;
    return (int64_t)sb.st_size;
}

static bool spool_is_record(const ut_spool *s, const char *file)
{
    size_t n = strlen(file), sl = strlen(SPOOL_SUFFIX);
    return n > sl && strcmp(file + n - sl, SPOOL_SUFFIX) == 0 &&
           strncmp(file, s->prefix, strlen(s->prefix)) == 0;
}

static int spool_mkdirs(const char *dir)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* Adds up the bytes of the existing records and removes stale temp files. */
static void spool_scan(ut_spool *s)
{
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, s->prefix, strlen(s->prefix)) != 0)
            continue;
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0) {
            unlinkat(s->dirfd, e->d_name, 0);
            continue;
        }
        if (spool_is_record(s, e->d_name)) {
            int64_t sz = spool_file_size(s, e->d_name);
            if (sz > 0)
                s->bytes += (uint64_t)sz;
        }
    }
    closedir(d);
}

ut_spool *ut_spool_open(const char *dir, const char *prefix, uint64_t max_bytes)
{
    if (!dir || !*dir || spool_mkdirs(dir) != 0) {
        log_error("spool: cannot create directory %s: %s", dir ? dir : "(null)",
                  strerror(errno));
        return NULL;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        log_error("spool: cannot open directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    ut_spool *s = calloc(1, sizeof(*s));
    if (!s) {
        close(dfd);
        return NULL;
    }
    s->dir = strdup(dir);
    s->prefix = strdup(prefix ? prefix : "");
    s->dirfd = dfd;
    s->max_bytes = max_bytes;
    if (!s->dir || !s->prefix) {
        ut_spool_close(s);
        return NULL;
    }
    spool_scan(s);
    return s;
}

void ut_spool_close(ut_spool *s)
{
    if (!s)
        return;
    if (s->dirfd >= 0)
        close(s->dirfd);
    free(s->dir);
    free(s->prefix);
    free(s);
}

static void spool_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t spool_rd32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Writes header + body to tmp, fsyncs it. */
static int spool_write_tmp(ut_spool *s, const char *tmp, const void *data, size_t len)
{
    unsigned char hdr[SPOOL_HDR];
    memcpy(hdr, SPOOL_MAGIC, 4);
    spool_be32(hdr + 4, (uint32_t)len);
    spool_be32(hdr + 8, ut_crc32c(0, data, len));
    int fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int rc = 0;
    if (ut_write_all(fd, hdr, sizeof(hdr)) != 0 || ut_write_all(fd, data, len) != 0 ||
        fsync(fd) != 0)
        rc = -1;
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

int ut_spool_put(ut_spool *s, const char *name, const void *data, size_t len)
{
    char file[UT_SPOOL_NAME_MAX + 16], tmp[UT_SPOOL_NAME_MAX + 16];
    if (!spool_name_ok(s, name) || len > UINT32_MAX) {
        log_error("spool %s: refusing record name '%s'", s->dir, name);
        return -1;
    }
    spool_path(s, name, SPOOL_SUFFIX, file, sizeof(file));
    spool_path(s, name, ".tmp", tmp, sizeof(tmp));
    int64_t old = spool_file_size(s, file);
    uint64_t after = s->bytes - (old > 0 ? (uint64_t)old : 0) + ut_spool_record_bytes(len);
    if (s->max_bytes && after > s->max_bytes)
        return -2;
    if (spool_fail_writes > 0) {
        spool_fail_writes--;
        log_error("spool %s: cannot write %s: %s (test)", s->dir, file, strerror(EIO));
        return -1;
    }
    if (spool_write_tmp(s, tmp, data, len) != 0 || renameat(s->dirfd, tmp, s->dirfd, file) != 0 ||
        fsync(s->dirfd) != 0) {
        log_error("spool %s: cannot write %s: %s", s->dir, file, strerror(errno));
        unlinkat(s->dirfd, tmp, 0);
        return -1;
    }
    s->bytes = after;
    return 0;
}

static int spool_read_file(ut_spool *s, const char *file, unsigned char **buf, size_t *len)
{
    int fd = openat(s->dirfd, file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return -1;
    }
    size_t n = (size_t)sb.st_size, got = 0;
    unsigned char *p = malloc(n + 1);
    while (p && got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!p || got != n) {
        free(p);
        return -1;
    }
    *buf = p;
    *len = n;
    return 0;
}

int ut_spool_get(ut_spool *s, const char *name, char **data, size_t *len)
{
    char file[UT_SPOOL_NAME_MAX + 16];
    if (!spool_name_ok(s, name))
        return -1;
    spool_path(s, name, SPOOL_SUFFIX, file, sizeof(file));
    unsigned char *buf;
    size_t n;
    if (spool_read_file(s, file, &buf, &n) != 0)
        return -1;
    bool ok = n >= SPOOL_HDR && memcmp(buf, SPOOL_MAGIC, 4) == 0 &&
              spool_rd32(buf + 4) == n - SPOOL_HDR &&
              spool_rd32(buf + 8) == ut_crc32c(0, buf + SPOOL_HDR, n - SPOOL_HDR);
    if (!ok) {
        free(buf);
        log_error("spool %s: record %s is corrupt, kept as %s.bad", s->dir, name, name);
        ut_spool_quarantine(s, name);
        return -2;
    }
    memmove(buf, buf + SPOOL_HDR, n - SPOOL_HDR);
    buf[n - SPOOL_HDR] = '\0';
    *data = (char *)buf;
    *len = n - SPOOL_HDR;
    return 0;
}

bool ut_spool_has(const ut_spool *s, const char *name)
{
    char file[UT_SPOOL_NAME_MAX + 16];
    if (!spool_name_ok(s, name))
        return false;
    spool_path(s, name, SPOOL_SUFFIX, file, sizeof(file));
    return spool_file_size(s, file) >= 0;
}

int ut_spool_del(ut_spool *s, const char *name)
{
    char file[UT_SPOOL_NAME_MAX + 16];
    if (!spool_name_ok(s, name))
        return -1;
    spool_path(s, name, SPOOL_SUFFIX, file, sizeof(file));
    int64_t sz = spool_file_size(s, file);
    if (sz < 0 || unlinkat(s->dirfd, file, 0) != 0)
        return -1;
    s->bytes -= (uint64_t)sz <= s->bytes ? (uint64_t)sz : s->bytes;
    return 0;
}

void ut_spool_quarantine(ut_spool *s, const char *name)
{
    char file[UT_SPOOL_NAME_MAX + 16], bad[UT_SPOOL_NAME_MAX + 16];
    if (!spool_name_ok(s, name))
        return;
    spool_path(s, name, SPOOL_SUFFIX, file, sizeof(file));
    spool_path(s, name, ".bad", bad, sizeof(bad));
    int64_t sz = spool_file_size(s, file);
    if (sz < 0 || renameat(s->dirfd, file, s->dirfd, bad) != 0)
        return;
    fsync(s->dirfd);
    s->bytes -= (uint64_t)sz <= s->bytes ? (uint64_t)sz : s->bytes;
}

static int spool_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends a record name (file name without the suffix) to list (char *). */
static int spool_list_add(nw_buf *list, const char *file)
{
    char *name = strndup(file, strlen(file) - strlen(SPOOL_SUFFIX));
    if (!name || nw_buf_append(list, &name, sizeof(name)) != 0) {
        free(name);
        return -1;
    }
    return 0;
}

char **ut_spool_list(ut_spool *s, size_t *n)
{
    *n = 0;
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    lseek(fd, 0, SEEK_SET);
    rewinddir(d);
    nw_buf list;
    struct dirent *e;
    nw_buf_init(&list);
    while ((e = readdir(d)) != NULL) {
        if (spool_is_record(s, e->d_name) && spool_list_add(&list, e->d_name) != 0)
            break;
    }
    closedir(d);
    size_t count = nw_buf_len(&list) / sizeof(char *);
    char **arr = count ? (char **)(void *)nw_buf_take(&list, NULL) : NULL;
    if (!arr) {                /* nothing listed, or no memory to hand it over */
        for (size_t i = 0; i < count; i++)
            free(((char **)(void *)list.data)[i]);
        nw_buf_free(&list);
        return NULL;
    }
    *n = count;
    qsort(arr, *n, sizeof(*arr), spool_cmp);
    return arr;
}

uint64_t ut_spool_bytes(const ut_spool *s)
{
    return s->bytes;
}

uint64_t ut_spool_record_bytes(size_t len)
{
    return SPOOL_HDR + (uint64_t)len;
}

void ut_spool_test_fail_writes(int n)
{
    spool_fail_writes = n > 0 ? n : 0;
}

const char *ut_spool_dir(const ut_spool *s)
{
    return s->dir;
}
