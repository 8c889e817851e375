"""bench_stats: how fast the statistics service answers with many workers
known, and what its refresh costs.

Fills a fresh redis-server with the keys metawriter writes for W workers
(default 100,000: 99 users of ~1,000 workers and one user "big" of exactly
1,000) with M minutes of fields each (default 15, all in the last hour, so
every worker is active), through redis-cli --pipe; starts statsapi
($HF_BIN, default build/bin) with refresh 10 s and measures:
  - the first load (start until /status says loading false: every
    worker's last hour read, the API serving) and the back-fill of the
    24 h window after it (until history_loading false);
  - a refresh round afterwards (refresh_ms of /status);
  - the latency of GET /api/v1/users/big (1,000 workers) and of
    GET /api/v1/pool (W workers known) and GET /metrics: median and p99
    over N requests (default 200) on one keep-alive connection;
  - statsapi's resident memory.

    HF_BIN=build/bin python3 bench/bench_stats.py [workers] [minutes] [requests]
"""
import http.client
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
os.environ.setdefault("HF_BIN", "build/bin")
import hflib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def fill(port, workers, minutes):
    now = int(time.time()) // 60 * 60
    fields = [now - 60 * (i + 1) for i in range(minutes)]
    chunks = []
    names = [("big", "w%d" % i) for i in range(1000)]
    per_user = 1000
    i = 0
    while len(names) < workers:
        names.append(("user%d" % (i // per_user), "w%d" % (i % per_user)))
        i += 1
    users = sorted({u for u, _ in names})
    for who in [u for u in users] + ["%s:%s" % n for n in names]:
        s, p, r = [], [], []
        for f in fields:
            s += [f, 12]
            p += [f, 12 * 4096.0]
            r += [f, 1]
        chunks.append(resp("HSET", "btc:s:" + who, *s))
        chunks.append(resp("HSET", "btc:p:" + who, *p))
        chunks.append(resp("HSET", "btc:s:%s:reject" % who, *r))
    for k, v in (("pow", 12 * 4096.0 * len(names)), ("share", 12 * len(names)),
                 ("reject", len(names))):
        chunks.append(resp("HSET", "btc:m:" + k, *sum(([f, v] for f in fields), [])))
    t0 = time.time()
    p = subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=b"".join(chunks),
                       capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(p.stdout.decode() + p.stderr.decode())
    return len(names), len(users), time.time() - t0


def timed(conn, path, n):
    lat = []
    size = 0
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        lat.append((time.perf_counter() - t) * 1000)
        if r.status != 200:
            raise RuntimeError("%s: %d %s" % (path, r.status, body[:200]))
        size = len(body)
    lat.sort()
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], size


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    minutes = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    wd = hflib.tmpdir("bench-stats")
    redis = hflib.Redis(wd)
    redis.start()
    nw, nu, secs = fill(redis.port, workers, minutes)
    print("filled redis: %d workers of %d users, %d minutes each, %d keys, in %.1f s" % (
        nw, nu, minutes, int(redis.cmd("DBSIZE")), secs))
    port = hflib.free_port()
    sa = hflib.Service("statsapi", wd, "statsapi", {
        "http": {"bind": "tcp@127.0.0.1:%d" % port}, "coin": "btc",
        "redis": {"host": "127.0.0.1", "port": redis.port}, "refresh": 10,
        "web_dir": os.path.join(ROOT, "statsapi", "web"), "log": {"level": "info"}},
        lambda s: hflib.http_ok(port))
    t0 = time.time()
    sa.start()
    hflib.wait_for(lambda: not hflib.http_json(port, "/status")["loading"], 600, step=0.2,
                   what="statsapi's first load")
    load = time.time() - t0
    st = hflib.http_json(port, "/status")
    print("first load (last hour of every worker, API serving): %.1f s (%d users, %d workers)"
          % (load, st["users"], st["workers"]))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    med, p99, _ = timed(conn, "/api/v1/users/big", 20)
    print("GET /api/v1/users/big while the 24 h back-fill runs: median %.2f ms  p99 %.2f ms"
          % (med, p99))
    hflib.wait_for(lambda: not hflib.http_json(port, "/status")["history_loading"], 900,
                   step=0.5, what="statsapi's 24 h back-fill")
    print("24 h back-fill done: %.1f s after start" % (time.time() - t0))
    r0 = st["refreshes"]
    hflib.wait_for(lambda: hflib.http_json(port, "/status")["refreshes"] >= r0 + 1, 120,
                   step=0.2, what="a refresh after the load")
    st = hflib.http_json(port, "/status")
    print("refresh round with every worker active: %.0f ms" % st["refresh_ms"])
    conn.close()                 # idle through the back-fill: a fresh connection
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for path, what in (("/api/v1/users/big", "user with 1,000 workers"),
                       ("/api/v1/pool", "pool, %d workers known" % nw),
                       ("/metrics", "/metrics (per-worker samples capped at 1,000)")):
        med, p99, size = timed(conn, path, n)
        print("GET %-22s %-40s median %.2f ms  p99 %.2f ms  (%d bytes, %d requests)" % (
            path, what, med, p99, size, n))
    big = json.loads(hflib.http_get(port, "/api/v1/users/big")[1])
    assert big["workers_total"] == 1000 and big["accepted"] == 12 * minutes, big["accepted"]
    assert sum(w["accepted"] for w in big["workers"]) == 12 * minutes * 1000
    print("statsapi resident memory: %.0f MB" % rss_mb(sa.proc.pid))
    print("(figures from a shared 2-core machine that other builds were using)")
    sa.stop()


if __name__ == "__main__":
    main()
