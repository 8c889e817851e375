/* ut_auth: the agent table, the challenge and its HMAC, and the JSON
 * bodies of the exchange (see ut_auth.h; docs/protocol.md). */
#include "utils/ut_auth.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "utils/ut_hex.h"

typedef struct ut_auth_entry {
    char *id;
    char *secret;
    size_t secret_len;
} ut_auth_entry;

struct ut_auth_table {
    ut_auth_entry *e;
    size_t n;
};

/* ---- the table ---- */

bool ut_auth_id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > UT_AUTH_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

const char *ut_auth_secret_problem(const char *secret)
{
    if (!secret)
        return "no secret";
    if (strlen(secret) < UT_AUTH_SECRET_MIN)
        return "secret shorter than 16 characters";
    return NULL;
}

static const ut_auth_entry *ut_auth_find(const ut_auth_table *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->e[i].id, id) == 0)
            return &t->e[i];
    return NULL;
}

void ut_auth_table_free(ut_auth_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        if (t->e[i].secret)
            OPENSSL_cleanse(t->e[i].secret, t->e[i].secret_len);
        free(t->e[i].secret);
        free(t->e[i].id);
    }
    free(t->e);
    free(t);
}

/* Checks and copies one agent into slot t->n. 0 or -1 (err set). */
static int ut_auth_table_add(ut_auth_table *t, const ut_auth_agent *a, char *err, size_t errlen)
{
    const char *problem = ut_auth_secret_problem(a->secret);
    ut_auth_entry *e = &t->e[t->n];

    if (!ut_auth_id_valid(a->id)) {
        snprintf(err, errlen, "bad agent id (1..%d characters of A-Z a-z 0-9 . _ -)",
                 UT_AUTH_ID_MAX);
        return -1;
    }
    if (problem || ut_auth_find(t, a->id)) {
        snprintf(err, errlen, "agent '%s': %s", a->id, problem ? problem : "listed twice");
        return -1;
    }
    e->id = strdup(a->id);
    e->secret = strdup(a->secret);
    e->secret_len = strlen(a->secret);
    t->n++;
    if (!e->id || !e->secret) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

ut_auth_table *ut_auth_table_new(const ut_auth_agent *agents, char *err, size_t errlen)
{
    size_t n = 0;
    ut_auth_table *t = calloc(1, sizeof(*t));

    while (agents && agents[n].id)
        n++;
    if (!t || !(t->e = calloc(n ? n : 1, sizeof(*t->e)))) {
        snprintf(err, errlen, "out of memory");
        ut_auth_table_free(t);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (ut_auth_table_add(t, &agents[i], err, errlen) < 0) {
            ut_auth_table_free(t);
            return NULL;
        }
    }
    return t;
}

size_t ut_auth_table_size(const ut_auth_table *t)
{
    return t->n;
}

/* ---- challenge and MAC ---- */

int ut_auth_challenge_new(uint8_t challenge[UT_AUTH_CHALLENGE_SIZE])
{
    return RAND_bytes(challenge, UT_AUTH_CHALLENGE_SIZE) == 1 ? 0 : -1;
}

int ut_auth_mac(const char *secret, const uint8_t challenge[UT_AUTH_CHALLENGE_SIZE],
                const char *id, uint8_t mac[UT_AUTH_MAC_SIZE])
{
    uint8_t msg[UT_AUTH_CHALLENGE_SIZE + UT_AUTH_ID_MAX];
    size_t idlen = strlen(id);
    unsigned int maclen = 0;

    if (idlen > UT_AUTH_ID_MAX)
        return -1;
    memcpy(msg, challenge, UT_AUTH_CHALLENGE_SIZE);
    memcpy(msg + UT_AUTH_CHALLENGE_SIZE, id, idlen);
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, UT_AUTH_CHALLENGE_SIZE + idlen,
              mac, &maclen))
        return -1;
    return maclen == UT_AUTH_MAC_SIZE ? 0 : -1;
}

/* ---- bodies ---- */

/* Writes a JSON object made by json_pack into out; 0 when it failed. */
static size_t ut_auth_dump(json_t *o, char *out)
{
    size_t n = o ? json_dumpb(o, out, UT_AUTH_BODY_MAX, JSON_COMPACT) : 0;
    json_decref(o);
    return n <= UT_AUTH_BODY_MAX ? n : 0;
}

size_t ut_auth_challenge_body(const uint8_t challenge[UT_AUTH_CHALLENGE_SIZE], char *out)
{
    char hex[2 * UT_AUTH_CHALLENGE_SIZE + 1];
    ut_hex_encode(challenge, UT_AUTH_CHALLENGE_SIZE, hex);
    return ut_auth_dump(json_pack("{s:i, s:s}", "v", 1, "challenge", hex), out);
}

