/* nw_job: a thread pool for blocking work (node RPC over libcurl, disk).
 * on_job runs in a worker thread; on_finish and on_cleanup run on the loop
 * thread, in the order jobs finish. The loop never blocks on a worker. */
#ifndef NW_JOB_H
#define NW_JOB_H

#include <ev.h>
#include <stdint.h>

typedef struct nw_job nw_job;

typedef struct nw_job_entry {
    uint64_t id;
    void *request;   /* the caller's, handed to on_job */
    void *reply;     /* set by on_job */
    void *privdata;  /* the caller's, untouched */
} nw_job_entry;

typedef struct nw_job_handlers {
    /* Worker thread. thread_ctx is what init_thread returned for that thread. */
    void (*on_job)(nw_job_entry *entry, void *thread_ctx);
    /* Loop thread, after on_job. */
    void (*on_finish)(nw_job_entry *entry, void *udata);
    /* Loop thread, last: free request and reply. */
    void (*on_cleanup)(nw_job_entry *entry, void *udata);
    /* Optional per-thread context (a CURL handle, say) and its release. */
    void *(*init_thread)(void *udata);
    void (*free_thread)(void *thread_ctx, void *udata);
} nw_job_handlers;

nw_job *nw_job_create(struct ev_loop *loop, int threads, const nw_job_handlers *h,
                      void *udata);
/* Queues a job; returns 0 or -1 when the queue holds max_pending (set to
 * 0 for unlimited with nw_job_set_max). The request is owned by the pool
 * from here on and released through on_cleanup. */
int nw_job_add(nw_job *job, uint64_t id, void *request, void *privdata);
void nw_job_set_max(nw_job *job, size_t max_pending);   /* default 10000 */
/* Jobs added whose on_finish has not run yet (queued, running or done). */
size_t nw_job_pending(const nw_job *job);
/* Stops the threads (finishing the job each one is running) and frees;
 * jobs not started get on_cleanup with reply NULL. */
void nw_job_free(nw_job *job);
/* Notes: nw_job_add, nw_job_pending and nw_job_free belong to the loop
 * thread; nw_job_free must not be called from the pool's own callbacks.
 * on_finish runs inside the network library's dispatch guard. */

#endif
