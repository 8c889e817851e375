/* st_names: a set of strings (the user.worker names a server has seen, so
 * its sink can tell a worker's first appearance in this process, e.g. for
 * one newworker event per name). Chained hash table that doubles when
 * full; entries live until st_names_free. */
#ifndef ST_NAMES_H
#define ST_NAMES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct st_name_ent st_name_ent;

typedef struct st_names {
    st_name_ent **buckets;
    size_t nbuckets;
    size_t count;
} st_names;

void st_names_init(st_names *s);
void st_names_free(st_names *s);
/* 1 when name was added, 0 when it was there, -1 out of memory. */
int st_names_add(st_names *s, const char *name);
/* true when name is in the set. */
bool st_names_has(const st_names *s, const char *name);

#endif
