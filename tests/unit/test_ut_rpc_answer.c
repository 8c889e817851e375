/* Tests of ut_rpc_answer over a loopback ut_rpc_link on one libev loop:
 * the error body of a refusal, several requests for the same work answered
 * at once, the oldest dropped past UT_RPC_WAITERS_MAX, and the requests of
 * a client that went away forgotten (no reply sent on a dead link). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utils/ut_log.h"
#include "utils/ut_rpc_answer.h"

#define CMD_TEST 0x0101
#define NCLIENTS 2

typedef struct ctx {
    struct ev_loop *loop;
    ut_rpc_svr *svr;
    ut_rpc_clt *clt[NCLIENTS];
    int port;
    ut_rpc_waiters waiters;    /* the server keeps requests for "work" here */
    int held;                  /* requests the server took */
    int replies[NCLIENTS];     /* per client: answers received */
    int timeouts[NCLIENTS];    /* per client: requests that got no answer */
    uint32_t last_status;
    char last_body[128];
    int svr_down;
} ctx;

typedef struct req_arg {
    ctx *c;
    int client;
} req_arg;

static void on_late(struct ev_loop *loop, ev_timer *w, int revents)
{
    *(bool *)w->data = true;
}

/* Runs the loop until pred(c) holds; false when secs passed first. */
static bool wait_for(ctx *c, bool (*pred)(ctx *), double secs)
{
    bool late = false;
    ev_timer t;

    ev_timer_init(&t, on_late, secs, 0.);
    t.data = &late;
    ev_timer_start(c->loop, &t);
    while (!pred(c) && !late)
        ev_run(c->loop, EVRUN_ONCE);
    ev_timer_stop(c->loop, &t);
    return pred(c);
}

/* The server: "bad" bodies are refused at once, the rest are held. */
static void svr_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
    ctx *c = udata;

    if (msg->body_len == 3 && memcmp(msg->body, "bad", 3) == 0) {
        ut_rpc_reply_error(link, msg, 2, "bad \"body\"");
        return;
    }
    ut_rpc_waiters_add(&c->waiters, link, msg);
    c->held++;
}

static void svr_on_up(ut_rpc_link *link, void *udata)
{
}

static void svr_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
    ctx *c = udata;
    ut_rpc_waiters_forget(&c->waiters, link);
    c->svr_down++;
}

static void clt_on_msg(ut_rpc_link *link, const ut_rpc_msg *msg, void *udata)
{
}

static void clt_on_up(ut_rpc_link *link, void *udata)
{
}

static void clt_on_down(ut_rpc_link *link, const char *reason, void *udata)
{
}

static const ut_rpc_handlers svr_h = {svr_on_msg, svr_on_up, svr_on_down};
static const ut_rpc_handlers clt_h = {clt_on_msg, clt_on_up, clt_on_down};

static void on_reply(const ut_rpc_msg *msg, const char *error, void *arg)
{
    req_arg *a = arg;
    ctx *c = a->c;

    if (msg) {
        c->replies[a->client]++;
        c->last_status = msg->status;
        snprintf(c->last_body, sizeof(c->last_body), "%.*s", (int)msg->body_len,
                 (const char *)msg->body);
    } else {
        c->timeouts[a->client]++;
    }
    free(a);
}

static void request(ctx *c, int client, const char *body)
{
    req_arg *a = malloc(sizeof(*a));
    ut_rpc_link *link = ut_rpc_clt_link(c->clt[client]);

    assert_non_null(a);
    assert_non_null(link);
    a->c = c;
    a->client = client;
    assert_int_equal(ut_rpc_request(link, CMD_TEST, body, strlen(body), on_reply, a), 0);
}

static bool all_up(ctx *c)
{
    for (int i = 0; i < NCLIENTS; i++)
        if (c->clt[i] && !ut_rpc_clt_up(c->clt[i]))
            return false;
    return ut_rpc_svr_count(c->svr) == NCLIENTS;
}

