/* Unit tests of the Stratum library's extranonce layout on a bare server
 * (stratum/ alone, no gateway): every en1_size 1..12 with every en2_size
 * 4..8 (the job's extranonce_size being their sum) gives the right
 * subscribe reply and puts extranonce1 and extranonce2 where the coinbase
 * wants them (the header hash is rebuilt here from scratch); the
 * mineragent's layout (upstream extranonce1 4 bytes + a per-miner prefix
 * 4 bytes, miner extranonce2 4 bytes) and the gateway's (4 + 8) both find
 * the genesis block; a job whose extranonce_size does not fit is refused;
 * every extranonce1 goes back to the allocator. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "stratum/st_server.h"
#include "stratum/st_sink.h"
#include "utils/ut_hex.h"
#include "utils/ut_pack.h"
#include "utils/ut_sha256.h"
#include "st_testkit.h"

#define EASY_NBITS 0x207fffffu   /* about every second hash is a block */

/* The last block candidate reported, copied. */
typedef struct blk {
    int n;
    uint8_t en1[ST_EN1_MAX];
    size_t en1_size;
    uint8_t en2[ST_EN2_MAX];
    size_t en2_size;
    uint32_t ntime, nonce, version;
    uint8_t hash[32];
} blk;

static blk got;

static void on_block(void *arg, const st_block_ev *ev)
{
    (void)arg;
    got.n++;
    memcpy(got.en1, ev->en1, ev->en1_size);
    got.en1_size = ev->en1_size;
    memcpy(got.en2, ev->en2, ev->en2_size);
    got.en2_size = ev->en2_size;
    got.ntime = ev->res->ntime;
    got.nonce = ev->res->nonce;
    got.version = ev->res->version;
    memcpy(got.hash, ev->res->hash, 32);
}

static const st_sink block_sink = { .block = on_block };

/* A job on the genesis coinbase with extranonce_size bytes of extranonce. */
static int add_job(gt_bare *b, const char *id, const char *nbits, size_t extranonce_size)
{
    json_t *j = gt_job_json(id, GT_ZERO64, GT_GEN_COINB1, GT_GEN_COINB2, "00000001", nbits,
                            "495fab29", 1);
    int rc;

    json_object_set_new(j, "extranonce_size", json_integer((json_int_t)extranonce_size));
    rc = st_server_on_job(&b->srv, j);
    json_decref(j);
    return rc;
}

/* A connection subscribed (reply checked against en1_hex) and authorized. */
static st_conn *started(gt_bare *b, const char *en1_hex)
{
    st_conn *c = st_conn_new(&b->srv, NULL, NULL);
    char want[256];

    assert_non_null(c);
    snprintf(want, sizeof(want),
             "{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"%s\"],[\"mining.notify\","
             "\"%s\"]],\"%s\",%zu],\"error\":null}\n", en1_hex, en1_hex, en1_hex,
             b->cfg.en2_size);
    assert_string_equal(gt_line(c, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}"),
                        want);
    gt_line(c, "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"alice.rig1\",\"x\"]}");
    assert_true(c->started);
    return c;
}

/* The header hash of the reported block, built here without st_share:
 * coinbase = coinb1 | en1 | en2 | coinb2, no merkle branch. */
static void rebuild_hash(const blk *g, uint32_t nbits, uint8_t out[32])
{
    static uint8_t cb[512];
    uint8_t header[80] = { 0 };
    size_t n1 = strlen(GT_GEN_COINB1) / 2, n2 = strlen(GT_GEN_COINB2) / 2;
    size_t n = 0;

    assert_int_equal(ut_hex_decode(GT_GEN_COINB1, cb, n1), 0);
    n += n1;
    memcpy(cb + n, g->en1, g->en1_size);
    n += g->en1_size;
    memcpy(cb + n, g->en2, g->en2_size);
    n += g->en2_size;
    assert_int_equal(ut_hex_decode(GT_GEN_COINB2, cb + n, n2), 0);
    n += n2;
    ut_le32_put(header, g->version);
    ut_sha256d(cb, n, header + 36);
    ut_le32_put(header + 68, g->ntime);
    ut_le32_put(header + 72, nbits);
    ut_le32_put(header + 76, g->nonce);
    ut_header_hash(header, out);
}

/* One layout: en1 = 0x10 0x11 ... (en1_size bytes, no counter), en2 =
 * 0xa0 0xa1 ...; shares until one is a block, whose bytes and hash must
 * be what the coinbase needs. */
