/* gw_names: a set of strings (the user.worker names a process has seen,
 * so accounting gets one newworker event per name and process). Chained
 * hash table that doubles when full; entries live until gw_names_free. */
#ifndef GW_NAMES_H
#define GW_NAMES_H

#include <stddef.h>

typedef struct gw_name_ent gw_name_ent;

typedef struct gw_names {
    gw_name_ent **buckets;
    size_t nbuckets;
    size_t count;
} gw_names;

void gw_names_init(gw_names *s);
void gw_names_free(gw_names *s);
/* 1 when name was added, 0 when it was there, -1 out of memory. */
int gw_names_add(gw_names *s, const char *name);

#endif
