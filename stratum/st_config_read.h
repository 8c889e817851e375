/* st_config_read: reads the Stratum keys that every module running a
 * Stratum server shares (gateway, mineragent) from its JSON config into an
 * st_config, with the same names, ranges and error messages everywhere:
 *
 *   stratum.max_line           longest request line, 256..65536 [4096]
 *   stratum.max_output         output queued for a connection that does not
 *                              read, 16 KiB..64 MiB; past it it is closed [262144]
 *   stratum.idle_timeout       seconds without input before closing [600]
 *   stratum.subscribe_timeout  seconds unsubscribed or unauthorized [60]
 *   stratum.max_workers        worker names per connection 1..1024 [64]
 *   stratum.version_mask       version-rolling mask, hex ["1fffe000"]
 *   jobs.keep, jobs.max_age, jobs.max_shares    [16, 600, 4096]
 *   vardiff.start, min, max    each within [2^-32, 2^128] [1024, 1, 1e15]
 *   vardiff.target, retarget   seconds [10, 60]
 *   ban.enabled, ban.window, ban.invalid_shares, ban.junk_lines
 *                              strike limits [true, 60, 200, 20]
 *
 * Keys of these objects that belong to the module (stratum.bind, ban.seconds
 * ...) are read by the module itself. */
#ifndef ST_CONFIG_READ_H
#define ST_CONFIG_READ_H

#include "stratum/st_config.h"
#include "utils/ut_config.h"

/* 0, or -1 with the key and the reason in c's error. */
int st_config_read(ut_cfg *c, st_config *cfg);

#endif
