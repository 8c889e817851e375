/* ut_cfg_listen: the two shapes every module's config uses for sockets,
 * read the same way everywhere.
 *
 * A listening socket is a section with "bind" and, where peers are
 * filtered, "allow":
 *   "rpc":  {"bind": "tcp@127.0.0.1:7601", "allow": ["127.0.0.1"]}
 *   "http": {"bind": "tcp@127.0.0.1:7611", "allow": ["127.0.0.1"]}
 * "allow" absent: every peer may connect.
 *
 * An outbound link is a section that names its peer with "addr": one
 * address, or a list tried in order where the module fails over:
 *   "jobmaster": {"addr": "tcp@127.0.0.1:7001", "heartbeat": 2}
 *   "upstream":  {"addr": ["tcp@10.0.0.1:3334", "tcp@10.0.0.2:3334"]}
 * The other keys of these sections belong to the module. */
#ifndef UT_CFG_LISTEN_H
#define UT_CFG_LISTEN_H

#include <stdbool.h>
#include "utils/ut_config.h"

typedef struct ut_cfg_listen {
    char *bind;                /* NULL: the section is absent (listener off) */
    char **allow;              /* NULL-terminated hosts, or NULL: everyone */
} ut_cfg_listen;

/* Reads the section obj.key into *l, and returns it (NULL when absent or
 * on an error; tell them apart by c->err). "bind" is required in it;
 * "allow" is read only when with_allow. A module reads its own further
 * keys from the returned section. */
json_t *ut_cfg_listen_read(ut_cfg *c, json_t *obj, const char *key, ut_cfg_listen *l,
                           bool required, bool with_allow);
void ut_cfg_listen_free(ut_cfg_listen *l);

/* sec.addr: one peer address (a copy into *out). */
int ut_cfg_peer_addr(ut_cfg *c, json_t *sec, char **out, bool required);
/* sec.addr: a non-empty list of peer addresses, tried in order; *out is
 * NULL-terminated (ut_cfg_host_list_free), *n its length. */
int ut_cfg_peer_addrs(ut_cfg *c, json_t *sec, char ***out, size_t *n);

#endif
