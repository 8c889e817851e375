/* cfg_testkit: what every module's config test checks the same way.
 *
 * cfgk_keys_match: the keys --help lists (the reader's describe mode) are
 * exactly the keys the reader looks up when it reads the example config of
 * deploy/conf, so help and parser cannot drift apart: a key the parser
 * accepts is listed, and a listed key is one the parser reads. Top-level
 * keys of the example may be renamed first (a section kept there as an
 * "_example" comment).
 *
 * cfgk_expect_error: a config text fails to load with a message holding
 * every needle (the file name, the key, the hint). */
#ifndef CFG_TESTKIT_H
#define CFG_TESTKIT_H

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "utils/ut_proc.h"

typedef int (*cfgk_load_fn)(const char *path, char *err, size_t errlen);

static char cfgk_path[96];

static inline const char *cfgk_write(const char *name, const char *text)
{
    snprintf(cfgk_path, sizeof(cfgk_path), "/tmp/%s.%d.json", name, (int)getpid());
    FILE *fp = fopen(cfgk_path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return cfgk_path;
}

/* keys: the module's X_config_keys; example: "deploy/conf/x.json" (the
 * tests run from the repository root); renames: {"_agents_example",
 * "agents", NULL}: pairs of top-level keys renamed before reading. */
static inline void cfgk_keys_match(ut_proc_keys_fn keys, const char *example,
                                   const char *const *renames)
{
    ut_cfg_keys help = {0}, read = {0};
    char err[600];
    json_error_t jerr;
    json_t *doc = json_load_file(example, 0, &jerr);

    if (!doc)
        fail_msg("%s: %s", example, jerr.text);
    for (const char *const *r = renames; r && r[0]; r += 2) {
        json_t *v = json_object_get(doc, r[0]);
        assert_non_null(v);
        json_object_set(doc, r[1], v);
        json_object_del(doc, r[0]);
    }
    snprintf(cfgk_path, sizeof(cfgk_path), "/tmp/cfgk-example.%d.json", (int)getpid());
    assert_int_equal(json_dump_file(doc, cfgk_path, 0), 0);
    json_decref(doc);

    if (keys(NULL, &help, err, sizeof(err)) != 0)
        fail_msg("describe: %s", err);
    if (keys(cfgk_path, &read, err, sizeof(err)) != 0)
        fail_msg("%s: %s", example, err);
    unlink(cfgk_path);
    assert_true(help.n > 5);
    const char *m = ut_cfg_keys_missing(&read, &help);
    if (m)
        fail_msg("%s: key '%s' is read but not in --help", example, m);
    m = ut_cfg_keys_missing(&help, &read);
    if (m)
        fail_msg("%s: key '%s' is in --help but was not read", example, m);
    assert_int_equal(help.n, read.n);
    ut_cfg_keys_free(&help);
    ut_cfg_keys_free(&read);
}

/* Up to three needles (NULL-ended) that the load error must contain. */
static inline void cfgk_expect_error(cfgk_load_fn load, const char *name, const char *text,
                                     const char *n1, const char *n2, const char *n3)
{
    char err[600];
    const char *path = cfgk_write(name, text);

    assert_int_equal(load(path, err, sizeof(err)), -1);
    unlink(path);
    for (const char *n[] = {n1, n2, n3}, **p = n; p < n + 3; p++)
        if (*p && !strstr(err, *p))
            fail_msg("error '%s' does not mention '%s'", err, *p);
}

#endif
