/* Tests of ut_rpc framing: round trip of every field, the byte layout, the
 * stream contract (need more / whole frame / error), corruption of every
 * header byte, the size limit judged from the header alone, and the worked
 * example of docs/protocol.md byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "utils/ut_rpc.h"

static size_t pack_sample(uint8_t *buf, const char *body, uint8_t type)
{
    ut_rpc_msg m = {.version = UT_RPC_VERSION, .type = type, .command = 0xabcd,
                    .sequence = 0x01020304, .request_id = 0x1122334455667788ull,
                    .status = 0xdeadbeef, .body_len = (uint32_t)strlen(body), .body = body};
    return ut_rpc_pack(&m, buf);
}

static void test_round_trip(void **state)
{
    uint8_t buf[128];
    ut_rpc_msg m;
    size_t n = pack_sample(buf, "hello", UT_RPC_REPLY);

    assert_int_equal(n, 37);
    assert_int_equal(ut_rpc_decode(buf, n, 1024), 37);
    assert_int_equal(ut_rpc_parse(buf, n, &m), 0);
    assert_int_equal(m.version, UT_RPC_VERSION);
    assert_int_equal(m.type, UT_RPC_REPLY);
    assert_int_equal(m.command, 0xabcd);
    assert_int_equal(m.sequence, 0x01020304);
    assert_true(m.request_id == 0x1122334455667788ull);
    assert_int_equal(m.status, 0xdeadbeef);
    assert_int_equal(m.body_len, 5);
    assert_ptr_equal(m.body, buf + 32);
    assert_memory_equal(m.body, "hello", 5);
    /* parse refuses a length that does not match the header */
    assert_int_equal(ut_rpc_parse(buf, n - 1, &m), -1);
    assert_int_equal(ut_rpc_parse(buf, 31, &m), -1);
}

static void test_layout(void **state)
{
    uint8_t buf[128];
    static const uint8_t want[28] = {
        0x48, 0x46, 0x4d, 0x31,                         /* magic "HFM1" */
        0x01,                                           /* version */
        0x03,                                           /* type: push */
        0xab, 0xcd,                                     /* command */
        0x01, 0x02, 0x03, 0x04,                         /* sequence */
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* request id */
        0x00, 0x00, 0x00, 0x02,                         /* body length */
        0xde, 0xad, 0xbe, 0xef,                         /* status */
    };

    pack_sample(buf, "xy", UT_RPC_PUSH);
    assert_memory_equal(buf, want, sizeof(want));
    assert_memory_equal(buf + 32, "xy", 2);
}

static void test_empty_body(void **state)
{
    uint8_t buf[64];
    ut_rpc_msg m = {.type = UT_RPC_HEARTBEAT, .sequence = 9};
    size_t n = ut_rpc_pack(&m, buf);

    assert_int_equal(n, 32);
    assert_int_equal(buf[4], UT_RPC_VERSION);   /* version 0 packs as the current one */
    assert_int_equal(ut_rpc_decode(buf, n, 0), 32);
    assert_int_equal(ut_rpc_parse(buf, n, &m), 0);
    assert_int_equal(m.type, UT_RPC_HEARTBEAT);
    assert_int_equal(m.body_len, 0);
    assert_int_equal(m.sequence, 9);
}

static void test_pack_in_place(void **state)
{
    uint8_t a[64], b[64];

    memcpy(b + 32, "in place", 8);
    ut_rpc_msg m = {.type = UT_RPC_REQUEST, .command = 7, .request_id = 3, .body_len = 8,
                    .body = b + 32};
    assert_int_equal(ut_rpc_pack(&m, b), 40);
    m.body = "in place";
    assert_int_equal(ut_rpc_pack(&m, a), 40);
    assert_memory_equal(a, b, 40);
}

static void test_byte_at_a_time(void **state)
{
    uint8_t buf[256];
    size_t n = pack_sample(buf, "a body of some length, more than a header's worth of bytes",
                           UT_RPC_REQUEST);

    for (size_t i = 0; i < n; i++)
        assert_int_equal(ut_rpc_decode(buf, i, 1024), 0);
    assert_int_equal(ut_rpc_decode(buf, n, 1024), (int)n);
    /* trailing bytes of the next frame do not change the answer */
    assert_int_equal(ut_rpc_decode(buf, n, 1024), (int)n);
}

static void test_back_to_back(void **state)
{
    uint8_t buf[256];
    ut_rpc_msg m;
    size_t n1 = pack_sample(buf, "first", UT_RPC_REQUEST);
    size_t n2 = pack_sample(buf + n1, "the second one", UT_RPC_REPLY);

    assert_int_equal(ut_rpc_decode(buf, n1 + n2, 1024), (int)n1);
    assert_int_equal(ut_rpc_decode(buf + n1, n2, 1024), (int)n2);
    assert_int_equal(ut_rpc_parse(buf + n1, n2, &m), 0);
    assert_memory_equal(m.body, "the second one", 14);
    /* second frame incomplete */
    assert_int_equal(ut_rpc_decode(buf + n1, n2 - 1, 1024), 0);
    assert_int_equal(ut_rpc_decode(buf + n1, 20, 1024), 0);
}

