/* ac_mail: the outbox, SMTP over libcurl and the webhook (see ac_mail.h). */
#include "alertcenter/ac_mail.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "network/nw_buf.h"
#include "network/nw_job.h"
#include "utils/ut_log.h"

#define AC_OUTBOX_MAX 100000   /* ac_group bounds it first: one mail per group */
#define AC_HOOK_TRIES 3

typedef struct ac_entry {
    ac_out *out;
    char *payload;             /* composed once: every attempt sends the same bytes */
    bool hook;                 /* a webhook post, not a mail */
    int attempts;
    double next_try;
    struct ac_entry *next;
} ac_entry;

typedef struct ac_queue {
    ac_entry *head, *tail;
    size_t n;
    bool busy;
} ac_queue;

struct ac_mail {
    struct ev_loop *loop;
    const ac_config *cfg;
    ac_group *grp;
    nw_job *job;
    ev_timer tick;
    ac_queue mails, hooks;
    uint64_t seq;
    char host[64];
    double started;
    atomic_bool stopping;      /* ac_mail_free: attempts in flight give up now */
    ac_mail_stats st;
};

typedef struct ac_mreq {
    ac_mail *m;
    ac_entry *e;
    bool hook;
    struct curl_slist *rcpt;
    const char *data;
    size_t len, off;
} ac_mreq;

typedef struct ac_mrep {
    bool ok;
    int rc;                    /* the CURLcode */
    char err[200];
} ac_mrep;

/* ---- the mail text ---- */

/* Appends text with CRLF line ends, lines cut at 900 bytes (SMTP allows
 * 998), and non-ASCII bytes of headers as '?'. */
static void ac_crlf(nw_buf *b, const char *s, bool header)
{
    size_t col = 0;
    for (; *s; s++) {
        char ch = *s;
        if (ch == '\r')
            continue;
        if (ch == '\n' || col >= 900) {
            nw_buf_append(b, header ? " " : "\r\n", header ? 1 : 2);
            col = 0;
            if (ch == '\n')
                continue;
        }
        if (header && ((unsigned char)ch >= 0x80 || ch < 0x20))
            ch = '?';
        nw_buf_append(b, &ch, 1);
        col++;
    }
}

char *ac_mail_payload(const char *from, const char *const *to, const char *subject,
                      const char *body, const char *msgid, double now)
{
    nw_buf b = {0};
    char date[64];
    time_t t = (time_t)now;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    nw_buf_append(&b, "Date: ", 6);
    ac_crlf(&b, date, true);
    nw_buf_append(&b, "\r\nFrom: ", 8);
    ac_crlf(&b, from, true);
    nw_buf_append(&b, "\r\nTo: ", 6);
    for (size_t i = 0; to[i]; i++) {
        if (i)
            nw_buf_append(&b, ", ", 2);
        ac_crlf(&b, to[i], true);
    }
    nw_buf_append(&b, "\r\nSubject: ", 11);
    ac_crlf(&b, subject, true);
    nw_buf_append(&b, "\r\nMessage-ID: <", 15);
    ac_crlf(&b, msgid, true);
    static const char mime[] = ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
                               "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    nw_buf_append(&b, mime, sizeof(mime) - 1);
    ac_crlf(&b, body, false);
    nw_buf_append(&b, "\r\n", 2);
    return nw_buf_take(&b, NULL);
}

/* ---- the worker thread ---- */

static size_t ac_read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    ac_mreq *q = arg;
    size_t n = size * nmemb, left = q->len - q->off;
    if (n > left)
        n = left;
    memcpy(buf, q->data + q->off, n);
    q->off += n;
    return n;
}

static size_t ac_discard(char *p, size_t size, size_t nmemb, void *arg)
{
    return size * nmemb;
}

/* libcurl's progress callback: non-zero aborts the transfer (shutdown). */
static int ac_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    ac_mreq *q = arg;
    return atomic_load(&q->m->stopping) ? 1 : 0;
}

static void ac_curl_smtp(CURL *c, ac_mreq *q)
{
    const ac_config *cfg = q->m->cfg;
    curl_easy_setopt(c, CURLOPT_URL, cfg->mail_url);
    if (cfg->mail_tls == AC_TLS_STARTTLS)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (cfg->mail_ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->mail_ca_file);
    if (cfg->mail_user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->mail_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->mail_password ? cfg->mail_password : "");
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, cfg->mail_from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, q->rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ac_read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, q);
}

static void ac_curl_hook(CURL *c, ac_mreq *q, struct curl_slist **hdr)
{
    *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, q->m->cfg->hook_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdr);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)q->len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ac_discard);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
}

