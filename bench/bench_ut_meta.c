/* bench_ut_meta: the cost of counting one share in ut_meta (the gateway
 * calls ut_meta_share for every share it answers): 10 M shares over 1000
 * workers of 200 users, one in 50 rejected, then the flush that closes
 * them into batches. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "utils/ut_log.h"
#include "utils/ut_meta.h"

#define SHARES 10000000L
#define WORKERS 1000

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    char dir[] = "/tmp/hf-bench-meta-XXXXXX";
    static char users[WORKERS][16], workers[WORKERS][16];
    ut_log_set_level(UT_LOG_ERROR);
    if (!mkdtemp(dir))
        return 1;
    struct ev_loop *loop = ev_loop_new(0);
    ut_meta_cfg cfg = {.coin = "btc", .host = "bench", .source_id = "bench", .spool_dir = dir};
    ut_meta *m = ut_meta_create(loop, &cfg);
    if (!m)
        return 1;
    for (int i = 0; i < WORKERS; i++) {
        snprintf(users[i], sizeof(users[i]), "user%d", i % 200);
        snprintf(workers[i], sizeof(workers[i]), "rig%d", i);
    }
    double t0 = seconds();
    for (long i = 0; i < SHARES; i++)
        ut_meta_share(m, users[i % WORKERS], workers[i % WORKERS], 1024.0, 1e-10, i % 50 != 0);
    double t1 = seconds();
    ut_meta_flush(m);
    double t2 = seconds();
    printf("   ut_meta_share: %.1f M shares/s (%.0f ns each), %d workers\n",
           (double)SHARES / (t1 - t0) / 1e6, (t1 - t0) / (double)SHARES * 1e9, WORKERS);
    printf("   flush of %d records into %zu batch(es), spooled: %.1f ms\n", WORKERS + 1,
           ut_meta_pending(m), (t2 - t1) * 1e3);
    ut_meta_free(m);
    ev_loop_destroy(loop);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
