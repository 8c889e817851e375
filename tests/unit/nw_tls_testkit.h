/* nw_tls_testkit: throwaway certificates for the TLS tests, made at test
 * time with the openssl command in a fresh temporary directory:
 *   ca.pem/ca.key       a test CA
 *   srv.pem/srv.key     server, signed by the CA, for IP 127.0.0.1 and DNS localhost
 *   cli.pem/cli.key     client certificate (CN farm1), signed by the CA
 *   rogue.pem/rogue.key self-signed, IP 127.0.0.1: nobody trusts it
 * and a raw loopback connect for tests that play a misbehaving peer.
 * Included by the test files (and bench/bench_rpc_tls.c) that need them:
 * static functions only, and tls_kit_k with its cmocka group fixtures. */
#ifndef NW_TLS_TESTKIT_H
#define NW_TLS_TESTKIT_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct tls_kit {
    char dir[64];
    char ca[96], ca_key[96], srv[96], srv_key[96], cli[96], cli_key[96], rogue[96],
        rogue_key[96];
} tls_kit;

#define TLS_KIT_KEY "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"

static int tls_kit_sh(const char *dir, const char *cmd)
{
    char line[1024];
    snprintf(line, sizeof(line), "cd '%s' && (%s) >/dev/null 2>&1", dir, cmd);
    return system(line);
}

/* A leaf signed by the test CA: name.pem / name.key. */
static int tls_kit_leaf(const char *dir, const char *name, const char *cn, const char *ext)
{
    char cmd[768];
    snprintf(cmd, sizeof(cmd),
             "openssl req " TLS_KIT_KEY " -keyout %s.key -out %s.csr -subj /CN=%s && "
             "printf '%s' > %s.ext && "
             "openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "-out %s.pem -days 2 -extfile %s.ext",
             name, name, cn, ext, name, name, name, name);
    return tls_kit_sh(dir, cmd);
}

/* Returns 0, or -1 when the openssl command failed. */
static int tls_kit_make(tls_kit *k)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->dir, sizeof(k->dir), "/tmp/hf-tls-XXXXXX");
    if (!mkdtemp(k->dir))
        return -1;
    if (tls_kit_sh(k->dir, "openssl req -x509 " TLS_KIT_KEY " -keyout ca.key -out ca.pem "
                           "-days 2 -subj /CN=hf-test-ca "
                           "-addext basicConstraints=critical,CA:TRUE "
                           "-addext keyUsage=critical,keyCertSign,cRLSign") != 0 ||
        tls_kit_leaf(k->dir, "srv", "hf-test-server",
                     "subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n"
                     "extendedKeyUsage=serverAuth\\n") != 0 ||
        tls_kit_leaf(k->dir, "cli", "farm1",
                     "basicConstraints=CA:FALSE\\nextendedKeyUsage=clientAuth\\n") != 0 ||
        tls_kit_sh(k->dir, "openssl req -x509 " TLS_KIT_KEY " -keyout rogue.key -out rogue.pem "
                           "-days 2 -subj /CN=rogue -addext subjectAltName=IP:127.0.0.1") != 0)
        return -1;
#define TLS_KIT_PATH(field, file) snprintf(k->field, sizeof(k->field), "%s/" file, k->dir)
    TLS_KIT_PATH(ca, "ca.pem");
    TLS_KIT_PATH(ca_key, "ca.key");
    TLS_KIT_PATH(srv, "srv.pem");
    TLS_KIT_PATH(srv_key, "srv.key");
    TLS_KIT_PATH(cli, "cli.pem");
    TLS_KIT_PATH(cli_key, "cli.key");
    TLS_KIT_PATH(rogue, "rogue.pem");
    TLS_KIT_PATH(rogue_key, "rogue.key");
#undef TLS_KIT_PATH
    return 0;
}

static void tls_kit_remove(tls_kit *k)
{
    char cmd[128];
    if (!k->dir[0] || strncmp(k->dir, "/tmp/hf-tls-", 12) != 0)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", k->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", k->dir);
}

/* A plain blocking connect to 127.0.0.1:port, then non-blocking; -1 on failure. */
__attribute__((unused)) static int tls_kit_raw_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* The kit of a test binary, made once for the group (cmocka group fixtures). */
static tls_kit tls_kit_k;

__attribute__((unused)) static int tls_kit_group_setup(void **state)
{
    if (tls_kit_make(&tls_kit_k) != 0) {
        fprintf(stderr, "cannot make test certificates with the openssl command\n");
        return -1;
    }
    return 0;
}

__attribute__((unused)) static int tls_kit_group_teardown(void **state)
{
    tls_kit_remove(&tls_kit_k);
    return 0;
}

#endif
