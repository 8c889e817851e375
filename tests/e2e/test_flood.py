"""End-to-end test: honest miners keep their share rate while the gateway is
under attack, and nothing the attackers send grows state or fills the disk.

One gateway (2 worker processes, bans and per-IP limits on, accounting to
metawriter -> Redis) fed by a scripted jobmaster speaking the real internal
RPC (the bench's FakeJobmaster: a mainnet-like job, so no share is a block
and the share rate is steady). An honest load (`hfminer --load`, 4
sessions, paced at HONEST_RATE submits/s, 16 in flight each) runs twice for
the same time: once on a quiet gateway, once while an attacker process
(this file with --attack) from other loopback addresses holds:

  slowloris   10,000 connections from 20 addresses that send half a request
              line and nothing more; the gateway closes them at the
              subscribe timeout (30 s, so during the honest run) and they
              come back (rate-limited per IP);
  junk        connections from 10 addresses sending lines that are not JSON,
              unknown methods and invalid worker names, reconnecting when
              closed;
  invalid     sessions from 200 addresses that subscribe, authorize made-up
              names and pipeline invalid submits (made-up job ids, bad
              nonces), reconnecting when closed.

Asserted: the honest accepted-share rate under attack is within 5% of the
quiet rate, with no submit left unanswered; attackers were banned and
refused (bans_active, refused); the gateway's log grew by a bounded number
of lines (rate-limited summaries, not a line per junk line or share); Redis
holds keys and events of the honest names only (a name costs accounting
only once it has an accepted share), with the exact accepted counts; the
gateway's memory after the attack is within a bound. The figures are
printed.
"""
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

HONEST_RATE = 400          # submits per second over 4 sessions
PHASE = 20                 # seconds per honest run
SLOW_IPS, SLOW_PER_IP = 20, 500
JUNK_IPS = 10
INVALID_IPS = 200


# ---- the attacker process --------------------------------------------------------------
async def _slowloris(ip, port, n, stats, stop):
    async def one():
        while not stop.is_set():
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(ip, 0))
            except OSError:
                stats["connect_failed"] += 1
                await asyncio.sleep(0.5)
                continue
            stats["slow_open"] += 1
            try:
                w.write(b'{"id":1,"method":"mining.subscr')
                await r.read()          # until the gateway closes it
            except OSError:
                pass
            stats["slow_open"] -= 1
            stats["slow_closed"] += 1
            w.close()
            await asyncio.sleep(0.2)
    await asyncio.gather(*[one() for _ in range(n)])


async def _session(ip, port, payload, stats, key, stop):
    """Connects from ip, sends payload, reads until closed; repeats."""
    while not stop.is_set():
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(ip, 0))
        except OSError:
            stats["connect_failed"] += 1
            await asyncio.sleep(0.2)
            continue
        try:
            w.write(payload)
            got = 0
            while True:
                data = await r.read(65536)
                if not data:
                    break
                got += len(data)
            stats[key] += 1
            if got == 0:
                stats["refused"] += 1   # closed before any answer: banned or limited
        except OSError:
            pass
        w.close()
        await asyncio.sleep(0.05)


def _junk_payload():
    lines = []
    for i in range(40):
        lines.append(b"GET / HTTP/1.1 " + str(i).encode())
        lines.append(b'{"id":%d,"method":"mining.nosuch","params":[]}' % i)
        lines.append(b'{"id":%d,"method":"mining.authorize","params":["bad name!%d","x"]}'
                     % (i, i))
    return b"\n".join(lines) + b"\n"


def _invalid_payload(n):
    lines = [b'{"id":1,"method":"mining.subscribe","params":["evil/1"]}',
             b'{"id":2,"method":"mining.authorize","params":["evil%d.w1","x"]}' % n]
    for i in range(400):
        job = b"%016x" % (0xdead0000 + i)
        lines.append(b'{"id":%d,"method":"mining.submit","params":["evil%d.w1","%s",'
                     b'"0000000000000000","5f5e1000","%08x"]}' % (i + 3, n, job, i))
    return b"\n".join(lines) + b"\n"


