/* fuzz_st_conn: a miner's byte stream (the fuzz input) fed line by line to
 * one connection of a bare, socket-less Stratum server (the st_testkit.h
 * setup: st_server_init with capturing send/close hooks, the genesis job
 * announced), the way the socket framing delivers it: each '\n'-ended line
 * whole, a line longer than max_line cut to max_line bytes without its
 * '\n', and a last line without '\n' dropped (still being read).
 * Everything the dispatcher does with a line runs: the fast parser, the
 * jansson fallback, subscribe, authorize, submit (share checking), configure,
 * suggest_difficulty, error replies, strikes and closing.
 * Checks: no crash, no leak (the connection and the server are freed after
 * every input), no UB; every reply the server wrote ends with '\n'. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tests/unit/st_testkit.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gt_bare *b = gt_bare_new(4, 8, NULL);
    CHECK(b != NULL);
    json_t *j = gt_genesis_json("00000000000000c1", 1);
    CHECK(st_server_on_job(&b->srv, j) == 0);
    json_decref(j);
    st_conn *c = st_conn_new(&b->srv, NULL, NULL);
    CHECK(c != NULL);
    size_t max_line = b->cfg.max_line;

    gt_reset_out();
    const char *p = (const char *)data, *end = p + size;
    while (p < end && !c->closing) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (n > max_line) {
            st_conn_message(c, p, max_line);   /* too long: no '\n' */
            break;
        }
        if (nl == NULL)
            break;                             /* incomplete last line */
        st_conn_message(c, p, n);
        st_flush(&b->srv);
        p += n;
    }
    st_flush(&b->srv);
    CHECK(gt_out_len == 0 || gt_out_len + 1 >= sizeof(gt_out) || gt_out[gt_out_len - 1] == '\n');
    st_conn_free(c);
    gt_bare_free(b);
    return 0;
}
