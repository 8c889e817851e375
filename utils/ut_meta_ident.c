/* ut_meta_ident: batch identities (source/epoch/seq): valid source ids,
 * an agent's source id, a new random epoch, and reading and printing the
 * identity of a batch body (shared with metarelay and metawriter). */
#include "utils/ut_meta_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

bool ut_meta_source_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > UT_META_SOURCE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != ':' && s[i] != '-')
            return false;
    }
    return true;
}

bool ut_meta_agent_source(const char *id, char *out, size_t n)
{
    int len = snprintf(out, n, "ag-%s", id ? id : "");

    if (id == NULL || *id == '\0' || strchr(id, ':') != NULL || len < 0 ||
        (size_t)len >= n || !ut_meta_source_ok(out)) {
        if (n > 0)
            out[0] = '\0';
        return false;
    }
    return true;
}

static bool mt_epoch_ok(const char *e)
{
    if (!e || strlen(e) != 16)
        return false;
    for (int i = 0; i < 16; i++) {
        if (!isxdigit((unsigned char)e[i]) || isupper((unsigned char)e[i]))
            return false;
    }
    return true;
}

int ut_meta_ident_parse(const json_t *body, ut_meta_ident *out)
{
    const char *src = json_string_value(json_object_get(body, "source"));
    const char *ep = json_string_value(json_object_get(body, "epoch"));
    json_t *seq = json_object_get(body, "seq");
    if (!ut_meta_source_ok(src) || !mt_epoch_ok(ep) || !json_is_integer(seq) ||
        json_integer_value(seq) < 1)
        return -1;
    snprintf(out->source, sizeof(out->source), "%s", src);
    snprintf(out->epoch, sizeof(out->epoch), "%s", ep);
    out->seq = (uint64_t)json_integer_value(seq);
    return 0;
}

const char *ut_meta_ident_str(const ut_meta_ident *id, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s/%" PRIu64, id->source, id->epoch, id->seq);
    return buf;
}

/* A random 64-bit epoch; never the same for two process lifetimes. */
void mt_new_epoch(char out[17])
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16);
    }
    snprintf(out, 17, "%016" PRIx64, r);
}
