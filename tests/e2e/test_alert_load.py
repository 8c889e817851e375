"""End-to-end test: a dead alertcenter costs a module nothing (issue 10,
"alertcenter down (modules keep working at full speed)").

A gateway (one worker process) is fed by the scripted jobmaster of
bench/bench_gateway.py (FakeJobmaster, make_job) with a job whose nbits
makes about one share in eight a block candidate; FakeJobmaster answers
every block-found with "accepted": false, so the gateway logs a steady
stream of real ERROR lines ("block rejected: ... reason=\"bench\"", about
RATE/8 a second). A paced share load (`hfminer --load`, 4 sessions, RATE
submits/s, 16 in flight each) runs for PHASE seconds twice:

  live   the gateway's "alert" section points at a running alertcenter
         (real SMTP server, real Redis);
  dead   it points at a UDP port nobody listens on.

Asserted: the accepted-share rate of the dead run is within 5% of the live
one; no submit went unanswered and the gateway's /status answered every
poll within a second in both runs (nothing blocked); the gateway's own
alert counters (its "alert: gateway pid N: ... sent, ... over the rate"
NOTICE lines) moved in both runs, with alerts left out over the rate; the
live alertcenter received alerts and an operator mail names the gateway,
gw_jm.c and the rejected block.

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_alert_load.py
"""
import json
import os
import re
import socket
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import hflib  # noqa: E402
import bench_gateway as bg  # noqa: E402  (FakeJobmaster, make_job)

RATE = 200                  # submits per second over 4 sessions
PHASE = 10                  # seconds per run
SHARE_DIFF = 1e-9           # share target ~2^254
NBITS = "20080000"          # block target 2^251: one share in 8 is a block candidate
HOST = socket.gethostname()
REPORT = re.compile(r"alert: gateway pid (\d+): (\d+) alert\(s\) sent, (\d+) over the rate "
                    r"\(not sent\), (\d+) send error\(s\) since start")


def block_job(job_id, height):
    body = json.loads(bg.make_job(job_id, height))
    body["nbits"] = NBITS
    body["network_diff"] = 0xffff / 2.0 ** 43      # diff1 target / 2^251
    return json.dumps(body).encode()


class AlertLoadTest(unittest.TestCase):
    def setUp(self):
        self.dir = hflib.tmpdir("alert-load")
        self.redis = hflib.Redis(self.dir)
        self.smtp = hflib.SmtpCatcher()
        self.jm = bg.FakeJobmaster()
        self.jm.push(block_job("%016x" % 1, 900000))
        self.svcs = []

    def tearDown(self):
        for s in self.svcs:
            if s.alive():
                s.stop()
            out = s.output()
            self.assertNotIn("ERROR: AddressSanitizer", out)
            self.assertNotIn("runtime error", out)
        self.jm.close()
        self.smtp.stop()
        self.redis.proc.stop()

    def gateway(self, tag, alert_port):
        gw = hflib.gateway(
            self.dir, self.jm.port, name="gw-" + tag, gateway_id=6, level="notice",
            host="gw-alert", stratum={"subscribe_timeout": 60, "idle_timeout": 600},
            vardiff={"start": SHARE_DIFF, "min": SHARE_DIFF, "max": SHARE_DIFF,
                     "target": 10, "retarget": 60},
            jobs={"keep": 4, "max_age": 600, "max_shares": 1 << 20},
            alert={"addr": ["udp@127.0.0.1:%d" % alert_port], "rate": 5, "burst": 10,
                   "report": 1})
        self.svcs.append(gw)
        hflib.wait_for(lambda: hflib.http_json(gw.http_port, "/status").get("job"), 20,
                       step=0.2, what="the gateway's first job")
        return gw

    def run_load(self, gw, tag):
        """hfminer for PHASE s with /status polled meanwhile; its summary and
        the slowest /status answer."""
        slowest = [0.0]
        done = threading.Event()

        def poll():
            while not done.is_set():
                t0 = time.time()
                hflib.http_json(gw.http_port, "/status", timeout=5)
                slowest[0] = max(slowest[0], time.time() - t0)
                done.wait(0.5)
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        miner = hflib.start_bin("hfminer", [
            "--url", "stratum+tcp://127.0.0.1:%d" % gw.st_port, "--user", "load.w%w",
            "--workers-per-user", "4", "--load", "--connections", "4", "--rate", str(RATE),
            "--pipeline", "16", "--duration", str(PHASE), "--json", "--quiet"],
            self.dir, log="hfminer-%s.out" % tag)
        hflib.wait_for(lambda: not miner.alive(), PHASE + 60, step=0.5,
                       what="hfminer (%s) to end" % tag)
        done.set()
        poller.join(10)
        s = hflib.json_summary(miner)
        self.assertTrue(s, "no summary from hfminer: " + miner.output()[-2000:])
        return s, slowest[0]

    def counters(self, gw):
        """The last alert counter line of the gateway worker: (sent, limited, failed)."""
        found = REPORT.findall(gw.log())
        self.assertTrue(found, "no alert counter line in %s" % gw.log_path)
        return tuple(int(x) for x in found[-1][1:])

    def test_dead_alertcenter_costs_nothing(self):
        ac = hflib.alertcenter(self.dir, self.redis.port, self.smtp.port)
        self.svcs.append(ac)
        gw = self.gateway("live", ac.port)
        live, live_slow = self.run_load(gw, "live")
        live_rejected = gw.log().count("block rejected: ")
        live_counts = self.counters(gw)
        gw.stop()
        hflib.wait_for(lambda: self.smtp.count() >= 1, 30, what="an operator mail")

        dead = hflib.free_port()
        gw2 = self.gateway("dead", dead)
        dead_s, dead_slow = self.run_load(gw2, "dead")
        dead_rejected = gw2.log().count("block rejected: ")
        dead_counts = self.counters(gw2)
        gw2.stop()

        print("live: %.1f accepted/s, %d blocks rejected, alerts sent/limited/failed %s, "
              "slowest /status %.3f s, latency %s" % (live["accepted_rate"], live_rejected,
                                                      live_counts, live_slow,
                                                      live["latency_ms"]))
        print("dead: %.1f accepted/s, %d blocks rejected, alerts sent/limited/failed %s, "
              "slowest /status %.3f s, latency %s" % (dead_s["accepted_rate"], dead_rejected,
                                                      dead_counts, dead_slow,
                                                      dead_s["latency_ms"]))
        for s, slow, rej in ((live, live_slow, live_rejected),
                             (dead_s, dead_slow, dead_rejected)):
            self.assertEqual(s["no_reply"], 0)
            self.assertEqual(s["rejected_total"], 0)
            self.assertLess(slow, 1.0)
            self.assertGreater(rej, PHASE * 5)          # a steady ERROR stream: >= 5/s
        self.assertAlmostEqual(dead_s["accepted_rate"] / live["accepted_rate"], 1.0,
                               delta=0.05)
        for sent, limited, _ in (live_counts, dead_counts):
            self.assertGreater(sent, PHASE * 3)         # about rate 5/s + burst 10
            self.assertGreater(limited, PHASE * 3)      # the rest, counted, not sent

        st = hflib.http_json(ac.http_port, "/status")
        self.assertGreaterEqual(st["recv"]["received"], live_counts[0])
        subj = self.smtp.get()[0][2]["Subject"]
        self.assertTrue(subj.startswith("[headframe] ERROR "), subj)
        self.assertIn("gateway@%s" % HOST, subj)
        self.assertIn("gw_jm.c:", subj)
        self.assertIn("block rejected: ", subj)


if __name__ == "__main__":
    unittest.main(verbosity=2)
