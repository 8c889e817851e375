/* fuzz_jm_template: a getblocktemplate result (the fuzz input: the JSON
 * "result" a Bitcoin node returns) decoded by jm_template_parse.
 * Checks: no crash, no leak, no UB; a refused template comes with a
 * non-empty reason; an accepted one is consistent: prev_hex is 64
 * characters, every transaction has its data (len bytes, non-NULL when
 * len > 0), a kept witness commitment is a non-empty script. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "jobmaster/jm_template.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    char err[256];
    json_t *gbt = json_loadb((const char *)data, size, 0, &jerr);

    if (gbt == NULL)
        return 0;
    err[0] = '\0';
    jm_template *t = jm_template_parse(gbt, err, sizeof(err));
    if (t == NULL) {
        CHECK(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
    } else {
        CHECK(strlen(t->prev_hex) == 64);
        CHECK(t->tx_count == 0 || t->txs != NULL);
        for (size_t i = 0; i < t->tx_count; i++)
            CHECK(t->txs[i].len == 0 || t->txs[i].data != NULL);
        CHECK(t->commitment == NULL || t->commitment_len > 0);
        jm_template_free(t);
    }
    json_decref(gbt);
    return 0;
}
