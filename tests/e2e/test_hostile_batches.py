"""End-to-end test: hostile numbers in CMD_MW_BATCH never reach Redis.

A real redis-server, metawriter and metarelay (-> metawriter). Good batches
go through the relay and straight to the writer; hostile ones (each led by
a good-looking record, so that half applying would show) are sent as raw
frames to metarelay and to metawriter directly:

  p = -5, p = "1", s = 1.5, s = 2^62 twice for one key and minute,
  p = 1e308 twice for one key and minute, a body with the text NaN,
  one with 1e999, one with Infinity.

Each is answered status 2 (refused for good) by both, with an error that
names the field; both logs have a line naming the batch (or "(no
identity)" when the body is not JSON), the peer and the problem. The relay
holds, spools and forwards none of them. At the end Redis holds exactly the
good batches' numbers (every <coin>:* hash compared field by field with
HGETALL, as text) and no batch mark of the hostile sender.

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_hostile_batches.py
"""
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import hfrpc  # noqa: E402
from hfrpc import CMD_MW_BATCH  # noqa: E402

COIN = "btc"
M = (int(time.time()) // 60) * 60 - 600      # a minute in the recent past
EVIL_EPOCH = "00000000000e0111"


def batch(source, seq, shares=(), system=(), epoch="0123456789abcdef"):
    return {"v": 1, "source": source, "epoch": epoch, "seq": seq, "coin": COIN,
            "coin_name": "BTC", "host": "h-" + source, "time": M + 30,
            "shares": list(shares), "system": list(system), "events": []}


def share(user, worker, t=M, **counts):
    rec = {"t": t, "user": user, "worker": worker}
    rec.update(counts)
    return rec


# The good batches: (where to send it, the batch). good1/2 goes last, after
# the hostile ones, so the pipeline is shown to still work.
GOOD = [
    ("relay", batch("good1", 1,
                    [share("alice", "rig1", s=3, p=6.5, g=0.75, r=1)],
                    [{"t": M, "pow": 6.5, "share": 3, "reject": 1, "connections": 2}])),
    ("writer", batch("good2", 1,
                     [share("alice", "rig1", s=1, p=0.1, g=0.1),
                      share("bob", "", s=2, p=0.2, g=1e-9)],
                     [{"t": M, "pow": 0.30000000000000004, "share": 3}])),
    ("relay", batch("good1", 2,
                    [share("alice", "", t=M + 60, s=5, p=1e60, g=2),
                     share("alice", "rig1", s=1, p=0.2, g=0.2)])),
]

# What a hostile batch leads with: numbers that would show in Redis.
DECOY = share("alice", "rig1", s=100, p=100, g=100, r=100)
NAN_MARK = "__raw_number__"


def hostile_cases():
    """(name, body text, what the error must say)."""
    cases = [
        ("p=-5", [share("alice", "rig1", s=1, p=-5, g=1)],
         "shares[1].p: -5 is not a finite number in [0, 1e60]"),
        ("p=\"1\"", [share("alice", "rig1", s=1, p="1", g=1)],
         "shares[1].p: \"1\" is not a finite number in [0, 1e60]"),
        ("s=1.5", [share("alice", "rig1", s=1.5, p=1, g=1)],
         "shares[1].s: 1.5 is not an integer in [0, 2^40]"),
        ("s=2^62 twice", [share("alice", "rig1", s=2 ** 62, p=1, g=1),
                          share("alice", "rig1", s=2 ** 62, p=1, g=1)],
         "shares[1].s: 4611686018427387904 is not an integer in [0, 2^40]"),
        ("p=1e308 twice", [share("alice", "rig1", s=1, p=1e308, g=1),
                           share("alice", "rig1", s=1, p=1e308, g=1)],
         "shares[1].p: 1e+308 is not a finite number in [0, 1e60]"),
    ]
    out = []
    for name, recs, want in cases:
        out.append((name, [DECOY] + recs, want))
    for name, raw, want in (("NaN text", "NaN", "invalid token near 'NaN'"),
                            ("1e999 text", "1e999", "real number overflow"),
                            ("Infinity text", "Infinity", "invalid token near 'I")):
        out.append((name, [DECOY, share("alice", "rig1", s=1, p=NAN_MARK, g=1)], want,
                    raw))
    return out


def body_text(b, raw=None):
    text = json.dumps(b)
    if raw is not None:
        text = text.replace('"%s"' % NAN_MARK, raw)
    return text.encode()


def fmt_float(v):
    """The shortest %g text that reads back as v: what the apply script stores."""
    for prec in range(1, 18):
        s = "%.*g" % (prec, v)
        if float(s) == v:
            return s
    return repr(v)


def expected_hashes(batches):
    """key -> field -> the text Redis must hold, from the contract."""
    sums = {}

    def add(key, t, v):
        h = sums.setdefault(key, {})
        h[str(t)] = h.get(str(t), 0) + v
    for b in batches:
        for r in b["shares"]:
            for who in [r["user"]] + ([r["user"] + ":" + r["worker"]] if r["worker"] else []):
                if r.get("s"):
                    add("%s:s:%s" % (COIN, who), r["t"], r["s"])
                    add("%s:p:%s" % (COIN, who), r["t"], float(r["p"]))
                    add("%s:g:%s" % (COIN, who), r["t"], float(r["g"]))
                if r.get("r"):
                    add("%s:s:%s:reject" % (COIN, who), r["t"], r["r"])
        for r in b["system"]:
            for k in ("pow", "share", "reject", "block", "connections"):
                if k in r:
                    v = float(r[k]) if k == "pow" else r[k]
                    add("%s:m:%s" % (COIN, k), r["t"], v)
                    add("%s:mh:%s:%s" % (COIN, b["host"], k), r["t"], v)
    return {k: {f: fmt_float(v) if isinstance(v, float) else str(v) for f, v in h.items()}
            for k, h in sums.items()}


def redis_hashes(redis, pattern):
    out = {}
    for k in redis.cmd("KEYS", pattern):
        if redis.cmd("TYPE", k) == "hash":
            flat = redis.cmd("HGETALL", k)
            out[k] = {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}
    return out


class TestHostileBatches(unittest.TestCase):

    def setUp(self):
        self.wd = hflib.tmpdir("hostile")
        self.redis = hflib.Redis(self.wd)
        self.mw = hflib.metawriter(self.wd, self.redis.port, COIN, allow=["127.0.0.1"])
        self.mr = hflib.metarelay(self.wd, self.mw.port, allow=["127.0.0.1"], spool_after=0.2,
                                  request_timeout=3)
        self.links = {"relay": hfrpc.Link(self.mr.port), "writer": hfrpc.Link(self.mw.port)}

    def tearDown(self):
        for link in self.links.values():
            link.close()
        for p in (self.mr, self.mw):
            if p.alive():
                rc = p.stop()
                self.assertIn(rc, (0, -signal.SIGTERM), "%s exited %s: %s" % (
                    p.name, rc, p.output()[-2000:]))
        self.redis.proc.stop()

    def send(self, where, body):
        f = self.links[where].request(CMD_MW_BATCH, body, timeout=10)
        return f.status, f.json()

    def send_good(self, where, b):
        status, reply = self.send(where, body_text(b))
        self.assertEqual((status, reply.get("result")), (0, "applied"),
                         "%s via %s: %r" % (b["source"], where, reply))

    def send_hostile(self, seq, case):
        name, recs, want = case[:3]
        raw = case[3] if len(case) > 3 else None
        for where, s in (("relay", seq), ("writer", 100 + seq)):
            b = batch("evil", s, recs, epoch=EVIL_EPOCH)
            status, reply = self.send(where, body_text(b, raw))
            self.assertEqual(status, 2, "%s via %s: status %d %r" % (name, where, status, reply))
            self.assertIn(want, reply.get("error", ""), "%s via %s" % (name, where))
            ident = "(no identity)" if raw else "evil/%s/%d" % (EVIL_EPOCH, s)
            self.wait_log(self.mr if where == "relay" else self.mw, ident, want, name)

    def wait_log(self, svc, ident, want, name):
        def logged():
            return any(("batch %s from 127.0.0.1:" % ident) in ln and "refused" in ln and
                       want in ln and " ERROR " in ln for ln in svc.log().splitlines())
        hflib.wait_for(logged, 10, what="%s's log line for %s (%s)" % (svc.name, name, want))

    def test_hostile_batches_refused(self):
        self.send_good(*GOOD[0])
        self.send_good(*GOOD[1])
        cases = hostile_cases()
        for seq, case in enumerate(cases, 1):
            self.send_hostile(seq, case)
        self.send_good(*GOOD[2])

        # The relay held, spooled and forwarded none of them.
        spool = os.path.join(self.wd, "spool-metarelay")
        time.sleep(0.5)
        left = os.listdir(spool) if os.path.isdir(spool) else []
        self.assertEqual([n for n in left if "evil" in n], [], left)
        self.assertEqual(self.redis.cmd("KEYS", "mw:*evil*"), [])
        self.assertNotIn("refused by metawriter", self.mr.log())

        got = redis_hashes(self.redis, COIN + ":*")
        want = expected_hashes([b for _, b in GOOD])
        self.assertEqual(sorted(got), sorted(want))
        for k in want:
            self.assertEqual(got[k], want[k], k)
        # spot checks of the contract's text, independent of fmt_float
        self.assertEqual(got["btc:s:alice:rig1"][str(M)], "5")
        self.assertEqual(got["btc:p:alice:rig1"][str(M)], "6.8")
        self.assertEqual(got["btc:p:alice"][str(M + 60)], "1e+60")
        self.assertEqual(got["btc:m:pow"][str(M)], "6.8")
        self.assertEqual(got["btc:s:alice:rig1:reject"][str(M)], "1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
