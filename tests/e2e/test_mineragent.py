"""End-to-end tests of the mineragent (the farm-side agent) and the gateway's
agent port, against real processes: the bcoin regtest node, redis-server,
metawriter, jobmaster, gateways with an agent port (TLS, certificates made
by hflib.make_certs) and mineragents, with tools/hfminer and the Python
Stratum client (stratum.py) as miners.

TestMinerAgent (one node, Redis, metawriter and jobmaster for all; each
test its own gateways and agents, and its own user names):
  test_1_mining_through_agent  hfminer (2 users x 2 workers) through the
      agent's farm port and another hfminer straight on the gateway, both at
      a fixed share difficulty 2^-20 (vardiff min = max, gateway and agent):
      per worker, Redis s / p / reject sums equal hfminer's accepted /
      diff_accepted / rejected exactly; the agent's blocks were accepted by
      the node (its /status, and every `newblock` entry of an agent user is
      a block the node knows whose coinbase carries ff000001).
  test_2_upstream_cut  the gateway is SIGKILLed while hfminer mines through
      the agent and started again 60 s later: the farm keeps accepting
      shares (hfminer's count grows, upstream.up false, batches pending),
      then Redis equals hfminer exactly and the spool empties.
  test_3_refusals  an agent with a wrong secret and one with an unknown id
      are refused (logs on both sides naming the agent and the reason, no
      farm port, upstream.up false) and do not disturb the good agent; a
      plaintext internal-RPC client and a TLS client that skips
      authentication get no service; an authenticated agent cannot hand in
      a block with another agent's extranonce1 or a batch in its name; the
      good link is TLSv1.3.
  test_3b_idle_link_heartbeats  agent links that carry nothing but
      heartbeats (a gateway without jobs) stay up with an agent heartbeat
      of 0.5 s and of 8 s (the gateway's agent port beats every 2 s).
  test_4_extranonce_unique  two agents (num 1 and 2) and direct sessions on
      one gateway: every session's extranonce1 has the expected layout and
      no extranonce1 is a prefix of another's (no two sessions can build
      the same coinbase).
  test_5_failover  one agent, two gateways: the first is killed; the agent
      is up on the second within failover_after + a few seconds with the
      same extranonce1, its miners keep their sessions, Redis stays exact.
TestMinerAgentStratum (test 6): Stratum V1 conformance of the agent's farm
  port (subscribe shape with extranonce2 size 4, authorize, set_difficulty,
  notify, accepted shares that become blocks, 20/21/22/23/24/25 rejections,
  BIP310 version rolling) and the agent's counters of it; accounting
  batches show in /status upstream.bytes_out.

The tests print what they measure (rates, delays, bytes on the farm port
and on the upstream TLS link, Redis against hfminer per worker).

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_mineragent.py
"""
import hashlib
import hmac
import json
import os
import re
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import hfrpc  # noqa: E402
import stratum  # noqa: E402
from stratum import Client  # noqa: E402

COIN = "btc"
SHARE_DIFF = 2.0 ** -20        # every p sum is exact in binary floating point
FIXED = {"start": SHARE_DIFF, "min": SHARE_DIFF, "max": SHARE_DIFF, "target": 1,
         "retarget": 3}
SECRETS = {"farm1": "farm1-secret-0123456789abcdef", "farm2": "farm2-secret-0123456789abcdef"}
AGENTS = [{"id": "farm1", "num": 1, "secret": SECRETS["farm1"]},
          {"id": "farm2", "num": 2, "secret": SECRETS["farm2"]}]
FAILOVER_AFTER = 3.0           # hflib.mineragent's upstream.failover_after
HEARTBEAT = 2.0                # the gateway's agent port sends one every 2 s (not configurable)
POOL_MASK = 0x1FFFE000
NET_TARGET_REGTEST = stratum.nbits_target(0x207FFFFF)
CUT = 60.0                     # test 2: seconds without a gateway

CL = None                      # the Cluster shared by every test


def addr(port):
    return "tcp@127.0.0.1:%d" % port


def redis_hash(redis, key):
    flat = redis.cmd("HGETALL", key) or []
    return {flat[i]: float(flat[i + 1]) for i in range(0, len(flat), 2)}


class Cluster:
    """The bcoin regtest node, redis-server, metawriter and jobmaster, and
    the TLS certificates; gateways, agents and miners are made per test."""

    def __init__(self):
        t0 = time.time()
        self.dir = hflib.tmpdir("mineragent")
        self.node = hflib.Node(self.dir)
        self.redis = hflib.Redis(self.dir)
        self.mw = hflib.metawriter(self.dir, self.redis.port, COIN, allow=["127.0.0.1"])
        self.jm = hflib.jobmaster(self.dir, self.node, [{"address": hflib.new_key()["p2pkh"]}])
        self.certs = hflib.make_certs(self.dir)
        self.other_addr = hflib.new_key()["p2pkh"]
        print("cluster up in %.1fs (work dir %s)" % (time.time() - t0, self.dir))

    def stop(self):
        codes = {"jobmaster": self.jm.stop(), "metawriter": self.mw.stop()}
        self.redis.proc.stop()
        self.node.stop()
        return codes

    # -- services ---------------------------------------------------------------
    def gateway(self, name, gateway_id, agents=AGENTS, vardiff=FIXED, **keys):
        """A gateway with accounting (metawriter, flush every second) and an
        agent port (.ag_port) that lists agents; running, agent port open."""
        ag_port = hflib.free_port()
        gw = hflib.gateway(
            self.dir, self.jm.gw_port, name=name, gateway_id=gateway_id, host=name,
            start=False, vardiff=vardiff,
            meta={"addr": addr(self.mw.port), "coin": COIN,
                  "spool_dir": os.path.join(self.dir, "spool-" + name), "flush_interval": 1},
            agents={"bind": addr(ag_port),
                    "tls": {"cert_file": self.certs["gateway"][0],
                            "key_file": self.certs["gateway"][1]},
                    "list": agents}, **keys)
        gw.ag_port = ag_port
        self.start_gateway(gw)
        return gw

    @staticmethod
    def start_gateway(gw):
        gw.start()
        hflib.wait_for(lambda: gw.listens(gw.ag_port), 20, what="%s agent port" % gw.name)

    def agent(self, name, agent_id, gw_ports, secret=None, vardiff=FIXED, wait_up=True,
              heartbeat=HEARTBEAT, **keys):
        """A mineragent named name (also its accounting host) for the agent
        ports gw_ports, with the gateways' heartbeat (test_3b is about other
        values); with wait_up, returns once it said HELLO and its farm port
        listens."""
        keys = hflib.merged({"upstream": {"heartbeat": heartbeat}}, keys)
        ag = hflib.mineragent(self.dir, gw_ports, agent_id, secret or SECRETS[agent_id],
                              self.certs["ca"], name=name, host=name, vardiff=vardiff, **keys)
        if wait_up:
            hflib.wait_for(lambda: self.status(ag)["upstream"]["up"] and ag.listens(ag.st_port),
                           30, step=0.1, what="%s up with its farm port" % name)
        return ag

    def hfminer(self, port, user, name, users=2, workers=2, conns=4, rate=50, shares=None,
                duration=None):
        args = ["--url", "stratum+tcp://127.0.0.1:%d" % port, "--user", user,
                "--users", str(users), "--workers-per-user", str(workers),
                "--connections", str(conns), "--rate", str(rate), "--pipeline", "4",
                "--connect-timeout", "30", "--json", "--progress", "1"]
        if shares is not None:
            args += ["--shares", str(shares)]
        if duration is not None:
            args += ["--duration", str(duration)]
        return hflib.start_bin("hfminer", args, self.dir, log=name + ".out")

    @staticmethod
    def status(svc):
        return hflib.http_json(svc.http_port, "/status")

    # -- Redis --------------------------------------------------------------------
    def sums(self, names):
        """{"user.worker": (s, p, reject)} summed over the minute fields."""
        out = {}
        for name in names:
            who = name.replace(".", ":", 1)
            out[name] = (sum(redis_hash(self.redis, "%s:s:%s" % (COIN, who)).values()),
                         sum(redis_hash(self.redis, "%s:p:%s" % (COIN, who)).values()),
                         sum(redis_hash(self.redis, "%s:s:%s:reject" % (COIN, who)).values()))
        return out

    def key_sum(self, key):
        return sum(redis_hash(self.redis, key).values())


