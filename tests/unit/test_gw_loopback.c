/* A gateway worker's Stratum listener on a real loopback socket
 * (gateway/st_conn.c over network/nw_svr): replies are read back from the
 * socket byte for byte, pipelined submits are answered in order, a
 * too-long line ends the connection after its error reply, and a banned
 * address is refused at accept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "utils/ut_diff.h"
#include "stratum/st_listen.h"
#include "stratum/st_sess.h"
#include "gw_testkit.h"

typedef struct lb {
    gw_config cfg;
    gw_shm *shm;
    struct ev_loop *loop;
    gw_server srv;
    int port;
} lb;

static int lb_setup(void **state)
{
    lb *t = calloc(1, sizeof(*t));
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    ut_log_set_level(UT_LOG_FATAL);
    gw_config_defaults(&t->cfg);
    t->cfg.gateway_id = 9;
    t->cfg.host = strdup("lb");
    t->cfg.stratum.max_line = 256;
    t->cfg.stratum.vardiff.min = t->cfg.stratum.vardiff.start = UT_DIFF_MIN;
    t->cfg.stratum.strikes.junk_lines = 3;
    t->shm = gw_shm_create();
    t->loop = ev_loop_new(0);
    assert_int_equal(gw_server_init(&t->srv, &t->cfg, t->loop, t->shm, 1), 0);
    gw_en1_free(&t->srv.en1);
    gw_en1_init(&t->srv.en1, 9, 1, 0);
    assert_int_equal(st_listen(&t->srv.st, "tcp@127.0.0.1:0", 0), 0);   /* max_msg 258 */
    assert_int_equal(getsockname(nw_svr_fd(t->srv.st.svr), (struct sockaddr *)&sa, &len), 0);
    t->port = ntohs(sa.sin_port);
    *state = t;
    return 0;
}

static int lb_teardown(void **state)
{
    lb *t = *state;

    st_listen_free(&t->srv.st);
    gw_server_free(&t->srv);
    ev_loop_destroy(t->loop);
    gw_shm_free(t->shm);
    gw_config_free(&t->cfg);
    free(t);
    return 0;
}

static int lb_connect(lb *t)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)t->port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

/* Runs the loop until `want` bytes (or EOF, or 3 s) arrived on fd. Returns
 * the byte count; *eof tells whether the peer closed. */
static size_t lb_read(lb *t, int fd, char *buf, size_t want, bool *eof)
{
    size_t got = 0;

    *eof = false;
    for (int i = 0; i < 3000 && got < want && !*eof; i++) {
        ev_run(t->loop, EVRUN_NOWAIT);
        ssize_t n = recv(fd, buf + got, want - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            *eof = true;
        else
            usleep(1000);
    }
    buf[got] = '\0';
    return got;
}

static void lb_expect(lb *t, int fd, const char *send_text, const char *want)
{
    char buf[8192];
    bool eof;

    if (send_text)
        assert_int_equal(send(fd, send_text, strlen(send_text), 0), (ssize_t)strlen(send_text));
    lb_read(t, fd, buf, strlen(want), &eof);
    assert_string_equal(buf, want);
}

static void test_session(void **state)
{
    lb *t = *state;
    int fd = lb_connect(t);
    json_t *job = gt_genesis_json("00000000000000aa", 1);
    st_job *j;
    char want[4096];

    lb_expect(t, fd, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"lb/1\"]}\n",
              "{\"id\":1,\"result\":[[[\"mining.set_difficulty\",\"09100000\"],[\"mining.notify\","
              "\"09100000\"]],\"09100000\",8],\"error\":null}\n");
    lb_expect(t, fd, "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"carol.x\",\"p\"]}\r\n",
              "{\"id\":2,\"result\":true,\"error\":null}\n"
              "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[2.33e-10]}\n");
    gw_server_on_job(&t->srv, job);
    json_decref(job);
    j = st_job_store_current(&t->srv.st.jobs);
    snprintf(want, sizeof(want), "%.*s", (int)j->notify_len, j->notify);
    lb_expect(t, fd, NULL, want);
    /* Three submits in one write, answered in order; the third is a duplicate. */
    lb_expect(t, fd,
              "{\"id\":10,\"method\":\"mining.submit\",\"params\":[\"carol.x\",\"00000000000000aa\",\"0000000000000001\",\"495fab29\",\"00000000\"]}\n"
              "{\"id\":11,\"method\":\"mining.submit\",\"params\":[\"carol.x\",\"00000000000000aa\",\"0000000000000002\",\"495fab29\",\"00000000\"]}\n"
              "{\"id\":12,\"method\":\"mining.submit\",\"params\":[\"carol.x\",\"00000000000000aa\",\"0000000000000002\",\"495fab29\",\"00000000\"]}\n",
              "{\"id\":10,\"result\":true,\"error\":null}\n"
              "{\"id\":11,\"result\":true,\"error\":null}\n"
              "{\"id\":12,\"result\":null,\"error\":[22,\"Duplicate share\",null]}\n");
    /* A line split across two writes. */
    assert_int_equal(send(fd, "{\"id\":13,\"method\":\"mining.ext", 29, 0), 29);
    lb_expect(t, fd, "ranonce.subscribe\",\"params\":[]}\n", "{\"id\":13,\"result\":true,\"error\":null}\n");
    assert_int_equal(t->srv.st.nconns, 1);
    /* Shutdown notice. */
    st_sess_reconnect_all(&t->srv.st);
    lb_expect(t, fd, NULL, "{\"id\":null,\"method\":\"client.reconnect\",\"params\":[]}\n");
    close(fd);
}

static void test_line_too_long(void **state)
{
    lb *t = *state;
    int fd = lb_connect(t);
    char line[600], buf[512];
    bool eof;

    memset(line, 'a', sizeof(line));
    line[sizeof(line) - 1] = '\n';
    assert_int_equal(send(fd, line, sizeof(line), 0), (ssize_t)sizeof(line));
    lb_read(t, fd, buf, 200, &eof);
    assert_string_equal(buf, "{\"id\":null,\"result\":null,\"error\":[20,\"Line too long\",null]}\n");
    assert_true(eof);
    close(fd);
}

static void test_ban_refused_at_accept(void **state)
{
    lb *t = *state;
    int fd = lb_connect(t), fd2;
    char buf[512];
    bool eof;

    lb_expect(t, fd, "x\n", "{\"id\":null,\"result\":null,\"error\":[20,\"Parse error\",null]}\n");
    lb_expect(t, fd, "{\"id\":1,\"method\":\"nope\"}\n",
              "{\"id\":1,\"result\":null,\"error\":[20,\"Unknown method\",null]}\n");
    assert_int_equal(send(fd, "y\n", 2, 0), 2);
    lb_read(t, fd, buf, 200, &eof);
    assert_string_equal(buf, "{\"id\":null,\"result\":null,\"error\":[20,\"Parse error\",null]}\n");
    assert_true(eof);
    close(fd);
    /* 127.0.0.1 is banned now: the next connection is closed at once. */
    fd2 = lb_connect(t);
    lb_read(t, fd2, buf, 10, &eof);
    assert_true(eof);
    assert_int_equal(buf[0], '\0');
    assert_int_equal(st_stat_get(&t->srv.stats->refused), 1);
    assert_int_equal(t->srv.st.nconns, 0);
    close(fd2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_session, lb_setup, lb_teardown),
        cmocka_unit_test_setup_teardown(test_line_too_long, lb_setup, lb_teardown),
        cmocka_unit_test_setup_teardown(test_ban_refused_at_accept, lb_setup, lb_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
