/* ut_config: loads a module's JSON config with jansson and reads typed
 * values out of it. Every error names the file, the full key path (found
 * by locating the sub-object inside the tree, e.g. "nodes[1].url") and
 * what was expected, so an operator can fix the file from the message
 * alone. Only the first error is kept in cfg->err. */
#include "network/nw_addr.h"
#include "utils/ut_config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UT_CFG_PATH_MAX 256

int ut_cfg_load(ut_cfg *cfg, const char *path)
{
    json_error_t jerr;
    FILE *fp;

    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup(path);     /* owned; released by ut_cfg_free */
    if (!cfg->file) {
        snprintf(cfg->err, sizeof(cfg->err), "%s: out of memory", path);
        return -1;
    }
    fp = fopen(path, "r");
    if (!fp) {
        snprintf(cfg->err, sizeof(cfg->err), "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    cfg->root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
    fclose(fp);
    if (!cfg->root) {
        snprintf(cfg->err, sizeof(cfg->err), "%s: line %d column %d: %s", path, jerr.line,
                 jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(cfg->root)) {
        snprintf(cfg->err, sizeof(cfg->err), "%s: expected a JSON object at the top level",
                 path);
        return -1;
    }
    return 0;
}

void ut_cfg_free(ut_cfg *cfg)
{
    json_decref(cfg->root);
    free((char *)cfg->file);
    free(cfg->seen);
    cfg->root = NULL;
    cfg->file = NULL;
    cfg->seen = NULL;
    cfg->nseen = cfg->capseen = 0;
}

/* Remembers that v was read (for the unknown-key check). */
static void ut_cfg_mark(ut_cfg *cfg, const json_t *v)
{
    if (cfg->nseen == cfg->capseen) {
        size_t cap = cfg->capseen ? cfg->capseen * 2 : 64;
        const json_t **p = realloc(cfg->seen, cap * sizeof(*p));
        if (!p) {
            cfg->seen_lost = true;   /* the check is skipped: never a false error */
            return;
        }
        cfg->seen = p;
        cfg->capseen = cap;
    }
    cfg->seen[cfg->nseen++] = v;
}

static bool ut_cfg_was_read(const ut_cfg *cfg, const json_t *v)
{
    for (size_t i = 0; i < cfg->nseen; i++)
        if (cfg->seen[i] == v)
            return true;
    return false;
}

static int ut_cfg_check_keys(ut_cfg *cfg, const json_t *obj);
static int ut_cfg_fail_at(ut_cfg *cfg, const json_t *obj, const char *key, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));

/* The members of an object element of an array that was read. */
static int ut_cfg_check_array(ut_cfg *cfg, const json_t *arr)
{
    size_t i;
    json_t *e;

    json_array_foreach(arr, i, e)
        if (json_is_object(e) && ut_cfg_check_keys(cfg, e) != 0)
            return -1;
    return 0;
}

/* Every member of obj was read (or is a '_' comment), and so on below. */
static int ut_cfg_check_keys(ut_cfg *cfg, const json_t *obj)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v) {
        if (key[0] == '_')
            continue;
        if (!ut_cfg_was_read(cfg, v))
            return ut_cfg_fail_at(cfg, obj, key, "unknown key (a typo? keys starting with '_' "
                                  "are comments)");
        if ((json_is_object(v) && ut_cfg_check_keys(cfg, v) != 0) ||
            (json_is_array(v) && ut_cfg_check_array(cfg, v) != 0))
            return -1;
    }
    return 0;
}

/* The value at a dotted path ("meta.upstream") of root, or NULL. */
static json_t *ut_cfg_at(json_t *root, const char *path)
{
    char part[128];
    const char *p = path;

    while (root && json_is_object(root)) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        root = json_object_get(root, part);
        if (p[n] == '\0')
            return root;
        p += n + 1;
    }
    return NULL;
}

/* The first renamed key present in the file fails the read with a hint. */
static int ut_cfg_check_renamed(ut_cfg *cfg, const ut_cfg_rename *renamed)
{
    for (const ut_cfg_rename *r = renamed; r && r->path; r++) {
        json_t *v = ut_cfg_at(cfg->root, r->path);
        if (v && (!r->if_string || json_is_string(v))) {
            snprintf(cfg->err, sizeof(cfg->err), "%s: key \"%s\" was renamed: use %s",
                     cfg->file, r->path, r->use);
            return -1;
        }
    }
    return 0;
}

