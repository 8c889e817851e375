/* fuzz_ut_meta_check: a CMD_MW_BATCH body (the fuzz input, as it arrives
 * from a gateway, a mineragent or a spool file on disk) through
 * ut_meta_body_load, the check every accounting batch passes.
 * Checks: no crash, no leak, no UB; a refused body comes with a
 * non-empty, NUL-terminated reason; an accepted body is a JSON object that
 * ut_meta_body_check accepts again; the identity string is always
 * printable (ut_meta_body_id never fails). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "utils/ut_log.h"
#include "utils/ut_meta_check.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int once;
    char err[256], err2[256], idtxt[256];
    ut_meta_ident id;

    if (!once) {
        ut_log_set_level(UT_LOG_FATAL);
        once = 1;
    }
    memset(err, 0x55, sizeof(err));
    json_t *root = ut_meta_body_load(data, size, &id, err, sizeof(err));
    if (root == NULL) {
        CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
    } else {
        CHECK(json_is_object(root));
        CHECK(ut_meta_body_check(root, err2, sizeof(err2)) == 0);
        json_decref(root);
    }
    const char *s = ut_meta_body_id(&id, idtxt, sizeof(idtxt));
    CHECK(s != NULL && strlen(s) < 4096);
    return 0;
}