static void one_layout(size_t en1_size, size_t en2_size)
{
    gt_bare *b = gt_bare_new(en1_size, en2_size, &block_sink);
    char en1_hex[2 * ST_EN1_MAX + 1], en2_hex[2 * ST_EN2_MAX + 1], bad[2 * ST_EN2_MAX + 3];
    uint8_t en2[ST_EN2_MAX], want[32];
    st_conn *c;

    assert_non_null(b);
    for (size_t i = 0; i < ST_EN1_MAX; i++)
        b->prefix[i] = (uint8_t)(0x10 + i);
    b->prefix_len = en1_size;
    for (size_t i = 0; i < en2_size; i++)
        en2[i] = (uint8_t)(0xa0 + i);
    ut_hex_encode(b->prefix, en1_size, en1_hex);
    ut_hex_encode(en2, en2_size, en2_hex);
    snprintf(bad, sizeof(bad), "%s00", en2_hex);
    assert_int_equal(add_job(b, "0000000000000aa1", "207fffff", en1_size + en2_size + 1), -1);
    assert_int_equal(add_job(b, "0000000000000aa2", "207fffff", en1_size + en2_size), 0);
    c = started(b, en1_hex);
    assert_string_equal(gt_submit(c, "alice.rig1", "0000000000000aa2", bad, 0),
                        "{\"id\":9,\"result\":null,\"error\":[20,\"Invalid extranonce2 size\","
                        "null]}\n");
    got.n = 0;
    for (uint32_t nonce = 1; got.n == 0 && nonce < 64; nonce++) {
        const char *out = gt_submit(c, "alice.rig1", "0000000000000aa2", en2_hex, nonce);
        /* A hash that misses even the easiest share target is no block either. */
        if (strstr(out, "Low difficulty share") == NULL)
            assert_string_equal(out, "{\"id\":9,\"result\":true,\"error\":null}\n");
    }
    assert_int_equal(got.n, 1);
    assert_int_equal(got.en1_size, en1_size);
    assert_memory_equal(got.en1, b->prefix, en1_size);
    assert_int_equal(got.en2_size, en2_size);
    assert_memory_equal(got.en2, en2, en2_size);
    rebuild_hash(&got, EASY_NBITS, want);
    assert_memory_equal(got.hash, want, 32);
    st_conn_free(c);
    assert_int_equal(b->live, 0);
    gt_bare_free(b);
}

static void test_every_layout(void **state)
{
    (void)state;
    for (size_t en1 = ST_EN1_MIN; en1 <= ST_EN1_MAX; en1++)
        for (size_t en2 = ST_EN2_MIN; en2 <= ST_EN2_MAX; en2++)
            one_layout(en1, en2);
}

/* The genesis extranonce "The Times 03" split as en1_size + (12 - en1_size). */
static void genesis_split(size_t en1_size, const char *en1_hex, const char *en2_hex)
{
    gt_bare *b = gt_bare_new(en1_size, 12 - en1_size, &block_sink);
    st_conn *c;
    char hash[65];

    assert_non_null(b);
    assert_int_equal(ut_hex_decode(en1_hex, b->prefix, en1_size), 0);
    b->prefix_len = en1_size;
    assert_int_equal(add_job(b, "00000000000000d1", "1d00ffff", 12), 0);
    c = started(b, en1_hex);
    got.n = 0;
    assert_string_equal(gt_submit(c, "alice.rig1", "00000000000000d1", en2_hex, 0x7c2bac1d),
                        "{\"id\":9,\"result\":true,\"error\":null}\n");
    assert_int_equal(got.n, 1);
    ut_hash_to_hex(got.hash, hash);
    assert_string_equal(hash, GT_GEN_HASH);
    gt_bare_free(b);
}

static void test_genesis_agent_and_gateway(void **state)
{
    (void)state;
    genesis_split(8, "5468652054696d65", "73203033");    /* mineragent: 4 + 4 | 4 */
    genesis_split(4, GT_GEN_EN1, GT_GEN_EN2);             /* gateway: 4 | 8 */
    genesis_split(6, "546865205469", "6d6573203033");
}

/* The agent's allocator shape: upstream extranonce1 then a per-miner
 * counter; every miner gets its own value, released when it goes. */
static void test_agent_counter(void **state)
{
    gt_bare *b = gt_bare_new(8, 4, NULL);
    static const uint8_t upstream[4] = { 0xaa, 0xbb, 0xcc, 0xdd };
    st_conn *c1, *c2;

    (void)state;
    assert_non_null(b);
    memcpy(b->prefix, upstream, 4);
    b->prefix_len = 4;
    assert_int_equal(add_job(b, "00000000000000e1", "1d00ffff", 12), 0);
    c1 = started(b, "aabbccdd00000000");
    c2 = started(b, "aabbccdd00000001");
    assert_int_equal(b->live, 2);
    st_conn_free(c1);
    st_conn_free(c2);
    assert_int_equal(b->live, 0);
    gt_bare_free(b);
}

static void test_layout_refused(void **state)
{
    static const size_t bad[][2] = { { 0, 8 }, { 13, 4 }, { 4, 3 }, { 4, 9 } };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(gt_bare_new(bad[i][0], bad[i][1], NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_layout),
        cmocka_unit_test(test_genesis_agent_and_gateway),
        cmocka_unit_test(test_agent_counter),
        cmocka_unit_test(test_layout_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
