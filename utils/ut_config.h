/* ut_config: reads a JSON config file once into a module's typed struct.
 * Every getter names the file, the key path and what was expected when a
 * value is missing or of the wrong type, e.g.
 *   "gateway.json: key 'stratum.port': expected an integer 1..65535, got string". */
#ifndef UT_CONFIG_H
#define UT_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* One key a parser looks up, as --help shows it: the path with array
 * indices written "[]" ("nodes[].url"), what it expects ("an integer
 * 1..16"), and its default ("1", "\"btc\"", "none") or "required". */
typedef struct ut_cfg_key {
    char path[128];
    char type[112];
    char def[112];
    bool required;
} ut_cfg_key;

/* The keys of one parser, in the order it first looks them up. */
typedef struct ut_cfg_keys {
    ut_cfg_key *v;
    size_t n, cap;
} ut_cfg_keys;

/* A key that was renamed or reshaped: when path is in the file (and, with
 * if_string, holds a string), the read fails with
 *   "metarelay.json: key "listen" was renamed: use "rpc": {"bind": ...}"
 * before the parser runs. A module lists its own in a table ended by
 * {NULL}. */
typedef struct ut_cfg_rename {
    const char *path;          /* "listen", "meta.upstream" */
    const char *use;           /* what to write instead */
    bool if_string;            /* only an old string value (a key that became a section) */
} ut_cfg_rename;

typedef struct ut_cfg {
    const char *file;
    json_t *root;
    char err[512];      /* the first error; empty when none */
    const json_t **seen;   /* values the getters looked up (strict keys) */
    size_t nseen, capseen;
    bool seen_lost;        /* out of memory while marking: no unknown-key check */
    ut_cfg_keys *keys;     /* when set, every key looked up is recorded here */
    bool describe;         /* describe mode: see ut_cfg_run */
} ut_cfg;

/* Loads and parses path. Returns 0, or -1 with cfg->err set. */
int ut_cfg_load(ut_cfg *cfg, const char *path);
void ut_cfg_free(ut_cfg *cfg);

/* A module's own reading of a loaded config into out: 0, or -1 (err set). */
typedef int (*ut_cfg_parser)(ut_cfg *cfg, void *out);
/* Loads path, runs parse on it and frees the JSON. Returns 0, or -1 with
 * the first problem in err; a problem recorded by a getter fails the read
 * even when parse went on and returned 0. Then every key the parser did not
 * read is an error naming it ("key 'vardif': unknown key"), so a typo
 * never starts silently; keys starting with '_' are comments. (Limit: a
 * key whose value is true, false or null is jansson's shared singleton, so
 * an unknown key with such a value is not noticed once any key with the
 * same value was read.) */
int ut_cfg_read(const char *path, ut_cfg_parser parse, void *out, char *err, size_t errlen);

/* ut_cfg_read with a module's renamed keys (NULL: none) checked first and,
 * when keys is not NULL, every key the parser looks up recorded there.
 * path NULL is describe mode, what --help runs: the parser reads an empty
 * document in which every section it asks for exists (an array of objects
 * has one empty element), no key is present and a missing required key is
 * no error, so one pass walks every key the parser knows with the default
 * it left in the struct. A parser checks ut_cfg_describing before it
 * validates values it read (a required string is NULL there). */
int ut_cfg_run(const char *path, ut_cfg_parser parse, void *out, const ut_cfg_rename *renamed,
               ut_cfg_keys *keys, char *err, size_t errlen);
static inline bool ut_cfg_describing(const ut_cfg *cfg) { return cfg->describe; }

/* Prints keys one a line: "  path   type   default". */
void ut_cfg_keys_print(const ut_cfg_keys *keys, FILE *fp);
/* The first path in a that is not in b, or NULL. */
const char *ut_cfg_keys_missing(const ut_cfg_keys *a, const ut_cfg_keys *b);
void ut_cfg_keys_free(ut_cfg_keys *keys);

/* Getters: obj is cfg->root or a sub-object; key is looked up in obj and
 * named in errors with its path. required=false leaves *out at the default
 * the caller set beforehand when the key is absent (that value is the
 * default --help shows). Return 0 or -1 (err set). Strings point into the
 * config and live until ut_cfg_free; _dup copies (a non-NULL *out on entry
 * is a malloc'd default, freed when the key is present). */
int ut_cfg_str(ut_cfg *cfg, json_t *obj, const char *key, const char **out, bool required);
int ut_cfg_str_dup(ut_cfg *cfg, json_t *obj, const char *key, char **out, bool required);
int ut_cfg_int(ut_cfg *cfg, json_t *obj, const char *key, int64_t *out, int64_t min,
               int64_t max, bool required);
int ut_cfg_uint32(ut_cfg *cfg, json_t *obj, const char *key, uint32_t *out, bool required);
int ut_cfg_double(ut_cfg *cfg, json_t *obj, const char *key, double *out, double min,
                  double max, bool required);
int ut_cfg_bool(ut_cfg *cfg, json_t *obj, const char *key, bool *out, bool required);
/* An int64 getter for size_t values (counts, lengths, bytes). */
int ut_cfg_size(ut_cfg *cfg, json_t *obj, const char *key, size_t *out, int64_t min,
                int64_t max, bool required);
/* A copy of an address string that network/nw_addr parses
 * ("tcp@127.0.0.1:3333", "unix@/path"), else the error names the key. */
int ut_cfg_addr(ut_cfg *cfg, json_t *obj, const char *key, char **out, bool required);
/* An object or array member; NULL (and err set when required) if absent. */
json_t *ut_cfg_object(ut_cfg *cfg, json_t *obj, const char *key, bool required);
json_t *ut_cfg_array(ut_cfg *cfg, json_t *obj, const char *key, bool required);
/* An allow-list: an array of non-empty host strings, as a NULL-terminated
 * array of copies. *out stays NULL when the key is absent and not required.
 * Free it with ut_cfg_host_list_free. */
int ut_cfg_host_list(ut_cfg *cfg, json_t *obj, const char *key, char ***out, bool required);
void ut_cfg_host_list_free(char **list);
/* The same for any array of non-empty strings; what is how --help and
 * errors name it ("an array of addresses"). */
int ut_cfg_str_list(ut_cfg *cfg, json_t *obj, const char *key, char ***out, bool required,
                    const char *what);
/* Records a custom error ("expected ...") for key. Returns -1. */
int ut_cfg_fail(ut_cfg *cfg, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same for key inside obj: the error names its full path. */
int ut_cfg_fail_in(ut_cfg *cfg, json_t *obj, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
