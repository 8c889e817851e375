#!/usr/bin/env python3
"""bench_idle: 100,000 idle subscribed Stratum connections on one gateway host.

Issue 13, item 3 (scale): one gateway (several worker processes sharing the
Stratum port with SO_REUSEPORT) holds N idle connections, each subscribed and
authorized and holding its first job; then a scripted jobmaster pushes a new
clean job. Printed:
  - user-space memory per connection: (sum of the worker processes' RSS with
    the N connections - the same sum before any) / N        (goal <= 2 KiB);
  - the time from the new job leaving the jobmaster to the first, the median
    and the LAST connection receiving its mining.notify, taken from kernel
    receive timestamps (SO_TIMESTAMPNS), so the clients' own slowness does
    not count                                                 (goal <= 100 ms);
  - the gateway workers' CPU time for that fan-out, the spread of connections
    over the workers, the number of client processes.

Limits it works within (nothing system-wide is changed):
  - the per-process open-file hard limit (20,000 on these machines): the
    gateway gets as many workers and the client side as many processes as
    needed to stay below it; the gateway's soft limit is raised to the hard
    one before it starts (whether or not the gateway raises it itself);
  - the ephemeral port range (~28k ports per source/destination address
    pair): client process i connects from 127.0.0.(2+i), binding its source
    address before connect (IP_BIND_ADDRESS_NO_PORT);
  - the gateway's per-IP connection limits (ban.connections_per_ip,
    ban.connect_rate_per_ip) are set to 0 (none); a gateway that does not
    know those keys yet is started without them, and the bench says so.

The jobmaster, the fan-out client processes and the /proc readings are the
ones of bench_gateway.py (imported, not copied).

Usage: HF_BIN=build/bin python3 bench/bench_idle.py [--connections N]
       [--workers W] [--client-procs P]      (W, P: 0 = chosen from N and the limit)
Bounded: about a minute at 10,000 connections, a few minutes at 100,000 on a
busy 2-core machine; every process it starts is stopped, also on failure.
"""
import argparse
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_gateway as bg  # noqa: E402  (also puts tests/e2e on sys.path, sets HF_BIN)
import hflib  # noqa: E402

FD_SLACK = 256          # descriptors a process needs besides its connections
PER_SOURCE_MAX = 15000  # connections per client process (and so per source address)


def fd_budget():
    """Connections one process may hold under the open-file hard limit."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    return hard, hard - FD_SLACK


def plan(n, workers, procs):
    """(workers, client processes) for n connections; SO_REUSEPORT spreads by
    a hash, so workers get 25% headroom over an even share."""
    hard, budget = fd_budget()
    if workers <= 0:
        workers = min(16, max(2, -(-n * 5 // (4 * budget))))
    if procs <= 0:
        procs = max(2, -(-n // min(PER_SOURCE_MAX, budget)))
    if n / workers * 1.1 > budget:
        raise SystemExit("bench_idle: %d connections need more than %d workers under the "
                         "open-file hard limit %d" % (n, workers, hard))
    if -(-n // procs) > budget or procs > 250:
        raise SystemExit("bench_idle: %d client processes cannot hold %d connections under "
                         "the open-file hard limit %d" % (procs, n, hard))
    return workers, procs


def start(workdir, jm_port, workers):
    """The gateway with workers processes and no per-IP limits; returns
    (gw, note): note says when the gateway did not know the per-IP keys."""
    ban = {"connections_per_ip": 0, "connect_rate_per_ip": 0}
    try:
        return bg.start_gateway(workdir, jm_port, workers=workers, ban=ban), ""
    except RuntimeError as e:
        if "connections_per_ip" not in str(e) and "connect_rate_per_ip" not in str(e):
            raise
    gw_log = os.path.join(workdir, "gateway.log")
    if os.path.exists(gw_log):
        os.rename(gw_log, gw_log + ".refused")
    return (bg.start_gateway(workdir, jm_port, workers=workers),
            "this gateway does not know ban.connections_per_ip / connect_rate_per_ip "
            "(no per-IP limits to lift)")


def worker_pids(gw, workers):
    """The worker processes: the gateway's process group minus the supervisor."""
    def found():
        pids = [p for p in hflib.group_pids(gw.proc.pid) if p != gw.proc.pid]
        return sorted(pids) if len(pids) == workers else None
    return hflib.wait_for(found, 20, step=0.1, what="%d gateway workers" % workers)


def nofile_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return line.split()[3]
    return "?"


