/* jm_notify: the blocknotify listener. Any UDP datagram on the configured
 * address (a node's -blocknotify script sends one, its payload usually the
 * block hash) makes the jobmaster fetch a template at once. Also the
 * sending side, for `jobmaster --blocknotify ADDR [TEXT]`. */
#ifndef JM_NOTIFY_H
#define JM_NOTIFY_H

#include <ev.h>
#include <stdint.h>

typedef struct jm_notify jm_notify;

/* Called for each datagram; text is the payload cut to printable ASCII. */
typedef void (*jm_notify_cb)(const char *text, const char *peer, void *arg);

jm_notify *jm_notify_create(struct ev_loop *loop, const char *bind, jm_notify_cb cb, void *arg);
int jm_notify_start(jm_notify *n);
void jm_notify_free(jm_notify *n);
uint64_t jm_notify_count(const jm_notify *n);

/* Sends one datagram with text to addr ("udp@127.0.0.1:7002"); 0 or -1. */
int jm_notify_send(const char *addr, const char *text);

#endif
