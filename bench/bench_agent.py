#!/usr/bin/env python3
"""bench_agent: what one mineragent costs upstream, per CPU-second and per
idle farm connection.

Starts (stdlib only, all on loopback, about 100 s in all): a scripted
jobmaster (bench_gateway.FakeJobmaster: the real ut_rpc framing, a
mainnet-shaped job with nbits 1d00ffff and a 12-hash merkle branch, so no
share at the tiny share difficulty used here is ever a block; a real
bcoin regtest node would make every share a block), a real gateway with
its TLS agent port, a real metawriter and redis-server (the agents'
accounting batches are relayed there, through a counting TCP proxy, and
applied), then one mineragent per part (build/bin, release):

  1. Upstream bytes. 200 hfminer sessions (one user, 200 workers, a share
     per miner every 10 s: the default vardiff target) mine through the
     agent, and at the same time 200 more sessions with the same load
     mine directly on the gateway's Stratum port. The agent runs with its
     defaults (heartbeat 2 s, accounting flush 10 s). Over a 60 s window
     in the steady state (after the batch that carries the connect
     events) the jobmaster sends a non-clean job every 30 s (its default
     refresh_interval). Measured: the TCP payload bytes of the agent's
     one TLS link (ss -ti on the socket: TLS records, heartbeats and all)
     and, split by kind, its frames: accounting batches and their replies
     (counted at the proxy: the gateway relays each batch body as the
     agent sent it), heartbeats (32-byte frames, each way, every 2 s) and
     the rest: jobs/blocks/HELLO (from /status upstream.bytes_out/in,
     which older agents count without batches and heartbeats and newer
     ones with: both are handled); against the Stratum bytes of the
     direct sessions (ss -ti on the gateway's side of each connection).
     Printed per hour and as a ratio; goal: agent upstream <= 5% of
     direct Stratum. The difficulty 1e-9 makes each share record's "p"
     print with 17 digits; at a real difficulty it is ~13 bytes shorter.
  2. Shares per agent CPU-second: `hfminer --load`, 50 sessions, 256
     submits in flight each, as fast as possible, against the agent at a
     fixed difficulty of 1e-9 (about every 4th nonce is a share): a
     mostly-accepted load, then an all-rejected one (every share misses
     the target: --submit-invalid lowdiff, the full hash path). Answered
     submits from the agent's /status, CPU from /proc/<pid>/stat.
  3. 10,000 idle farm connections (subscribed and authorized; two client
     processes of 5,000) on one agent: its RSS growth per connection
     (goal < 2 KiB) and the time from a new job leaving the jobmaster
     (through the gateway and the TLS link) to the last connection
     receiving its mining.notify (kernel receive timestamps).

Figures are printed and written as JSON to $HF_BENCH_RESULTS/bench_agent.json
(default build/bench/results/).

Usage: HF_BIN=build/bin python3 bench/bench_agent.py [--window S] [--miners N]
       [--connections N] [--load-connections N] [--shares-window S]
"""
import argparse
import json
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, HERE)
os.environ.setdefault("HF_BIN", "build/bin")     # benches measure the release build
import hflib  # noqa: E402
import hfrpc  # noqa: E402
import bench_gateway as bg  # noqa: E402  (FakeJobmaster, make_job, fan-out client)

SHARE_DIFF = 1e-9
SECRET = "bench-secret-bench-secret"
AGENTS = ("farm1", "farm2", "farm3")     # one per part, so no link replaces another
HOUR = 3600.0

results = {}
lines = []


def out(fmt, *args):
    s = fmt % args if args else fmt
    print(s, flush=True)
    lines.append(s)


# ---- measuring ---------------------------------------------------------------------

def ss_sockets(filt):
    """{(local, peer): (bytes_sent, bytes_received)} of the established TCP
    sockets matching the ss filter expression filt."""
    r = subprocess.run(["ss", "-tinHO", "state", "established", filt],
                       capture_output=True, text=True, timeout=30)
    socks = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        sent = re.search(r"\bbytes_sent:(\d+)", line)
        acked = re.search(r"\bbytes_acked:(\d+)", line)
        recv = re.search(r"\bbytes_received:(\d+)", line)
        s = int(sent.group(1)) if sent else (int(acked.group(1)) if acked else 0)
        socks[(f[2], f[3])] = (s, int(recv.group(1)) if recv else 0)
    return socks


