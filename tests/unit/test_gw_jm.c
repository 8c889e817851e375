/* The gateway's jobmaster link (gateway/gw_jm.c) against an in-process
 * ut_rpc server playing the jobmaster on loopback: HELLO on link up, a job
 * push reaching the job store, a block found sent as CMD_JM_BLOCK_FOUND
 * with the exact body, its reply counted; and the rationing of block
 * candidates per parent block. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "utils/ut_diff.h"
#include "gateway/gw_jm.h"
#include "utils/ut_cmd.h"
#include "utils/ut_hex.h"
#include "utils/ut_rpc_link.h"
#include "gw_testkit.h"

static void test_guard(void **state)
{
    st_guard g;
    uint8_t a[32] = { 1 }, b[32] = { 2 };

    (void)state;
    memset(&g, 0, sizeof(g));
    for (int i = 0; i < ST_GUARD_MAX_INFLIGHT; i++)
        assert_true(st_guard_admit(&g, a));
    assert_false(st_guard_admit(&g, a));     /* too many unanswered */
    st_guard_done(&g, a, false);
    assert_true(st_guard_admit(&g, a));      /* one came back rejected */
    st_guard_done(&g, a, true);
    assert_false(st_guard_admit(&g, a));     /* parent already extended */
    st_guard_done(&g, b, true);              /* unrelated answer: ignored */
    assert_true(st_guard_admit(&g, b));      /* a new parent starts over */
    st_guard_done(&g, a, true);              /* late answer for the old parent */
    assert_int_equal(g.inflight, 1);
    assert_false(g.won);
}

/* ---- a fake jobmaster ---- */

static int hellos, founds;
static char hello_body[512], found_body[2048];
static json_t *job_to_push;

static void fj_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    char *text;

    (void)udata;
    if (msg->command == CMD_JM_HELLO) {
        hellos++;
        snprintf(hello_body, sizeof(hello_body), "%.*s", (int)msg->body_len,
                 (const char *)msg->body);
        ut_rpc_reply(link, msg, 0, "{\"v\":1}", 7);
        text = json_dumps(job_to_push, JSON_COMPACT);
        ut_rpc_push(link, CMD_JM_JOB, text, strlen(text));
        free(text);
    } else if (msg->command == CMD_JM_BLOCK_FOUND) {
        static const char reply[] = "{\"v\":1,\"accepted\":true,\"hash\":\"" GT_GEN_HASH
                                    "\",\"height\":0,\"reason\":\"\"}";
        founds++;
        snprintf(found_body, sizeof(found_body), "%.*s", (int)msg->body_len,
                 (const char *)msg->body);
        ut_rpc_reply(link, msg, 0, reply, sizeof(reply) - 1);
    }
}

static void run_until(struct ev_loop *loop, int *counter, int want)
{
    for (int i = 0; i < 3000 && *counter < want; i++) {
        ev_run(loop, EVRUN_NOWAIT);
        usleep(1000);
    }
}

