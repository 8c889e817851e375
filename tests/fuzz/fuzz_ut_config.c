/* fuzz_ut_config: a config file (the fuzz input, written to a temp file as
 * it would sit on disk) read by ut_cfg_read with a small parser callback
 * shaped like a module's (gateway.json's keys: strings, integers in
 * ranges, sizes, doubles, booleans, an address, a host allow-list, nested
 * objects and an array), followed by the unknown-key check.
 * Checks: no crash, no leak, no UB; ut_cfg_read returns 0 or -1, with a
 * non-empty, NUL-terminated error exactly when it returns -1; on success
 * the values respect the ranges the parser asked for. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "utils/ut_config.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

typedef struct conf {
    int64_t id, port, workers;
    const char *host;
    char *bind, *coin;
    size_t max_line;
    uint32_t mask;
    double start, min;
    bool enabled;
    char **exempt;
    size_t nlist;
} conf;

static int parse(ut_cfg *cfg, void *out)
{
    conf *c = out;
    json_t *o;

    ut_cfg_int(cfg, cfg->root, "gateway_id", &c->id, 0, 255, true);
    ut_cfg_str(cfg, cfg->root, "host", &c->host, false);
    ut_cfg_int(cfg, cfg->root, "workers", &c->workers, 1, 16, false);
    if ((o = ut_cfg_object(cfg, cfg->root, "stratum", false)) != NULL) {
        ut_cfg_addr(cfg, o, "bind", &c->bind, false);
        ut_cfg_size(cfg, o, "max_line", &c->max_line, 64, 1 << 20, false);
        ut_cfg_uint32(cfg, o, "version_mask", &c->mask, false);
        ut_cfg_int(cfg, o, "port", &c->port, 1, 65535, false);
    }
    if ((o = ut_cfg_object(cfg, cfg->root, "vardiff", false)) != NULL) {
        ut_cfg_double(cfg, o, "start", &c->start, 0, 1e30, false);
        ut_cfg_double(cfg, o, "min", &c->min, 0, 1e30, false);
    }
    if ((o = ut_cfg_object(cfg, cfg->root, "ban", false)) != NULL) {
        ut_cfg_bool(cfg, o, "enabled", &c->enabled, false);
        ut_cfg_host_list(cfg, o, "exempt", &c->exempt, false);
    }
    if ((o = ut_cfg_object(cfg, cfg->root, "meta", false)) != NULL)
        ut_cfg_str_dup(cfg, o, "coin", &c->coin, false);
    json_t *a = ut_cfg_array(cfg, cfg->root, "list", false);
    if (a != NULL) {
        size_t i;
        json_t *e;
        json_array_foreach(a, i, e) {
            if (json_is_object(e)) {
                int64_t num = 0;
                ut_cfg_int(cfg, e, "num", &num, 1, 254, true);
            }
            c->nlist++;
        }
    }
    return c->id == 13 ? ut_cfg_fail(cfg, "gateway_id", "expected anything but 13") : 0;
}

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[600];
    conf c;

    if (!path[0]) {
        snprintf(path, sizeof(path), "/tmp/fuzz_ut_config.%d.json", (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, size, f) == size);
    CHECK(fclose(f) == 0);

    memset(&c, 0, sizeof(c));
    c.max_line = 4096;
    c.workers = 1;
    memset(err, 0x55, sizeof(err));
    int rc = ut_cfg_read(path, parse, &c, err, sizeof(err));
    CHECK(rc == 0 || rc == -1);
    if (rc == -1) {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
    } else {
        CHECK(c.id >= 0 && c.id <= 255 && c.id != 13);
        CHECK(c.workers >= 1 && c.workers <= 16);
        CHECK(c.max_line >= 64 && c.max_line <= (1 << 20));
    }
    free(c.bind);
    free(c.coin);
    ut_cfg_host_list_free(c.exempt);
    unlink(path);
    return 0;
}