/* Describe mode: an empty document named after what it is. */
static int ut_cfg_load_empty(ut_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->file = strdup("(describe)");
    cfg->root = json_object();
    cfg->describe = true;
    if (!cfg->file || !cfg->root) {
        snprintf(cfg->err, sizeof(cfg->err), "out of memory");
        return -1;
    }
    return 0;
}

int ut_cfg_run(const char *path, ut_cfg_parser parse, void *out, const ut_cfg_rename *renamed,
               ut_cfg_keys *keys, char *err, size_t errlen)
{
    ut_cfg cfg;
    int rc = path ? ut_cfg_load(&cfg, path) : ut_cfg_load_empty(&cfg);

    cfg.keys = keys;
    if (rc == 0 && ut_cfg_check_renamed(&cfg, renamed) != 0)
        rc = -1;
    if (rc == 0 && (parse(&cfg, out) != 0 || cfg.err[0]))
        rc = -1;
    if (rc == 0 && !cfg.describe && !cfg.seen_lost && json_is_object(cfg.root) &&
        ut_cfg_check_keys(&cfg, cfg.root) != 0)
        rc = -1;
    if (rc != 0)   /* a step that fails without a message could not allocate */
        snprintf(err, errlen, "%s", cfg.err[0] ? cfg.err : "out of memory");
    ut_cfg_free(&cfg);
    return rc;
}

int ut_cfg_read(const char *path, ut_cfg_parser parse, void *out, char *err, size_t errlen)
{
    return ut_cfg_run(path, parse, out, NULL, NULL, err, errlen);
}

/* The name of a JSON type as errors show it. */
static const char *ut_cfg_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

/* Appends ".key" or "[i]" to the path in buf (length *len). */
static void ut_cfg_path_push(char *buf, size_t *len, const char *key, size_t index)
{
    int n;

    if (key)
        n = snprintf(buf + *len, UT_CFG_PATH_MAX - *len, "%s%s", *len ? "." : "", key);
    else
        n = snprintf(buf + *len, UT_CFG_PATH_MAX - *len, "[%zu]", index);
    if (n > 0)
        *len += (size_t)n < UT_CFG_PATH_MAX - *len ? (size_t)n : UT_CFG_PATH_MAX - 1 - *len;
}

/* Depth-first search for target below node; on success buf holds its path. */
static int ut_cfg_find(const json_t *node, const json_t *target, char *buf, size_t len)
{
    const char *key;
    json_t *child;
    size_t i;

    if (node == target)
        return 1;
    if (json_is_object(node)) {
        json_object_foreach((json_t *)node, key, child) {
            size_t l = len;
            ut_cfg_path_push(buf, &l, key, 0);
            if (ut_cfg_find(child, target, buf, l))
                return 1;
            buf[len] = '\0';
        }
    } else if (json_is_array(node)) {
        json_array_foreach(node, i, child) {
            size_t l = len;
            ut_cfg_path_push(buf, &l, NULL, i);
            if (ut_cfg_find(child, target, buf, l))
                return 1;
            buf[len] = '\0';
        }
    }
    return 0;
}

/* The full path of obj.key ("stratum.port") into buf. */
static const char *ut_cfg_keypath(const ut_cfg *cfg, const json_t *obj, const char *key,
                                  char *buf)
{
    size_t len = 0;

    buf[0] = '\0';
    if (obj && cfg->root && obj != cfg->root && ut_cfg_find(cfg->root, obj, buf, 0))
        len = strlen(buf);
    ut_cfg_path_push(buf, &len, key, 0);
    return buf;
}

/* Records "file: key 'path': <msg>" unless an error is already recorded. */
static int ut_cfg_vfail_path(ut_cfg *cfg, const char *path, const char *fmt, va_list ap)
{
    char msg[384];

    if (cfg->err[0])
        return -1;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (snprintf(cfg->err, sizeof(cfg->err), "%s: key '%s': %s",
                 cfg->file ? cfg->file : "config", path, msg) >= (int)sizeof(cfg->err))
        cfg->err[sizeof(cfg->err) - 2] = '~';   /* truncated: say so */
    return -1;
}

int ut_cfg_fail(ut_cfg *cfg, const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ut_cfg_vfail_path(cfg, key, fmt, ap);
    va_end(ap);
    return -1;
}

