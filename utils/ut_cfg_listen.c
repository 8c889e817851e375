/* ut_cfg_listen: listener sections {"bind", "allow"} and outbound links
 * {"addr"} of a module's config (see ut_cfg_listen.h). */
#include "utils/ut_cfg_listen.h"

#include <stdlib.h>
#include "network/nw_addr.h"

json_t *ut_cfg_listen_read(ut_cfg *c, json_t *obj, const char *key, ut_cfg_listen *l,
                           bool required, bool with_allow)
{
    json_t *sec = ut_cfg_object(c, obj, key, required);

    if (sec == NULL)
        return NULL;
    if (ut_cfg_addr(c, sec, "bind", &l->bind, true) != 0 ||
        (with_allow && ut_cfg_host_list(c, sec, "allow", &l->allow, false) != 0))
        return NULL;
    return sec;
}

void ut_cfg_listen_free(ut_cfg_listen *l)
{
    free(l->bind);
    ut_cfg_host_list_free(l->allow);
    l->bind = NULL;
    l->allow = NULL;
}

int ut_cfg_peer_addr(ut_cfg *c, json_t *sec, char **out, bool required)
{
    return ut_cfg_addr(c, sec, "addr", out, required);
}

int ut_cfg_peer_addrs(ut_cfg *c, json_t *sec, char ***out, size_t *n)
{
    nw_addr a;

    *n = 0;
    if (ut_cfg_str_list(c, sec, "addr", out, true, "an array of addresses \"tcp@HOST:PORT\"") != 0)
        return -1;
    if (*out == NULL)           /* describe mode */
        return 0;
    for (; (*out)[*n] != NULL; (*n)++)
        if (nw_addr_parse(&a, (*out)[*n]) != 0)
            return ut_cfg_fail_in(c, sec, "addr", "item %zu: expected an address like "
                               "\"tcp@10.0.0.1:3334\", got '%s'", *n, (*out)[*n]);
    if (*n == 0 && !ut_cfg_describing(c))
        return ut_cfg_fail_in(c, sec, "addr", "expected at least one address");
    return 0;
}
