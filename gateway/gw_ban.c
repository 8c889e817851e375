/* gw_ban: IP bans shared by the worker processes (see gw_ban.h). */
#include <string.h>
#include "gateway/gw_ban.h"

int gw_ban_key(const nw_addr *addr, uint8_t key[16])
{
    memset(key, 0, 16);
    if (addr->u.sa.sa_family == AF_INET) {
        key[10] = 0xff;
        key[11] = 0xff;
        memcpy(key + 12, &addr->u.in4.sin_addr, 4);
        return 0;
    }
    if (addr->u.sa.sa_family == AF_INET6) {
        memcpy(key, &addr->u.in6.sin6_addr, 16);
        return 0;
    }
    return -1;
}

static void gw_ban_key_words(const uint8_t key[16], uint64_t w[2])
{
    memcpy(&w[0], key, 8);
    memcpy(&w[1], key + 8, 8);
}

void gw_ban_add(gw_shm *shm, int worker, const uint8_t key[16], int64_t until)
{
    gw_ban_entry *t = shm->bans[worker];
    uint64_t w[2];
    int pick = 0;

    gw_ban_key_words(key, w);
    for (int i = 0; i < GW_BAN_SLOTS; i++) {
        int64_t u = atomic_load_explicit(&t[i].until, memory_order_relaxed);
        if (u != 0 && atomic_load_explicit(&t[i].addr[0], memory_order_relaxed) == w[0] &&
            atomic_load_explicit(&t[i].addr[1], memory_order_relaxed) == w[1]) {
            pick = i;
            break;
        }
        if (u < atomic_load_explicit(&t[pick].until, memory_order_relaxed))
            pick = i;
    }
    atomic_store_explicit(&t[pick].until, 0, memory_order_release);
    atomic_store_explicit(&t[pick].addr[0], w[0], memory_order_relaxed);
    atomic_store_explicit(&t[pick].addr[1], w[1], memory_order_relaxed);
    atomic_store_explicit(&t[pick].until, until, memory_order_release);
    if (pick >= atomic_load_explicit(&shm->ban_used[worker], memory_order_relaxed))
        atomic_store_explicit(&shm->ban_used[worker], pick + 1, memory_order_release);
}

int64_t gw_ban_check(gw_shm *shm, const uint8_t key[16], int64_t now)
{
    uint64_t w[2];
    int64_t left = 0;

    gw_ban_key_words(key, w);
    for (int p = 0; p < GW_MAX_WORKERS; p++) {
        int used = atomic_load_explicit(&shm->ban_used[p], memory_order_acquire);
        for (int i = 0; i < used && i < GW_BAN_SLOTS; i++) {
            gw_ban_entry *e = &shm->bans[p][i];
            int64_t u = atomic_load_explicit(&e->until, memory_order_acquire);
            if (u <= now)
                continue;
            uint64_t a0 = atomic_load_explicit(&e->addr[0], memory_order_relaxed);
            uint64_t a1 = atomic_load_explicit(&e->addr[1], memory_order_relaxed);
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&e->until, memory_order_relaxed) != u)
                continue;   /* rewritten while we read it */
            if (a0 == w[0] && a1 == w[1] && u - now > left)
                left = u - now;
        }
    }
    return left;
}

uint64_t gw_ban_count(gw_shm *shm, int64_t now)
{
    uint64_t n = 0;

    for (int p = 0; p < GW_MAX_WORKERS; p++)
        for (int i = 0; i < GW_BAN_SLOTS; i++)
            if (atomic_load_explicit(&shm->bans[p][i].until, memory_order_relaxed) > now)
                n++;
    return n;
}

bool gw_ban_exempt(const gw_ban_cfg *cfg, const uint8_t key[16])
{
    for (int i = 0; i < cfg->nexempt; i++)
        if (memcmp(cfg->exempt[i], key, 16) == 0)
            return true;
    return false;
}
