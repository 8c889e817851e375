/* st_strike: strike counting per connection (see st_strike.h). */
#include "stratum/st_strike.h"

bool st_strike(st_strikes *s, const st_strike_cfg *cfg, double now, bool is_junk)
{
    if (now - s->window_start >= cfg->window) {
        s->window_start = now;
        s->invalid = 0;
        s->junk = 0;
    }
    if (is_junk)
        s->junk++;
    else
        s->invalid++;
    return st_strike_over(s, cfg);
}

bool st_strike_over(const st_strikes *s, const st_strike_cfg *cfg)
{
    if (!cfg->enabled)
        return false;
    return (cfg->junk_lines && s->junk >= cfg->junk_lines) ||
           (cfg->invalid_shares && s->invalid >= cfg->invalid_shares);
}
