/* nw_addr: socket addresses written as text, "tcp@127.0.0.1:3333",
 * "tcp@[::1]:3333", "udp@0.0.0.0:4444", "unix@/run/hf/jm.sock". */
#ifndef NW_ADDR_H
#define NW_ADDR_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

typedef enum { NW_TCP = 1, NW_UDP = 2, NW_UNIX = 3 } nw_proto;

typedef struct nw_addr {
    nw_proto proto;
    socklen_t len;
    union {
        struct sockaddr sa;
        struct sockaddr_in in4;
        struct sockaddr_in6 in6;
        struct sockaddr_un un;
    } u;
} nw_addr;

/* Parses "proto@host:port" or "unix@path". Returns 0, or -1 on a bad spec.
 * Host names are not resolved: numeric addresses only. */
int nw_addr_parse(nw_addr *addr, const char *spec);

/* "127.0.0.1:3333", "[::1]:3333" or the unix path; writes at most n bytes.
 * An IPv4-mapped IPv6 address prints as IPv4; an unnamed unix socket (an
 * accepted client) as "unix". */
const char *nw_addr_str(const nw_addr *addr, char *buf, size_t n);

/* The host part alone ("127.0.0.1"), for ban lists and logs. */
const char *nw_addr_host(const nw_addr *addr, char *buf, size_t n);

#endif
