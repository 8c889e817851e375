/* nw_addr: parsing and printing of "proto@host:port" / "unix@path"
 * address specs. Numeric addresses only; IPv6 hosts go in brackets. */
#include "network/nw_addr.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Decimal port, 0..65535, digits only. */
static int nw_addr_parse_port(const char *s, unsigned *port)
{
    unsigned v = 0;
    size_t i;
    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 5)
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (i == 0 || v > 65535)
        return -1;
    *port = v;
    return 0;
}

/* "1.2.3.4:80" or "[::1]:80". */
static int nw_addr_parse_inet(nw_addr *addr, const char *s)
{
    char host[INET6_ADDRSTRLEN];
    const char *port_str;
    size_t host_len;
    bool v6 = s[0] == '[';
    if (v6) {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return -1;
        host_len = (size_t)(end - s - 1);
        s++;
        port_str = end + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon)
            return -1;
        host_len = (size_t)(colon - s);
        port_str = colon + 1;
    }
    if (host_len == 0 || host_len >= sizeof(host))
        return -1;
    memcpy(host, s, host_len);
    host[host_len] = '\0';
    unsigned port;
    if (nw_addr_parse_port(port_str, &port) < 0)
        return -1;
    if (v6) {
        if (inet_pton(AF_INET6, host, &addr->u.in6.sin6_addr) != 1)
            return -1;
        addr->u.in6.sin6_family = AF_INET6;
        addr->u.in6.sin6_port = htons((uint16_t)port);
        addr->len = sizeof(addr->u.in6);
    } else {
        if (inet_pton(AF_INET, host, &addr->u.in4.sin_addr) != 1)
            return -1;
        addr->u.in4.sin_family = AF_INET;
        addr->u.in4.sin_port = htons((uint16_t)port);
        addr->len = sizeof(addr->u.in4);
    }
    return 0;
}

static int nw_addr_parse_unix(nw_addr *addr, const char *path)
{
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(addr->u.un.sun_path))
        return -1;
    addr->u.un.sun_family = AF_UNIX;
    memcpy(addr->u.un.sun_path, path, len + 1);
    addr->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    return 0;
}

int nw_addr_parse(nw_addr *addr, const char *spec)
{
    memset(addr, 0, sizeof(*addr));
    if (!spec)
        return -1;
    const char *at = strchr(spec, '@');
    if (!at)
        return -1;
    size_t plen = (size_t)(at - spec);
    int rc;
    if (plen == 4 && memcmp(spec, "unix", 4) == 0) {
        addr->proto = NW_UNIX;
        rc = nw_addr_parse_unix(addr, at + 1);
    } else if (plen == 3 && memcmp(spec, "tcp", 3) == 0) {
        addr->proto = NW_TCP;
        rc = nw_addr_parse_inet(addr, at + 1);
    } else if (plen == 3 && memcmp(spec, "udp", 3) == 0) {
        addr->proto = NW_UDP;
        rc = nw_addr_parse_inet(addr, at + 1);
    } else {
        rc = -1;
    }
    if (rc < 0)
        memset(addr, 0, sizeof(*addr));
    return rc;
}

/* An IPv4 client seen by an IPv6 socket (::ffff:a.b.c.d). */
static bool nw_addr_v4_mapped(const nw_addr *addr, struct in_addr *out)
{
    if (addr->u.sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&addr->u.in6.sin6_addr))
        return false;
    memcpy(out, &addr->u.in6.sin6_addr.s6_addr[12], 4);
    return true;
}

/* The unix path, or "unix" for an unnamed socket (an accepted client). */
static const char *nw_addr_unix_path(const nw_addr *addr)
{
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (addr->len <= off || addr->u.un.sun_path[0] == '\0')
        return "unix";
    return addr->u.un.sun_path;
}

const char *nw_addr_host(const nw_addr *addr, char *buf, size_t n)
{
    char tmp[INET6_ADDRSTRLEN];
    struct in_addr v4;
    if (n == 0)
        return buf;
    switch (addr->u.sa.sa_family) {
    case AF_INET:
        inet_ntop(AF_INET, &addr->u.in4.sin_addr, tmp, sizeof(tmp));
        break;
    case AF_INET6:
        if (nw_addr_v4_mapped(addr, &v4))
            inet_ntop(AF_INET, &v4, tmp, sizeof(tmp));
        else
            inet_ntop(AF_INET6, &addr->u.in6.sin6_addr, tmp, sizeof(tmp));
        break;
    case AF_UNIX:
        snprintf(buf, n, "%s", nw_addr_unix_path(addr));
        return buf;
    default:
        snprintf(buf, n, "?");
        return buf;
    }
    snprintf(buf, n, "%s", tmp);
    return buf;
}

const char *nw_addr_str(const nw_addr *addr, char *buf, size_t n)
{
    char host[INET6_ADDRSTRLEN];
    struct in_addr v4;
    if (n == 0)
        return buf;
    switch (addr->u.sa.sa_family) {
    case AF_INET:
        nw_addr_host(addr, host, sizeof(host));
        snprintf(buf, n, "%s:%u", host, (unsigned)ntohs(addr->u.in4.sin_port));
        break;
    case AF_INET6:
        nw_addr_host(addr, host, sizeof(host));
        if (nw_addr_v4_mapped(addr, &v4))
            snprintf(buf, n, "%s:%u", host, (unsigned)ntohs(addr->u.in6.sin6_port));
        else
            snprintf(buf, n, "[%s]:%u", host, (unsigned)ntohs(addr->u.in6.sin6_port));
        break;
    default:
        nw_addr_host(addr, buf, n);
        break;
    }
    return buf;
}
