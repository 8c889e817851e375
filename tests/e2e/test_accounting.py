"""End-to-end tests of the accounting path: senders -> metarelay -> metawriter
-> Redis, exactly once, with SIGKILLs.

test_exactly_once_with_kills (needs metarelay, metawriter, redis-server):
Python senders that speak the ut_rpc framing (like ut_meta: a batch is
resent with the same identity until status 0) send 240 known batches over
three minutes of fields: two through metarelay, one straight to metawriter,
one that "restarts" (new epoch) and replays old batches; about one batch in
seven is resent after its ack on purpose (the answer must be "duplicate").
Meanwhile metarelay, metawriter and Redis (append-only, fsync always) are
each SIGKILLed and restarted, then relay and writer together. At the end
every <coin>:* hash and field equals the sums of the batches exactly, the
system sets too, and every event is in its list exactly once, in the seed's
JSON form.

test_full_cluster (also needs jobmaster, gateway, tools/hfminer; ~2.5 min):
a bcoin regtest node, jobmaster, a gateway with accounting on (flush every
2 s) -> metarelay -> metawriter -> Redis. hfminer submits 480 shares at
4/s from 3 users x 2 workers over 6 connections (so across at least one
minute boundary), every 9th a duplicate on purpose; metarelay, metawriter
and Redis are SIGKILLed at different moments and restarted. Then, per worker
and per user, the sums over the minute fields of s, s:reject and p equal
hfminer's accepted, rejected and diff_accepted exactly (the share difficulty
is 2^-20, so float sums are exact); g has the same fields as p; the system
keys match the totals; newblock holds exactly the blocks the gateway logged
as accepted; newworker one event per worker; newevent one connected and one
disconnected per authorize.

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_accounting.py
"""
import json
import os
import random
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import hfrpc  # noqa: E402
from hfrpc import CMD_MW_BATCH  # noqa: E402

COIN = "btc"


# ---- what a batch means in Redis (the contract, computed independently) ----

class Expected:
    def __init__(self):
        self.hashes = {}     # key -> field -> number
        self.sets = {}       # key -> set
        self.lists = {}      # key -> list of dicts

    def add(self, key, field, v):
        h = self.hashes.setdefault(key, {})
        h[str(field)] = h.get(str(field), 0) + v

    def apply(self, b):
        coin, host, name = b["coin"], b["host"], b.get("coin_name", b["coin"].upper())
        for r in b.get("shares", []):
            whos = [r["user"]] + ([r["user"] + ":" + r["worker"]] if r["worker"] else [])
            for who in whos:
                if r.get("s"):
                    self.add("%s:s:%s" % (coin, who), r["t"], r["s"])
                    self.add("%s:p:%s" % (coin, who), r["t"], r["p"])
                    self.add("%s:g:%s" % (coin, who), r["t"], r["g"])
                if r.get("r"):
                    self.add("%s:s:%s:reject" % (coin, who), r["t"], r["r"])
                if r.get("st"):
                    self.add("%s:st:%s" % (coin, who), r["t"], r["st"])
        for r in b.get("system", []):
            for k in ("pow", "share", "reject", "stale", "block", "connections"):
                if k in r:
                    self.add("%s:m:%s" % (coin, k), r["t"], r[k])
                    self.add("%s:mh:%s:%s" % (coin, host, k), r["t"], r[k])
                    self.sets.setdefault("%s:mk:%s" % (coin, k), set()).add(host)
                    self.sets.setdefault("monitor:keys", set()).add("%s:m:%s" % (coin, k))
        for e in b.get("events", []):
            if e["type"] == "newblock":
                d = {"name": name, "hash": e["hash"], "user": e["user"], "worker": e["worker"]}
            elif e["type"] == "newevent":
                d = {"user": e["user"], "worker": e["worker"], "coin": name,
                     "peer": e["peer"], "event": e["event"]}
            else:
                d = {"user": e["user"], "worker": e["worker"], "coin": name}
            self.lists.setdefault(e["type"], []).append(d)


