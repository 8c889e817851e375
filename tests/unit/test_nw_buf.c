/* Tests of nw_buf, the one growable byte buffer: append and consume (the
 * storage reused from the front), growth by doubling, reset keeps the
 * storage, push and reserve+commit, take hands over a NUL-terminated copy,
 * and the max: an append past it fails with ENOBUFS and changes nothing,
 * consuming makes room again, the storage never grows past it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "network/nw_buf.h"

static void test_append_consume(void **state)
{
    nw_buf b;
    nw_buf_init(&b);
    assert_int_equal(nw_buf_append(&b, "hello ", 6), 0);
    assert_int_equal(nw_buf_append(&b, "world", 5), 0);
    assert_int_equal(b.cap, 256);
    nw_buf_consume(&b, 6);
    assert_int_equal(nw_buf_len(&b), 5);
    assert_memory_equal(b.data + b.rpos, "world", 5);
    /* 300 more bytes: the unread 5 slide to the front, the storage doubles. */
    char big[300];
    memset(big, 'x', sizeof(big));
    assert_int_equal(nw_buf_append(&b, big, sizeof(big)), 0);
    assert_int_equal(b.rpos, 0);
    assert_int_equal(b.cap, 512);
    assert_memory_equal(b.data, "world", 5);
    assert_int_equal(nw_buf_len(&b), 305);
    nw_buf_consume(&b, 1000);                 /* more than there is: empty */
    assert_int_equal(nw_buf_len(&b), 0);
    assert_int_equal(b.wpos, 0);
    nw_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.cap, 0);
}

static void test_reset_push_commit(void **state)
{
    nw_buf b;
    nw_buf_init(&b);
    char *p = nw_buf_push(&b, 4);
    assert_non_null(p);
    memcpy(p, "abcd", 4);
    assert_int_equal(nw_buf_reserve(&b, 1000), 0);
    assert_true(b.cap - b.wpos >= 1000);
    memcpy(b.data + b.wpos, "efg", 3);
    nw_buf_commit(&b, 3);
    assert_int_equal(nw_buf_len(&b), 7);
    assert_memory_equal(b.data, "abcdefg", 7);
    size_t cap = b.cap;
    char *data = b.data;
    nw_buf_reset(&b);
    assert_int_equal(nw_buf_len(&b), 0);
    assert_int_equal(b.cap, cap);             /* the storage is kept */
    assert_ptr_equal(b.data, data);
    nw_buf_free(&b);
}

static void test_take(void **state)
{
    nw_buf b;
    size_t len = 99;
    nw_buf_init(&b);
    char *s = nw_buf_take(&b, &len);          /* nothing in it: "" */
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    /* Full to the byte: take still finds room for the NUL. */
    char fill[256];
    memset(fill, 'y', sizeof(fill));
    assert_int_equal(nw_buf_append(&b, "zz", 2), 0);
    nw_buf_consume(&b, 1);
    assert_int_equal(nw_buf_append(&b, fill, 255), 0);
    assert_int_equal(b.cap, 256);
    s = nw_buf_take(&b, &len);
    assert_int_equal(len, 256);
    assert_int_equal(strlen(s), 256);
    assert_int_equal(s[0], 'z');
    assert_int_equal(s[255], 'y');
    assert_null(b.data);
    assert_int_equal(nw_buf_len(&b), 0);
    free(s);
}

static void test_max(void **state)
{
    nw_buf b;
    char chunk[400];
    memset(chunk, 'm', sizeof(chunk));
    nw_buf_init_max(&b, 1000);
    assert_int_equal(nw_buf_append(&b, chunk, 400), 0);
    assert_int_equal(nw_buf_append(&b, chunk, 400), 0);
    errno = 0;
    assert_int_equal(nw_buf_append(&b, chunk, 201), -1);   /* 1001 > 1000 */
    assert_int_equal(errno, ENOBUFS);
    assert_int_equal(nw_buf_len(&b), 800);                 /* unchanged */
    assert_null(nw_buf_push(&b, 201));
    assert_int_equal(nw_buf_len(&b), 800);
    assert_int_equal(nw_buf_append(&b, chunk, 200), 0);    /* exactly 1000 */
    assert_true(b.cap <= 1000);                            /* not doubled past max */
    assert_int_equal(nw_buf_append(&b, "x", 1), -1);
    nw_buf_consume(&b, 300);                               /* room again */
    assert_int_equal(nw_buf_append(&b, chunk, 300), 0);
    assert_int_equal(nw_buf_len(&b), 1000);
    errno = 0;
    assert_int_equal(nw_buf_reserve(&b, (size_t)-1), -1);  /* no overflow either */
    assert_int_equal(errno, ENOBUFS);
    nw_buf_free(&b);
    assert_int_equal(b.max, 1000);                         /* the limit stays */
    assert_int_equal(nw_buf_append(&b, chunk, 400), 0);
    assert_int_equal(nw_buf_append(&b, chunk, 400), 0);
    assert_int_equal(nw_buf_append(&b, chunk, 400), -1);
    nw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_consume),
        cmocka_unit_test(test_reset_push_commit),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