/* Like ut_cfg_fail but key is relative to obj. */
static int ut_cfg_fail_at(ut_cfg *cfg, const json_t *obj, const char *key, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));
static int ut_cfg_fail_at(ut_cfg *cfg, const json_t *obj, const char *key, const char *fmt,
                          ...)
{
    char path[UT_CFG_PATH_MAX];
    va_list ap;

    ut_cfg_keypath(cfg, obj, key, path);
    va_start(ap, fmt);
    ut_cfg_vfail_path(cfg, path, fmt, ap);
    va_end(ap);
    return -1;
}

/* "nodes[1].url" -> "nodes[].url" in place. */
static void ut_cfg_path_generic(char *path)
{
    char *w = path;

    for (const char *r = path; *r; r++) {
        *w++ = *r;
        if (*r == '[') {
            while (r[1] >= '0' && r[1] <= '9')
                r++;
        }
    }
    *w = '\0';
}

/* Records obj.key for --help, once per generic path. */
static void ut_cfg_record(ut_cfg *cfg, json_t *obj, const char *key, bool required,
                          const char *expected, const char *def)
{
    ut_cfg_keys *k = cfg->keys;
    char path[UT_CFG_PATH_MAX];

    if (!k)
        return;
    ut_cfg_keypath(cfg, obj, key, path);
    ut_cfg_path_generic(path);
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->v[i].path, path) == 0)
            return;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 64;
        ut_cfg_key *v = realloc(k->v, cap * sizeof(*v));
        if (!v) {
            cfg->seen_lost = true;
            return;
        }
        k->v = v;
        k->cap = cap;
    }
    ut_cfg_key *e = &k->v[k->n++];
    snprintf(e->path, sizeof(e->path), "%.127s", path);
    snprintf(e->type, sizeof(e->type), "%.111s", expected);
    snprintf(e->def, sizeof(e->def), "%.111s", required ? "required" : def);
    e->required = required;
}

int ut_cfg_fail_in(ut_cfg *cfg, json_t *obj, const char *key, const char *fmt, ...)
{
    char path[UT_CFG_PATH_MAX];
    va_list ap;

    ut_cfg_keypath(cfg, obj, key, path);
    va_start(ap, fmt);
    ut_cfg_vfail_path(cfg, path, fmt, ap);
    va_end(ap);
    return -1;
}

/* Looks key up. Returns 1 with *v set, 0 when absent or null (not an error
 * unless required), -1 after recording "missing" for a required key. def
 * is the default as --help shows it. In describe mode every key is absent
 * and none is missing. */
static int ut_cfg_lookup(ut_cfg *cfg, json_t *obj, const char *key, bool required,
                         const char *expected, const char *def, json_t **v)
{
    ut_cfg_record(cfg, obj, key, required, expected, def);
    *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (*v)
        ut_cfg_mark(cfg, *v);
    if (*v && !json_is_null(*v))
        return 1;
    if (!required || cfg->describe)
        return 0;
    if (*v)
        return ut_cfg_fail_at(cfg, obj, key, "expected %s, got null", expected);
    return ut_cfg_fail_at(cfg, obj, key, "missing, expected %s", expected);
}

/* A string default as --help shows it. */
static const char *ut_cfg_str_def(const char *s, char *buf, size_t n)
{
    if (!s)
        return "none";
    snprintf(buf, n, "\"%s\"", s);
    return buf;
}

/* A string getter that --help describes as expected. */
static int ut_cfg_str_as(ut_cfg *cfg, json_t *obj, const char *key, const char **out,
                         bool required, const char *expected, const char *def)
{
    json_t *v;
    int rc = ut_cfg_lookup(cfg, obj, key, required, expected, def, &v);

    if (rc <= 0)
        return rc;
    if (!json_is_string(v))
        return ut_cfg_fail_at(cfg, obj, key, "expected a string, got %s", ut_cfg_type(v));
    *out = json_string_value(v);
    return 0;
}

int ut_cfg_str(ut_cfg *cfg, json_t *obj, const char *key, const char **out, bool required)
{
    char def[96];

    return ut_cfg_str_as(cfg, obj, key, out, required, "a string",
                         cfg->keys ? ut_cfg_str_def(*out, def, sizeof(def)) : "");
}

