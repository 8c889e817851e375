"""End-to-end tests of alertcenter's own alerts through real Headframe
processes (no Redis key written by hand): the pool's health and the miner
alerts, with short thresholds.

test_miner_offline_back: gateway (fed by bench/bench_gateway.py's scripted
FakeJobmaster) -> metawriter -> Redis -> alertcenter (miners: alice by
e-mail, offline after 3 s). hfminer mines as alice.rig1: the gateway's
accounting makes the newworker event and the per-minute keys, alertcenter
learns the worker from them; hfminer stops: alice@example.com gets exactly
"alice.rig1 offline: no share for ..."; hfminer starts again: exactly
"alice.rig1 back: hashing again". The operators get neither.

test_pool_health: bcoin regtest node -> jobmaster -> gateway -> metawriter
-> Redis, alertcenter watching the jobmaster's /status (no new job after
6 s) and the gateway's /status (quiet after 3 s):
  - hfminer submits one share, a regtest block: the jobmaster takes it,
    the gateway's accounting puts it in `newblock`: an INFO mail "block
    found by bob.rig1: <the node's best block hash>";
  - the gateway is killed (SIGKILL): a FATAL mail "gateway1 gone quiet";
  - the node is stopped, so the jobmaster makes no new job (its /status
    still answers): a FATAL mail "jobmaster ...: no new job for N s".

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_alert_cluster.py
"""
import os
import re
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import hflib  # noqa: E402
import bench_gateway as bg  # noqa: E402  (FakeJobmaster, make_job)

SHARE_DIFF = 1e-9


