/* gw_names: a growable set of strings (see gw_names.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gateway/gw_names.h"

struct gw_name_ent {
    gw_name_ent *next;
    uint64_t hash;
    char name[];
};

static uint64_t gw_names_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void gw_names_init(gw_names *s)
{
    memset(s, 0, sizeof(*s));
}

void gw_names_free(gw_names *s)
{
    for (size_t i = 0; i < s->nbuckets; i++) {
        gw_name_ent *e = s->buckets[i];
        while (e != NULL) {
            gw_name_ent *next = e->next;
            free(e);
            e = next;
        }
    }
    free(s->buckets);
    memset(s, 0, sizeof(*s));
}

static int gw_names_grow(gw_names *s)
{
    size_t n = s->nbuckets ? s->nbuckets * 2 : 64;
    gw_name_ent **b = calloc(n, sizeof(*b));

    if (b == NULL)
        return -1;
    for (size_t i = 0; i < s->nbuckets; i++) {
        gw_name_ent *e = s->buckets[i];
        while (e != NULL) {
            gw_name_ent *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->nbuckets = n;
    return 0;
}

int gw_names_add(gw_names *s, const char *name)
{
    uint64_t h = gw_names_hash(name);
    size_t len = strlen(name);
    gw_name_ent *e;

    if (s->count >= s->nbuckets && gw_names_grow(s) != 0)
        return -1;
    for (e = s->buckets[h & (s->nbuckets - 1)]; e != NULL; e = e->next)
        if (e->hash == h && strcmp(e->name, name) == 0)
            return 0;
    e = malloc(sizeof(*e) + len + 1);
    if (e == NULL)
        return -1;
    e->hash = h;
    memcpy(e->name, name, len + 1);
    e->next = s->buckets[h & (s->nbuckets - 1)];
    s->buckets[h & (s->nbuckets - 1)] = e;
    s->count++;
    return 1;
}
