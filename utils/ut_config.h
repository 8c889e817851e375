/* ut_config: reads a JSON config file once into a module's typed struct.
 * Every getter names the file, the key path and what was expected when a
 * value is missing or of the wrong type, e.g.
 *   "gateway.json: key 'stratum.port': expected an integer 1..65535, got string". */
#ifndef UT_CONFIG_H
#define UT_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct ut_cfg {
    const char *file;
    json_t *root;
    char err[512];      /* the first error; empty when none */
    const json_t **seen;   /* values the getters looked up (strict keys) */
    size_t nseen, capseen;
    bool seen_lost;        /* out of memory while marking: no unknown-key check */
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

/* Getters: obj is cfg->root or a sub-object; key is looked up in obj and
 * named in errors with its path. required=false leaves *out at the default
 * the caller set beforehand when the key is absent. Return 0 or -1 (err set).
 * Strings point into the config and live until ut_cfg_free; _dup copies. */
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
/* Records a custom error ("expected ...") for key. Returns -1. */
int ut_cfg_fail(ut_cfg *cfg, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