class AlertClusterTest(unittest.TestCase):
    def setUp(self):
        self.dir = hflib.tmpdir("alert-cluster")
        self.redis = hflib.Redis(self.dir)
        self.smtp = hflib.SmtpCatcher()
        self.svcs = []
        self.miners = []

    def tearDown(self):
        for m in self.miners:
            if m.alive():
                m.stop()
        for s in reversed(self.svcs):
            if s.alive():
                s.stop()
            out = s.output()
            self.assertNotIn("ERROR: AddressSanitizer", out)
            self.assertNotIn("runtime error", out)
        self.smtp.stop()
        self.redis.proc.stop()

    def svc(self, s):
        self.svcs.append(s)
        return s

    def mw_and_gateway(self, jm_port, **keys):
        mw = self.svc(hflib.metawriter(self.dir, self.redis.port, "btc"))
        gw = self.svc(hflib.gateway(
            self.dir, jm_port, gateway_id=4, host="gw-alerts",
            meta={"addr": "tcp@127.0.0.1:%d" % mw.port, "coin": "btc",
                  "spool_dir": os.path.join(self.dir, "spool-gw"), "source": "gwal",
                  "flush_interval": 0.5}, **keys))
        hflib.wait_for(lambda: hflib.http_json(gw.http_port, "/status").get("job"), 30,
                       step=0.2, what="the gateway's first job")
        return mw, gw

    def mine(self, gw, user, *extra):
        m = hflib.start_bin("hfminer", [
            "--url", "stratum+tcp://127.0.0.1:%d" % gw.st_port, "--user", user,
            "--connections", "1", "--pipeline", "1", "--quiet"] + list(extra), self.dir,
            log="hfminer-%d.out" % len(self.miners))
        self.miners.append(m)
        return m

    def wait_mails(self, n, timeout, what):
        hflib.wait_for(lambda: self.smtp.count() >= n, timeout, step=0.2, what=what)
        return self.smtp.get()

    def test_miner_offline_back(self):
        jm = bg.FakeJobmaster()
        try:
            jm.push(bg.make_job("%016x" % 1, 900000))
            _, gw = self.mw_and_gateway(
                jm.port, vardiff={"start": SHARE_DIFF, "min": SHARE_DIFF, "max": SHARE_DIFF,
                                  "target": 10, "retarget": 60})
            ac = self.svc(hflib.alertcenter(
                self.dir, self.redis.port, self.smtp.port,
                miners={"interval": 0.5, "offline_after": 3,
                        "subscriptions": [{"user": "alice", "email": "alice@example.com"}]}))
            st = lambda: hflib.http_json(ac.http_port, "/status")["miners"]  # noqa: E731
            miner = self.mine(gw, "alice.rig1", "--rate", "5")
            hflib.wait_for(lambda: st()["online"] == 1, 30, step=0.2,
                           what="alice.rig1 learned from newworker and online")
            self.assertEqual(self.redis.cmd("LRANGE", "newworker", 0, -1),
                             ['{"user": "alice", "worker": "rig1", "coin": "BTC"}'])
            self.assertEqual(self.smtp.count(), 0)
            miner.stop()
            t_stop = time.time()
            (frm, rcpt, msg), = self.wait_mails(1, 60, "the offline mail")
            print("offline mail %.1f s after hfminer stopped" % (time.time() - t_stop))
            self.assertEqual(rcpt, ["alice@example.com"])
            self.assertRegex(msg["Subject"], r"^\[headframe\] alice\.rig1 offline: no share "
                             r"for \d+ s")
            self.mine(gw, "alice.rig1", "--rate", "5")
            mails = self.wait_mails(2, 60, "the back mail")
            self.assertEqual(mails[1][1], ["alice@example.com"])
            self.assertEqual(mails[1][2]["Subject"], "[headframe] alice.rig1 back: hashing again")
            time.sleep(1)
            self.assertEqual(self.smtp.count(), 2)
            s = st()
            self.assertEqual((s["offline_alerts"], s["back_alerts"]), (1, 1))
        finally:
            jm.close()

    def test_pool_health(self):
        node = hflib.Node(self.dir)
        try:
            self.pool_health(node)
        finally:
            node.stop()

    def pool_health(self, node):
        payout = hflib.new_key()["p2pkh"]
        jm = self.svc(hflib.jobmaster(self.dir, node, [{"address": payout}],
                                      refresh_interval=1))
        _, gw = self.mw_and_gateway(
            jm.gw_port, vardiff={"start": 2.0 ** -20, "min": 2.0 ** -20, "max": 2.0 ** -20,
                                 "target": 10, "retarget": 60})
        jm_url = "http://127.0.0.1:%d/status" % jm.http_port
        gw_url = "http://127.0.0.1:%d/status" % gw.http_port
        ac = self.svc(hflib.alertcenter(
            self.dir, self.redis.port, self.smtp.port,
            health={"interval": 0.5,
                    "jobmaster": {"url": jm_url, "no_job_after": 6, "quiet_after": 3},
                    "watch": [{"name": "gateway1", "url": gw_url, "quiet_after": 3}]}))
        hflib.wait_for(lambda: hflib.http_json(ac.http_port, "/status")["health"]["targets"]
                       [0]["last_ok"] > 0, 10, what="the first health poll")
        # Blocks found before alertcenter first read the newblock list are
        # not mailed (a restart does not re-mail): wait until it watches.
        hflib.wait_for(lambda: hflib.http_json(ac.http_port, "/status")["health"]
                       ["blocks_watching"], 30, what="alertcenter watching newblock")
        time.sleep(2)
        self.assertEqual(self.smtp.count(), 0)

        # A block: one share at 2^-20 is a block on regtest.
        miner = self.mine(gw, "bob.rig1", "--load", "--shares", "1", "--json")
        hflib.wait_for(lambda: not miner.alive(), 60, what="hfminer's one share")
        best = node.rpc("getbestblockhash")
        (_, rcpt, msg), = self.wait_mails(1, 30, "the block mail")
        self.assertEqual(rcpt, ["ops@test"])
        self.assertEqual(msg["Subject"], "[headframe] block found by bob.rig1: %s" % best)
        self.assertIn(" INFO block found by bob.rig1: %s" % best, msg.get_content())

        # The gateway gone quiet.
        gw.kill9()
        t0 = time.time()
        mails = self.wait_mails(2, 30, "the gone-quiet mail")
        print("gone-quiet mail %.1f s after the kill" % (time.time() - t0))
        self.assertEqual(mails[1][1], ["ops@test"])
        self.assertRegex(mails[1][2]["Subject"],
                         r"^\[headframe\] gateway1 gone quiet: %s unanswered for \d+ s \(" %
                         re.escape(gw_url))

        # No new job: the node is gone, the jobmaster still answers /status.
        node.stop()
        t0 = time.time()
        mails = self.wait_mails(3, 60, "the no-new-job mail")
        print("no-new-job mail %.1f s after the node stopped" % (time.time() - t0))
        self.assertTrue(jm.alive())
        self.assertRegex(mails[2][2]["Subject"],
                         r"^\[headframe\] jobmaster %s: no new job for \d+ s \(jobs \d+, "
                         r"height \d+\); is the node reachable\?$" % re.escape(jm_url))
        self.assertIn(" FATAL jobmaster %s: no new job for " % jm_url,
                      mails[2][2].get_content())


if __name__ == "__main__":
    unittest.main(verbosity=2)
