/* gw_shm: shared memory of the gateway's worker processes (see gw_shm.h). */
#include <string.h>
#include <sys/mman.h>
#include "gateway/gw_shm.h"

gw_shm *gw_shm_create(void)
{
    void *p = mmap(NULL, sizeof(gw_shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    return p;   /* anonymous mappings start zeroed */
}

void gw_shm_free(gw_shm *shm)
{
    if (shm != NULL)
        munmap(shm, sizeof(gw_shm));
}
