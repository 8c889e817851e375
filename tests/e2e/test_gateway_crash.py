"""End-to-end test of the gateway's share journal: a SIGKILLed gateway worker
loses none of the shares it answered "true" to.

test_worker_sigkill (needs jobmaster, gateway, tools/hfminer, metawriter,
redis-server; ~1 min): a bcoin regtest node, jobmaster, a gateway (one
worker, accounting on, flush every 5 s) straight to metawriter -> Redis.
hfminer in load mode submits 3000 shares at 100/s from 2 users x 2 workers
over 4 connections at a fixed share difficulty (vardiff min = max = 2^-20,
so every p sum is exact). Twice, between two flushes, the gateway's worker
process (the child of the supervisor) is SIGKILLed; the supervisor starts a
new one, which rebuilds the lost batch from the journal, and hfminer
reconnects. At the end, per worker, the sums over the minute fields of s and
p in Redis equal hfminer's accepted count and accepted difficulty exactly.

Without the journal, the shares counted since the last batch die with the
worker and Redis ends up below hfminer's accepted counts.

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_gateway_crash.py
"""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402

COIN = "btc"
SHARE_DIFF = 2.0 ** -20
USERS, WORKERS_PER_USER = 2, 2
SHARES, RATE = 3000, 100.0


def children(pid):
    """Child pids of pid (from /proc)."""
    out = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def redis_hash(redis, key):
    flat = redis.cmd("HGETALL", key) or []
    return {flat[i]: float(flat[i + 1]) for i in range(0, len(flat), 2)}


class TestGatewayCrash(unittest.TestCase):

    def test_worker_sigkill(self):
        self.assertTrue(hflib.have_bins("jobmaster", "gateway", "hfminer", "metawriter"),
                        "build the binaries first (make)")
        wd = hflib.tmpdir("gw-crash")
        node = hflib.Node(wd)
        redis = hflib.Redis(wd)
        mw = hflib.metawriter(wd, redis.port, COIN, allow=["127.0.0.1"])
        jm = hflib.jobmaster(wd, node, [{"address": hflib.new_key()["p2pkh"]}])
        gw = hflib.gateway(
            wd, jm.gw_port, gateway_id=4, host="gw-crash",
            vardiff={"start": SHARE_DIFF, "min": SHARE_DIFF, "max": SHARE_DIFF,
                     "target": 1, "retarget": 3},
            meta={"addr": "tcp@127.0.0.1:%d" % mw.port, "coin": COIN,
                  "spool_dir": os.path.join(wd, "spool-gateway"), "source": "gwcrash",
                  "flush_interval": 5})
        miner = hflib.start_bin("hfminer", [
            "--url", "stratum+tcp://127.0.0.1:%d" % gw.st_port, "--user", "u%u.w%w",
            "--users", str(USERS), "--workers-per-user", str(WORKERS_PER_USER),
            "--connections", "4", "--rate", str(RATE), "--shares", str(SHARES),
            "--pipeline", "4", "--json", "--progress", "5"], wd)
        t0 = time.time()

        def at(t):
            while time.time() < t0 + t:
                self.assertTrue(gw.alive() and jm.alive(), "gateway or jobmaster died")
                time.sleep(0.05)

        killed = []
        for when in (8.0, 19.0):
            at(when)
            kids = children(gw.proc.pid)
            self.assertEqual(len(kids), 1, "one gateway worker expected: %s" % kids)
            os.kill(kids[0], signal.SIGKILL)
            killed.append(kids[0])
            hflib.wait_for(lambda: len(children(gw.proc.pid)) == 1 and
                           children(gw.proc.pid)[0] not in killed, 20, step=0.1,
                           what="the supervisor to start a new worker")
        hflib.wait_for(lambda: not miner.alive(), 120, step=0.5, what="hfminer to finish")
        summary = hflib.json_summary(miner)
        self.assertTrue(summary, "no JSON summary from hfminer: " + miner.output()[-2000:])
        print("hfminer: submitted %d accepted %d rejected %d no_reply %d in %.0fs" % (
            summary["submitted"], summary["accepted"], summary["rejected_total"],
            summary["no_reply"], time.time() - t0))
        per_worker = summary["per_worker"]
        self.assertEqual(len(per_worker), USERS * WORKERS_PER_USER)

        def sums():
            out = {}
            for name in per_worker:
                who = name.replace(".", ":")
                s = redis_hash(redis, "%s:s:%s" % (COIN, who))
                p = redis_hash(redis, "%s:p:%s" % (COIN, who))
                out[name] = (sum(s.values()), sum(p.values()))
            return out

        want = {n: (float(w["accepted"]), w["diff_accepted"]) for n, w in per_worker.items()}

        def settled():
            st = hflib.http_json(gw.http_port, "/status")
            return st["meta"]["pending_batches"] == 0 and sums() == want
        try:
            hflib.wait_for(settled, 30, step=0.5, what="Redis to match hfminer")
        except Exception:
            pass
        got = sums()
        for name, (s, p) in sorted(want.items()):
            print("  %s: hfminer accepted %d (diff %.6f), Redis s %d (p %.6f)" % (
                name, s, p, got[name][0], got[name][1]))
        for name in want:
            self.assertEqual(got[name][0], want[name][0], name + " s")
            self.assertEqual(got[name][1], want[name][1], name + " p")
            self.assertEqual(want[name][1], want[name][0] * SHARE_DIFF, name)
        self.assertGreater(summary["accepted"], SHARES / 2)
        log = gw.log()
        self.assertGreaterEqual(log.count("killed by signal 9"), 2, "worker not restarted")

        self.assertEqual(gw.stop(), 0, gw.output()[-2000:])
        self.assertEqual(jm.stop(), 0, jm.output()[-2000:])
        mw.stop()
        redis.proc.stop()
        node.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