static int ut_cfg_str_dup_as(ut_cfg *cfg, json_t *obj, const char *key, char **out,
                             bool required, const char *expected)
{
    const char *s = NULL;
    char def[96];

    if (ut_cfg_str_as(cfg, obj, key, &s, required, expected,
                      cfg->keys ? ut_cfg_str_def(*out, def, sizeof(def)) : "") != 0)
        return -1;
    if (!s)
        return 0;
    char *copy = strdup(s);
    if (!copy)
        return ut_cfg_fail_at(cfg, obj, key, "out of memory");
    free(*out);
    *out = copy;
    return 0;
}

int ut_cfg_str_dup(ut_cfg *cfg, json_t *obj, const char *key, char **out, bool required)
{
    return ut_cfg_str_dup_as(cfg, obj, key, out, required, "a string");
}

/* "an integer 1..65535", "an integer >= 0" or "an integer". */
static void ut_cfg_int_expect(char *buf, size_t n, int64_t min, int64_t max)
{
    if (min == INT64_MIN && max == INT64_MAX)
        snprintf(buf, n, "an integer");
    else if (max == INT64_MAX)
        snprintf(buf, n, "an integer >= %" PRId64, min);
    else if (min == INT64_MIN)
        snprintf(buf, n, "an integer <= %" PRId64, max);
    else
        snprintf(buf, n, "an integer %" PRId64 "..%" PRId64, min, max);
}

int ut_cfg_int(ut_cfg *cfg, json_t *obj, const char *key, int64_t *out, int64_t min,
               int64_t max, bool required)
{
    char expect[96];
    json_t *v;
    int rc;

    char def[32];

    ut_cfg_int_expect(expect, sizeof(expect), min, max);
    def[0] = '\0';
    if (cfg->keys)     /* only --help and the key tests look at the default */
        snprintf(def, sizeof(def), "%" PRId64, *out);
    rc = ut_cfg_lookup(cfg, obj, key, required, expect, def, &v);
    if (rc <= 0)
        return rc;
    if (!json_is_integer(v))
        return ut_cfg_fail_at(cfg, obj, key, "expected %s, got %s", expect, ut_cfg_type(v));
    int64_t x = (int64_t)json_integer_value(v);
    if (x < min || x > max)
        return ut_cfg_fail_at(cfg, obj, key, "expected %s, got %" PRId64, expect, x);
    *out = x;
    return 0;
}

