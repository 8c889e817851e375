/* ma_state: the agent's layout and last job on disk (see ma_state.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mineragent/ma_state.h"
#include "utils/ut_hex.h"
#include "utils/ut_log.h"

#define MA_STATE_FILE "agent.state"

static void ma_state_path(const char *dir, const char *suffix, char *out, size_t n)
{
    snprintf(out, n, "%s/%s%s", dir, MA_STATE_FILE, suffix);
}

/* The saved job, kept when a new save carries none. */
static json_t *ma_state_old_job(const char *dir)
{
    ma_state st;

    return ma_state_load(dir, &st) == 0 ? st.job : NULL;
}

static int ma_state_write(const char *dir, json_t *root)
{
    char path[4096], tmp[4096];
    int rc;

    ma_state_path(dir, "", path, sizeof(path));
    ma_state_path(dir, ".tmp", tmp, sizeof(tmp));
    rc = json_dump_file(root, tmp, JSON_COMPACT);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        log_error("agent state: cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

int ma_state_save(const char *dir, const uint8_t *en1, size_t en1_size, size_t en2_size,
                  const void *job, size_t job_len)
{
    char hex[2 * 12 + 1];
    json_t *j = job ? json_loadb(job, job_len, 0, NULL) : ma_state_old_job(dir);
    json_t *root;
    int rc;

    if (en1_size > 12)
        return -1;
    ut_hex_encode(en1, en1_size, hex);
    root = json_pack("{s:i,s:s,s:I}", "v", 1, "extranonce1", hex, "extranonce2_size",
                     (json_int_t)en2_size);
    if (root == NULL) {
        json_decref(j);
        return -1;
    }
    if (j != NULL)
        json_object_set_new(root, "job", j);
    rc = ma_state_write(dir, root);
    json_decref(root);
    return rc;
}

int ma_state_load(const char *dir, ma_state *st)
{
    char path[4096];
    json_error_t err;
    json_t *root;
    const char *hex;
    json_t *n2;

    memset(st, 0, sizeof(*st));
    ma_state_path(dir, "", path, sizeof(path));
    if (access(path, F_OK) != 0)
        return 1;
    root = json_load_file(path, 0, &err);
    hex = json_string_value(json_object_get(root, "extranonce1"));
    n2 = json_object_get(root, "extranonce2_size");
    if (hex == NULL || strlen(hex) % 2 != 0 || strlen(hex) / 2 < 1 || strlen(hex) / 2 > 12 ||
        ut_hex_decode(hex, st->en1, strlen(hex) / 2) != 0 || !json_is_integer(n2) ||
        json_integer_value(n2) < 1 || json_integer_value(n2) > 8) {
        log_error("agent state: %s is unreadable or wrong, ignored%s%s", path,
                  root ? "" : ": ", root ? "" : err.text);
        json_decref(root);
        return -1;
    }
    st->en1_size = strlen(hex) / 2;
    st->en2_size = (size_t)json_integer_value(n2);
    st->job = json_incref(json_object_get(root, "job"));
    json_decref(root);
    return 0;
}
