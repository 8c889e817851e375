/* jm_notify: a bound UDP socket (nw_svr) whose datagrams are block
 * notifications, and a one-shot sender for node scripts. */
#include "jobmaster/jm_notify.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "network/nw_addr.h"
#include "network/nw_svr.h"
#include "utils/ut_log.h"

#define JM_NOTIFY_TEXT_MAX 128

struct jm_notify {
    nw_svr *svr;
    jm_notify_cb cb;
    void *arg;
    uint64_t count;
};

static void jm_notify_on_message(nw_ses *ses, const void *msg, size_t len)
{
    jm_notify *n = nw_svr_udata(nw_ses_svr(ses));
    char text[JM_NOTIFY_TEXT_MAX + 1];
    const unsigned char *p = msg;
    size_t k = 0;
    for (size_t i = 0; i < len && k < JM_NOTIFY_TEXT_MAX; i++)
        if (p[i] >= 0x20 && p[i] < 0x7f)
            text[k++] = (char)p[i];
    text[k] = '\0';
    n->count++;
    n->cb(text, nw_ses_peer_str(ses), n->arg);
}

jm_notify *jm_notify_create(struct ev_loop *loop, const char *bind, jm_notify_cb cb, void *arg)
{
    static const nw_handlers h = { .on_message = jm_notify_on_message };
    nw_svr_cfg cfg = { .bind = bind, .max_msg = 1500 };
    jm_notify *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->cb = cb;
    n->arg = arg;
    n->svr = nw_svr_create(loop, &cfg, &h, n);
    if (!n->svr) {
        log_error("blocknotify: bad bind address '%s'", bind);
        free(n);
        return NULL;
    }
    return n;
}

int jm_notify_start(jm_notify *n)
{
    return nw_svr_start(n->svr);
}

void jm_notify_free(jm_notify *n)
{
    if (!n)
        return;
    nw_svr_free(n->svr);
    free(n);
}

uint64_t jm_notify_count(const jm_notify *n)
{
    return n->count;
}

int jm_notify_send(const char *addr, const char *text)
{
    nw_addr a;
    if (nw_addr_parse(&a, addr) < 0 || a.proto != NW_UDP)
        return -1;
    int fd = socket(a.u.sa.sa_family, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    ssize_t n = sendto(fd, text, strlen(text), 0, &a.u.sa, a.len);
    close(fd);
    return n < 0 ? -1 : 0;
}