class TlsAgent:
    """A hand-made agent link: TLS (the gateway's certificate verified), the
    challenge answered with HMAC-SHA256(secret, challenge || id) as
    docs/protocol.md says, then plain requests, one at a time."""

    def __init__(self, port, ca, agent_id, secret):
        ctx = ssl.create_default_context(cafile=ca)
        self.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                                    server_hostname="127.0.0.1")
        self.seq = self.req = 0
        self.pushes = []
        first = hfrpc.read_frame(self.sock)
        assert (first.type, first.command) == (hfrpc.T_PUSH, 0x00A1), first
        mac = hmac.new(secret.encode(), bytes.fromhex(first.json()["challenge"]) +
                       agent_id.encode(), hashlib.sha256).hexdigest()
        self.auth = self.call(0x00A2, {"v": 1, "agent": agent_id, "mac": mac})

    def call(self, command, obj):
        """(status, body as JSON) of the reply; pushes on the way are kept."""
        self.seq += 1
        self.req += 1
        self.sock.sendall(hfrpc.pack_frame(hfrpc.T_REQUEST, command, self.seq, self.req,
                                           json.dumps(obj).encode()))
        while True:
            f = hfrpc.read_frame(self.sock)
            if f.type == hfrpc.T_REPLY and f.req_id == self.req:
                return f.status, f.json()
            if f.type == hfrpc.T_PUSH:
                self.pushes.append(f)

    def close(self):
        self.sock.close()


def want_of(summary):
    """hfminer's per-worker verdicts as Cluster.sums() shapes them."""
    return {n: (float(w["accepted"]), w["diff_accepted"], float(w["rejected"]))
            for n, w in summary["per_worker"].items()}


def setUpModule():
    global CL
    if not hflib.have_bins("jobmaster", "gateway", "mineragent", "hfminer", "metawriter"):
        raise AssertionError("build the binaries first (make; make BUILD=asan)")
    CL = Cluster()


def tearDownModule():
    if CL is not None:
        codes = CL.stop()
        bad = {k: v for k, v in codes.items() if v != 0}
        if bad:
            raise AssertionError("exit codes on SIGTERM: %r" % bad)


class Base(unittest.TestCase):

    def setUp(self):
        self.t_start = time.time()
        self.services = []

    def tearDown(self):
        print("  [%s took %.1fs]" % (self._testMethodName, time.time() - self.t_start))

    def track(self, *svcs):
        for s in svcs:
            self.services.append(s)
            self.addCleanup(self._stop_quietly, s)
        return svcs[0] if len(svcs) == 1 else svcs

    @staticmethod
    def _stop_quietly(s):
        proc = getattr(s, "proc", s)
        if proc is not None and proc.alive():
            proc.stop()

    def stop_ok(self, *svcs):
        """SIGTERM; a clean exit (0: no sanitizer report, no crash) is required."""
        for s in svcs:
            rc = s.stop()
            self.assertEqual(rc, 0, "%s exited with %r on SIGTERM:\n%s\n%s" % (
                s.name, rc, s.output()[-3000:], s.log()[-2000:] if hasattr(s, "log") and
                callable(s.log) else ""))

    def wait_miners(self, *miners, timeout=180):
        def done():
            return not any(m.alive() for m in miners)
        hflib.wait_for(done, timeout, step=0.2, what="hfminer to finish")
        out = []
        for m in miners:
            self.assertEqual(m.p.returncode, 0, m.output()[-2000:])
            s = hflib.json_summary(m)
            self.assertTrue(s, "no JSON summary from hfminer: " + m.output()[-2000:])
            self.assertEqual(s["submitted"], s["accepted"] + s["rejected_total"] + s["no_reply"])
            out.append(s)
        return out

    def settle(self, want, agents=(), gateways=(), timeout=60):
        """Waits until every agent and gateway has no batch pending and Redis
        equals want; then asserts it, worker by worker, with a table."""
        def pending():
            return [CL.status(x)["meta"]["pending_batches"] for x in list(agents) + list(gateways)]

        def ok():
            return not any(pending()) and CL.sums(want) == want
        t0 = time.time()
        try:
            hflib.wait_for(ok, timeout, step=0.5, what="Redis to match hfminer")
        except TimeoutError:
            pass
        got = CL.sums(want)
        print("  Redis vs miners (settled in %.1fs):" % (time.time() - t0))
        for name in sorted(want):
            (s, p, r), (gs, gp, gr) = want[name], got[name]
            print("    %-10s accepted %5d diff %.12g rejected %4d | Redis s %5d p %.12g "
                  "reject %4d" % (name, s, p, r, gs, gp, gr))
        self.assertEqual(pending(), [0] * (len(agents) + len(gateways)), "batches pending")
        for name in want:
            self.assertEqual(got[name][0], want[name][0], name + ": s (share count)")
            self.assertEqual(got[name][1], want[name][1], name + ": p (pow)")
            self.assertEqual(got[name][2], want[name][2], name + ": reject count")
            self.assertEqual(want[name][1], want[name][0] * SHARE_DIFF, name + ": fixed diff")