def num(text):
    """A Redis hash value as a number (ints stay ints)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def redis_hashes(redis, pattern):
    out, cursor = {}, "0"
    while True:
        cursor, keys = redis.cmd("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
        for k in keys:
            if redis.cmd("TYPE", k) == "hash":
                flat = redis.cmd("HGETALL", k)
                out[k] = {flat[i]: num(flat[i + 1]) for i in range(0, len(flat), 2)}
        if cursor == "0":
            return out


# ---- senders ----

M0 = (int(time.time()) // 60) * 60 - 600     # minutes in the recent past


def make_batches(source, epoch, n, rnd):
    users = ["alice", "bob", "carol", "dave"]
    workers = ["rig1", "rig2", "", "x.y"]
    out = []
    for seq in range(1, n + 1):
        t = M0 + 60 * rnd.randrange(3)
        shares, seen = [], set()
        for _ in range(rnd.randrange(1, 6)):
            u, w = rnd.choice(users), rnd.choice(workers)
            if (u, w, t) in seen:
                continue
            seen.add((u, w, t))
            rec = {"t": t, "user": u, "worker": w}
            s = rnd.randrange(0, 20)
            if s:
                diff = rnd.choice([0.25, 0.5, 1, 2, 1024])
                rec.update(s=s, p=s * diff, g=s * diff / 1024.0)
            r = rnd.randrange(0, 3)
            if r:
                rec["r"] = r
            # stale (a part of the rejects); seq % 4 == 1: an older sender
            # without the field
            if r and seq % 4 != 1:
                st = rnd.randrange(0, r + 1)
                if st:
                    rec["st"] = st
            shares.append(rec)
        pow_ = sum(r.get("p", 0) for r in shares)
        system = [{"t": t, "pow": pow_, "share": sum(r.get("s", 0) for r in shares),
                   "reject": sum(r.get("r", 0) for r in shares), "connections": rnd.randrange(9)}]
        stale = sum(r.get("st", 0) for r in shares)
        if stale:
            system[0]["stale"] = stale
        events = []
        if rnd.random() < 0.3:
            events.append({"type": "newworker", "user": "u%s%d" % (source, seq), "worker": "w"})
        if rnd.random() < 0.2:
            events.append({"type": "newevent", "user": "u%s%d" % (source, seq), "worker": "w",
                           "peer": "10.0.0.%d" % seq, "event": "connected"})
        if rnd.random() < 0.1:
            events.append({"type": "newblock", "user": "u%s%d" % (source, seq), "worker": "w",
                           "hash": "%064x" % rnd.getrandbits(256)})
        out.append({"v": 1, "source": source, "epoch": epoch, "seq": seq, "coin": COIN,
                    "coin_name": "BTC", "host": "h-" + source, "time": t + 30,
                    "shares": shares, "system": system, "events": events})
    return out


class Sender(threading.Thread):
    """Sends its batches in order, each until status 0; some resent after
    their ack on purpose (the answer must then be "duplicate")."""

    def __init__(self, name, port, batches, dup_rate=0.15, pace=0.05):
        super().__init__(daemon=True)
        self.name_, self.port, self.batches = name, port, batches
        self.dup_rate, self.pace = dup_rate, pace
        self.link = None
        self.errors = []
        self.resends = 0
        self.duplicates_ok = 0
        self.rnd = random.Random(name)

    def _request(self, body):
        while True:
            try:
                if self.link is None:
                    self.link = hfrpc.Link(self.port, connect_timeout=3.0)
                reply = self.link.request(CMD_MW_BATCH, body, timeout=4.0)
            except (OSError, TimeoutError, ConnectionError):
                if self.link:
                    self.link.close()
                self.link = None
                self.resends += 1
                time.sleep(0.2)
                continue
            if reply.status == 0:
                return reply.json()
            if reply.status == 1:
                self.resends += 1
                time.sleep(0.2)
                continue
            raise AssertionError("%s: status %d: %r" % (self.name_, reply.status, reply.body))

    def run(self):
        try:
            for b in self.batches:
                body = json.dumps(b).encode()
                self._request(body)
                if self.rnd.random() < self.dup_rate:
                    r = self._request(body)
                    if r.get("result") != "duplicate":
                        self.errors.append("%s seq %d resent after ack: %r" %
                                           (self.name_, b["seq"], r))
                    self.duplicates_ok += 1
                time.sleep(self.pace)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(e))
        finally:
            if self.link:
                self.link.close()


# ---- the cluster pieces ----

class Accounting:
    """Redis + metawriter + metarelay on free loopback ports."""

    def __init__(self, workdir):
        self.dir = workdir
        self.redis = hflib.Redis(workdir)
        self.mw = hflib.metawriter(workdir, self.redis.port, COIN, allow=["127.0.0.1"],
                                   redis={"timeout": 3})
        self.mr = hflib.metarelay(workdir, self.mw.port, allow=["127.0.0.1"], spool_after=1,
                                  request_timeout=3)
        self.mw_port, self.mr_port = self.mw.port, self.mr.port

    def start_writer(self):
        self.mw.start()

    def start_relay(self):
        self.mr.start()

    def restart_redis(self):
        self.redis.proc.kill9()
        time.sleep(0.7)             # down for a while: the writer must notice
        self.redis.start()

    def stop(self):
        for p in (self.mr, self.mw):
            if p.alive():
                rc = p.stop()
                if rc not in (0, -signal.SIGTERM):
                    raise AssertionError("%s exited %s: %s" % (p.name, rc, p.output()[-2000:]))
        self.redis.proc.stop()


class TestAccountingPath(unittest.TestCase):

    def test_exactly_once_with_kills(self):
        wd = hflib.tmpdir("acct")
        acc = Accounting(wd)
        rnd = random.Random(7)
        epoch = lambda: "%016x" % rnd.getrandbits(64)   # noqa: E731
        plan = [("pyA", acc.mr_port, make_batches("pyA", epoch(), 60, rnd)),
                ("pyB", acc.mr_port, make_batches("pyB", epoch(), 60, rnd)),
                ("pyC", acc.mw_port, make_batches("pyC", epoch(), 60, rnd))]
        # pyD: a first process sends half its batches, "restarts" with a new
        # epoch, and replays the whole first half again (as a spool would).
        d1 = make_batches("pyD", epoch(), 30, rnd)
        d2 = make_batches("pyD", epoch(), 30, rnd)
        expected = Expected()
        for _, _, bs in plan:
            for b in bs:
                expected.apply(b)
        for b in d1 + d2:
            expected.apply(b)

        senders = [Sender(n, p, bs) for n, p, bs in plan]
        senders.append(Sender("pyD", acc.mr_port, d1[:15] + d1 + d2))
        t0 = time.time()
        for s in senders:
            s.start()

        def at(t):
            time.sleep(max(0.0, t0 + t - time.time()))
        at(1.0)
        acc.mr.kill9()
        at(1.6)
        acc.start_relay()
        at(2.6)
        acc.mw.kill9()
        at(3.6)
        acc.start_writer()
        at(4.6)
        acc.restart_redis()
        at(6.0)
        acc.mr.kill9()
        acc.mw.kill9()
        at(6.8)
        acc.start_writer()
        acc.start_relay()
        for s in senders:
            s.join(240)
            self.assertFalse(s.is_alive(), "sender %s stuck" % s.name_)
        errors = [e for s in senders for e in s.errors]
        self.assertEqual(errors, [], "\n" + hflib.read_text(acc.mw.log_path, 3000))
        print("senders: resends %d, acknowledged duplicates %d, time %.1fs" %
              (sum(s.resends for s in senders), sum(s.duplicates_ok for s in senders),
               time.time() - t0))
        self.assertGreater(sum(s.resends for s in senders), 0, "the kills caused no resend")

        got = redis_hashes(acc.redis, COIN + ":*")
        self.assertEqual(sorted(got), sorted(expected.hashes))
        for k, fields in expected.hashes.items():
            self.assertEqual(got[k], fields, k)
        for k, members in expected.sets.items():
            self.assertEqual(set(acc.redis.cmd("SMEMBERS", k)), members, k)
        for k, items in expected.lists.items():
            raw = acc.redis.cmd("LRANGE", k, 0, -1)
            got_items = [json.loads(x) for x in raw]
            key = lambda d: json.dumps(d, sort_keys=True)   # noqa: E731
            self.assertEqual(sorted(map(key, got_items)), sorted(map(key, items)), k)
            # the seed's key order and separators
            for x, d in zip(raw, got_items):
                self.assertEqual(x, json.dumps(d))
        acc.stop()


# ---- the full cluster: node + jobmaster + gateway + hfminer ----

SHARE_DIFF = 2.0 ** -20        # a power of two: p sums are exact in Redis
USERS, WORKERS_PER_USER = 3, 2


def field_sum(h):
    return sum(h.values()) if h else 0


class TestFullCluster(unittest.TestCase):

    def test_full_cluster(self):
        self.assertTrue(hflib.have_bins("jobmaster", "gateway", "hfminer", "metarelay",
                                        "metawriter"), "build the binaries first (make)")
        wd = hflib.tmpdir("acct-full")
        node = hflib.Node(wd)
        acc = Accounting(wd)
        payout = hflib.new_key()["p2pkh"]
        jm = hflib.jobmaster(wd, node, [{"address": payout}])
        gw = hflib.gateway(
            wd, jm.gw_port, gateway_id=3, host="gw-e2e",
            vardiff={"start": SHARE_DIFF, "min": SHARE_DIFF, "max": SHARE_DIFF,
                     "target": 1, "retarget": 3},
            meta={"addr": "tcp@127.0.0.1:%d" % acc.mr_port, "coin": COIN,
                  "spool_dir": os.path.join(wd, "spool-gateway"), "source": "gwe2e",
                  "flush_interval": 2})
        st_port, gw_http = gw.st_port, gw.http_port

        shares, rate = 480, 4.0
        miner = hflib.start_bin("hfminer", [
            "--url", "stratum+tcp://127.0.0.1:%d" % st_port, "--user", "u%u.w%w",
            "--users", str(USERS), "--workers-per-user", str(WORKERS_PER_USER),
            "--connections", "6", "--rate", str(rate), "--shares", str(shares),
            "--pipeline", "4", "--submit-invalid", "duplicate", "--invalid-every", "9",
            "--json", "--progress", "10"], wd)
        t0 = time.time()

        def at(t):
            while time.time() < t0 + t:
                self.assertTrue(gw.alive() and jm.alive(), "gateway or jobmaster died")
                time.sleep(0.1)
        at(15)
        acc.mr.kill9()
        at(18)
        acc.start_relay()
        at(40)
        acc.mw.kill9()
        at(44)
        acc.start_writer()
        at(70)
        acc.restart_redis()
        at(95)
        acc.mr.kill9()
        acc.mw.kill9()
        at(98)
        acc.start_writer()
        acc.start_relay()
        hflib.wait_for(lambda: not miner.alive(), 240, step=0.5, what="hfminer to finish")
        summary = hflib.json_summary(miner)
        self.assertTrue(summary, "no JSON summary from hfminer: " + miner.output()[-2000:])
        print("hfminer: submitted %d accepted %d rejected %d (%s) in %.0fs" % (
            summary["submitted"], summary["accepted"], summary["rejected_total"],
            summary["rejected"], time.time() - t0))
        self.assertEqual(summary["no_reply"], 0, summary)
        self.assertGreater(summary["rejected_total"], 0, summary)

        # Every name that became active on a connection (its first accepted
        # share, or at authorize when it did work before) is a "connected"
        # event, and its connection's close a "disconnected"; every
        # accepted block a newblock event.
        def log_lines(what):
            return [ln for ln in gw.log().splitlines() if what in ln]
        authorized = len(log_lines("worker active: peer="))
        blocks = sorted(ln.split(" hash=")[1].split()[0] for ln in log_lines("block accepted:"))

        def settled():
            st = hflib.http_json(gw_http, "/status")
            events = acc.redis.cmd("LLEN", "newevent")
            return st["meta"]["pending_batches"] == 0 and events == 2 * authorized
        hflib.wait_for(settled, 90, step=0.5, what="the gateway's last batches in Redis")
        time.sleep(3)
        hflib.wait_for(settled, 30, step=0.5, what="the gateway's last batches in Redis")

        got = redis_hashes(acc.redis, COIN + ":*")
        per_worker = summary["per_worker"]
        self.assertEqual(len(per_worker), USERS * WORKERS_PER_USER)
        minutes = set()
        tot = {"s": 0, "r": 0, "p": 0.0}
        for u in range(USERS):
            us = {"s": 0, "r": 0, "p": 0.0}
            for w in range(WORKERS_PER_USER):
                name = "u%d.w%d" % (u, w)
                want = per_worker[name]
                who = "u%d:w%d" % (u, w)
                s = got.get("%s:s:%s" % (COIN, who), {})
                r = got.get("%s:s:%s:reject" % (COIN, who), {})
                p = got.get("%s:p:%s" % (COIN, who), {})
                g = got.get("%s:g:%s" % (COIN, who), {})
                minutes.update(s)
                self.assertEqual(field_sum(s), want["accepted"], name)
                self.assertEqual(field_sum(r), want["rejected"], name)
                self.assertEqual(field_sum(p), want["diff_accepted"], name)
                self.assertEqual(field_sum(p), want["accepted"] * SHARE_DIFF, name)
                self.assertEqual(sorted(g), sorted(p), name)
                for k in ("s", "r", "p"):
                    us[k] += {"s": field_sum(s), "r": field_sum(r), "p": field_sum(p)}[k]
            self.assertEqual(field_sum(got.get("%s:s:u%d" % (COIN, u))), us["s"])
            self.assertEqual(field_sum(got.get("%s:s:u%d:reject" % (COIN, u))), us["r"])
            self.assertEqual(field_sum(got.get("%s:p:u%d" % (COIN, u))), us["p"])
            for k in tot:
                tot[k] += us[k]
        self.assertEqual(tot["s"], summary["accepted"])
        self.assertEqual(tot["r"], summary["rejected_total"])
        self.assertGreaterEqual(len(minutes), 2, "the shares did not cross a minute boundary")
        self.assertTrue(all(int(m) % 60 == 0 for m in minutes))
        share_keys = sorted(k for k in got if k.startswith(COIN + ":s:"))
        want_keys = sorted(["%s:s:u%d%s%s" % (COIN, u, w, rj) for u in range(USERS)
                            for w in [""] + [":w%d" % i for i in range(WORKERS_PER_USER)]
                            for rj in ("", ":reject")])
        self.assertEqual(share_keys, want_keys)
        for key, want in (("share", tot["s"]), ("reject", tot["r"]), ("pow", tot["p"]),
                          ("block", len(blocks))):
            self.assertEqual(field_sum(got.get("%s:m:%s" % (COIN, key))), want, key)
            self.assertEqual(field_sum(got.get("%s:mh:gw-e2e:%s" % (COIN, key))), want, key)
            self.assertEqual(acc.redis.cmd("SMEMBERS", "%s:mk:%s" % (COIN, key)), ["gw-e2e"])
        self.assertIn(6, got.get("%s:m:connections" % COIN, {}).values())

        newblock = [json.loads(x) for x in acc.redis.cmd("LRANGE", "newblock", 0, -1)]
        self.assertEqual(sorted(b["hash"] for b in newblock), blocks)
        self.assertTrue(all(b["name"] == "BTC" for b in newblock))
        newworker = [json.loads(x) for x in acc.redis.cmd("LRANGE", "newworker", 0, -1)]
        self.assertEqual(sorted((x["user"], x["worker"]) for x in newworker),
                         sorted(("u%d" % u, "w%d" % w) for u in range(USERS)
                                for w in range(WORKERS_PER_USER)))
        events = [json.loads(x) for x in acc.redis.cmd("LRANGE", "newevent", 0, -1)]
        self.assertEqual(sum(e["event"] == "connected" for e in events), authorized)
        self.assertEqual(sum(e["event"] == "disconnected" for e in events), authorized)
        self.assertTrue(all(e["coin"] == "BTC" and e["peer"] == "127.0.0.1" for e in events))
        for b in blocks[:5]:
            node.rpc("getblockheader", b, True)     # the node knows every counted block

        self.assertEqual(gw.stop(), 0, gw.output()[-2000:])
        self.assertEqual(jm.stop(), 0, jm.output()[-2000:])
        acc.stop()
        node.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
