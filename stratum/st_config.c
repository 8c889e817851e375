/* st_config: defaults and sanity checks of a Stratum server's settings
 * (see st_config.h). */
#include <stdio.h>
#include "stratum/st_config.h"
#include "stratum/st_layout.h"

void st_config_defaults(st_config *cfg)
{
    *cfg = (st_config){
        .max_line = 4096, .max_output = 256 * 1024, .idle_timeout = 600, .subscribe_timeout = 60, .max_workers = 64,
        .en1_size = 4, .en2_size = 8, .version_mask = 0x1fffe000,
        .vardiff = { .start = 1024, .min = 1, .max = 1e15, .target = 10, .retarget = 60 },
        .jobs_keep = 16, .jobs_max_age = 600, .jobs_max_shares = 4096,
        .strikes = { .enabled = true, .window = 60, .invalid_shares = 200, .junk_lines = 20 },
    };
}

int st_config_check(const st_config *cfg, char *err, size_t errlen)
{
    const char *why = NULL;

    if (cfg->en1_size < ST_EN1_MIN || cfg->en1_size > ST_EN1_MAX)
        why = "en1_size out of range";
    else if (cfg->en2_size < ST_EN2_MIN || cfg->en2_size > ST_EN2_MAX)
        why = "en2_size out of range";
    else if (cfg->max_line == 0)
        why = "max_line is 0";
    else if (cfg->max_output == 0)
        why = "max_output is 0";
    else if (cfg->max_workers == 0)
        why = "max_workers is 0";
    else if (!(cfg->vardiff.min > 0) || !(cfg->vardiff.min <= cfg->vardiff.max))
        why = "vardiff bounds";
    if (why == NULL)
        return 0;
    snprintf(err, errlen, "%s", why);
    return -1;
}