def ss_delta(before, after):
    """(sent, received) summed over the sockets present in both snapshots,
    and how many sockets that was."""
    sent = recv = n = 0
    for k, (s1, r1) in after.items():
        if k in before:
            s0, r0 = before[k]
            sent += s1 - s0
            recv += r1 - r0
            n += 1
    return sent, recv, n


def status(svc):
    return hflib.http_json(svc.http_port, "/status")


def farm_counts(st):
    farm = st.get("farm") or {}
    sh = farm.get("shares") or {}
    rej = sh.get("rejected") or {}
    rej = sum(rej.values()) if isinstance(rej, dict) else sum(rej)
    return sh.get("accepted", 0), rej


def fmt_bytes(n):
    for unit, f in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= f:
            return "%.2f %s" % (n / f, unit)
    return "%d B" % n


class CountingRelay:
    """A TCP proxy between the gateway's agents.relay and metawriter that
    forwards every byte as it is and counts the ut_rpc frames going through:
    the gateway relays an agent's CMD_MW_BATCH body as the agent sent it, so
    this gives the size of every accounting batch frame on the agent's link
    (the agent's /status bytes_out leaves them out)."""

    def __init__(self, target_port):
        self.target = target_port
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.c = {"batches": 0, "batch_bytes": 0, "share_records": 0, "events": 0, "batch_zlib": 0,
                  "replies": 0, "reply_bytes": 0}
        self.socks = []
        self.sample = self.sample_wire = None
        threading.Thread(target=self._accept, daemon=True).start()

    def counts(self):
        with self.lock:
            return dict(self.c)

    def _accept(self):
        while True:
            try:
                a, _ = self.lsock.accept()
            except OSError:
                return
            try:
                b = socket.create_connection(("127.0.0.1", self.target), timeout=10)
            except OSError:
                a.close()
                continue
            b.settimeout(None)
            self.socks += [a, b]
            threading.Thread(target=self._pump, args=(a, b, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(b, a, False), daemon=True).start()

    def _pump(self, src, dst, upward):
        buf = b""
        try:
            while True:
                d = src.recv(1 << 16)
                if not d:
                    break
                dst.sendall(d)
                buf += d
                while len(buf) >= hfrpc.HEADER_SIZE:
                    h = hfrpc.HEADER.unpack_from(buf)
                    end = hfrpc.HEADER_SIZE + h[6]
                    if len(buf) < end:
                        break
                    self._count(h, buf[hfrpc.HEADER_SIZE:end], upward)
                    buf = buf[end:]
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _count(self, h, body, upward):
        ftype, cmd = h[2], h[3]
        with self.lock:
            if upward and ftype == hfrpc.T_REQUEST and cmd == hfrpc.CMD_MW_BATCH:
                self.c["batches"] += 1
                self.c["batch_bytes"] += hfrpc.HEADER_SIZE + len(body)
                self.c["batch_zlib"] += hfrpc.HEADER_SIZE + len(zlib.compress(body, 6))
                try:
                    j = json.loads(body)
                    if j.get("shares"):
                        rec = j["shares"][-1]
                        self.sample = json.dumps(rec, separators=(",", ":"))
                        self.sample_wire = (rec.get("worker", "") and
                                            self._raw_record(body, rec))
                    self.c["share_records"] += len(j.get("shares", []))
                    self.c["events"] += len(j.get("events", []))
                except ValueError:
                    pass
            elif not upward and ftype == hfrpc.T_REPLY and cmd == hfrpc.CMD_MW_BATCH:
                self.c["replies"] += 1
                self.c["reply_bytes"] += hfrpc.HEADER_SIZE + len(body)

    @staticmethod
    def _raw_record(body, rec):
        """The record as the sender wrote it (its last one), for the report."""
        text = body.decode(errors="replace")
        i = text.rfind('"worker":"%s"' % rec["worker"])
        if i < 0:
            return None
        a, b = text.rfind("{", 0, i), text.find("}", i)
        return text[a:b + 1] if a >= 0 and b >= 0 else None

    def close(self):
        self.lsock.close()
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


# ---- the cluster -------------------------------------------------------------------

class Cluster:
    def __init__(self, workdir):
        self.dir = workdir
        self.jm = bg.FakeJobmaster()
        self.job_n = 1
        self.jm.push(bg.make_job("%016x" % self.job_n, 900000, clean=True))
        self.redis = hflib.Redis(workdir)
        self.redis.cmd("CONFIG", "SET", "appendfsync", "everysec")
        self.mw = hflib.metawriter(workdir, self.redis.port, "btc", level="warn",
                                   allow=["127.0.0.1"])
        self.relay = CountingRelay(self.mw.port)
        self.certs = hflib.make_certs(workdir)
        self.ag_port = hflib.free_port()
        vd = {"start": SHARE_DIFF, "min": SHARE_DIFF, "max": SHARE_DIFF, "target": 10,
              "retarget": 60}
        self.vardiff = vd
        self.gw = hflib.gateway(
            workdir, self.jm.port, gateway_id=9, level="notice", host="bench",
            stratum={"subscribe_timeout": 300, "idle_timeout": 600}, vardiff=vd,
            agents={"bind": "tcp@127.0.0.1:%d" % self.ag_port,
                    "tls": {"cert_file": self.certs["gateway"][0],
                            "key_file": self.certs["gateway"][1]},
                    "relay": {"addr": "tcp@127.0.0.1:%d" % self.relay.port},
                    "list": [{"id": a, "num": i + 1, "secret": SECRET}
                             for i, a in enumerate(AGENTS)]},
            preexec_fn=bg.raise_nofile)
        self.gw.worker_pid = hflib.wait_for(self._gw_job, 20, step=0.1,
                                            what="the gateway's first job")

    def _gw_job(self):
        if not self.gw.alive():
            raise RuntimeError("gateway exited; see %s" % self.dir)
        try:
            st = status(self.gw)
        except (OSError, ValueError):
            return None
        return int(st["pid"]) if st.get("jobmaster_up") and st.get("job") else None

    def push_job(self, clean=False):
        self.job_n += 1
        job_id = "%016x" % self.job_n
        return job_id, self.jm.push(bg.make_job(job_id, 900000 + (self.job_n if clean else 0),
                                                clean=clean))

    def agent(self, agent_id, **keys):
        """A mineragent on the gateway's agent port, with its defaults for
        heartbeat and accounting flush unless keys say otherwise; returns
        once its farm port listens with a job. .pid is its pid."""
        cfg = {"upstream": {"heartbeat": 2, "failover_after": 10},
               "meta": {"flush_interval": 10},
               "stratum": {"subscribe_timeout": 300, "idle_timeout": 600},
               "vardiff": self.vardiff}
        cfg = hflib.merged(cfg, keys)
        ag = hflib.mineragent(self.dir, [self.ag_port], agent_id, SECRET, self.certs["ca"],
                              name="agent-" + agent_id, level="notice",
                              preexec_fn=bg.raise_nofile, **cfg)

        def ready():
            if not ag.alive():
                raise RuntimeError("mineragent exited; see %s" % self.dir)
            try:
                st = status(ag)
            except (OSError, ValueError):
                return None
            up = st.get("upstream", {})
            return (up.get("up") and up.get("jobs", 0) > 0 and st.get("farm")
                    and ag.listens(ag.st_port)) and int(st["pid"])
        ag.pid = hflib.wait_for(ready, 30, step=0.1, what="the agent's link and first job")
        return ag

    def close(self):
        for svc in (self.gw, self.mw):
            try:
                svc.stop()
            except Exception:  # noqa: BLE001 - best effort
                pass
        self.relay.close()
        self.redis.proc.stop()
        self.jm.close()


def hfminer(cl, port, args, log):
    return hflib.start_bin("hfminer", ["--url", "stratum+tcp://127.0.0.1:%d" % port] + args,
                           cl.dir, log=log)


def summary(proc):
    try:
        return hflib.json_summary(proc) or {}
    except ValueError:
        return {}


# ---- part 1: upstream bytes ------------------------------------------------------------

def bench_upstream(cl, miners, window, job_every, flush, hb):
    ag = cl.agent(AGENTS[0], upstream={"heartbeat": hb}, meta={"flush_interval": flush})
    rate = miners / 10.0                  # one share per miner per 10 s
    dur = window + flush + 40
    common = ["--users", "1", "--workers-per-user", str(miners), "--connections", str(miners),
              "--rate", "%g" % rate, "--pipeline", "4", "--duration", str(dur),
              "--connect-timeout", "30", "--json", "--quiet"]
    m_ag = hfminer(cl, ag.st_port, ["--user", "farma.rig%w"] + common, "hfminer-agent.out")
    m_gw = hfminer(cl, cl.gw.st_port, ["--user", "farmd.rig%w"] + common, "hfminer-direct.out")
    try:
        def all_ready():
            for m in (m_ag, m_gw):
                if not m.alive():
                    raise RuntimeError("hfminer exited early: %s" % m.output()[-2000:])
            a = status(ag)["farm"]
            g = status(cl.gw)["this"]
            return (a["authorized_workers"] >= miners and g["connections"] >= miners
                    and farm_counts(status(ag))[0] > 0)
        hflib.wait_for(all_ready, 30, step=0.2, what="%d sessions on each side" % miners)
        # Steady state: after the accounting batch that carries the connect
        # events (newworker/connected for every miner) has been acknowledged.
        acked0 = status(ag)["meta"]["acked_batches"]
        hflib.wait_for(lambda: status(ag)["meta"]["acked_batches"] >= acked0 + 1, flush + 30, step=0.2,
                       what="the agent's first batch after the connects")
        time.sleep(0.5)

        up_filt = "( dport = :%d )" % cl.ag_port            # the agent's end of its link
        gw_filt = "( sport = :%d )" % cl.gw.st_port         # the gateway's Stratum sockets
        fa_filt = "( sport = :%d )" % ag.st_port            # the agent's farm sockets

        def snap():
            return (ss_sockets(up_filt), ss_sockets(gw_filt), ss_sockets(fa_filt),
                    status(ag), status(cl.gw), bg.cpu_seconds(ag.pid), cl.relay.counts(),
                    time.time())
        s0 = snap()
        if len(s0[0]) != 1:
            raise RuntimeError("expected one upstream socket, ss shows %d" % len(s0[0]))
        jobs = 0
        t0 = s0[-1]
        k = 0
        while True:
            due = t0 + (k + 0.5) * job_every
            if due >= t0 + window:
                break
            time.sleep(max(0.0, due - time.time()))
            cl.push_job(clean=False)
            jobs += 1
            k += 1
        time.sleep(max(0.0, t0 + window - time.time()))
        s1 = snap()
    finally:
        for m in (m_ag, m_gw):
            m.stop()
    wall = s1[-1] - s0[-1]
    scale = HOUR / wall
    ph = lambda n: fmt_bytes(n * scale)  # noqa: E731
    up_out, up_in, _ = ss_delta(s0[0], s1[0])
    gw_out, gw_in, gw_n = ss_delta(s0[1], s1[1])
    fa_out, fa_in, fa_n = ss_delta(s0[2], s1[2])
    u0, u1 = s0[3]["upstream"], s1[3]["upstream"]
    st_out, st_in = u1["bytes_out"] - u0["bytes_out"], u1["bytes_in"] - u0["bytes_in"]
    r0, r1 = s0[6], s1[6]
    rc = {k: r1[k] - r0[k] for k in r1}
    # 32-byte heartbeat frames: the agent's every upstream.heartbeat, the
    # gateway's agent port every 2 s (the ut_rpc default; it has no key for it).
    hb_out = round(wall / hb) * 32
    hb_in = round(wall / 2.0) * 32
    # Older agents count in /status upstream.bytes_* only jobs, blocks and
    # HELLO; newer ones every frame (batches and heartbeats too). Either way
    # the frames are split the same: batches (proxy), heartbeats (computed),
    # the rest (jobs, blocks, HELLO).
    status_all = st_out > 0 and st_out >= rc["batch_bytes"] + hb_out // 2
    if status_all:
        fr_out, fr_in = st_out, st_in
        other_out = max(0, st_out - rc["batch_bytes"] - hb_out)
        other_in = max(0, st_in - rc["reply_bytes"] - hb_in)
    else:
        fr_out = st_out + rc["batch_bytes"] + hb_out
        fr_in = st_in + rc["reply_bytes"] + hb_in
        other_out, other_in = st_out, st_in
    job_frame = len(bg.make_job("%016x" % 0, 900000)) + 32
    a_acc = farm_counts(s1[3])[0] - farm_counts(s0[3])[0]
    g_acc = s1[4]["this"]["shares"]["accepted"] - s0[4]["this"]["shares"]["accepted"]
    cpu = s1[5] - s0[5]
    up_tls = up_out + up_in
    up_frames = fr_out + fr_in
    direct = gw_out + gw_in
    ratio = up_tls / direct if direct else 0
    ratio_fr = up_frames / direct if direct else 0
    sa, sg = summary(m_ag), summary(m_gw)

    out("upstream bytes: %d farm miners through one agent vs %d mining the gateway directly,"
        " %.1f s window", miners, miners, wall)
    out("  load: %.0f shares/s each side (accepted: through the agent %d, direct %d), "
        "%d non-clean job(s) (one per %g s), agent heartbeat %g s, accounting flush %g s",
        rate, a_acc, g_acc, jobs, job_every, hb, flush)
    out("  agent upstream, on the wire  %10s/h out + %10s/h in = %10s/h   (TCP payload of "
        "the TLS link, ss -ti)", ph(up_out), ph(up_in), ph(up_tls))
    out("  agent upstream, frames       %10s/h out + %10s/h in = %10s/h   (%s)", ph(fr_out),
        ph(fr_in), ph(up_frames), "/status upstream.bytes_*: every frame" if status_all else
        "/status upstream.bytes_* (jobs, blocks) + batches + heartbeats")
    out("    accounting batches         %10s/h out + %10s/h in   (%d batches, %.0f B each, "
        "%d share records + %d events: %.0f B per record)", ph(rc["batch_bytes"]),
        ph(rc["reply_bytes"]), rc["batches"], rc["batch_bytes"] / max(1, rc["batches"]),
        rc["share_records"], rc["events"],
        rc["batch_bytes"] / max(1, rc["share_records"] + rc["events"]))
    out("      (the same bodies zlib -6 compressed: %s/h, %.1fx smaller)", ph(rc["batch_zlib"]),
        rc["batch_bytes"] / max(1, rc["batch_zlib"]))
    if cl.relay.sample_wire:
        out("      a share record as sent (%d B): %s", len(cl.relay.sample_wire),
            cl.relay.sample_wire)
    out("    jobs, blocks, HELLO        %10s/h out + %10s/h in   (%d job frames of %d B)",
        ph(other_out), ph(other_in), u1["jobs"] - u0["jobs"], job_frame)
    out("    heartbeats                 %10s/h out + %10s/h in   (32-byte frames, every %g s "
        "out, 2 s in)", ph(hb_out), ph(hb_in), hb)
    out("    TLS records over frames    %10s/h          (%.0f%% of the wire bytes)",
        ph(up_tls - up_frames), 100.0 * (up_tls - up_frames) / max(1, up_tls))
    out("  direct Stratum (gateway)     %10s/h in  + %10s/h out = %10s/h   (%d connections, "
        "gateway side, ss -ti)", ph(gw_in), ph(gw_out), ph(direct), gw_n)
    out("  same miners at the agent     %10s/h in  + %10s/h out = %10s/h   (the farm side)",
        ph(fa_in), ph(fa_out), ph(fa_in + fa_out))
    out("  agent upstream / direct      %9.2f%%   on the wire (TLS); %.2f%% in frames   "
        "(goal <= 5%%%s)", 100 * ratio, 100 * ratio_fr,
        ": met" if ratio <= 0.05 else ": missed by %.1fx" % (ratio / 0.05))
    out("  agent CPU over the window    %10.2f s   (%.2f%% of a core)", cpu, 100 * cpu / wall)
    keep = ("submitted", "accepted", "rejected_total", "no_reply")
    results["upstream"] = {
        "miners": miners, "window_s": wall, "shares_per_s_each_side": rate,
        "accepted_in_window": {"agent": a_acc, "direct": g_acc},
        "jobs_in_window": jobs, "job_every_s": job_every, "heartbeat_s": hb,
        "flush_interval_s": flush,
        "agent_upstream_wire_bytes_per_hour": {"out": up_out * scale, "in": up_in * scale,
                                               "total": up_tls * scale},
        "agent_upstream_frame_bytes_per_hour": {
            "out": fr_out * scale, "in": fr_in * scale, "total": up_frames * scale,
            "batches_out": rc["batch_bytes"] * scale, "batch_replies_in": rc["reply_bytes"] * scale,
            "status_bytes_out": st_out * scale, "status_bytes_in": st_in * scale,
            "status_counts_every_frame": status_all,
            "jobs_blocks_hello_out": other_out * scale, "jobs_blocks_hello_in": other_in * scale,
            "heartbeats_out": hb_out * scale, "heartbeats_in": hb_in * scale},
        "batches": rc,
        "direct_stratum_bytes_per_hour": {"miners_to_pool": gw_in * scale,
                                          "pool_to_miners": gw_out * scale,
                                          "total": direct * scale},
        "farm_stratum_at_agent_bytes_per_hour": {"miners_to_agent": fa_in * scale,
                                                 "agent_to_miners": fa_out * scale},
        "ratio_wire": ratio, "ratio_frames": ratio_fr, "goal_ratio": 0.05,
        "agent_cpu_s": cpu,
        "hfminer_agent": {k: sa.get(k) for k in keep},
        "hfminer_direct": {k: sg.get(k) for k in keep},
    }
    ag.stop()


# ---- part 2: shares per agent CPU-second --------------------------------------------

def shares_run(cl, ag, label, window, nconn, extra):
    dur = window + 5
    m = hfminer(cl, ag.st_port, ["--user", "bench.load%w", "--workers-per-user", str(nconn),
                                 "--load", "--connections", str(nconn), "--duration",
                                 str(dur), "--json", "--quiet"] + extra,
                "hfminer-%s.out" % label)
    stop = threading.Event()

    def refresher():          # a fresh job every 2 s: one job's duplicate set stays small
        while not stop.wait(2.0):
            cl.push_job(clean=False)
    threading.Thread(target=refresher, daemon=True).start()
    try:
        end = time.time() + 15
        while sum(farm_counts(status(ag))) == 0:
            if time.time() > end or not m.alive():
                raise RuntimeError("no answered share from hfminer (%s); see %s"
                                   % (label, cl.dir))
            time.sleep(0.1)
        time.sleep(1.0)
        a0, r0 = farm_counts(status(ag))
        c0, t0 = bg.cpu_seconds(ag.pid), time.time()
        time.sleep(window)
        a1, r1 = farm_counts(status(ag))
        c1, t1 = bg.cpu_seconds(ag.pid), time.time()
    finally:
        stop.set()
        m.stop()
    s = summary(m)
    n = (a1 - a0) + (r1 - r0)
    wall, cpu = t1 - t0, c1 - c0
    per_cpu = n / cpu if cpu > 0 else 0
    out("  %-15s %9.0f answered/s (accepted %d, rejected %d), agent CPU %.2f s (%.0f%% of "
        "a core): %9.0f shares per agent CPU-second", label, n / wall, a1 - a0, r1 - r0, cpu,
        100 * cpu / wall, per_cpu)
    if s:
        out("  %-15s hfminer: submitted %d, accepted %d, rejected %s, no_reply %d, p50 %.2f ms"
            % ("", s.get("submitted", 0), s.get("accepted", 0), s.get("rejected", {}),
               s.get("no_reply", 0), s.get("latency_ms", {}).get("p50", 0)))
    results.setdefault("shares", {})[label] = {
        "answered_per_s": n / wall, "accepted": a1 - a0, "rejected": r1 - r0,
        "agent_cpu_s": cpu, "window_s": wall, "per_agent_cpu_second": per_cpu}


def bench_shares(cl, window, nconn):
    ag = cl.agent(AGENTS[1])
    out("shares: hfminer --load, %d sessions x 256 pipelined, difficulty %g, one agent, "
        "%.0f s windows", nconn, SHARE_DIFF, window)
    shares_run(cl, ag, "mostly-accepted", window, nconn, [])
    time.sleep(1.0)
    shares_run(cl, ag, "all-rejected", window, nconn,
               ["--submit-invalid", "lowdiff", "--invalid-every", "1"])
    results["shares"]["connections"] = nconn
    results["shares"]["difficulty"] = SHARE_DIFF
    ag.stop()


# ---- part 3: 10,000 idle farm connections ---------------------------------------------

def bench_idle(cl, total, procs):
    ag = cl.agent(AGENTS[2], meta={"flush_interval": 1})
    time.sleep(1.0)
    rss0 = bg.rss_bytes(ag.pid)
    t_open = time.time()
    clients = bg.fanout_start(__file__, ag.st_port, total, procs)
    try:
        t_ready = time.time()
        # Let the accounting of the connects (newworker/connected events) go out.
        hflib.wait_for(lambda: status(ag)["meta"]["pending_batches"] == 0, 60, step=0.2,
                       what="the agent's accounting backlog")
        time.sleep(2.5)
        st = status(ag)
        conns = st["farm"]["connections"]
        rss1 = bg.rss_bytes(ag.pid)
        job_id = "%016x" % (cl.job_n + 1)
        for c in clients:
            c.stdin.write(("go %s 2.0\n" % job_id).encode())
            c.stdin.flush()
        time.sleep(0.3)
        cpu0 = bg.cpu_seconds(ag.pid)
        jid, t0 = cl.push_job(clean=True)
        assert jid == job_id
        time.sleep(1.5)
        cpu1 = bg.cpu_seconds(ag.pid)
        res = bg.fanout_collect(clients)
    finally:
        bg.fanout_stop(clients)
    got = sum(r["n"] for r in res)
    first = min(r["first"] for r in res if r["n"]) - t0 if got else 0
    last = max(r["last"] for r in res if r["n"]) - t0 if got else 0
    per_conn = (rss1 - rss0) / total
    out("idle farm connections: %d on one agent (subscribed + authorized, %d client processes),"
        " opened in %.1f s", total, procs, t_ready - t_open)
    out("  agent connections gauge      %10d", conns)
    out("  agent RSS before/after       %7.1f MiB / %.1f MiB", rss0 / 2**20, rss1 / 2**20)
    out("  memory per idle connection   %10.0f bytes   (goal < 2048)", per_conn)
    out("  new job -> first notify      %10.1f ms   (jobmaster -> gateway -> TLS -> agent -> "
        "miner)", first * 1e3)
    out("  new job -> last notify       %10.1f ms   (%d of %d received)", last * 1e3, got, total)
    out("  agent CPU for the fan-out    %10.1f ms", (cpu1 - cpu0) * 1e3)
    results["idle"] = {"connections": total, "gauge": conns, "rss_before": rss0,
                       "rss_after": rss1, "bytes_per_connection": per_conn,
                       "goal_bytes_per_connection": 2048, "notify_first_ms": first * 1e3,
                       "notify_last_ms": last * 1e3, "notified": got,
                       "fanout_cpu_ms": (cpu1 - cpu0) * 1e3}
    ag.stop()


def write_results(t_total):
    d = os.environ.get("HF_BENCH_RESULTS") or os.path.join(ROOT, "build", "bench", "results")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "bench_agent.json")
    results["total_s"] = t_total
    results["time"] = int(time.time())
    results["text"] = lines
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--miners", type=int, default=200)
    ap.add_argument("--window", type=float, default=120.0)
    ap.add_argument("--job-every", type=float, default=30.0,
                    help="seconds between non-clean jobs (jobmaster refresh_interval) [30]")
    ap.add_argument("--agent-flush", type=float, default=60.0,
                    help="part 1: the agent's meta.flush_interval [60, its default]")
    ap.add_argument("--agent-heartbeat", type=float, default=2.0,
                    help="part 1: the agent's upstream.heartbeat [2, its default]")
    ap.add_argument("--load-connections", type=int, default=50)
    ap.add_argument("--shares-window", type=float, default=8.0)
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--client-procs", type=int, default=2)
    ap.add_argument("--only", choices=("upstream", "shares", "idle"), action="append")
    ap.add_argument("--fanout-client", nargs=3, type=int, metavar=("PORT", "N", "OFFSET"),
                    help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.fanout_client:
        bg.fanout_client(*a.fanout_client)
        return 0
    if not hflib.have_bins("gateway", "mineragent", "metawriter", "hfminer"):
        print("bench_agent: binaries missing in %s (make build)" % hflib.BIN, file=sys.stderr)
        return 1
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < a.connections + 256:
        out("bench_agent: fd hard limit %d: %d connections instead of %d",
            hard, hard - 256, a.connections)
        a.connections = hard - 256
    parts = a.only or ["upstream", "shares", "idle"]
    t_start = time.time()
    cl = Cluster(hflib.tmpdir("bench-agent"))
    try:
        if "upstream" in parts:
            bench_upstream(cl, a.miners, a.window, a.job_every, a.agent_flush,
                           a.agent_heartbeat)
        if "shares" in parts:
            bench_shares(cl, a.shares_window, a.load_connections)
        if "idle" in parts:
            bench_idle(cl, a.connections, a.client_procs)
    finally:
        cl.close()
    if cl.jm.blocks:
        out("  (the gateway reported %d blocks: unexpected at nbits 1d00ffff)", cl.jm.blocks)
    total = time.time() - t_start
    out("total %.1f s%s", total, "; logs in %s" % cl.dir if os.environ.get("HF_KEEP") else "")
    print("results: %s" % write_results(total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
