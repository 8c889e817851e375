/* st_names: a set of strings on ut_htab (see st_names.h). */
#include <string.h>
#include "stratum/st_names.h"

void st_names_init(st_names *s)
{
    st_names_init2(s, 0);
}

void st_names_init2(st_names *s, size_t max)
{
    ut_htab_init(&s->tab, 0, max);
}

void st_names_free(st_names *s)
{
    ut_htab_free(&s->tab);
}

int st_names_add(st_names *s, const char *name)
{
    return ut_htab_put(&s->tab, name, strlen(name), NULL);
}

size_t st_names_count(const st_names *s)
{
    return ut_htab_count(&s->tab);
}

bool st_names_has(const st_names *s, const char *name)
{
    return ut_htab_get(&s->tab, name, strlen(name)) != NULL;
}