async def _attack(port, seconds):
    stats = {k: 0 for k in ("slow_open", "slow_closed", "junk_sessions", "invalid_sessions",
                            "refused", "connect_failed")}
    stop = asyncio.Event()
    tasks = []
    for i in range(SLOW_IPS):
        tasks.append(_slowloris("127.0.3.%d" % (i + 1), port, SLOW_PER_IP, stats, stop))
    junk = _junk_payload()
    for i in range(JUNK_IPS):
        tasks.append(_session("127.0.4.%d" % (i + 1), port, junk, stats, "junk_sessions", stop))
    for i in range(INVALID_IPS):
        tasks.append(_session("127.0.5.%d" % (i + 1), port, _invalid_payload(i), stats,
                              "invalid_sessions", stop))
    run = asyncio.ensure_future(asyncio.gather(*tasks))
    t0 = time.time()
    while time.time() - t0 < seconds and sys.stdin.readable():
        await asyncio.sleep(1.0)
        print("progress " + json.dumps(stats), flush=True)
        if stats["slow_open"] >= SLOW_IPS * SLOW_PER_IP * 0.95:
            print("ready", flush=True)
    stop.set()
    run.cancel()
    print("done " + json.dumps(stats), flush=True)


def attacker_main(port, seconds):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        asyncio.run(_attack(port, seconds))
    except asyncio.CancelledError:
        pass


if __name__ == "__main__" and sys.argv[1:2] == ["--attack"]:
    attacker_main(int(sys.argv[2]), float(sys.argv[3]))
    sys.exit(0)

# ---- the test ----------------------------------------------------------------------------
import hflib  # noqa: E402
import bench_gateway as bg  # noqa: E402  (FakeJobmaster, make_job, rss_bytes, raise_nofile)

SHARE_DIFF = 1e-9


