/* nw_job: a pthread pool for blocking work. Jobs wait in a queue under a
 * mutex; a worker runs on_job and moves the entry to the done queue, then
 * wakes the loop through an ev_async; the loop thread runs on_finish and
 * on_cleanup for everything done, in the order the jobs finished. */
#include "network/nw_job.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include "network/nw_int.h"

#define NW_JOB_DEFAULT_MAX 10000

typedef struct nw_job_node {
    nw_job_entry entry;
    struct nw_job_node *next;
} nw_job_node;

typedef struct nw_job_queue {
    nw_job_node *head, *tail;
} nw_job_queue;

typedef struct nw_job_thread {
    nw_job *job;
    pthread_t tid;
} nw_job_thread;

struct nw_job {
    struct ev_loop *loop;
    nw_job_handlers h;
    void *udata;
    ev_async async;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    nw_job_queue todo;        /* under lock */
    nw_job_queue done;        /* under lock */
    bool stopping;            /* under lock */
    size_t outstanding;       /* added, on_finish not run yet; loop thread only */
    size_t max_pending;
    nw_job_thread *threads;
    int nthreads;
};

static void nw_job_push(nw_job_queue *q, nw_job_node *n)
{
    n->next = NULL;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
}

static nw_job_node *nw_job_pop(nw_job_queue *q)
{
    nw_job_node *n = q->head;
    if (n) {
        q->head = n->next;
        if (!q->head)
            q->tail = NULL;
    }
    return n;
}

/* ---- worker threads ---- */

static void *nw_job_worker(void *arg)
{
    nw_job *job = ((nw_job_thread *)arg)->job;
    void *ctx = job->h.init_thread ? job->h.init_thread(job->udata) : NULL;
    pthread_mutex_lock(&job->lock);
    for (;;) {
        while (!job->stopping && !job->todo.head)
            pthread_cond_wait(&job->cond, &job->lock);
        if (job->stopping)
            break;
        nw_job_node *n = nw_job_pop(&job->todo);
        pthread_mutex_unlock(&job->lock);
        job->h.on_job(&n->entry, ctx);
        pthread_mutex_lock(&job->lock);
        nw_job_push(&job->done, n);
        ev_async_send(job->loop, &job->async);
    }
    pthread_mutex_unlock(&job->lock);
    if (job->h.free_thread)
        job->h.free_thread(ctx, job->udata);
    return NULL;
}

/* ---- loop thread ---- */

static void nw_job_deliver(nw_job *job, nw_job_node *n)
{
    job->outstanding--;
    if (job->h.on_finish)
        job->h.on_finish(&n->entry, job->udata);
    if (job->h.on_cleanup)
        job->h.on_cleanup(&n->entry, job->udata);
    free(n);
}

static void nw_job_async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    nw_job *job = w->data;
    pthread_mutex_lock(&job->lock);
    nw_job_queue done = job->done;
    job->done.head = job->done.tail = NULL;
    pthread_mutex_unlock(&job->lock);
    nw_enter();
    nw_job_node *n;
    while ((n = nw_job_pop(&done)))
        nw_job_deliver(job, n);
    nw_leave();
}

static void nw_job_stop_threads(nw_job *job, int n)
{
    pthread_mutex_lock(&job->lock);
    job->stopping = true;
    pthread_cond_broadcast(&job->cond);
    pthread_mutex_unlock(&job->lock);
    for (int i = 0; i < n; i++)
        pthread_join(job->threads[i].tid, NULL);
}

static void nw_job_destroy(nw_job *job)
{
    ev_async_stop(job->loop, &job->async);
    pthread_cond_destroy(&job->cond);
    pthread_mutex_destroy(&job->lock);
    free(job->threads);
    free(job);
}

nw_job *nw_job_create(struct ev_loop *loop, int threads, const nw_job_handlers *h,
                      void *udata)
{
    if (threads <= 0 || !h || !h->on_job)
        return NULL;
    nw_job *job = calloc(1, sizeof(*job));
    if (!job)
        return NULL;
    job->threads = calloc((size_t)threads, sizeof(*job->threads));
    if (!job->threads) {
        free(job);
        return NULL;
    }
    job->loop = loop;
    job->h = *h;
    job->udata = udata;
    job->max_pending = NW_JOB_DEFAULT_MAX;
    pthread_mutex_init(&job->lock, NULL);
    pthread_cond_init(&job->cond, NULL);
    ev_async_init(&job->async, nw_job_async_cb);
    job->async.data = job;
    ev_async_start(loop, &job->async);
    for (int i = 0; i < threads; i++) {
        job->threads[i].job = job;
        if (pthread_create(&job->threads[i].tid, NULL, nw_job_worker, &job->threads[i]) != 0) {
            nw_job_stop_threads(job, i);
            nw_job_destroy(job);
            return NULL;
        }
        job->nthreads = i + 1;
    }
    return job;
}

int nw_job_add(nw_job *job, uint64_t id, void *request, void *privdata)
{
    if (job->max_pending && job->outstanding >= job->max_pending)
        return -1;
    nw_job_node *n = calloc(1, sizeof(*n));
    if (!n)
        return -1;
    n->entry.id = id;
    n->entry.request = request;
    n->entry.privdata = privdata;
    job->outstanding++;
    pthread_mutex_lock(&job->lock);
    nw_job_push(&job->todo, n);
    pthread_cond_signal(&job->cond);
    pthread_mutex_unlock(&job->lock);
    return 0;
}

void nw_job_set_max(nw_job *job, size_t max_pending)
{
    job->max_pending = max_pending;
}

size_t nw_job_pending(const nw_job *job)
{
    return job->outstanding;
}

void nw_job_free(nw_job *job)
{
    if (!job)
        return;
    nw_job_stop_threads(job, job->nthreads);
    /* Threads are gone: no lock needed. Finished jobs are delivered, jobs
     * never started only cleaned up. */
    nw_enter();
    nw_job_node *n;
    while ((n = nw_job_pop(&job->done)))
        nw_job_deliver(job, n);
    while ((n = nw_job_pop(&job->todo))) {
        n->entry.reply = NULL;
        if (job->h.on_cleanup)
            job->h.on_cleanup(&n->entry, job->udata);
        free(n);
    }
    nw_leave();
    nw_job_destroy(job);
}