static void test_bad_fields(void **state)
{
    uint8_t buf[128], c[128];
    size_t n = pack_sample(buf, "body", UT_RPC_REQUEST);

    memcpy(c, buf, n);
    c[0] ^= 0x01;
    assert_int_equal(ut_rpc_decode(c, n, 1024), UT_RPC_ERR_MAGIC);
    memcpy(c, buf, n);
    c[4] = 0;
    assert_int_equal(ut_rpc_decode(c, n, 1024), UT_RPC_ERR_VERSION);
    memcpy(c, buf, n);
    c[5] = 0;
    assert_int_equal(ut_rpc_decode(c, n, 1024), UT_RPC_ERR_TYPE);
    c[5] = 5;
    assert_int_equal(ut_rpc_decode(c, n, 1024), UT_RPC_ERR_TYPE);
    memcpy(c, buf, n);
    c[31] ^= 0x80;
    assert_int_equal(ut_rpc_decode(c, n, 1024), UT_RPC_ERR_CRC);
    memcpy(c, buf, n);
    c[n - 1] ^= 0x01;                     /* the body is covered too */
    assert_int_equal(ut_rpc_decode(c, n, 1024), UT_RPC_ERR_CRC);
    memcpy(c, buf, n);
    c[13] ^= 0x01;                        /* request id: only the CRC sees it */
    assert_int_equal(ut_rpc_decode(c, n, 1024), UT_RPC_ERR_CRC);
}

/* Every bit and every whole byte of the header flipped is caught, given
 * the bytes a stream would eventually deliver after it (here: zeros). */
static void test_every_header_byte(void **state)
{
    const size_t max_body = 4096;
    size_t cap = 32 + max_body + 64;
    uint8_t *buf = calloc(1, cap), *c = malloc(cap);
    size_t n = pack_sample(buf, "payload", UT_RPC_PUSH);

    for (size_t i = 0; i < UT_RPC_HEADER_SIZE; i++) {
        for (int flip = 0; flip < 9; flip++) {
            uint8_t mask = flip < 8 ? (uint8_t)(1u << flip) : 0xff;
            memcpy(c, buf, cap);
            c[i] ^= mask;
            int rc = ut_rpc_decode(c, cap, max_body);
            if (rc >= 0)
                fail_msg("byte %zu mask 0x%02x not caught (rc %d)", i, mask, rc);
            /* a longer length that still fits waits for bytes, never accepts */
            rc = ut_rpc_decode(c, n, max_body);
            assert_true(rc <= 0);
        }
    }
    free(buf);
    free(c);
}

static void test_too_big_from_header(void **state)
{
    uint8_t buf[64];
    ut_rpc_msg m = {.type = UT_RPC_PUSH, .body_len = 1001, .body = NULL};

    /* Only the header is present: the limit is judged without the body. */
    memset(buf, 0, sizeof(buf));
    m.body_len = 0;
    ut_rpc_pack(&m, buf);
    buf[20] = 0x00; buf[21] = 0x00; buf[22] = 0x03; buf[23] = 0xe9;   /* 1001 */
    assert_int_equal(ut_rpc_decode(buf, 32, 1000), UT_RPC_ERR_TOO_BIG);
    assert_int_equal(ut_rpc_decode(buf, 32, 1001), 0);
    buf[20] = 0xff;
    assert_int_equal(ut_rpc_decode(buf, 32, UT_RPC_DEFAULT_MAX_BODY), UT_RPC_ERR_TOO_BIG);
    assert_int_equal(ut_rpc_decode(buf, 32, (size_t)-1), UT_RPC_ERR_TOO_BIG);
}

static void test_newer_version_accepted(void **state)
{
    uint8_t buf[64];
    ut_rpc_msg m = {.version = 7, .type = UT_RPC_PUSH, .command = 1, .body_len = 2,
                    .body = "{}"};
    size_t n = ut_rpc_pack(&m, buf);

    assert_int_equal(ut_rpc_decode(buf, n, 100), (int)n);
    assert_int_equal(ut_rpc_parse(buf, n, &m), 0);
    assert_int_equal(m.version, 7);
}

static void test_strerror(void **state)
{
    assert_string_equal(ut_rpc_strerror(UT_RPC_ERR_MAGIC), "bad magic");
    assert_string_equal(ut_rpc_strerror(UT_RPC_ERR_VERSION), "bad protocol version");
    assert_string_equal(ut_rpc_strerror(UT_RPC_ERR_TYPE), "bad message type");
    assert_string_equal(ut_rpc_strerror(UT_RPC_ERR_TOO_BIG), "body too large");
    assert_string_equal(ut_rpc_strerror(UT_RPC_ERR_CRC), "CRC mismatch");
}

/* The worked example in docs/protocol.md: a CMD_JM_HELLO request (0x0101),
 * sequence 1, request id 1, body {"v":1}. Keep the two in step. */
static void test_doc_example(void **state)
{
    static const uint8_t doc[] = {
        0x48, 0x46, 0x4d, 0x31, 0x01, 0x01, 0x01, 0x01,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x07,
        0x00, 0x00, 0x00, 0x00, 0x67, 0x8c, 0x3e, 0x47,
        0x7b, 0x22, 0x76, 0x22, 0x3a, 0x31, 0x7d,
    };
    uint8_t buf[64];
    ut_rpc_msg m = {.version = 1, .type = UT_RPC_REQUEST, .command = 0x0101, .sequence = 1,
                    .request_id = 1, .status = 0, .body_len = 7, .body = "{\"v\":1}"};

    assert_int_equal(ut_rpc_pack(&m, buf), sizeof(doc));
    assert_memory_equal(buf, doc, sizeof(doc));
    assert_int_equal(ut_rpc_decode(doc, sizeof(doc), 1024), (int)sizeof(doc));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_pack_in_place),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_back_to_back),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_every_header_byte),
        cmocka_unit_test(test_too_big_from_header),
        cmocka_unit_test(test_newer_version_accepted),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_doc_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