int ut_cfg_uint32(ut_cfg *cfg, json_t *obj, const char *key, uint32_t *out, bool required)
{
    int64_t x = *out;

    if (ut_cfg_int(cfg, obj, key, &x, 0, UINT32_MAX, required) != 0)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

int ut_cfg_double(ut_cfg *cfg, json_t *obj, const char *key, double *out, double min,
                  double max, bool required)
{
    char expect[96];
    json_t *v;
    int rc;

    char def[32];

    snprintf(expect, sizeof(expect), "a number %g..%g", min, max);
    def[0] = '\0';
    if (cfg->keys)
        snprintf(def, sizeof(def), "%g", *out);
    rc = ut_cfg_lookup(cfg, obj, key, required, expect, def, &v);
    if (rc <= 0)
        return rc;
    if (!json_is_number(v))
        return ut_cfg_fail_at(cfg, obj, key, "expected %s, got %s", expect, ut_cfg_type(v));
    double x = json_number_value(v);
    if (!(x >= min && x <= max))
        return ut_cfg_fail_at(cfg, obj, key, "expected %s, got %g", expect, x);
    *out = x;
    return 0;
}

int ut_cfg_bool(ut_cfg *cfg, json_t *obj, const char *key, bool *out, bool required)
{
    json_t *v;
    int rc = ut_cfg_lookup(cfg, obj, key, required, "true or false",
                           cfg->keys && *out ? "true" : "false", &v);

    if (rc <= 0)
        return rc;
    if (!json_is_boolean(v))
        return ut_cfg_fail_at(cfg, obj, key, "expected true or false, got %s",
                              ut_cfg_type(v));
    *out = json_is_true(v);
    return 0;
}

/* Describe mode: what a section or an array of sections holds, made up
 * and put into obj so that the parser walks into it. */
static json_t *ut_cfg_invent(ut_cfg *cfg, json_t *obj, const char *key, bool array)
{
    json_t *v = array ? json_pack("[{}]") : json_object();

    if (!v || json_object_set_new(obj, key, v) != 0) {
        ut_cfg_fail_at(cfg, obj, key, "out of memory");
        return NULL;
    }
    ut_cfg_mark(cfg, v);
    return v;
}

json_t *ut_cfg_object(ut_cfg *cfg, json_t *obj, const char *key, bool required)
{
    json_t *v;

    if (ut_cfg_lookup(cfg, obj, key, required, "an object", "optional", &v) <= 0)
        return cfg->describe && !cfg->err[0] ? ut_cfg_invent(cfg, obj, key, false) : NULL;
    if (!json_is_object(v)) {
        ut_cfg_fail_at(cfg, obj, key, "expected an object, got %s", ut_cfg_type(v));
        return NULL;
    }
    return v;
}

static json_t *ut_cfg_array_as(ut_cfg *cfg, json_t *obj, const char *key, bool required,
                               const char *expected, bool invent)
{
    json_t *v;

    if (ut_cfg_lookup(cfg, obj, key, required, expected, "none", &v) <= 0)
        return invent && cfg->describe && !cfg->err[0] ? ut_cfg_invent(cfg, obj, key, true)
                                                      : NULL;
    if (!json_is_array(v)) {
        ut_cfg_fail_at(cfg, obj, key, "expected an array, got %s", ut_cfg_type(v));
        return NULL;
    }
    return v;
}

json_t *ut_cfg_array(ut_cfg *cfg, json_t *obj, const char *key, bool required)
{
    return ut_cfg_array_as(cfg, obj, key, required, "an array of sections [{...}]", true);
}

void ut_cfg_host_list_free(char **list)
{
    if (!list)
        return;
    for (char **p = list; *p; p++)
        free(*p);
    free(list);
}

int ut_cfg_host_list(ut_cfg *cfg, json_t *obj, const char *key, char ***out, bool required)
{
    return ut_cfg_str_list(cfg, obj, key, out, required, "an array of host strings");
}

int ut_cfg_str_list(ut_cfg *cfg, json_t *obj, const char *key, char ***out, bool required,
                    const char *what)
{
    json_t *arr = ut_cfg_array_as(cfg, obj, key, required, what, false);
    char **list;
    size_t n;

    if (!arr)
        return cfg->err[0] ? -1 : 0;
    n = json_array_size(arr);
    list = calloc(n + 1, sizeof(char *));
    if (!list)
        return ut_cfg_fail_at(cfg, obj, key, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (!s || !*s || !(list[i] = strdup(s))) {
            ut_cfg_host_list_free(list);
            return ut_cfg_fail_at(cfg, obj, key, "expected %s", what);
        }
    }
    *out = list;
    return 0;
}

int ut_cfg_addr(ut_cfg *cfg, json_t *obj, const char *key, char **out, bool required)
{
    nw_addr a;

    if (ut_cfg_str_dup_as(cfg, obj, key, out, required,
                          "an address \"tcp@HOST:PORT\" or \"unix@PATH\"") != 0)
        return -1;
    if (*out != NULL && nw_addr_parse(&a, *out) != 0)
        return ut_cfg_fail_at(cfg, obj, key, "expected an address like \"tcp@127.0.0.1:3333\", "
                              "got '%s'", *out);
    return 0;
}

int ut_cfg_size(ut_cfg *cfg, json_t *obj, const char *key, size_t *out, int64_t min,
                int64_t max, bool required)
{
    int64_t v = (int64_t)*out;

    if (ut_cfg_int(cfg, obj, key, &v, min, max, required) != 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

void ut_cfg_keys_print(const ut_cfg_keys *keys, FILE *fp)
{
    for (size_t i = 0; i < keys->n; i++) {
        const ut_cfg_key *k = &keys->v[i];
        bool plain = k->required || strcmp(k->def, "optional") == 0;

        fprintf(fp, "  %-36s %-44s %s%s\n", k->path, k->type, plain ? "" : "default ", k->def);
    }
}

const char *ut_cfg_keys_missing(const ut_cfg_keys *a, const ut_cfg_keys *b)
{
    for (size_t i = 0; i < a->n; i++) {
        size_t j = 0;
        while (j < b->n && strcmp(a->v[i].path, b->v[j].path) != 0)
            j++;
        if (j == b->n)
            return a->v[i].path;
    }
    return NULL;
}

void ut_cfg_keys_free(ut_cfg_keys *keys)
{
    free(keys->v);
    memset(keys, 0, sizeof(*keys));
}
