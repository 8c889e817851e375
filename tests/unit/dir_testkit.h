/* dir_testkit: a scratch directory per test (mkdtemp under /tmp) and its
 * removal with the files in it (one level: the spool and journal tests
 * write no subdirectories). */
#ifndef DIR_TESTKIT_H
#define DIR_TESTKIT_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A new directory /tmp/hf-test-<tag>-XXXXXX; free with dirk_remove. */
static inline char *dirk_make(const char *tag)
{
    char tmpl[128];
    char *d;

    snprintf(tmpl, sizeof(tmpl), "/tmp/hf-test-%s-XXXXXX", tag);
    d = strdup(tmpl);
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static inline void dirk_remove(char *d)
{
    DIR *dir = opendir(d);
    struct dirent *e;

    while (dir && (e = readdir(dir)) != NULL) {
        char p[512];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
        unlink(p);
    }
    if (dir)
        closedir(dir);
    rmdir(d);
    free(d);
}

#endif