static void ac_on_job(nw_job_entry *e, void *ctx)
{
    ac_mreq *q = e->request;
    ac_mrep *p = calloc(1, sizeof(*p));
    struct curl_slist *hdr = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *c = curl_easy_init();

    e->reply = p;
    if (!p || !c) {
        curl_easy_cleanup(c);
        return;
    }
    if (q->hook)
        ac_curl_hook(c, q, &hdr);
    else
        ac_curl_smtp(c, q);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, ac_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, q);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(q->m->cfg->mail_timeout * 1000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    if (q->m->cfg->mail_insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    CURLcode rc = curl_easy_perform(c);
    p->ok = rc == CURLE_OK;
    p->rc = (int)rc;
    if (!p->ok)
        snprintf(p->err, sizeof(p->err), "%.190s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
}

/* ---- the loop side ---- */

static void ac_mail_try(ac_mail *m, ac_queue *qu);

static void ac_entry_free(ac_entry *e)
{
    ac_out_free(e->out);
    free(e->payload);
    free(e);
}

static void ac_pop(ac_queue *qu)
{
    ac_entry *e = qu->head;
    qu->head = e->next;
    if (!qu->head)
        qu->tail = NULL;
    qu->n--;
    ac_entry_free(e);
}

static void ac_push(ac_queue *qu, ac_entry *e)
{
    if (qu->tail)
        qu->tail->next = e;
    else
        qu->head = e;
    qu->tail = e;
    qu->n++;
}

static double ac_backoff(const ac_mail *m, int attempts)
{
    double d = 1;
    for (int i = 1; i < attempts && d < m->cfg->retry_max; i++)
        d *= 2;
    return d < m->cfg->retry_max ? d : m->cfg->retry_max;
}

/* A refused login or a TLS failure is the operator's to fix (an ERROR that
 * names the setting); a server that is down or slow is retried (WARN). The
 * password is never logged: libcurl's messages do not carry it. */
static void ac_log_failure(ac_mail *m, const ac_entry *e, int rc, const char *why,
                           size_t waiting, double next)
{
    const char *to = e->out->to[0] ? e->out->to : "operators";
    if (rc == CURLE_LOGIN_DENIED)
        log_error("mail: attempt %d to %s: the SMTP server %s refused the login of user '%s' "
                  "(%s): check mail.user and mail.password; %zu mail(s) waiting, next try in "
                  "%.0f s", e->attempts, to, m->cfg->mail_url,
                  m->cfg->mail_user ? m->cfg->mail_user : "", why, waiting, next);
    else if (rc == CURLE_USE_SSL_FAILED || rc == CURLE_SSL_CONNECT_ERROR ||
             rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
        log_error("mail: attempt %d to %s: TLS with the SMTP server %s failed (%s): check "
                  "mail.tls, mail.ca_file and the server's certificate; %zu mail(s) waiting, "
                  "next try in %.0f s", e->attempts, to, m->cfg->mail_url, why, waiting, next);
    else
        log_warn("mail: attempt %d to %s failed (%s); %zu mail(s) waiting, next try in %.0f s",
                 e->attempts, to, why, waiting, next);
}

static void ac_on_finish(nw_job_entry *je, void *udata)
{
    ac_mail *m = udata;
    ac_mreq *q = je->request;
    ac_mrep *p = je->reply;
    ac_queue *qu = q->hook ? &m->hooks : &m->mails;
    ac_entry *e = q->e;
    double now = ev_now(m->loop);

    qu->busy = false;
    if (p && p->ok) {
        if (q->hook) {
            m->st.hooks_sent++;
        } else {
            m->st.sent++;
            m->st.last_sent = now;
            log_info("mail: sent to %s after %d attempt(s), %llu alert(s): %s",
                     e->out->to[0] ? e->out->to : "operators", e->attempts,
                     (unsigned long long)e->out->alerts, e->out->subject);
            ac_group_done(m->grp, e->out);
        }
        ac_pop(qu);
    } else {
        const char *why = p ? p->err : "out of memory";
        snprintf(m->st.last_error, sizeof(m->st.last_error), "%s", why);
        if (q->hook) {
            m->st.hooks_failed++;
            log_warn("webhook: attempt %d failed: %s", e->attempts, why);
            if (e->attempts >= AC_HOOK_TRIES)
                ac_pop(qu);
            else
                e->next_try = now + ac_backoff(m, e->attempts);
        } else {
            m->st.attempts_failed++;
            e->next_try = now + ac_backoff(m, e->attempts);
            ac_log_failure(m, e, p ? p->rc : -1, why, qu->n, e->next_try - now);
        }
    }
    ac_mail_try(m, qu);
}

static void ac_on_cleanup(nw_job_entry *je, void *udata)
{
    ac_mreq *q = je->request;
    curl_slist_free_all(q->rcpt);
    free(q);
    free(je->reply);
}

static void ac_mail_try(ac_mail *m, ac_queue *qu)
{
    ac_entry *e = qu->head;
    ac_mreq *q;

    if (qu->busy || !e || e->next_try > ev_now(m->loop) || !(q = calloc(1, sizeof(*q))))
        return;
    q->m = m;
    q->e = e;
    q->hook = e->hook;
    q->data = e->payload;
    q->len = strlen(e->payload);
    if (!e->hook) {
        if (e->out->to[0]) {
            q->rcpt = curl_slist_append(NULL, e->out->to);
        } else {
            for (size_t i = 0; m->cfg->mail_to[i]; i++)
                q->rcpt = curl_slist_append(q->rcpt, m->cfg->mail_to[i]);
        }
    }
    e->attempts++;
    if (nw_job_add(m->job, ++m->seq, q, NULL) != 0) {
        curl_slist_free_all(q->rcpt);
        free(q);
        e->attempts--;
        return;
    }
    qu->busy = true;
}

/* {"text": subject + body} (Slack), with "chat_id" (Telegram). */
static void ac_hook_add(ac_mail *m, const ac_out *o)
{
    ac_entry *e = calloc(1, sizeof(*e));
    json_t *j = json_object();
    size_t n = strlen(o->subject) + strlen(o->body) + 2;
    char *text = malloc(n);

    if (!e || !j || !text) {
        free(e);
        json_decref(j);
        free(text);
        return;
    }
    snprintf(text, n, "%s\n%s", o->subject, o->body);
    json_object_set_new(j, "text", json_string(text));
    if (m->cfg->hook_chat_id && m->cfg->hook_chat_id[0])
        json_object_set_new(j, "chat_id", json_string(m->cfg->hook_chat_id));
    e->payload = json_dumps(j, JSON_COMPACT);
    e->hook = true;
    json_decref(j);
    free(text);
    if (!e->payload || m->hooks.n >= 1000) {
        ac_entry_free(e);
        m->st.hooks_failed++;
        return;
    }
    ac_push(&m->hooks, e);
}

static void ac_mail_add(ac_mail *m, ac_out *o, double now)
{
    ac_entry *e = calloc(1, sizeof(*e));
    const char *const *to = (const char *const *)m->cfg->mail_to;
    const char *one[2] = {o->to, NULL};
    char msgid[160];

    if (!e) {
        ac_out_free(o);
        return;
    }
    snprintf(msgid, sizeof(msgid), "alertcenter.%.0f.%d.%llu@%s", m->started, (int)getpid(),
             (unsigned long long)++m->seq, m->host);
    e->out = o;
    e->payload = ac_mail_payload(m->cfg->mail_from, o->to[0] ? one : to, o->subject, o->body,
                                 msgid, now);
    if (!e->payload) {
        ac_entry_free(e);
        return;
    }
    if (!o->to[0] && m->cfg->hook_url)
        ac_hook_add(m, o);
    ac_push(&m->mails, e);
}

static void ac_on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
    ac_mail *m = w->data;
    double now = ev_now(loop);
    ac_out *o;

    while (m->mails.n < AC_OUTBOX_MAX && (o = ac_group_next(m->grp, now)))
        ac_mail_add(m, o, now);
    ac_mail_try(m, &m->mails);
    ac_mail_try(m, &m->hooks);
}

static const nw_job_handlers ac_mail_handlers = {
    .on_job = ac_on_job, .on_finish = ac_on_finish, .on_cleanup = ac_on_cleanup,
};

ac_mail *ac_mail_create(struct ev_loop *loop, const ac_config *cfg, ac_group *grp)
{
    ac_mail *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->loop = loop;
    m->cfg = cfg;
    m->grp = grp;
    m->started = ev_now(loop);
    if (gethostname(m->host, sizeof(m->host)) != 0)
        snprintf(m->host, sizeof(m->host), "localhost");
    m->host[sizeof(m->host) - 1] = '\0';
    m->job = nw_job_create(loop, 2, &ac_mail_handlers, m);   /* a mail and a webhook */
    if (!m->job) {
        free(m);
        return NULL;
    }
    ev_timer_init(&m->tick, ac_on_tick, 0.1, 0.1);
    m->tick.data = m;
    ev_timer_start(loop, &m->tick);
    return m;
}

static void ac_queue_free(ac_queue *qu)
{
    while (qu->head)
        ac_pop(qu);
}

void ac_mail_free(ac_mail *m)
{
    if (!m)
        return;
    ev_timer_stop(m->loop, &m->tick);
    atomic_store(&m->stopping, true);
    nw_job_free(m->job);
    for (ac_entry *e = m->mails.head; e; e = e->next)
        log_error("mail: lost at shutdown, not delivered after %d attempt(s): to %s, %llu "
                  "alert(s): %s", e->attempts, e->out->to[0] ? e->out->to : "operators",
                  (unsigned long long)e->out->alerts, e->out->subject);
    ac_queue_free(&m->mails);
    ac_queue_free(&m->hooks);
    free(m);
}

bool ac_mail_idle(const ac_mail *m)
{
    return m->mails.n == 0 && m->hooks.n == 0;
}

void ac_mail_stats_get(const ac_mail *m, ac_mail_stats *out)
{
    *out = m->st;
    out->outbox = m->mails.n;
}
