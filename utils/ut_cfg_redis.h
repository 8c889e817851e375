/* ut_cfg_redis: the "redis" section every module that reads or writes
 * Redis has, read the same way everywhere:
 *   "redis": {"host": "127.0.0.1", "port": 6379, "db": 0, "password": "...",
 *             "timeout": 5}
 * The module reads its own further keys from the returned section. */
#ifndef UT_CFG_REDIS_H
#define UT_CFG_REDIS_H

#include "utils/ut_config.h"

typedef struct ut_cfg_redis {
    char *host;                /* [127.0.0.1] */
    int port;                  /* [6379] */
    int db;                    /* [0] */
    char *password;            /* NULL: no AUTH (absent or "") */
    double timeout;            /* seconds, in [0.1, max_timeout] */
} ut_cfg_redis;

/* Reads the required section root.redis into *r (timeout defaults to
 * `timeout`); returns the section, or NULL with the error in c. */
json_t *ut_cfg_redis_read(ut_cfg *c, ut_cfg_redis *r, double timeout, double max_timeout);
void ut_cfg_redis_free(ut_cfg_redis *r);

#endif
