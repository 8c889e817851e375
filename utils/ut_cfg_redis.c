/* ut_cfg_redis: the "redis" section of a module's config (see ut_cfg_redis.h). */
#include "utils/ut_cfg_redis.h"

#include <stdlib.h>
#include <string.h>

json_t *ut_cfg_redis_read(ut_cfg *c, ut_cfg_redis *r, double timeout, double max_timeout)
{
    json_t *sec = ut_cfg_object(c, c->root, "redis", true);
    const char *host = "127.0.0.1", *password = NULL;
    int64_t port = 6379, db = 0;

    r->timeout = timeout;
    if (!sec || ut_cfg_str(c, sec, "host", &host, false) < 0 ||
        ut_cfg_int(c, sec, "port", &port, 1, 65535, false) < 0 ||
        ut_cfg_int(c, sec, "db", &db, 0, 1000000, false) < 0 ||
        ut_cfg_str(c, sec, "password", &password, false) < 0 ||
        ut_cfg_double(c, sec, "timeout", &r->timeout, 0.1, max_timeout, false) < 0)
        return NULL;
    r->host = strdup(host);
    r->password = password && *password ? strdup(password) : NULL;
    r->port = (int)port;
    r->db = (int)db;
    return sec;
}

void ut_cfg_redis_free(ut_cfg_redis *r)
{
    free(r->host);
    if (r->password)
        memset(r->password, 0, strlen(r->password));
    free(r->password);
    r->host = r->password = NULL;
}