def cpu_split(pids):
    """(user, system) CPU seconds summed over pids, from /proc/<pid>/stat."""
    user = system = 0.0
    for pid in pids:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
        system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
    return user, system


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def send_floor(pairs=4000, size=1100, reps=3):
    """CPU microseconds of one bare send() of a notify-sized line to an idle
    loopback TCP socket (the receiver's TCP work runs in the sender's system
    time on loopback): the kernel's floor for a one-send-per-connection
    fan-out on this machine. The best of reps rounds."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1024)
    ends, best = [], None
    try:
        for _ in range(pairs):
            c = socket.create_connection(lsock.getsockname())
            s, _ = lsock.accept()
            ends.append((s, c))
        msg = b"x" * (size - 1) + b"\n"
        for _ in range(reps):
            t0 = os.times()
            for s, _ in ends:
                s.send(msg)
            t1 = os.times()
            cpu = (t1.user - t0.user + t1.system - t0.system) * 1e6 / pairs
            best = cpu if best is None else min(best, cpu)
            for _, c in ends:
                c.recv(65536)
    finally:
        for s, c in ends:
            s.close()
            c.close()
        lsock.close()
    return best


def bench(gw, jm, n, workers, procs):
    pids = worker_pids(gw, workers)
    sources = ["127.0.0.%d" % (2 + i) for i in range(procs)]
    fds0 = {p: open_fds(p) for p in pids}
    rss0 = sum(bg.rss_bytes(p) for p in pids)
    sup_rss0 = bg.rss_bytes(gw.proc.pid)
    t_open = time.time()
    clients = bg.fanout_start(__file__, gw.st_port, n, procs, sources)
    try:
        t_ready = time.time()
        time.sleep(1.0)
        total = hflib.http_json(gw.http_port, "/status")["total"]
        rss1 = sum(bg.rss_bytes(p) for p in pids)
        sup_rss1 = bg.rss_bytes(gw.proc.pid)
        spread = [open_fds(p) - fds0[p] for p in pids]
        job_id = "%016x" % (int(time.time() * 1e6) & 0xFFFFFFFFFFFFFFFF)
        delay = 2.0 + n / 50000     # clients read nothing until the fan-out is over
        for c in clients:
            c.stdin.write(("go %s %.1f\n" % (job_id, delay)).encode())
            c.stdin.flush()
        time.sleep(0.3)
        cpu0 = cpu_split(pids)
        t0 = jm.push(bg.make_job(job_id, 900001, clean=True))
        time.sleep(delay - 0.5)
        cpu1 = cpu_split(pids)
        results = bg.fanout_collect(clients)
    finally:
        bg.fanout_stop(clients)
    times = sorted(t for r in results for t in r["times"])
    got = len(times)

    def ms(t):
        return (t - t0) * 1e3
    per = (rss1 - rss0) / n
    print("idle connections: %d subscribed + authorized Stratum sessions on one gateway host"
          % n)
    print("  gateway worker processes     %12d   (fd limit %s each; connections per worker "
          "%d..%d)" % (workers, nofile_limit(pids[0]), min(spread), max(spread)))
    print("  client processes             %12d   (sources %s..%s, %d connections each)"
          % (procs, sources[0], sources[-1], -(-n // procs)))
    print("  opened in                    %12.1f s" % (t_ready - t_open))
    print("  gateway connections gauge    %12d   (all workers)" % total.get("connections", -1))
    print("  workers' RSS before / after  %8.1f MiB / %.1f MiB   (supervisor %.1f / %.1f MiB)"
          % (rss0 / 2**20, rss1 / 2**20, sup_rss0 / 2**20, sup_rss1 / 2**20))
    print("  memory per idle connection   %12.0f bytes  (%.2f KiB; goal <= 2 KiB: %s)"
          % (per, per / 1024, "met" if per <= 2048 else "NOT met"))
    if got:
        print("  new job -> first notify      %12.1f ms" % ms(times[0]))
        print("  new job -> median notify     %12.1f ms" % ms(times[got // 2]))
        p99 = times[min(got - 1, got * 99 // 100)]
        print("  new job -> 99%% notify        %12.1f ms" % ms(p99))
        print("  new job -> LAST notify       %12.1f ms   (%d of %d received; goal <= 100 ms: "
              "%s)" % (ms(times[-1]), got, n,
                       "met" if got == n and ms(times[-1]) <= 100 else "NOT met"))
    else:
        print("  new job -> notify            no connection received the new job")
    user, system = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    print("  workers' CPU for the fan-out %12.1f ms   (user %.0f ms, system %.0f ms; %.1f us "
          "a notify)" % ((user + system) * 1e3, user * 1e3, system * 1e3,
                         (user + system) * 1e6 / n))
    print("  kernel floor: a bare send()  %12.1f us   (1.1 KB to an idle loopback TCP "
          "socket, 4,000 sockets)" % send_floor())
    print("  load average at the end      %12s" % " ".join("%.2f" % x for x in os.getloadavg()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--connections", type=int, default=100000)
    ap.add_argument("--workers", type=int, default=0, help="gateway workers (0: auto)")
    ap.add_argument("--client-procs", type=int, default=0, help="client processes (0: auto)")
    ap.add_argument("--fanout-client", nargs=3, type=int, metavar=("PORT", "N", "OFFSET"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--fanout-source", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.fanout_client:
        bg.fanout_client(*a.fanout_client, source=a.fanout_source)
        return 0
    if not hflib.have_bins("gateway"):
        print("bench_idle: %s/gateway missing (make build)" % hflib.BIN, file=sys.stderr)
        return 1
    workers, procs = plan(a.connections, a.workers, a.client_procs)
    bg.raise_nofile()
    workdir = hflib.tmpdir("bench-idle")
    jm = bg.FakeJobmaster()
    jm.push(bg.make_job("%016x" % 1, 900000, clean=True))
    gw, note = None, ""
    t_start = time.time()
    try:
        gw, note = start(workdir, jm.port, workers)
        bench(gw, jm, a.connections, workers, procs)
    finally:
        if gw:
            gw.stop()
        jm.close()
    if note:
        print("  note: " + note)
    print("  (figures from a shared 2-core machine: other work runs at the same time)")
    if os.environ.get("HF_KEEP"):
        print("total %.1f s; logs in %s" % (time.time() - t_start, workdir))
    else:
        print("total %.1f s" % (time.time() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