static void test_link(void **state)
{
    gt_ctx *t = gt_ctx_new();
    ut_rpc_handlers fh = { .on_msg = fj_on_msg };
    ut_rpc_cfg fc = { .addr = "tcp@127.0.0.1:0" };
    ut_rpc_svr *fj;
    char addr[64], want[1024];
    st_conn *c;
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int jobs_before;

    (void)state;
    /* Pick a free port, then let the fake jobmaster listen on it. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(s, (struct sockaddr *)&any, sizeof(any)), 0);
    getsockname(s, (struct sockaddr *)&sa, &len);
    close(s);
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", ntohs(sa.sin_port));
    fc.addr = addr;
    fj = ut_rpc_svr_create(t->loop, &fc, &fh, NULL);
    assert_non_null(fj);
    assert_int_equal(ut_rpc_svr_start(fj), 0);

    t->cfg.stratum.vardiff.min = t->cfg.stratum.vardiff.start = UT_DIFF_MIN;
    job_to_push = gt_genesis_json("00000000000000ab", 1);
    t->cfg.jm_addr = strdup(addr);
    t->srv.st.fake_now = 0;   /* real loop time: the link runs timers */
    t->srv.jm = gw_jm_create(&t->srv);
    assert_non_null(t->srv.jm);
    assert_int_equal(gw_jm_start(t->srv.jm), 0);
    jobs_before = (int)st_stat_get(&t->srv.stats->st.jobs);
    run_until(t->loop, &hellos, 1);
    assert_int_equal(hellos, 1);
    assert_string_equal(hello_body, "{\"v\":1,\"gateway_id\":7,\"process\":3,\"host\":\"test\"}");
    for (int i = 0; i < 2000 && st_stat_get(&t->srv.stats->st.jobs) == (uint64_t)jobs_before;
         i++) {
        ev_run(t->loop, EVRUN_NOWAIT);
        usleep(1000);
    }
    assert_non_null(st_job_store_find(&t->srv.st.jobs, "00000000000000ab", 16));
    assert_true(gw_jm_up(t->srv.jm));

    /* A miner finds the genesis block. */
    c = st_conn_new(&t->srv.st, NULL, NULL);
    gt_line(c, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[]}");
    gt_line(c, "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"alice.rig1\",\"x\"]}");
    ut_hex_decode(GT_GEN_EN1, c->en1, 4);
    memcpy(c->en1_hex, GT_GEN_EN1, 9);
    assert_string_equal(gt_line(c, "{\"id\":3,\"method\":\"mining.submit\",\"params\":[\"alice.rig1\",\"00000000000000ab\",\"" GT_GEN_EN2 "\",\"495fab29\",\"7c2bac1d\"]}"),
                        "{\"id\":3,\"result\":true,\"error\":null}\n");
    run_until(t->loop, &founds, 1);
    snprintf(want, sizeof(want),
             "{\"v\":1,\"job_id\":\"00000000000000ab\",\"extranonce1\":\"54686520\","
             "\"extranonce2\":\"" GT_GEN_EN2 "\",\"ntime\":\"495fab29\",\"nonce\":\"7c2bac1d\","
             "\"version\":\"00000001\",\"hash\":\"" GT_GEN_HASH "\",\"user\":\"alice\","
             "\"worker\":\"rig1\",\"gateway_id\":7,\"peer\":\"%s\",\"height\":0}", c->peer);
    assert_string_equal(found_body, want);
    for (int i = 0; i < 2000 && st_stat_get(&t->srv.stats->blocks_accepted) == 0; i++) {
        ev_run(t->loop, EVRUN_NOWAIT);
        usleep(1000);
    }
    assert_int_equal(st_stat_get(&t->srv.stats->blocks_accepted), 1);

    /* Another job on the same parent with an easy nbits: the next block
     * candidate is a share, but it is not sent (the parent is extended). */
    gt_add_job(t, gt_job_json("00000000000000ac", GT_ZERO64, GT_GEN_COINB1, GT_GEN_COINB2,
                              "00000001", "207fffff", "495fab29", 0));
    for (int i = 0; i < 64 && st_stat_get(&t->srv.stats->blocks_found) < 2; i++) {
        char line[256];
        snprintf(line, sizeof(line), "{\"id\":5,\"method\":\"mining.submit\",\"params\":"
                 "[\"alice.rig1\",\"00000000000000ac\",\"0000000000000000\",\"495fab29\","
                 "\"%08x\"]}", i);
        assert_string_equal(gt_line(c, line), "{\"id\":5,\"result\":true,\"error\":null}\n");
    }
    assert_int_equal(st_stat_get(&t->srv.stats->blocks_found), 2);
    assert_int_equal(st_stat_get(&t->srv.stats->blocks_skipped), 1);
    for (int i = 0; i < 50; i++) {
        ev_run(t->loop, EVRUN_NOWAIT);
        usleep(1000);
    }
    assert_int_equal(founds, 1);

    gw_jm_free(t->srv.jm);
    t->srv.jm = NULL;
    ut_rpc_svr_free(fj);
    json_decref(job_to_push);
    gt_ctx_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard),
        cmocka_unit_test(test_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
