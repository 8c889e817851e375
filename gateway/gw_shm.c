/* gw_shm: shared memory of the gateway's worker processes (see gw_shm.h). */
#include <string.h>
#include <sys/mman.h>
#include "gateway/gw_ban.h"
#include "gateway/gw_shm.h"

gw_shm *gw_shm_create(void)
{
    void *p = mmap(NULL, sizeof(gw_shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    /* anonymous mappings start zeroed */
    if (gw_ban_table_init(&((gw_shm *)p)->ips) != 0) {
        munmap(p, sizeof(gw_shm));
        return NULL;
    }
    return p;
}

void gw_shm_free(gw_shm *shm)
{
    if (shm != NULL)
        munmap(shm, sizeof(gw_shm));
}
