"""End-to-end tests of alertcenter with a real SMTP server (aiosmtpd, in this
process) and a real redis-server.

test_fatal_mail_exact: one FATAL datagram (the exact format ut_alert sends)
becomes one mail to ops@test whose subject and body lines are exactly what
an operator reads; Redis holds the alert in alert:list and counts it in
alert:count.
test_storm: 10,000 identical FATAL datagrams become at most 3 mails whose
counts add up to exactly 10,000; Redis counts 10,000.
test_smtp_down: the SMTP server is stopped, 5 distinct alerts arrive,
delivery fails and is retried; the server comes back: every alert is in
exactly one mail (none lost, none twice) and the outbox is empty.
test_miner_offline_back: alice.rig1 is learned from the newworker list and
hashes (its btc:p/btc:s minute fields grow, as metawriter writes them);
it stops: alice@example.com gets "alice.rig1 offline"; it hashes again:
"alice.rig1 back". The operators get neither.
test_real_module: a metawriter whose Redis is down logs ERRORs; its alert
section points at alertcenter: a mail names metawriter and mw_redis.c.
A dead alertcenter costs a module nothing: tests/unit/test_ut_alert.c
(test_dead_alertcenter) measures 100,000 alerts to a dead port.

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_alertcenter.py
"""
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402

HOST = socket.gethostname()


def datagram(module="jobmaster", host="pool1", pid=4242, level="FATAL",
             t=1767323045.125, key="jm_node.c:120", msg="node unreachable", dropped=0):
    line = "2026-01-02 03:04:05.125 [%d] %s %s %s" % (pid, level, key, msg)
    return json.dumps({"v": 1, "module": module, "host": host, "pid": pid, "level": level,
                       "time": t, "key": key, "dropped": dropped, "line": line},
                      separators=(",", ":")).encode()


class AlertcenterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = hflib.tmpdir("alertcenter")
        cls.redis = hflib.Redis(cls.work)

    @classmethod
    def tearDownClass(cls):
        cls.redis.proc.stop()

    def setUp(self):
        self.redis.cmd("FLUSHALL")
        self.smtp = hflib.SmtpCatcher()
        self.ac = None

    def tearDown(self):
        if getattr(self, "sock", None):
            self.sock.close()
        if self.ac:
            self.ac.stop()
            out = self.ac.output()
            self.assertNotIn("ERROR: AddressSanitizer", out)
            self.assertNotIn("runtime error", out)
        self.smtp.stop()

    def start(self, **keys):
        self.ac = hflib.alertcenter(self.work, self.redis.port, self.smtp.port,
                                    name="ac-%s" % self._testMethodName, **keys)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        return self.ac

    def send(self, data):
        self.sock.sendto(data, ("127.0.0.1", self.ac.port))

    def status(self):
        return hflib.http_json(self.ac.http_port, "/status")

    def wait_mails(self, n, timeout=30):
        hflib.wait_for(lambda: self.smtp.count() >= n, timeout, what="%d mail(s)" % n)
        return self.smtp.get()

    def test_fatal_mail_exact(self):
        self.start()
        self.send(datagram())
        (frm, rcpt, msg), = self.wait_mails(1)
        time.sleep(1)
        self.assertEqual(self.smtp.count(), 1)
        self.assertEqual(frm, "alertcenter@test")
        self.assertEqual(rcpt, ["ops@test"])
        self.assertEqual(msg["Subject"],
                         "[headframe] FATAL jobmaster@pool1: jm_node.c:120 node unreachable")
        self.assertEqual(msg["To"], "ops@test")
        body = msg.get_content().replace("\r\n", "\n").split("\n")
        self.assertEqual(body[:3], [
            "FATAL jobmaster@pool1 pid 4242, key jobmaster jm_node.c:120",
            "count: 1 since the last mail (1 since alertcenter started)",
            "first: 2026-01-02 03:04:05 UTC  2026-01-02 03:04:05.125 [4242] FATAL "
            "jm_node.c:120 node unreachable",
        ])
        self.assertEqual(body[4:6], [
            "-- ",
            "alertcenter on %s. Repeats are counted, not mailed: the next mail about this "
            "comes no sooner than 3 s from now." % HOST,
        ])
        stored = self.redis.cmd("LRANGE", "alert:list", 0, -1)
        self.assertEqual(len(stored), 1)
        self.assertEqual(json.loads(stored[0])["line"], json.loads(datagram())["line"])
        self.assertEqual(self.redis.cmd("HGET", "alert:count", "jobmaster jm_node.c:120"), "1")
        self.assertEqual(hflib.promtool_problems(self.ac.http_port), "")

    def test_storm(self):
        self.start()
        t0 = time.time()
        for i in range(10000):
            self.send(datagram(t=1767323045.0 + i / 1000.0))
            if i % 200 == 199:
                time.sleep(0.01)       # loopback UDP has no flow control: pace a little
        hflib.wait_for(lambda: self.status()["recv"]["received"] == 10000, 30,
                       what="10000 datagrams received")
        hflib.wait_for(lambda: self.status()["groups"]["mailed"] == 10000, 30,
                       what="all 10000 alerts in mails")
        hflib.wait_for(lambda: self.status()["mail"]["outbox"] == 0, 30, what="outbox empty")
        mails = self.smtp.get()
        counts = []
        for _, _, msg in mails:
            line = [x for x in msg.get_content().split("\n") if x.startswith("count: ")][0]
            counts.append(int(line.split()[1]))
        print("storm: %d mails, counts %s, %.1f s" % (len(mails), counts, time.time() - t0))
        self.assertLessEqual(len(mails), 3)
        self.assertEqual(sum(counts), 10000)
        self.assertTrue(mails[0][2]["Subject"].startswith("[headframe] FATAL x"))
        hflib.wait_for(lambda: self.redis.cmd("HGET", "alert:count",
                                              "jobmaster jm_node.c:120") == "10000", 10,
                       what="redis count 10000")
        self.assertEqual(self.redis.cmd("LLEN", "alert:list"), 10000)

    def test_smtp_down(self):
        self.start()
        self.smtp.stop()
        for i in range(5):
            self.send(datagram(key="k.c:%d" % i, msg="alert %d" % i))
        hflib.wait_for(lambda: self.status()["mail"]["attempts_failed"] >= 3, 30,
                       what="failed attempts")
        self.assertEqual(self.status()["mail"]["sent"], 0)
        self.smtp.start()
        hflib.wait_for(lambda: self.status()["mail"]["outbox"] == 0 and
                       self.status()["groups"]["mailed"] == 5, 30, what="outbox delivered")
        time.sleep(2)
        seen = []
        for _, _, msg in self.smtp.get():
            seen += [x.split()[-1] for x in msg.get_content().split("\n")
                     if x.startswith("FATAL jobmaster@pool1 pid 4242, key ")]
        self.assertEqual(sorted(seen), ["k.c:%d" % i for i in range(5)])
        self.assertEqual(self.status()["mail"]["sent"], self.smtp.count())

    def test_miner_offline_back(self):
        self.start(miners={"interval": 0.5, "offline_after": 3,
                           "subscriptions": [{"user": "alice",
                                              "email": "alice@example.com"}]})
        self.redis.cmd("RPUSH", "newworker",
                       json.dumps({"user": "alice", "worker": "rig1", "coin": "BTC"}))
        stop = threading.Event()

        def hash_for(seconds):
            end = time.time() + seconds
            while time.time() < end:
                m = int(time.time()) // 60 * 60
                for who in ("alice", "alice:rig1"):
                    self.redis.cmd("HINCRBY", "btc:s:" + who, str(m), 1)
                    self.redis.cmd("HINCRBYFLOAT", "btc:p:" + who, str(m), "0.5")
                time.sleep(0.3)
        hash_for(3)
        hflib.wait_for(lambda: self.status()["miners"]["online"] == 1, 10, what="rig1 online")
        t_stop = time.time()
        mails = self.wait_mails(1, timeout=120)
        print("offline mail %.1f s after the last share" % (time.time() - t_stop))
        frm, rcpt, msg = mails[0]
        self.assertEqual(rcpt, ["alice@example.com"])
        self.assertTrue(msg["Subject"].startswith("[headframe] alice.rig1 offline: no share "
                                                  "for "), msg["Subject"])
        hash_for(1)
        mails = self.wait_mails(2, timeout=30)
        self.assertEqual(mails[1][1], ["alice@example.com"])
        self.assertEqual(mails[1][2]["Subject"], "[headframe] alice.rig1 back: hashing again")
        stop.set()
        st = self.status()["miners"]
        self.assertEqual((st["offline_alerts"], st["back_alerts"]), (1, 1))
        self.assertFalse([m for m in self.smtp.get() if "ops@test" in m[1]])

    def test_real_module(self):
        self.start()
        dead = hflib.free_port()
        mw = hflib.metawriter(self.work, dead, "btc", name="mw-alerting",
                              alert={"addr": ["udp@127.0.0.1:%d" % self.ac.port]})
        try:
            mails = self.wait_mails(1, timeout=30)
        finally:
            mw.stop()
        subj = mails[0][2]["Subject"]
        self.assertTrue(subj.startswith("[headframe] ERROR "), subj)
        self.assertIn("metawriter@%s" % HOST, subj)
        self.assertIn("mw_redis.c:", subj)


if __name__ == "__main__":
    unittest.main(verbosity=2)
