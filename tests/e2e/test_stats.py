"""End-to-end tests of the statistics service (statsapi), the Prometheus
pages of every module, and the dashboard in a real headless Chromium.

One cluster for the class: a bcoin regtest node, jobmaster, a gateway with
accounting straight to metawriter (flush every second) and an agent port,
a metarelay and a mineragent (so every module's /metrics can be checked),
Redis, statsapi (refresh every second) and tools/hfminer: 2 users x 2
workers submit 160 shares at 8/s at difficulty 2^-20 (sums of p are exact),
every 9th a resend on purpose (on regtest most of them land on a job gone
stale: a block is found every few shares).

test_1_api_matches_redis_and_miner: once Redis has every batch, per worker
and per user the API's 24 h accepted, rejected and accepted difficulty
equal the sums over the Redis minute fields exactly, and hfminer's own
counts (accepted exactly; rejected at most: a reject before a name's first
accepted share is not accounted); hashrate = difficulty * 2^32 / the window's seconds; the reject
percentages follow; the pool's counts equal the <coin>:m:* sums, its
network difficulty the jobmaster's, its blocks the newblock list; workers
are alive with a last share in this minute or the one before; the series
of a user sums to its accepted count; unknown users are 404. Stale: a
Stratum client of its own (user "late") gets 1 share accepted, the node
mines a block, then its 3 shares on the job gone stale are answered 21:
Redis <coin>:st:late:w0 and the API say exactly 3 stale of 3 rejected; every
worker's stale equals its <coin>:st: key, the pool's <coin>:m:stale.
Blocks: every newblock event carries the height and reward (coinbase value,
satoshis) of the node's block of that hash; the API's newest block says the
same, status "accepted" with confirmations = tip - height + 1 (statsapi
asks the node: its "node" section), and the dashboard's blocks table shows
that row.

test_2_promtool_every_module: `promtool check metrics` (Debian's prometheus
package) passes on the /metrics of jobmaster, gateway, metarelay,
metawriter, mineragent and statsapi; each has hf_build_info with its module
and version and hf_<module>_uptime_seconds; every /status has module,
version, pid and uptime; the gateway's rejects are labelled by reason name (stale apart from
unknown_job) and add up to the miner's;
the per-worker samples of statsapi are capped (max_worker_metrics 3 of 4
alive workers: 3 samples and left_out 1).

test_3_dashboard_in_chromium: chromium --headless --dump-dom (a phone-sized
window) of the pool page and of a user's page, after the page's JavaScript
ran: the cards show the API's numbers, the worker table has the demo's
workers with the API's accepted counts, and Chart.js (libjs-chart.js,
served by statsapi) drew the chart canvas.

test_4_orphaned_block: the pool's newest block leaves the main chain (a
second bcoin node mines a longer branch from its parent, the pool's node
takes it through submitblock and reorgs): within the check interval
(statsapi's node section, interval 1 s) the API says "orphaned" for it and
"accepted" with confirmations = new tip - height + 1 for the others; the
log says "accepted -> orphaned".

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_stats.py
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import stratum  # noqa: E402

COIN = "btc"
SHARE_DIFF = 2.0 ** -20
USERS, WORKERS = 2, 2
SHARES = 160
TWO32 = 2.0 ** 32
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "farm1-secret-0123456789abcdef"
STALE_USER, STALE = "late", 3     # a user of its own: 1 accepted share, then STALE stale ones
NODE_INTERVAL = 1                 # statsapi's orphan check: seconds between checks of a block
FINAL = 100                       # confirmations after which a block is not checked again
CL = None


def addr(port):
    return "tcp@127.0.0.1:%d" % port


def redis_sum(redis, key):
    flat = redis.cmd("HGETALL", key)
    vals = [flat[i + 1] for i in range(0, len(flat), 2)]
    return sum(float(v) for v in vals)


class Cluster:
    def __init__(self):
        self.dir = hflib.tmpdir("stats")
        self.node = hflib.Node(self.dir)
        self.redis = hflib.Redis(self.dir)
        self.redis.start()
        self.mw = hflib.metawriter(self.dir, self.redis.port, COIN)
        self.mr = hflib.metarelay(self.dir, self.mw.port)
        self.jm = hflib.jobmaster(self.dir, self.node, [{"address": hflib.new_key()["p2pkh"]}])
        certs = hflib.make_certs(self.dir)
        ag_port = hflib.free_port()
        fixed = {"start": SHARE_DIFF, "min": SHARE_DIFF, "max": SHARE_DIFF, "target": 1,
                 "retarget": 3}
        self.gw = hflib.gateway(
            self.dir, self.jm.gw_port, gateway_id=4, host="gw-stats", vardiff=fixed,
            meta={"addr": addr(self.mw.port), "coin": COIN,
                  "spool_dir": os.path.join(self.dir, "spool-gw"), "source": "gwstats",
                  "flush_interval": 1},
            agents={"bind": addr(ag_port),
                    "tls": {"cert_file": certs["gateway"][0], "key_file": certs["gateway"][1]},
                    "list": [{"id": "farm1", "num": 1, "secret": SECRET}]})
        self.ag = hflib.mineragent(self.dir, [ag_port], "farm1", SECRET, certs["ca"])
        self.sa_port = hflib.free_port()
        self.sa = hflib.Service("statsapi", self.dir, "statsapi", {
            "http": {"bind": addr(self.sa_port)},
            "coin": COIN,
            "redis": {"host": "127.0.0.1", "port": self.redis.port},
            "jobmaster_status": "http://127.0.0.1:%d/status" % self.jm.http_port,
            "refresh": 1,
            "stratum_url": "stratum+tcp://127.0.0.1:%d" % self.gw.st_port,
            "web_dir": os.path.join(ROOT, "statsapi", "web"),
            "max_worker_metrics": 3,
            "node": {"url": self.node.url, "user": "x", "password": self.node.key,
                     "interval": NODE_INTERVAL},
            "log": {"level": "info"},
        }, lambda s: hflib.http_ok(self.sa_port))
        self.sa.start()
        self.miner = hflib.start_bin("hfminer", [
            "--url", "stratum+tcp://127.0.0.1:%d" % self.gw.st_port, "--user", "u%u.w%w",
            "--users", str(USERS), "--workers-per-user", str(WORKERS), "--connections", "4",
            "--rate", "8", "--shares", str(SHARES), "--pipeline", "4",
            "--submit-invalid", "duplicate", "--invalid-every", "9", "--json"], self.dir)
        hflib.wait_for(lambda: not self.miner.alive(), 120, step=0.5, what="hfminer to finish")
        self.summary = hflib.json_summary(self.miner)
        self.stale_shares()
        hflib.wait_for(lambda: hflib.http_json(self.gw.http_port, "/status")["meta"]
                       ["pending_batches"] == 0, 60, step=0.5, what="the gateway's batches")
        self.settle()

    def stale_shares(self):
        """Deterministic stale rejects: user st, worker w0 gets one share
        accepted on job J, the node mines a block (a new clean job makes J
        stale), then STALE shares on J are answered 21 "Job not found (stale)"."""
        with stratum.Client(self.gw.st_port) as c:
            c.subscribe()
            c.authorize(STALE_USER + ".w0")
            job = c.wait_job()
            c.wait_difficulty(lambda d: d > 0)
            ok = c.submit_share(c.mine(job, en2=c.en2(1)))
            if ok.get("result") is not True:
                raise AssertionError("the first share was not accepted: %r" % ok)
            self.node.rpc("generatetoaddress", 1, hflib.new_key()["p2pkh"])
            c.wait_new_job(job, clean=True, timeout=60)
            for i in range(STALE):
                r = c.submit_share(c.mine(job, en2=c.en2(2 + i)))
                if stratum.error_code(r) != 21:
                    raise AssertionError("share on a stale job answered %r" % r)

    def api(self, path):
        return hflib.http_json(self.sa_port, path)

    def settle(self):
        """Until statsapi has read what Redis holds (a refresh or two later)."""
        def read():
            try:
                total = sum(self.api("/api/v1/users/u%d" % u)["accepted"] for u in range(USERS))
                stale = self.api("/api/v1/users/" + STALE_USER)["stale"]
            except urllib.error.HTTPError:          # not seen yet: 404
                return False
            return total == self.summary["accepted"] and stale == STALE
        hflib.wait_for(read, 30, step=0.5, what="statsapi to read every accepted share")

    def stop(self):
        for s in (self.sa, self.ag, self.gw, self.jm, self.mr, self.mw):
            if s.alive():
                s.stop()


def setUpModule():
    global CL
    if not hflib.have_bins("statsapi", "jobmaster", "gateway", "metawriter", "metarelay",
                           "mineragent", "hfminer"):
        raise RuntimeError("build the binaries first (make)")
    CL = Cluster()


def tearDownModule():
    if CL:
        CL.stop()
        for s in (CL.sa, CL.gw, CL.jm, CL.mw, CL.mr, CL.ag):
            out = s.output()
            if "ERROR: AddressSanitizer" in out or "runtime error:" in out:
                raise AssertionError("%s: sanitizer report:\n%s" % (s.name, out[-4000:]))


class StatsTest(unittest.TestCase):
    def test_1_api_matches_redis_and_miner(self):
        sm, r = CL.summary, CL.redis
        self.assertEqual(sm["no_reply"], 0, sm)
        self.assertGreater(sm["rejected_total"], 0, sm)
        per = sm["per_worker"]
        self.assertEqual(len(per), USERS * WORKERS)
        pool = CL.api("/api/v1/pool")
        self.assertEqual(pool["api_version"], 1)
        for u in range(USERS):
            user = CL.api("/api/v1/users/u%d" % u)
            self.assertEqual(user["user"], "u%d" % u)
            self.assertEqual(user["workers_total"], WORKERS)
            self.assertEqual(user["workers_alive"], WORKERS)
            ua = ur = 0
            ud = 0.0
            for w, wo in zip(range(WORKERS), user["workers"]):
                name, who = "u%d.w%d" % (u, w), "u%d:w%d" % (u, w)
                self.assertEqual(wo["name"], "w%d" % w)
                self.assertEqual(wo["user"], name)
                acc = int(redis_sum(r, "%s:s:%s" % (COIN, who)))
                rej = int(redis_sum(r, "%s:s:%s:reject" % (COIN, who)))
                diff = redis_sum(r, "%s:p:%s" % (COIN, who))
                self.assertEqual(acc, per[name]["accepted"], name)
                # a reject before a name's first accepted share is not
                # accounted (stratum/st_sink.h): at most the miner's count
                self.assertLessEqual(rej, per[name]["rejected"], name)
                self.assertEqual(diff, per[name]["diff_accepted"], name)
                self.assertEqual(wo["accepted"], acc, name)
                self.assertEqual(wo["rejected"], rej, name)
                stale = int(redis_sum(r, "%s:st:%s" % (COIN, who)))
                self.assertLessEqual(stale, rej, name)
                self.assertEqual(wo["stale"], stale, name)
                self.assertAlmostEqual(wo["pool_stale_percent"],
                                       100.0 * stale / (acc + rej) if acc + rej else 0.0,
                                       places=9)
                d = wo["windows"]["24h"]
                self.assertEqual(d["accepted_diff"], diff, name)
                self.assertAlmostEqual(wo["hashrate"]["24h"], diff * TWO32 / d["seconds"],
                                       delta=1e-6 * wo["hashrate"]["24h"])
                self.assertAlmostEqual(wo["pool_rejected_percent"], 100.0 * rej / (acc + rej),
                                       places=9)
                self.assertTrue(wo["alive"] and wo["active"], wo)
                self.assertEqual(wo["url"], "stratum+tcp://127.0.0.1:%d" % CL.gw.st_port)
                self.assertGreaterEqual(wo["last_share"], (int(time.time()) // 60 - 2) * 60)
                self.assertLessEqual(wo["first_seen"], wo["last_share"])
                ua, ur, ud = ua + acc, ur + rej, ud + diff
            self.assertEqual(user["accepted"], ua)
            self.assertEqual(user["rejected"], ur)
            self.assertEqual(user["windows"]["24h"]["accepted_diff"], ud)
            self.assertEqual(int(redis_sum(r, "%s:s:u%d" % (COIN, u))), ua)
            one = CL.api("/api/v1/users/u%d/workers/w1" % u)
            self.assertEqual(one["accepted"], user["workers"][1]["accepted"])
            series = CL.api("/api/v1/series?user=u%d&res=minute" % u)
            self.assertEqual(len(series["accepted"]), 1440)
            self.assertEqual(sum(series["accepted"]), ua)
            self.assertEqual(sum(series["rejected"]), ur)
            self.assertEqual(sum(series["stale"]), user["stale"])
            hourly = CL.api("/api/v1/series?user=u%d&res=hour" % u)
            self.assertEqual(len(hourly["accepted"]), 720)
            self.assertEqual(sum(hourly["accepted"]), ua)
        # the stale user: exactly its 1 accepted and STALE stale shares
        st = CL.api("/api/v1/users/" + STALE_USER)
        self.assertEqual((st["accepted"], st["rejected"], st["stale"]), (1, STALE, STALE))
        self.assertAlmostEqual(st["pool_stale_percent"], 100.0 * STALE / (1 + STALE), places=9)
        self.assertEqual(st["workers"][0]["name"], "w0")
        self.assertEqual((st["workers"][0]["stale"], st["workers"][0]["rejected"]),
                         (STALE, STALE))
        self.assertEqual(int(redis_sum(r, "%s:st:%s:w0" % (COIN, STALE_USER))), STALE)
        self.assertEqual(int(redis_sum(r, "%s:s:%s:w0:reject" % (COIN, STALE_USER))), STALE)
        series = CL.api("/api/v1/series?user=%s&res=minute" % STALE_USER)
        self.assertEqual(sum(series["stale"]), STALE)
        self.assertEqual(pool["accepted"], int(redis_sum(r, COIN + ":m:share")))
        self.assertEqual(pool["accepted"], sm["accepted"] + 1)
        self.assertEqual(pool["rejected"], int(redis_sum(r, COIN + ":m:reject")))
        self.assertEqual(pool["stale"], int(redis_sum(r, COIN + ":m:stale")))
        self.assertEqual(pool["stale"], sum(int(redis_sum(r, "%s:st:u%d" % (COIN, u)))
                                            for u in range(USERS)) + STALE)
        self.assertEqual(pool["windows"]["24h"]["accepted_diff"], redis_sum(r, COIN + ":m:pow"))
        self.assertEqual((pool["users"], pool["workers"], pool["workers_alive"]),
                         (USERS + 1, USERS * WORKERS + 1, USERS * WORKERS + 1))
        jm = hflib.http_json(CL.jm.http_port, "/status")
        self.assertEqual(pool["network"]["difficulty"], jm["network_diff"])
        self.assertEqual(pool["network"]["height"], jm["height"])
        self.assertEqual(pool["blocks"]["total"], r.cmd("LLEN", "newblock"))
        self.assertGreater(pool["blocks"]["total"], 0)
        newblock = [json.loads(x) for x in r.cmd("LRANGE", "newblock", 0, -1)]
        last = newblock[-1]
        got = pool["blocks"]["recent"][0]
        self.assertEqual((got["hash"], got["height"], got["reward"], got["status"]),
                         (last["hash"], last["height"], last["reward"], "accepted"))
        tip = CL.node.rpc("getblockcount")       # checked every NODE_INTERVAL: wait for one
        hflib.wait_for(lambda: CL.api("/api/v1/pool")["blocks"]["recent"][0]["confirmations"]
                       == tip - last["height"] + 1, 10 * NODE_INTERVAL + 10, step=0.2,
                       what="statsapi to count the newest block's confirmations")
        # every newblock event's height and reward are the node's block's
        for b in newblock[-5:]:
            hdr = CL.node.rpc("getblockheader", b["hash"], True)
            self.assertEqual(b["height"], hdr["height"], b)
            blk = CL.node.rpc("getblock", b["hash"], True, True)
            value = sum(round(o["value"] * 1e8) for o in blk["tx"][0]["vout"])
            self.assertEqual(b["reward"], value, b)
        self.assertGreater(pool["expected_block_seconds"], 0)
        for bad in ("/api/v1/users/nobody", "/api/v1/users/u0/workers/nope", "/api/v2/pool"):
            with self.assertRaises(urllib.error.HTTPError) as e:
                CL.api(bad)
            self.assertEqual(e.exception.code, 404, bad)

    def test_2_promtool_every_module(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool missing (Debian package prometheus)")
        pages = {"jobmaster": CL.jm.http_port, "gateway": CL.gw.http_port,
                 "metarelay": CL.mr.http_port, "metawriter": CL.mw.http_port,
                 "mineragent": CL.ag.http_port, "statsapi": CL.sa_port}
        for module, port in pages.items():
            with self.subTest(module=module):
                _, body = hflib.http_get(port, "/metrics")
                p = subprocess.run([promtool, "check", "metrics"], input=body,
                                   capture_output=True)
                self.assertEqual(p.returncode, 0, "%s: %s%s\n%s" % (
                    module, p.stdout.decode(), p.stderr.decode(), body.decode()[:3000]))
                text = body.decode()
                self.assertIn('\nhf_build_info{module="%s",version="' % module, text)
                self.assertRegex(text, r"\nhf_%s_uptime_seconds \d+\n" % module)
                for line in text.splitlines():
                    if not line.startswith("#"):
                        self.assertTrue(line.startswith("hf_"), line)
                st = hflib.http_json(port, "/status")
                self.assertEqual(st["module"], module)
                self.assertIsInstance(st["version"], str)
                self.assertIsInstance(st["pid"], int)
                self.assertIsInstance(st["uptime"], int)
        text = hflib.http_get(CL.gw.http_port, "/metrics")[1].decode()
        by = {m.group(1): int(m.group(2)) for m in re.finditer(
            r'\nhf_gateway_shares_rejected_total\{gateway="4",process="0",reason="(\w+)"\} '
            r'(\d+)', text)}
        self.assertEqual(set(by), {"invalid", "stale", "unknown_job", "duplicate",
                                   "low_difficulty", "unauthorized", "not_subscribed"})
        self.assertEqual(sum(by.values()), CL.summary["rejected_total"] + STALE, text)
        # regtest at share difficulty 2^-20: blocks every few shares, so the
        # resent ("duplicate") shares are mostly on a job gone stale
        self.assertGreaterEqual(by["stale"], STALE, text)
        # every stale reject in Redis is one the gateway labelled stale (a
        # name's rejects before its first accepted share are not accounted)
        self.assertLessEqual(int(redis_sum(CL.redis, COIN + ":m:stale")), by["stale"])
        self.assertNotIn("code=", text)
        text = hflib.http_get(CL.sa_port, "/metrics")[1].decode()
        self.assertEqual(len(re.findall(r"\nhf_statsapi_worker_hashrate\{", text)), 3)
        self.assertIn("\nhf_statsapi_worker_metrics_left_out 2\n", text)

    def chromium(self, path, extra=()):
        exe = shutil.which("chromium")
        self.assertIsNotNone(exe, "chromium missing (Debian package chromium)")
        p = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-dev-shm-usage", "--window-size=390,844",
                            "--virtual-time-budget=8000", *extra, "--dump-dom",
                            "http://127.0.0.1:%d%s" % (CL.sa_port, path)],
                           capture_output=True, timeout=120,
                           env=dict(os.environ, HOME=CL.dir))
        self.assertEqual(p.returncode, 0, p.stderr.decode()[-2000:])
        return p.stdout.decode()

    @staticmethod
    def card(dom, key):
        m = re.search(r'data-key="%s"><div class="k">[^<]*</div><div class="v">([^<]*)</div>'
                      % key, dom)
        return m.group(1) if m else None

    def test_3_dashboard_in_chromium(self):
        pool = CL.api("/api/v1/pool")
        dom = self.chromium("/")
        self.assertEqual(self.card(dom, "workers_alive"), str(pool["workers_alive"]), dom[:3000])
        self.assertEqual(self.card(dom, "accepted"), str(pool["accepted"]))
        self.assertEqual(self.card(dom, "network_difficulty"),
                         re.sub(r"\.0$", "", str(pool["network"]["difficulty"])))
        self.assertRegex(dom, r'<canvas id="chart"[^>]*style="[^"]*height')   # Chart.js drew
        b = pool["blocks"]["recent"][0]                 # the newest block's row
        self.assertRegex(dom, r'<td>%s…</td><td>%d</td><td>accepted</td><td>%d</td>'
                         % (b["hash"][:16], b["height"], b["confirmations"]))
        user = CL.api("/api/v1/users/u1")
        dom = self.chromium("/user/u1")
        self.assertEqual(self.card(dom, "accepted"), str(user["accepted"]), dom[:3000])
        self.assertEqual(self.card(dom, "workers"), "%d / %d" % (WORKERS, WORKERS))
        for w in user["workers"]:
            m = re.search(r'<tr data-worker="%s"><td>%s</td><td class="alive">online</td>'
                          r'(?:<td>[^<]*</td>){3}<td>(\d+)</td><td>(\d+)</td>'
                          % (w["name"], w["name"]), dom)
            self.assertIsNotNone(m, "worker %s not in the table:\n%s" % (w["name"], dom[-4000:]))
            self.assertEqual((int(m.group(1)), int(m.group(2))), (w["accepted"], w["rejected"]))
        self.assertRegex(dom, r'<canvas id="chart"[^>]*style="[^"]*height')
        shot = os.path.join(CL.dir, "user.png")
        self.chromium("/user/u1", ["--screenshot=" + shot])
        self.assertGreater(os.path.getsize(shot), 10000)
        print("dashboard screenshot: %s" % shot)

    def test_4_orphaned_block(self):
        """The pool's newest block leaves the main chain: a second node B
        gets the chain below it, mines a longer branch from its parent, and
        the pool's node takes B's blocks (submitblock) and reorgs. bcoin's
        invalidateblock would not do: it deletes the block's entry (the
        node then answers "Block not found": status "unknown")."""
        node = CL.node
        newblock = [json.loads(x) for x in CL.redis.cmd("LRANGE", "newblock", 0, -1)]
        gone = max(newblock, key=lambda b: b["height"])
        tip = node.rpc("getblockcount")
        b = hflib.Node(os.path.join(CL.dir, "b"))
        try:
            for h in range(1, gone["height"]):
                raw = node.rpc("getblock", node.rpc("getblockhash", h), False)
                self.assertIsNone(b.rpc("submitblock", raw), h)
            self.assertEqual(b.rpc("getblockcount"), gone["height"] - 1)
            branch = b.rpc("generatetoaddress", tip - gone["height"] + 2,
                           hflib.new_key()["p2pkh"])
            for h in branch:
                node.rpc("submitblock", b.rpc("getblock", h, False))
            t0 = time.time()                        # the reorg is done
        finally:
            b.stop()
        new_tip = node.rpc("getblockcount")
        self.assertEqual(new_tip, tip + 1)
        self.assertEqual(node.rpc("getblockhash", new_tip), branch[-1])
        self.assertNotEqual(node.rpc("getblockhash", gone["height"]), gone["hash"])

        def want(blk):
            if blk["hash"] == gone["hash"]:
                return ("orphaned", None)
            return ("accepted", new_tip - blk["height"] + 1)

        def seen():
            recent = CL.api("/api/v1/pool")["blocks"]["recent"]
            return all((r["status"], r["confirmations"]) == want(r) or
                       (want(r)[1] is not None and want(r)[1] >= FINAL and
                        r["status"] == "accepted" and r["confirmations"] >= FINAL)
                       for r in recent)
        hflib.wait_for(seen, 10 * NODE_INTERVAL + 10, step=0.2,
                       what="statsapi to see the orphan and the new confirmations")
        print("orphan seen %.1f s after the reorg (interval %d s)"
              % (time.time() - t0, NODE_INTERVAL))
        recent = CL.api("/api/v1/pool")["blocks"]["recent"]
        self.assertEqual(recent[0]["hash"], newblock[-1]["hash"])
        mine = [r for r in recent if r["hash"] == gone["hash"]]
        self.assertEqual([(r["status"], r["confirmations"]) for r in mine], [("orphaned", None)])
        others = [r for r in recent if r["hash"] != gone["hash"]]
        self.assertGreater(len(others), 0)
        for r in others:        # one checked at FINAL confirmations is not asked again
            if want(r)[1] < FINAL:
                self.assertEqual((r["status"], r["confirmations"]), want(r), r)
        self.assertIn("%s height %d: accepted -> orphaned" % (gone["hash"], gone["height"]),
                      CL.sa.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
