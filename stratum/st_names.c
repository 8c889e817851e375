/* st_names: a growable set of strings (see st_names.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "stratum/st_names.h"

struct st_name_ent {
    st_name_ent *next;
    uint64_t hash;
    char name[];
};

static uint64_t st_names_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

void st_names_init(st_names *s)
{
    memset(s, 0, sizeof(*s));
}

void st_names_free(st_names *s)
{
    for (size_t i = 0; i < s->nbuckets; i++) {
        st_name_ent *e = s->buckets[i];
        while (e != NULL) {
            st_name_ent *next = e->next;
            free(e);
            e = next;
        }
    }
    free(s->buckets);
    memset(s, 0, sizeof(*s));
}

static int st_names_grow(st_names *s)
{
    size_t n = s->nbuckets ? s->nbuckets * 2 : 64;
    st_name_ent **b = calloc(n, sizeof(*b));

    if (b == NULL)
        return -1;
    for (size_t i = 0; i < s->nbuckets; i++) {
        st_name_ent *e = s->buckets[i];
        while (e != NULL) {
            st_name_ent *next = e->next;
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

int st_names_add(st_names *s, const char *name)
{
    uint64_t h = st_names_hash(name);
    size_t len = strlen(name);
    st_name_ent *e;

    if (s->count >= s->nbuckets && st_names_grow(s) != 0)
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

bool st_names_has(const st_names *s, const char *name)
{
    uint64_t h = st_names_hash(name);

    if (s->nbuckets == 0)
        return false;
    for (const st_name_ent *e = s->buckets[h & (s->nbuckets - 1)]; e != NULL; e = e->next)
        if (e->hash == h && strcmp(e->name, name) == 0)
            return true;
    return false;
}