size_t ut_auth_request_body(const char *id, const uint8_t mac[UT_AUTH_MAC_SIZE], char *out)
{
    char hex[2 * UT_AUTH_MAC_SIZE + 1];
    ut_hex_encode(mac, UT_AUTH_MAC_SIZE, hex);
    return ut_auth_dump(json_pack("{s:i, s:s, s:s}", "v", 1, "agent", id, "mac", hex), out);
}

size_t ut_auth_ok_body(const char *id, char *out)
{
    return ut_auth_dump(json_pack("{s:i, s:s}", "v", 1, "agent", id), out);
}

size_t ut_auth_error_body(const char *why, char *out)
{
    return ut_auth_dump(json_pack("{s:i, s:s}", "v", 1, "error", why), out);
}

/* The string field key of a version >= 1 body (other fields are ignored,
 * so newer peers may add some). Returns a new reference to the object and
 * the string in *val, or NULL. */
static json_t *ut_auth_load(const void *body, size_t len, const char *key, const char **val)
{
    json_t *o = json_loadb(body, len, 0, NULL);
    json_int_t v = 0;

    if (!o || json_unpack(o, "{s:I, s:s}", "v", &v, key, val) != 0 || v < 1) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Exactly 2 * n hex digits into out. */
static int ut_auth_hex_field(const char *hex, uint8_t *out, size_t n)
{
    return strlen(hex) == 2 * n ? ut_hex_decode(hex, out, n) : -1;
}

int ut_auth_challenge_parse(const void *body, size_t len, uint8_t challenge[UT_AUTH_CHALLENGE_SIZE])
{
    const char *hex = NULL;
    json_t *o = ut_auth_load(body, len, "challenge", &hex);
    int rc = o ? ut_auth_hex_field(hex, challenge, UT_AUTH_CHALLENGE_SIZE) : -1;
    json_decref(o);
    return rc;
}

void ut_auth_error_parse(const void *body, size_t len, uint32_t status, char *why, size_t whyn)
{
    const char *text = NULL;
    json_t *o = ut_auth_load(body, len, "error", &text);
    snprintf(why, whyn, "%s", o ? text : ut_auth_strstatus(status));
    json_decref(o);
}

/* The id and MAC of a request body. 0 or -1. */
static int ut_auth_request_parse(const void *body, size_t len, char *agent,
                                 uint8_t mac[UT_AUTH_MAC_SIZE])
{
    const char *id = NULL, *hex = NULL;
    json_t *o = ut_auth_load(body, len, "agent", &id);
    int rc = -1;

    if (o && ut_auth_id_valid(id) && json_unpack(o, "{s:s}", "mac", &hex) == 0 &&
        ut_auth_hex_field(hex, mac, UT_AUTH_MAC_SIZE) == 0) {
        snprintf(agent, UT_AUTH_ID_MAX + 1, "%s", id);
        rc = 0;
    }
    json_decref(o);
    return rc;
}

uint32_t ut_auth_verify(const ut_auth_table *t, const uint8_t challenge[UT_AUTH_CHALLENGE_SIZE],
                        const void *body, size_t len, char *agent, char *why, size_t whyn)
{
    uint8_t got[UT_AUTH_MAC_SIZE], want[UT_AUTH_MAC_SIZE];
    const ut_auth_entry *e;
    uint32_t st = UT_AUTH_OK;

    agent[0] = '\0';
    if (ut_auth_request_parse(body, len, agent, got) != 0) {
        agent[0] = '\0';
        st = UT_AUTH_ERR_MALFORMED;
    } else if (!(e = ut_auth_find(t, agent))) {
        st = UT_AUTH_ERR_UNKNOWN_AGENT;
    } else if (ut_auth_mac(e->secret, challenge, agent, want) != 0 ||
               CRYPTO_memcmp(got, want, UT_AUTH_MAC_SIZE) != 0) {
        st = UT_AUTH_ERR_BAD_SECRET;
    }
    OPENSSL_cleanse(want, sizeof(want));
    if (st == UT_AUTH_ERR_UNKNOWN_AGENT)
        snprintf(why, whyn, "unknown agent '%s'", agent);
    else if (st == UT_AUTH_ERR_BAD_SECRET)
        snprintf(why, whyn, "bad secret for agent '%s'", agent);
    else if (st != UT_AUTH_OK)
        snprintf(why, whyn, "%s", ut_auth_strstatus(st));
    return st;
}

const char *ut_auth_strstatus(uint32_t status)
{
    switch (status) {
    case UT_AUTH_OK:
        return "ok";
    case UT_AUTH_ERR_MALFORMED:
        return "malformed auth request";
    case UT_AUTH_ERR_UNKNOWN_AGENT:
        return "unknown agent";
    case UT_AUTH_ERR_BAD_SECRET:
        return "bad secret";
    case UT_AUTH_ERR_REQUIRED:
        return "authentication required";
    default:
        return "refused";
    }
}