class FloodTest(unittest.TestCase):
    def setUp(self):
        self.dir = hflib.tmpdir("flood")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            try:
                p.kill()
                p.wait(10)
            except OSError:
                pass

    def honest_run(self, gw, tag):
        miner = hflib.start_bin("hfminer", [
            "--url", "stratum+tcp://127.0.0.1:%d" % gw.st_port, "--user", "honest.w%w",
            "--workers-per-user", "4", "--connections", "4", "--rate", str(HONEST_RATE),
            "--pipeline", "16", "--duration", str(PHASE), "--json", "--quiet"],
            self.dir, log="hfminer-%s.out" % tag)
        hflib.wait_for(lambda: not miner.alive(), PHASE + 60, step=0.5,
                       what="hfminer (%s) to end" % tag)
        s = hflib.json_summary(miner)
        self.assertTrue(s, "no summary from hfminer: " + miner.output()[-2000:])
        return s

    def test_honest_rate_under_attack(self):
        bg.raise_nofile()
        redis = hflib.Redis(self.dir)
        mw = hflib.metawriter(self.dir, redis.port, "btc")
        jm = bg.FakeJobmaster()
        jm.push(bg.make_job("%016x" % 1, 900000))
        gw = hflib.gateway(
            self.dir, jm.port, gateway_id=5, level="info", host="gw-flood",
            workers=2,
            stratum={"subscribe_timeout": 30, "idle_timeout": 600, "max_connections": 20000},
            vardiff={"start": SHARE_DIFF, "min": SHARE_DIFF, "max": SHARE_DIFF, "target": 10,
                     "retarget": 60},
            ban={"enabled": True, "window": 60, "invalid_shares": 200, "junk_lines": 20,
                 "seconds": 600, "connections_per_ip": 600, "connect_rate_per_ip": 50,
                 "connect_burst_per_ip": 600},
            meta={"addr": "tcp@127.0.0.1:%d" % mw.port, "coin": "btc",
                  "spool_dir": os.path.join(self.dir, "spool"), "source": "gwf",
                  "flush_interval": 1},
            preexec_fn=bg.raise_nofile)
        hflib.wait_for(lambda: hflib.http_json(gw.http_port, "/status").get("job"), 20,
                       step=0.2, what="the gateway's first job")

        quiet = self.honest_run(gw, "quiet")
        log_lines_before = len(gw.log().splitlines())

        with open(os.path.join(self.dir, "attacker.err"), "w") as err:
            attacker = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--attack", str(gw.st_port),
                 str(PHASE + 60)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=err, start_new_session=True)
        self.procs.append(attacker)
        last = {}
        t0 = time.time()
        while True:
            line = attacker.stdout.readline().decode()
            self.assertTrue(line, "attacker died; see %s/attacker.err" % self.dir)
            if line.startswith("progress "):
                last = json.loads(line[9:])
            if line.startswith("ready"):
                break
            self.assertLess(time.time() - t0, 60, "slowloris never reached 95%%: %s" % last)
        st_mid = hflib.http_json(gw.http_port, "/status")
        loud = self.honest_run(gw, "attack")
        st_end = hflib.http_json(gw.http_port, "/status")
        rss = sum(bg.rss_bytes(p) for p in hflib.group_pids(gw.proc.pid))
        attacker.stdin.close()
        attacker.terminate()
        attacker.wait(30)

        log_lines = len(gw.log().splitlines()) - log_lines_before
        print("quiet:  accepted %d in %.1fs = %.1f/s, no_reply %d" % (
            quiet["accepted"], quiet["elapsed_s"], quiet["accepted_rate"], quiet["no_reply"]))
        print("attack: accepted %d in %.1fs = %.1f/s, no_reply %d (%.1f%% of quiet)" % (
            loud["accepted"], loud["elapsed_s"], loud["accepted_rate"], loud["no_reply"],
            100.0 * loud["accepted_rate"] / quiet["accepted_rate"]))
        print("attacker: %s" % last)
        print("gateway: connections %d (mid-attack), bans_active %d, refused %d, "
              "ips_tracked %d, untracked %d, RSS %.1f MB, log lines during attack %d" % (
                  st_mid["total"]["connections"], st_end["bans_active"],
                  st_end["total"]["refused"], st_end["ips_tracked"],
                  st_end["ips_untracked_connections"], rss / 1e6, log_lines))

        self.assertEqual(quiet["no_reply"], 0, quiet)
        self.assertEqual(loud["no_reply"], 0, loud)
        self.assertEqual(quiet["rejected_total"], 0, quiet)
        self.assertEqual(loud["rejected_total"], 0, loud)
        self.assertGreaterEqual(loud["accepted_rate"], 0.95 * quiet["accepted_rate"])
        self.assertGreaterEqual(st_mid["total"]["connections"], 0.9 * SLOW_IPS * SLOW_PER_IP)
        self.assertGreaterEqual(st_end["bans_active"], JUNK_IPS + INVALID_IPS // 2)
        self.assertGreater(st_end["total"]["refused"], 0)
        self.assertLess(log_lines, 2000, "the gateway logged a line per junk event")
        self.assertLess(rss, 1500e6)

        # Accounting: the honest names only, with exact counts.
        accepted = quiet["accepted"] + loud["accepted"]

        def settled():
            s = hflib.http_json(gw.http_port, "/status")
            got = sum(int(v) for k in redis.cmd("KEYS", "btc:s:honest:w*")
                      if not k.endswith(":reject")
                      for v in redis.cmd("HVALS", k)[::1])
            return s["meta"]["pending_batches"] == 0 and got == accepted
        hflib.wait_for(settled, 60, step=0.5, what="the honest shares in Redis")
        keys = redis.cmd("KEYS", "btc:*")
        self.assertEqual([k for k in keys if "evil" in k], [])
        names = sorted(set(json.loads(x)["user"] + "." + json.loads(x)["worker"]
                           for x in redis.cmd("LRANGE", "newworker", 0, -1)))
        self.assertEqual(names, ["honest.w%d" % i for i in range(4)])
        events = [json.loads(x) for x in redis.cmd("LRANGE", "newevent", 0, -1)]
        self.assertTrue(events)
        self.assertTrue(all(e["user"] == "honest" for e in events), events[:5])

        self.assertEqual(gw.stop(), 0, gw.output()[-3000:])
        jm.close()
        mw.stop()
        redis.proc.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
