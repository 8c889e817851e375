/* st_config_read: the shared Stratum keys of a module's JSON config (see
 * st_config_read.h). */
#include <stdio.h>
#include <string.h>
#include "stratum/st_config_read.h"
#include "stratum/st_share.h"
#include "utils/ut_diff.h"

static int st_cfg_stratum(ut_cfg *c, st_config *st)
{
    json_t *o = ut_cfg_object(c, c->root, "stratum", false);
    char def[16];
    const char *mask = def;
    uint32_t m;

    if (o == NULL)
        return c->err[0] ? -1 : 0;
    snprintf(def, sizeof(def), "%08x", (unsigned)st->version_mask);   /* --help shows it */
    if (ut_cfg_size(c, o, "max_line", &st->max_line, 256, 65536, false) != 0 ||
        ut_cfg_size(c, o, "max_output", &st->max_output, 16384, 64 << 20, false) != 0 ||
        ut_cfg_double(c, o, "idle_timeout", &st->idle_timeout, 0, 1e7, false) != 0 ||
        ut_cfg_double(c, o, "subscribe_timeout", &st->subscribe_timeout, 1, 1e6, false) != 0 ||
        ut_cfg_size(c, o, "max_workers", &st->max_workers, 1, 1024, false) != 0 ||
        ut_cfg_str(c, o, "version_mask", &mask, false) != 0)
        return -1;
    if (mask != def) {
        if (st_hex_u32(mask, strlen(mask), &m) != 0)
            return ut_cfg_fail(c, "stratum.version_mask", "expected 1..8 hex digits, got '%s'",
                               mask);
        st->version_mask = m;
    }
    return 0;
}

static int st_cfg_jobs(ut_cfg *c, st_config *st)
{
    json_t *jobs = ut_cfg_object(c, c->root, "jobs", false);

    if (jobs == NULL)
        return c->err[0] ? -1 : 0;
    if (ut_cfg_size(c, jobs, "keep", &st->jobs_keep, 1, 256, false) != 0 ||
        ut_cfg_double(c, jobs, "max_age", &st->jobs_max_age, 1, 86400, false) != 0 ||
        ut_cfg_size(c, jobs, "max_shares", &st->jobs_max_shares, 64, 1 << 20, false) != 0)
        return -1;
    return 0;
}

static int st_cfg_vardiff(ut_cfg *c, st_config *st)
{
    json_t *o = ut_cfg_object(c, c->root, "vardiff", false);
    st_vardiff_cfg *v = &st->vardiff;

    if (o == NULL)
        return c->err[0] ? -1 : 0;
    /* The same bounds every difficulty is held to (utils/ut_diff.h). */
    if (ut_cfg_double(c, o, "start", &v->start, UT_DIFF_MIN, UT_DIFF_MAX, false) != 0 ||
        ut_cfg_double(c, o, "min", &v->min, UT_DIFF_MIN, UT_DIFF_MAX, false) != 0 ||
        ut_cfg_double(c, o, "max", &v->max, UT_DIFF_MIN, UT_DIFF_MAX, false) != 0 ||
        ut_cfg_double(c, o, "target", &v->target, 0.01, 3600, false) != 0 ||
        ut_cfg_double(c, o, "retarget", &v->retarget, 0.1, 86400, false) != 0)
        return -1;
    if (v->min > v->max)
        return ut_cfg_fail(c, "vardiff.min", "expected min <= max");
    if (v->start < v->min || v->start > v->max)
        return ut_cfg_fail(c, "vardiff.start", "expected a value within [min, max]");
    return 0;
}

static int st_cfg_strikes(ut_cfg *c, st_config *st)
{
    json_t *o = ut_cfg_object(c, c->root, "ban", false);
    st_strike_cfg *k = &st->strikes;

    if (o == NULL)
        return c->err[0] ? -1 : 0;
    if (ut_cfg_bool(c, o, "enabled", &k->enabled, false) != 0 ||
        ut_cfg_double(c, o, "window", &k->window, 1, 86400, false) != 0 ||
        ut_cfg_uint32(c, o, "invalid_shares", &k->invalid_shares, false) != 0 ||
        ut_cfg_uint32(c, o, "junk_lines", &k->junk_lines, false) != 0)
        return -1;
    return 0;
}

int st_config_read(ut_cfg *c, st_config *cfg)
{
    if (st_cfg_stratum(c, cfg) != 0 || st_cfg_jobs(c, cfg) != 0 ||
        st_cfg_vardiff(c, cfg) != 0 || st_cfg_strikes(c, cfg) != 0)
        return -1;
    return 0;
}