static bool four_held(ctx *c) { return c->held == 4; }
static bool five_held(ctx *c) { return c->held == 5; }
static bool one_reply(ctx *c) { return c->replies[0] == 1; }
static bool four_replies_one_timeout(ctx *c) { return c->replies[0] == 4 && c->timeouts[0] == 1; }
static bool server_saw_down(ctx *c) { return c->svr_down == 1; }
static bool second_answered(ctx *c) { return c->replies[1] == 1; }

static int setup(void **state)
{
    ctx *c = calloc(1, sizeof(*c));
    ut_rpc_cfg scfg = {.addr = "tcp@127.0.0.1:0", .heartbeat = 1};
    ut_log_cfg log = {.path = NULL, .level = UT_LOG_ERROR};
    char addr[64];

    ut_log_init(&log);
    c->loop = ev_loop_new(EVFLAG_AUTO);
    c->svr = ut_rpc_svr_create(c->loop, &scfg, &svr_h, c);
    if (!c->svr || ut_rpc_svr_start(c->svr) != 0)
        return -1;
    c->port = ut_rpc_svr_port(c->svr);
    snprintf(addr, sizeof(addr), "tcp@127.0.0.1:%d", c->port);
    for (int i = 0; i < NCLIENTS; i++) {
        ut_rpc_cfg ccfg = {.addr = addr, .heartbeat = 1, .request_timeout = 0.5};
        c->clt[i] = ut_rpc_clt_create(c->loop, &ccfg, &clt_h, c);
        if (!c->clt[i] || ut_rpc_clt_start(c->clt[i]) != 0)
            return -1;
    }
    if (!wait_for(c, all_up, 3))
        return -1;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    ctx *c = *state;

    for (int i = 0; i < NCLIENTS; i++)
        ut_rpc_clt_free(c->clt[i]);
    ut_rpc_svr_free(c->svr);
    ev_loop_destroy(c->loop);
    free(c);
    ut_log_close();
    return 0;
}

static void test_reply_error(void **state)
{
    ctx *c = *state;

    request(c, 0, "bad");
    assert_true(wait_for(c, one_reply, 3));
    assert_int_equal(c->last_status, 2);
    assert_string_equal(c->last_body, "{\"v\":1,\"error\":\"bad \\\"body\\\"\"}");
    assert_int_equal(c->held, 0);
}

static void test_waiters_all_answered(void **state)
{
    ctx *c = *state;

    /* five requests for the same work: the first is dropped from the list */
    for (int i = 0; i < 5; i++)
        request(c, 0, "work");
    assert_true(wait_for(c, five_held, 3));
    assert_int_equal(c->waiters.n, UT_RPC_WAITERS_MAX);
    assert_int_equal(c->waiters.w[0].req.request_id, 2);
    assert_null(c->waiters.w[0].req.body);
    assert_non_null(strstr(ut_rpc_waiters_peer(&c->waiters), "127.0.0.1:"));
    ut_rpc_waiters_reply(&c->waiters, 0, "{\"v\":1,\"result\":\"applied\"}", 27);
    assert_true(wait_for(c, four_replies_one_timeout, 3));
    assert_int_equal(c->last_status, 0);
    assert_string_equal(c->last_body, "{\"v\":1,\"result\":\"applied\"}");
}

static void test_waiters_forget_dead_link(void **state)
{
    ctx *c = *state;
    ut_rpc_waiters none = {.n = 0};

    assert_string_equal(ut_rpc_waiters_peer(&none), "-");
    c->held = 3;               /* count up to five_held: client 0's, then client 1's */
    request(c, 0, "work");
    assert_true(wait_for(c, four_held, 3));
    request(c, 1, "work");
    assert_true(wait_for(c, five_held, 3));
    /* client 0 goes away: its request is forgotten, client 1's stays */
    ut_rpc_clt_free(c->clt[0]);
    c->clt[0] = NULL;
    assert_true(wait_for(c, server_saw_down, 3));
    assert_int_equal(c->waiters.n, 2);
    assert_null(c->waiters.w[0].link);
    assert_non_null(c->waiters.w[1].link);
    ut_rpc_waiters_reply(&c->waiters, 0, "{}", 2);
    assert_true(wait_for(c, second_answered, 3));
    assert_string_equal(c->last_body, "{}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reply_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiters_all_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiters_forget_dead_link, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
