/* ut_auth: agent authentication on internal links (docs/protocol.md,
 * "TLS and agent authentication"). The server sends a random 32-byte
 * challenge; the client answers with its agent id and
 * HMAC-SHA256(secret, challenge || agent id); the server looks the id up
 * in its table and compares the MACs in constant time. This file holds the
 * pieces (table, MAC, bodies); ut_rpc_link runs the exchange. Secrets are
 * never written to logs or bodies: only ids and reasons are.
 *
 * Limits: the table is fixed when the server is created (no reload); ids
 * are looked up linearly (fine for thousands); the MAC is not bound to the
 * TLS channel, so it is TLS with a verified server certificate that keeps
 * a man in the middle from relaying an answer. */
#ifndef UT_AUTH_H
#define UT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link-level commands (0x00xx: handled by ut_rpc_link, never seen by a
 * module's on_msg on a link that authenticates). */
#define CMD_LINK_AUTH_CHALLENGE 0x00A1  /* server -> client push: {"v":1,"challenge":"<64 hex>"} */
#define CMD_LINK_AUTH           0x00A2  /* client -> server request:
                                           {"v":1,"agent":"farm9","mac":"<64 hex>"};
                                           reply ok {"v":1,"agent":"farm9"},
                                           error {"v":1,"error":"unknown agent 'farm9'"} */

/* Reply statuses of CMD_LINK_AUTH (and of any request sent before it). */
enum {
    UT_AUTH_OK = 0,
    UT_AUTH_ERR_MALFORMED = 1,      /* body unreadable, bad id, no challenge sent */
    UT_AUTH_ERR_UNKNOWN_AGENT = 2,  /* the id is not in the server's table */
    UT_AUTH_ERR_BAD_SECRET = 3,     /* the MAC does not match the id's secret */
    UT_AUTH_ERR_REQUIRED = 4,       /* a request other than CMD_LINK_AUTH came first */
};

#define UT_AUTH_CHALLENGE_SIZE 32
#define UT_AUTH_MAC_SIZE 32
#define UT_AUTH_ID_MAX 64               /* characters of an agent id */
#define UT_AUTH_SECRET_MIN 16           /* characters of a secret, at least */
#define UT_AUTH_BODY_MAX 256            /* room for any body of the exchange */

/* One configured agent. Ids: 1..64 characters of [A-Za-z0-9._-]. */
typedef struct ut_auth_agent {
    const char *id;
    const char *secret;
} ut_auth_agent;

typedef struct ut_auth_table ut_auth_table;

/* A private copy of agents (ended by an entry with id NULL). NULL with the
 * reason in err on a bad id, a short secret, a duplicate id or ENOMEM. */
ut_auth_table *ut_auth_table_new(const ut_auth_agent *agents, char *err, size_t errlen);
void ut_auth_table_free(ut_auth_table *t);   /* wipes the secrets */
size_t ut_auth_table_size(const ut_auth_table *t);

bool ut_auth_id_valid(const char *id);
/* Why secret cannot be used (NULL when it can). */
const char *ut_auth_secret_problem(const char *secret);

/* 32 random bytes (OpenSSL's CSPRNG). 0 or -1. */
int ut_auth_challenge_new(uint8_t challenge[UT_AUTH_CHALLENGE_SIZE]);
/* HMAC-SHA256(secret, challenge || id). 0 or -1. */
int ut_auth_mac(const char *secret, const uint8_t challenge[UT_AUTH_CHALLENGE_SIZE],
                const char *id, uint8_t mac[UT_AUTH_MAC_SIZE]);

/* Bodies of the exchange. The makers return the length written into out
 * (UT_AUTH_BODY_MAX bytes), 0 when it does not fit; the parsers 0 or -1. */
size_t ut_auth_challenge_body(const uint8_t challenge[UT_AUTH_CHALLENGE_SIZE], char *out);
int ut_auth_challenge_parse(const void *body, size_t len,
                            uint8_t challenge[UT_AUTH_CHALLENGE_SIZE]);
size_t ut_auth_request_body(const char *id, const uint8_t mac[UT_AUTH_MAC_SIZE], char *out);
size_t ut_auth_ok_body(const char *id, char *out);
size_t ut_auth_error_body(const char *why, char *out);
/* The "error" text of a refusal body into why (whyn bytes); falls back to
 * the status's generic text when the body has none. */
void ut_auth_error_parse(const void *body, size_t len, uint32_t status, char *why, size_t whyn);

/* Server: checks an auth request body against t for the challenge that
 * was sent. Returns UT_AUTH_OK with the id in agent (UT_AUTH_ID_MAX + 1
 * bytes), or an error status with the reason in why: "malformed auth
 * request", "unknown agent 'farm9'", "bad secret". */
uint32_t ut_auth_verify(const ut_auth_table *t, const uint8_t challenge[UT_AUTH_CHALLENGE_SIZE],
                        const void *body, size_t len, char *agent, char *why, size_t whyn);

/* "unknown agent", "bad secret", ... for a status; "error N" otherwise. */
const char *ut_auth_strstatus(uint32_t status);

#endif