class TestMinerAgent(Base):

    # -- 1 ----------------------------------------------------------------------
    def test_1_mining_through_agent(self):
        SHARES, RATE = 1200, 60
        gw = self.track(CL.gateway("gw1", 11))
        ag = self.track(CL.agent("t1farm", "farm1", [gw.ag_port]))
        nb0 = CL.redis.cmd("LLEN", "newblock")
        farm_tcp, up_tcp = hflib.TcpCounter(ag.st_port), hflib.TcpCounter(gw.ag_port)
        st0 = CL.status(ag)
        t0 = time.time()
        via_agent = self.track(CL.hfminer(ag.st_port, "t1a%u.w%w", "t1-hfminer-agent",
                                          shares=SHARES, rate=RATE))
        direct = self.track(CL.hfminer(gw.st_port, "t1d%u.w%w", "t1-hfminer-direct",
                                       shares=SHARES, rate=RATE))
        sa, sd = self.wait_miners(via_agent, direct)
        elapsed = time.time() - t0
        for name, s in (("via agent", sa), ("direct", sd)):
            print("  hfminer %s: submitted %d accepted %d rejected %s no_reply %d in %.1fs" % (
                name, s["submitted"], s["accepted"], s["rejected"], s["no_reply"],
                s["elapsed_s"]))
            self.assertEqual(s["submitted"], SHARES)
            self.assertEqual(s["no_reply"], 0)
            self.assertEqual(len(s["per_worker"]), 4)
            self.assertGreater(s["accepted"], SHARES // 2)
        self.assertTrue(all(n.startswith("t1a") for n in sa["per_worker"]))
        want = want_of(sa)
        want.update(want_of(sd))
        self.settle(want, agents=[ag], gateways=[gw])
        farm_tcp.stop()
        up_tcp.stop()

        st = CL.status(ag)
        up, farm = st["upstream"], st["farm"]
        blocks = up["blocks"]
        print("  agent blocks: %s" % blocks)
        self.assertGreater(blocks["accepted"], 0, "no block through the agent was accepted")
        self.assertEqual((blocks["lost"], blocks["queued"]), (0, 0))
        self.assertEqual(blocks["found"], sa["blocks_accepted"],
                         "every accepted share is a block candidate on regtest")
        self.assertEqual(blocks["found"], blocks["sent"] + blocks["skipped"])
        self.assertEqual(farm["shares"]["accepted"], sa["accepted"])
        self.assertEqual(farm["shares"]["accepted_diff"],
                         sum(w["diff_accepted"] for w in sa["per_worker"].values()))
        self.assertEqual(sum(farm["shares"]["rejected"].values()), sa["rejected_total"])
        self.assertEqual({k: v for k, v in farm["shares"]["rejected"].items() if v},
                         {k: v for k, v in sa["rejected"].items() if v})
        self.assertEqual(st["meta"]["refused_shares"], 0)
        self.assertEqual((up["up"], up["failovers"], up["extranonce1"]), (True, 0, "ff000001"))
        # The agent's own host keys: every share it took, every block it got in.
        self.assertEqual(CL.key_sum("%s:mh:t1farm:share" % COIN), sa["accepted"])

        # Every block of an agent user in `newblock`: known to the node, its
        # coinbase carries the agent's extranonce1; one entry per accepted block.
        entries = [json.loads(e) for e in CL.redis.cmd("LRANGE", "newblock", nb0, -1)]
        mine = [e for e in entries if e["user"].startswith("t1a")]
        hashes = [e["hash"] for e in mine]
        self.assertEqual(len(hashes), blocks["accepted"], "newblock entries of agent users")
        self.assertEqual(len(set(hashes)), len(hashes), "a block reported twice")
        main = 0
        for h in hashes:
            blk = CL.node.rpc("getblock", h, True, True)    # raises if the node lacks it
            self.assertEqual(blk["hash"], h)
            self.assertIn("ff000001", blk["tx"][0]["vin"][0]["coinbase"], h)
            main += CL.node.rpc("getblockhash", blk["height"]) == h
        direct_blocks = [e for e in entries if e["user"].startswith("t1d")]
        print("  newblock: %d agent blocks (%d on the main chain), %d direct blocks; "
              "node height %d" % (len(hashes), main, len(direct_blocks),
                                  CL.node.rpc("getblockcount")))
        self.assertGreater(main, 0)
        self.assertEqual(CL.key_sum("%s:mh:t1farm:block" % COIN), blocks["accepted"])

        # Figures: what crossed the farm port vs the upstream link.
        d_out, d_in = up["bytes_out"] - st0["upstream"]["bytes_out"], \
            up["bytes_in"] - st0["upstream"]["bytes_in"]
        print("  bytes in %.1fs: hfminer -> agent %d (agent -> hfminer %d) over %d "
              "connections; agent -> gateway on the wire (TLS) %d, gateway -> agent %d; "
              "agent /status bytes_out +%d bytes_in +%d (%d blocks sent, %d batches acked)" % (
                  elapsed, farm_tcp.sent(), farm_tcp.received(), farm_tcp.connections(),
                  up_tcp.sent(), up_tcp.received(), d_out, d_in, blocks["sent"],
                  st["meta"]["acked_batches"]))
        self.assertEqual(farm_tcp.connections(), 4)
        _, metrics = hflib.http_get(ag.http_port, "/metrics")
        self.assertIn(b"hf_mineragent_upstream_up 1", metrics)
        self.assertIn(b"hf_mineragent_upstream_bytes_out_total ", metrics)
        self.stop_ok(ag, gw)

    # -- 2 ----------------------------------------------------------------------
    def test_2_upstream_cut(self):
        RATE, DURATION = 30, 85
        gw = self.track(CL.gateway("gw2", 12))
        ag = self.track(CL.agent("t2farm", "farm1", [gw.ag_port]))
        miner = self.track(CL.hfminer(ag.st_port, "t2a%u.w%w", "t2-hfminer", rate=RATE,
                                      duration=DURATION))
        t0 = time.time()

        def prog():
            p = hflib.hfminer_progress(miner)
            return p or {"accepted": 0, "submitted": 0, "ready": 0}
        hflib.wait_for(lambda: prog()["accepted"] >= RATE * 5, 40, step=0.2,
                       what="hfminer mining through the agent")
        before = prog()
        links0 = CL.status(ag)["upstream"]["links_up"]
        gw.kill9()
        t_kill = time.time()
        hflib.wait_for(lambda: not CL.status(ag)["upstream"]["up"], 10, step=0.05,
                       what="the agent to notice the gateway is gone")
        t_down = time.time() - t_kill
        at_down = prog()
        max_pending = max_spool = 0
        ups, samples = [], []
        while time.time() < t_kill + CUT:
            self.assertTrue(miner.alive(), "hfminer ended during the cut: " +
                            miner.output()[-2000:])
            self.assertTrue(ag.alive(), "the agent died during the cut: " + ag.output()[-2000:])
            st = CL.status(ag)
            ups.append(st["upstream"]["up"])
            max_pending = max(max_pending, st["meta"]["pending_batches"])
            max_spool = max(max_spool, st["meta"]["spooled_bytes"])
            samples.append((time.time() - t_kill, prog()["accepted"],
                            st["farm"]["shares"]["accepted"], st["farm"]["connections"]))
            time.sleep(1.0)
        self.assertFalse(hflib.listening(gw.ag_port), "something else took the agent port")
        end_cut = prog()
        grown = end_cut["accepted"] - at_down["accepted"]
        cut_len = time.time() - t_kill - t_down
        print("  gateway killed at %.1fs (hfminer accepted %d); agent down after %.2fs; "
              "during the %.0fs cut hfminer got %d more accepted (%.1f/s), the agent's farm "
              "%d; pending batches up to %d, spool up to %d bytes" % (
                  t_kill - t0, before["accepted"], t_down, cut_len, grown, grown / cut_len,
                  samples[-1][2] - samples[0][2], max_pending, max_spool))
        self.assertEqual(set(ups), {False}, "upstream.up during the cut")
        self.assertGreater(max_pending, 0, "no batch waited for the gateway")
        self.assertGreater(max_spool, 0)
        self.assertGreaterEqual(grown, RATE * (CUT - 5) * 0.6,
                                "the farm did not keep accepting shares: %s" % samples)
        self.assertEqual({s[3] for s in samples}, {4}, "miners were dropped during the cut")

        Cluster.start_gateway(gw)
        t_back = time.time()
        hflib.wait_for(lambda: CL.status(ag)["upstream"]["up"], 30, step=0.05,
                       what="the agent back on the restarted gateway")
        self.assertEqual(CL.status(ag)["upstream"]["links_up"], links0 + 1)
        print("  gateway back after %.1fs; the agent up again %.2fs later" % (
            t_back - t_kill, time.time() - t_back))
        s, = self.wait_miners(miner)
        print("  hfminer: submitted %d accepted %d rejected %s no_reply %d connects %d "
              "disconnects %d" % (s["submitted"], s["accepted"], s["rejected"],
                                  s["no_reply"], s["connects"], s["disconnects"]))
        self.assertEqual(s["no_reply"], 0)
        self.assertEqual((s["connects"], s["disconnects"]), (4, 0))
        self.settle(want_of(s), agents=[ag], gateways=[gw], timeout=90)
        st = CL.status(ag)
        print("  agent after: upstream %s meta %s" % (
            {k: st["upstream"][k] for k in ("links_up", "failovers", "blocks", "bytes_out",
                                            "bytes_in")}, st["meta"]))
        self.assertEqual(st["upstream"]["extranonce1"], "ff000001")
        self.assertEqual((st["meta"]["pending_batches"], st["meta"]["spooled_bytes"]), (0, 0))
        self.assertEqual(st["farm"]["shares"]["accepted"], s["accepted"])
        self.assertEqual(st["upstream"]["blocks"]["lost"], 0)
        self.assertEqual(st["upstream"]["blocks"]["queued"], 0)
        self.assertEqual(len([f for f in os.listdir(os.path.join(CL.dir, "spool-t2farm"))
                              if not f.startswith("mj-") and f != "agent.state"]), 0,
                         "spool files left")
        self.assertIn("agent up: agent=farm1", gw.log())
        self.stop_ok(ag, gw)

    # -- 3 ----------------------------------------------------------------------
    def test_3_refusals(self):
        farm3 = {"id": "farm3", "num": 3, "secret": "farm3-secret-0123456789abcdef"}
        gw = self.track(CL.gateway("gw3", 13, agents=AGENTS[:1] + [farm3]))
        good = self.track(CL.agent("t3good", "farm1", [gw.ag_port]))
        bad = self.track(CL.agent("t3badsecret", "farm1", [gw.ag_port],
                                  secret="farm1-but-not-the-right-secret", wait_up=False))
        unknown = self.track(CL.agent("t3unknown", "farm9", [gw.ag_port],
                                      secret="farm9-secret-0123456789abcdef", wait_up=False))
        gw_peer = "127.0.0.1:%d" % gw.ag_port
        hflib.wait_for(lambda: "agent auth refused by %s: bad secret" % gw_peer in bad.log() and
                       "agent auth refused by %s: unknown agent 'farm9'" % gw_peer in
                       unknown.log(), 20, step=0.1, what="both agents refused")
        # Over a few seconds (several retries) neither ever gets further.
        end = time.time() + 5
        while time.time() < end:
            for a in (bad, unknown):
                self.assertTrue(a.alive(), a.output()[-2000:])
                self.assertFalse(hflib.listening(a.st_port), "%s opened its farm port" % a.name)
                up = CL.status(a)["upstream"]
                self.assertEqual((up["up"], up["links_up"], up["extranonce1"], up["jobs"]),
                                 (False, 0, "", 0), a.name)
                self.assertIsNone(CL.status(a)["farm"])
            time.sleep(0.25)
        gwlog = gw.log()
        refusals = [ln for ln in gwlog.splitlines() if "agent auth refused" in ln]
        kinds = sorted({re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", ln.split("] ", 1)[-1])
                        for ln in refusals})
        print("  gateway refusal lines: %d, of these kinds:\n    %s" % (
            len(refusals), "\n    ".join(kinds)))
        for a in (bad, unknown):
            self.assertGreaterEqual(a.log().count("agent auth refused by"), 2,
                                    "%s: refused once only (no retry?)" % a.name)
            self.assertNotIn("upstream up", a.log())
            self.assertNotIn("farm: Stratum on", a.log())
        self.assertIn("agent auth refused: unknown agent 'farm9'", gwlog)
        self.assertFalse([ln for ln in gwlog.splitlines() if "agent up: agent=farm9" in ln])
        self.assertNotIn("connected again", gwlog)     # no refused link replaced the good one
        # The good link is TLS 1.3, on both sides.
        self.assertRegex(gwlog, r"agent up: agent=farm1 peer=127\.0\.0\.1:\d+ TLSv1\.3")
        self.assertIn("upstream link to %s authenticated (TLSv1.3)" % gw_peer, good.log())

        # A plaintext internal-RPC client: no frame back, closed, logged.
        s = socket.create_connection(("127.0.0.1", gw.ag_port), timeout=10)
        local = s.getsockname()[1]
        s.sendall(hfrpc.pack_frame(hfrpc.T_REQUEST, hfrpc.CMD_JM_HELLO, 1, 1, b'{"v":1}'))
        got, closed = b"", False
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                closed = True
                break
            got += chunk
        s.close()
        self.assertTrue(closed, "the gateway kept a plaintext client")
        self.assertNotIn(b"HFM1", got, "a plaintext client got a frame")
        hflib.wait_for(lambda: "tls handshake with 127.0.0.1:%d failed: the peer is not "
                       "speaking TLS" % local in gw.log(), 10, what="plaintext log line")

        # A TLS client that skips authentication: the challenge, then status 4 and a close.
        ctx = ssl.create_default_context(cafile=CL.certs["ca"])
        raw = socket.create_connection(("127.0.0.1", gw.ag_port), timeout=10)
        t = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        self.assertEqual(t.version(), "TLSv1.3")
        first = hfrpc.read_frame(t)
        self.assertEqual((first.type, first.command), (hfrpc.T_PUSH, 0x00A1), first)
        self.assertEqual(len(first.json()["challenge"]), 64)
        t.sendall(hfrpc.pack_frame(hfrpc.T_REQUEST, 0x0401, 1, 1,
                                   b'{"v":1,"agent":"farm1","host":"x"}'))
        reply = hfrpc.read_frame(t)
        self.assertEqual((reply.type, reply.command, reply.status), (hfrpc.T_REPLY, 0x0401, 4))
        self.assertIn("authentication required", reply.json()["error"])
        with self.assertRaises((EOFError, ConnectionError, ssl.SSLError)):
            hfrpc.read_frame(t)
        t.close()

        # An authenticated agent (farm3, by hand) may only hand in its own
        # work: a block with farm1's extranonce1 and a batch in farm1's name
        # are refused, each with a log line naming farm3.
        ta = TlsAgent(gw.ag_port, CL.certs["ca"], "farm3", farm3["secret"])
        self.addCleanup(ta.close)
        self.assertEqual(ta.auth, (0, {"v": 1, "agent": "farm3"}))
        st, hello = ta.call(0x0401, {"v": 1, "agent": "farm3", "host": "by-hand"})
        self.assertEqual((st, hello["extranonce1"], hello["extranonce2_size"],
                          hello["gateway_id"]), (0, "ff000003", 8, 13))
        st, body = ta.call(hfrpc.CMD_JM_BLOCK_FOUND, {
            "v": 1, "job_id": "0", "extranonce1": "ff000001", "extranonce2": "00" * 8,
            "ntime": "00000000", "nonce": "00000000", "version": "20000000",
            "hash": "00" * 32, "user": "mallory", "worker": "x"})
        self.assertEqual((st, body["error"]), (2, "extranonce1 is not this agent's"))
        st, body = ta.call(hfrpc.CMD_MW_BATCH, {
            "v": 1, "source": "ag-farm1", "epoch": "0123456789abcdef", "seq": 1,
            "coin": COIN, "coin_name": "BTC", "host": "by-hand", "time": int(time.time()),
            "shares": [{"t": int(time.time()) // 60 * 60, "user": "mallory", "worker": "x",
                        "s": 100, "p": 100.0, "g": 1.0}], "system": [], "events": []})
        self.assertEqual(st, 2, body)
        self.assertIn("'ag-farm1' is not this agent's ('ag-farm3')", body["error"])
        ta.close()
        gwlog = gw.log()
        self.assertIn("agent block refused: agent=farm3", gwlog)
        self.assertRegex(gwlog, r"agent batch \S+ refused: agent=farm3 .*'ag-farm1'")
        self.assertEqual(CL.key_sum("%s:s:mallory:x" % COIN), 0)

        good_up = CL.status(good)["upstream"]
        good_downs = [ln.split("] ", 1)[-1] for ln in good.log().splitlines()
                      if "upstream down" in ln]
        gw_ups = gw.log().count("agent up: agent=farm1")
        self.stop_ok(bad, unknown, good, gw)
        # Last, both reported together (everything above holds either way):
        problems = []
        # 1. The good agent kept its one link all along (~10 s of an idle
        #    gateway): the refused agents (one of them with its id) did not
        #    take it down.
        if (good_up["up"], good_up["links_up"], gw_ups, good_downs) != (True, 1, 1, []):
            problems.append("the good agent's link went down and up again: links_up %d, "
                            "'agent up' lines on the gateway %d, the agent's down lines:\n    %s"
                            % (good_up["links_up"], gw_ups, "\n    ".join(good_downs)))
        # 2. The gateway's line about a wrong secret says which agent it was, as
        #    the one about an unknown agent does ("rpc link 127.0.0.1:60552: agent
        #    auth refused: bad secret" leaves the operator guessing which farm
        #    holds a wrong secret).
        if not [ln for ln in refusals if "bad secret" in ln and "farm1" in ln]:
            problems.append("no gateway log line names the agent refused for a bad secret:\n"
                            "    %s" % "\n    ".join(ln for ln in refusals if "bad secret" in ln))
        if problems:
            self.fail("\n".join(problems))

    def test_3b_idle_link_heartbeats(self):
        """A link that carries nothing but heartbeats stays up, whatever
        upstream.heartbeat the agent has (ma_config.h: any 0.1..600 s; the
        gateway's agent port sends one every 2 s and has no such key)."""
        WINDOW = 14.0     # > 6 s of gateway silence for the 8 s agent, even after a batch
        dead_jm = hflib.free_port()     # nothing listens there: no job ever comes
        gw = self.track(CL.gateway("gw3b", 18, jobmaster={"addr": addr(dead_jm)}))
        fast = self.track(CL.agent("t3bfast", "farm1", [gw.ag_port], heartbeat=0.5))
        slow = self.track(CL.agent("t3bslow", "farm2", [gw.ag_port], heartbeat=8))
        time.sleep(WINDOW)
        res = {}
        for a in (fast, slow):
            up = CL.status(a)["upstream"]
            downs = [ln.split("] ", 1)[-1] for ln in a.log().splitlines() if "upstream down" in ln]
            res[a.name] = (up["up"], up["links_up"], downs)
        gw_downs = [ln.split("] ", 1)[-1] for ln in gw.log().splitlines()
                    if "agent down" in ln or "heartbeat timeout" in ln]
        self.stop_ok(fast, slow, gw)
        print("  over %.0fs without a job: heartbeat 0.5 s -> up %s, %d links; heartbeat 8 s "
              "-> up %s, %d links" % (WINDOW, res["t3bfast"][0], res["t3bfast"][1],
                                      res["t3bslow"][0], res["t3bslow"][1]))
        problems = ["%s: the idle link went down %d times (%d links):\n  %s" % (
            name, len(downs), links, "\n  ".join(downs[:2]))
            for name, (is_up, links, downs) in sorted(res.items()) if links != 1 or downs]
        if problems:
            self.fail("\n".join(problems) + "\ngateway:\n  " + "\n  ".join(gw_downs[:6]))

    # -- 4 ----------------------------------------------------------------------
    def test_4_extranonce_unique(self):
        N = 20
        GW_ID = 14
        gw = self.track(CL.gateway("gw4", GW_ID))
        a1 = self.track(CL.agent("t4farm1", "farm1", [gw.ag_port]))
        a2 = self.track(CL.agent("t4farm2", "farm2", [gw.ag_port]))
        self.assertEqual(CL.status(a1)["upstream"]["extranonce1"], "ff000001")
        self.assertEqual(CL.status(a2)["upstream"]["extranonce1"], "ff000002")
        sessions = []      # (kind, Client)

        def open_sessions(kind, port, n):
            for _ in range(n):
                c = Client(port)
                self.addCleanup(c.close)
                r = c.subscribe()
                self.assertIsNone(r["error"], r)
                sessions.append((kind, c))
        open_sessions("farm1", a1.st_port, N)
        open_sessions("farm2", a2.st_port, N)
        open_sessions("gateway", gw.st_port, N)

        def check(live):
            for kind, c in live:
                en1, n2 = c.extranonce1, c.extranonce2_size
                self.assertEqual(len(en1) // 2 + n2, 12, (kind, en1, n2))
                if kind == "gateway":
                    self.assertEqual((len(en1), n2), (8, 8), en1)
                    self.assertFalse(en1.startswith("ff"), en1)
                    self.assertEqual(int(en1[:2], 16), GW_ID, en1)
                else:
                    self.assertEqual((len(en1), n2), (16, 4), en1)
                    self.assertTrue(en1.startswith("ff00000%s" % kind[-1]), (kind, en1))
            en1s = [c.extranonce1 for _, c in live]
            self.assertEqual(len(set(en1s)), len(en1s), "an extranonce1 was handed out twice")
            # Two sessions can build the same coinbase (en1 || en2, 12 bytes)
            # exactly when one's extranonce1 is a prefix of the other's.
            for i, x in enumerate(en1s):
                for y in en1s[i + 1:]:
                    self.assertFalse(x.startswith(y) or y.startswith(x), (x, y))
        check(sessions)
        # Sessions that close free their prefix; the new ones never collide
        # with a session still open.
        for _, c in sessions[:N // 2] + sessions[N:N + N // 2]:
            c.close()
        live = sessions[N // 2:N] + sessions[N + N // 2:]
        del sessions[:]
        open_sessions("farm1", a1.st_port, N // 2)
        open_sessions("farm2", a2.st_port, N // 2)
        check(live + sessions)
        every = live + sessions
        print("  %d sessions open, e.g. farm1 %s farm2 %s gateway %s" % (
            len(every), *[[c.extranonce1 for k, c in every if k == kind][0]
                          for kind in ("farm1", "farm2", "gateway")]))
        # The two farms mine the same job: only the extranonce tells them apart.
        c1, c2 = sessions[0][1], sessions[-1][1]
        for c in (c1, c2):
            self.assertEqual(c.authorize("t4u.w0")["result"], True)
            c.wait_job()
        hflib.wait_for(lambda: c1.pump(0.1) and c2.pump(0.1) and
                       c1.job.job_id == c2.job.job_id, 15, what="the same job on both farms")
        self.assertEqual((c1.job.coinb1, c1.job.coinb2), (c2.job.coinb1, c2.job.coinb2))
        for _, c in live + sessions:
            c.close()
        self.stop_ok(a1, a2, gw)

    # -- 5 ----------------------------------------------------------------------
    def test_5_failover(self):
        RATE, DURATION = 30, 28
        gwa = self.track(CL.gateway("gw5a", 15))
        gwb = self.track(CL.gateway("gw5b", 16))
        ag = self.track(CL.agent("t5farm", "farm1", [gwa.ag_port, gwb.ag_port]))
        st = CL.status(ag)["upstream"]
        self.assertEqual((st["gateway"], st["extranonce1"]), (addr(gwa.ag_port), "ff000001"))
        c = Client(ag.st_port)
        self.addCleanup(c.close)
        c.subscribe()
        en1 = c.extranonce1
        self.assertEqual(c.authorize("t5c.w0")["result"], True)
        c.wait_job()
        miner = self.track(CL.hfminer(ag.st_port, "t5a%u.w%w", "t5-hfminer", rate=RATE,
                                      duration=DURATION))
        tally = {"accepted": 0, "rejected": 0}

        def pump_until(t):
            while time.time() < t:
                self.assertTrue(c.pump(0.1), "the agent closed the Python miner's session")

        def client_share():
            """One share of c on its latest job; True if accepted."""
            c.pump(0.05)
            share = c.mine(c.job)
            r = c.submit_share(share)
            tally["accepted" if r.get("result") is True else "rejected"] += 1
            if r.get("result") is not True:
                self.assertEqual(stratum.error_code(r), 21, r)    # a job that went stale
            return r.get("result") is True

        pump_until(time.time() + 8)
        self.assertTrue(any(client_share() for _ in range(20)), "no share accepted before")
        before = hflib.hfminer_progress(miner)
        links0 = CL.status(ag)["upstream"]["links_up"]
        gwa.kill9()
        t_kill = time.time()

        def on_b():
            c.pump(0.05)
            u = CL.status(ag)["upstream"]
            return u["up"] and u["gateway"] == addr(gwb.ag_port)
        hflib.wait_for(on_b, FAILOVER_AFTER + 10, step=0.05, what="failover to the 2nd gateway")
        dt = time.time() - t_kill
        u = CL.status(ag)["upstream"]
        print("  first gateway killed; the agent up on the second after %.2fs "
              "(failover_after %.0fs): %s" % (dt, FAILOVER_AFTER,
                                              {k: u[k] for k in ("gateway", "extranonce1",
                                                                 "links_up", "failovers")}))
        self.assertLessEqual(dt, FAILOVER_AFTER + 3)
        self.assertGreaterEqual(dt, FAILOVER_AFTER - 0.5, "failed over before failover_after")
        self.assertEqual((u["extranonce1"], u["links_up"], u["failovers"]),
                         ("ff000001", links0 + 1, 1))
        self.assertRegex(gwb.log(), r"agent hello: agent=farm1 peer=\S+ extranonce1=ff000001")
        jobs_b = CL.status(ag)["upstream"]["jobs"]
        pump_until(time.time() + 2)
        # The Python miner's session goes on: same extranonce1, no reconnect,
        # and a share on a job from the second gateway is accepted.
        self.assertGreater(CL.status(ag)["upstream"]["jobs"], jobs_b, "no job from gateway B")
        self.assertTrue(any(client_share() for _ in range(20)), "no share accepted after")
        self.assertEqual(c.extranonce1, en1)
        methods = {m["method"] for _, m in c.notes}
        self.assertNotIn("client.reconnect", methods)
        self.assertNotIn("mining.set_extranonce", methods)
        during = hflib.hfminer_progress(miner)
        self.assertEqual(CL.status(ag)["farm"]["connections"], 5)
        while miner.alive():
            pump_until(time.time() + 0.5)
        s, = self.wait_miners(miner)
        print("  hfminer: accepted %d before the kill, %d at the failover, %d in all; "
              "connects %d disconnects %d no_reply %d; Python miner accepted %d rejected %d" % (
                  before["accepted"], during["accepted"], s["accepted"], s["connects"],
                  s["disconnects"], s["no_reply"], tally["accepted"], tally["rejected"]))
        self.assertEqual((s["connects"], s["disconnects"], s["no_reply"]), (4, 0, 0))
        self.assertGreater(s["accepted"], during["accepted"] + RATE * 3)
        want = want_of(s)
        want["t5c.w0"] = (float(tally["accepted"]), tally["accepted"] * SHARE_DIFF,
                          float(tally["rejected"]))
        self.settle(want, agents=[ag], gateways=[gwb])
        self.assertEqual(CL.status(ag)["farm"]["connections"], 1)    # hfminer is gone
        c.close()
        self.stop_ok(ag, gwb)


class TestMinerAgentStratum(Base):
    """Test 6: the agent's farm port speaks Stratum V1 like the gateway's."""
    gw = ag = None
    tally = {}           # expected rejections by code, accepted shares, blocks
    WORKER = "t6u.rig1"

    @classmethod
    def setUpClass(cls):
        cls.gw = CL.gateway("gw6", 17)
        cls.ag = CL.agent("t6farm", "farm1", [cls.gw.ag_port],
                          stratum={"version_mask": "%08x" % POOL_MASK})
        cls.st0 = CL.status(cls.ag)
        cls.tally = {"20": 0, "21": 0, "22": 0, "23": 0, "24": 0, "25": 0, "accepted": 0,
                     "blocks": 0}

    @classmethod
    def tearDownClass(cls):
        codes = {}
        for s in (cls.ag, cls.gw):
            if s is not None and s.alive():
                codes[s.name] = s.stop()
        bad = {k: v for k, v in codes.items() if v != 0}
        if bad:
            raise AssertionError("exit codes on SIGTERM: %r" % bad)

    # -- helpers -----------------------------------------------------------------
    def client(self, subscribe=True, authorize=True, configure=None):
        c = Client(self.ag.st_port)
        self.addCleanup(c.close)
        if configure is not None:
            r = c.configure(configure)
            self.assertIs(r["result"]["version-rolling"], True, r)
        if subscribe:
            self.assertIsNone(c.subscribe()["error"])
        if authorize:
            self.assertEqual(c.authorize(self.WORKER)["result"], True)
        return c

    def current_job(self, c, timeout=20):
        """c's latest job once it builds on the node's tip."""
        deadline = time.time() + timeout
        while True:
            best = CL.node.rpc("getbestblockhash")
            if c.job is not None and c.job.prev_block == best:
                c.pump(0.15)
                if c.job.prev_block == CL.node.rpc("getbestblockhash"):
                    return c.job
            if time.time() > deadline:
                raise AssertionError("no job on the node's tip %s" % best)
            c.pump(0.1)

    def assert_error(self, c, mid, code, msg_part=None):
        r = c.wait_reply(mid)
        err = r.get("error")
        self.assertTrue(isinstance(err, list) and len(err) == 3, r)
        self.assertEqual((r["id"], r["result"], err[0]), (mid, None, code), r)
        if msg_part:
            self.assertIn(msg_part.lower(), err[1].lower(), r)
        self.tally[str(code)] += 1

    def submit_ok(self, c, share):
        r = c.submit_share(share)
        self.assertEqual((r["result"], r["error"]), (True, None), r)
        self.tally["accepted"] += 1

    def wait_tip(self, h):
        hflib.wait_for(lambda: CL.node.rpc("getbestblockhash") == h, 30, what="tip %s" % h)
        self.tally["blocks"] += 1

    # -- tests -------------------------------------------------------------------
    def test_10_subscribe_authorize_notify(self):
        c = Client(self.ag.st_port)
        self.addCleanup(c.close)
        r = c.call("mining.subscribe", ["hf-e2e/1.0"])
        self.assertIsNone(r["error"])
        subs, en1, n2 = r["result"]
        self.assertEqual(sorted(s[0] for s in subs), ["mining.notify", "mining.set_difficulty"])
        self.assertEqual(n2, 4)
        self.assertEqual(len(en1), 16)
        self.assertTrue(en1.startswith("ff000001"), en1)
        int(en1, 16)
        c.extranonce1, c.extranonce2_size = en1, n2
        r = c.authorize(self.WORKER)
        self.assertEqual(r, {"id": r["id"], "result": True, "error": None})
        job = c.wait_job(timeout=10)
        self.assertEqual(c.difficulty, SHARE_DIFF)
        kinds = [m["method"] for _, m in c.notes]
        self.assertLess(kinds.index("mining.set_difficulty"), kinds.index("mining.notify"))
        self.assertEqual(len(job.params), 9)
        self.assertTrue(job.clean)
        self.assertEqual(len(job.prevhash), 64)
        self.assertEqual((len(job.version), len(job.nbits), len(job.ntime)), (8, 8, 8))
        self.assertEqual(job.nbits, "207fffff")
        job = self.current_job(c)
        self.assertEqual(job.prev_block, CL.node.rpc("getbestblockhash"))

    def test_11_before_subscribe_authorize(self):
        c = self.client(subscribe=False, authorize=False)
        mid = c.request("mining.submit", [self.WORKER, "00", "00000000", "65000000", "00000000"])
        self.assert_error(c, mid, 25, "not subscribed")
        c = self.client(authorize=False)
        mid = c.request("mining.submit", [self.WORKER, "00", "00000000", "65000000", "00000000"])
        self.assert_error(c, mid, 24, "unauthorized")
        c.authorize(self.WORKER)
        job = c.wait_job()
        mid = c.request("mining.submit", ["mallory.rig9", job.job_id, "00000000", job.ntime,
                                          "00000000"])
        self.assert_error(c, mid, 24, "unauthorized")

    def test_12_unknown_job(self):
        c = self.client()
        job = c.wait_job()
        mid = c.request("mining.submit", [self.WORKER, "ffffffffffff0bad", "00000000",
                                          job.ntime, "00000000"])
        self.assert_error(c, mid, 21, "job not found")

    def test_13_extranonce2_size(self):
        c = self.client()
        job = self.current_job(c)
        # 3 and 5 bytes, and the gateway's own 8: only the farm's 4 is right.
        for en2 in ("00" * 3, "00" * 5, "00" * 8):
            mid = c.request("mining.submit", [self.WORKER, job.job_id, en2, job.ntime,
                                              "00000000"])
            self.assert_error(c, mid, 20, "extranonce2")

    def test_14_ntime(self):
        c = self.client()
        job = self.current_job(c)
        # Past job+7200, and before the job's min_time (the node's median time
        # past + 1, at least the 2011 genesis time; a fresh regtest chain's
        # MTP is that old, so job.ntime - 86400 would still be valid).
        for ntime in (job.ntime_int + 7201, 1):
            share = c.mine(job, ntime=ntime)      # a real proof of work, wrong time
            mid = c.request("mining.submit", share.params(self.WORKER))
            self.assert_error(c, mid, 20, "ntime")

    def test_15_version_bits(self):
        c = self.client()
        job = self.current_job(c)
        mid = c.request("mining.submit", [self.WORKER, job.job_id, c.en2(1), job.ntime,
                                          "00000000", "00002000"])
        self.assert_error(c, mid, 20, "version")
        c2 = self.client(configure=0xFFFFFFFF)
        self.assertEqual(c2.version_mask, POOL_MASK)
        job = self.current_job(c2)
        for bits in (0x00000001, 0x20000000 | 0x2000, 0x00001000):
            mid = c2.request("mining.submit", [self.WORKER, job.job_id, c2.en2(1), job.ntime,
                                               "00000000", "%08x" % bits])
            self.assert_error(c2, mid, 20, "version")

    def test_16_configure(self):
        c = Client(self.ag.st_port)
        self.addCleanup(c.close)
        r = c.configure(0x00FFF000)
        self.assertEqual((r["error"], r["result"]["version-rolling"]), (None, True))
        self.assertEqual(r["result"]["version-rolling.mask"], "%08x" % (POOL_MASK & 0x00FFF000))
        r = c.call("mining.configure", [["version-rolling"], {
            "version-rolling.mask": "00001fff", "version-rolling.min-bit-count": 2}])
        self.assertIs(r["result"]["version-rolling"], False, r)

    def test_17_low_difficulty(self):
        c = self.client()
        job = self.current_job(c)
        tgt = stratum.target_for(c.difficulty)
        share = c.mine(job, accept=lambda v: v > tgt and v > NET_TARGET_REGTEST)
        mid = c.request("mining.submit", share.params(self.WORKER))
        self.assert_error(c, mid, 23, "low difficulty")

    def test_18_accepted_block_and_duplicate(self):
        c = self.client()
        job = self.current_job(c)
        best = CL.node.rpc("getbestblockhash")
        share = c.mine(job, en2=c.en2(0x7E57))
        line = json.dumps({"id": 901, "method": "mining.submit",
                           "params": share.params(self.WORKER)}) + "\n"
        c.send_raw((line + line.replace('"id": 901', '"id": 902')).encode())
        self.assertEqual(c.wait_reply(901), {"id": 901, "result": True, "error": None})
        self.tally["accepted"] += 1
        self.assert_error(c, 902, 22, "duplicate")
        # A block: the node takes it through agent -> gateway -> jobmaster.
        self.wait_tip(share.block_hash)
        blk = CL.node.rpc("getblock", share.block_hash, True, True)
        self.assertEqual(blk["previousblockhash"], best)
        self.assertIn(c.extranonce1 + c.en2(0x7E57), blk["tx"][0]["vin"][0]["coinbase"])

    def test_19_stale(self):
        c = self.client()
        old = self.current_job(c)
        share = c.mine(old)
        h = CL.node.rpc("generatetoaddress", 1, CL.other_addr)[0]
        new = c.wait_new_job(old, clean=True, timeout=20)
        self.assertEqual(new.prev_block, h)
        mid = c.request("mining.submit", share.params(self.WORKER))
        self.assert_error(c, mid, 21, "stale")
        self.assertEqual(CL.node.rpc("getbestblockhash"), h)

    def test_20_version_rolled_block(self):
        c = self.client(configure=POOL_MASK)
        job = self.current_job(c)
        share = c.mine(job, rolled_bits=0x00ABE000 & POOL_MASK)
        self.submit_ok(c, share)
        self.wait_tip(share.block_hash)
        blk = CL.node.rpc("getblock", share.block_hash, True, True)
        self.assertEqual(blk["version"] & POOL_MASK, 0x00ABE000 & POOL_MASK)
        self.assertEqual(blk["version"], share.version)

    def test_21_batches_in_bytes_out(self):
        """/status upstream.bytes_out counts every frame but heartbeats
        (ma_upstream.h), so the accounting batches too: rejected shares make
        batches and no block; the bytes must grow with the batches."""
        c = self.client()
        st0 = CL.status(self.ag)
        job = self.current_job(c)
        tgt = stratum.target_for(c.difficulty)
        for i in range(3):
            share = c.mine(job, en2=c.en2(0x100 + i),
                           accept=lambda v: v > tgt and v > NET_TARGET_REGTEST)
            mid = c.request("mining.submit", share.params(self.WORKER))
            self.assert_error(c, mid, 23, "low difficulty")
        hflib.wait_for(lambda: CL.status(self.ag)["meta"]["acked_batches"] >
                       st0["meta"]["acked_batches"] and
                       CL.status(self.ag)["meta"]["pending_batches"] == 0, 20, step=0.1,
                       what="a batch acknowledged")
        st = CL.status(self.ag)
        d_acked = st["meta"]["acked_batches"] - st0["meta"]["acked_batches"]
        d_out = st["upstream"]["bytes_out"] - st0["upstream"]["bytes_out"]
        d_in = st["upstream"]["bytes_in"] - st0["upstream"]["bytes_in"]
        print("  %d batches acknowledged, no block: upstream bytes_out +%d, bytes_in +%d" % (
            d_acked, d_out, d_in))
        self.assertEqual(st["upstream"]["blocks"]["sent"], st0["upstream"]["blocks"]["sent"])
        self.assertEqual(st["upstream"]["links_up"], st0["upstream"]["links_up"])
        # Each batch is at least a 32-byte header and a 32-byte body, each way.
        self.assertEqual((d_out >= 64 * d_acked, d_in >= 32 * d_acked), (True, True),
                         "batches missing from /status: %d acknowledged, bytes_out +%d, "
                         "bytes_in +%d" % (d_acked, d_out, d_in))

    def test_99_counters(self):
        """The agent counted exactly what this class sent (run after the rest)."""
        st = CL.status(self.ag)
        rej0 = self.st0["farm"]["shares"]["rejected"]
        rej = {k: v - rej0[k] for k, v in st["farm"]["shares"]["rejected"].items()}
        want = {k: v for k, v in self.tally.items() if k.isdigit()}
        print("  rejections by code: %s (sent %s); accepted %d, blocks %s" % (
            rej, want, st["farm"]["shares"]["accepted"], st["upstream"]["blocks"]))
        self.assertEqual(rej, want)
        self.assertEqual(st["farm"]["shares"]["accepted"], self.tally["accepted"])
        self.assertEqual(st["upstream"]["blocks"]["accepted"], self.tally["blocks"])
        self.assertEqual(st["farm"]["parse_errors"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
