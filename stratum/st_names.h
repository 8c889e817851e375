/* st_names: a set of strings (the user.worker names a server has seen, so
 * its sink can tell a worker's first appearance in this process, e.g. for
 * one newworker event per name). A ut_htab set (seeded SipHash: names come
 * from miners), optionally capped; entries live until st_names_free. */
#ifndef ST_NAMES_H
#define ST_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "utils/ut_hash.h"

typedef struct st_names {
    ut_htab tab;
} st_names;

/* An empty set without a limit. */
void st_names_init(st_names *s);
/* An empty set of at most max names (0 = no limit). */
void st_names_init2(st_names *s, size_t max);
void st_names_free(st_names *s);
/* 1 when name was added, 0 when it was there, -1 out of memory, -2 the
 * set holds its max names already (name not added). */
int st_names_add(st_names *s, const char *name);
/* true when name is in the set. */
bool st_names_has(const st_names *s, const char *name);
size_t st_names_count(const st_names *s);

#endif
