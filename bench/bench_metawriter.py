"""bench_metawriter: how many share records per second metawriter applies
to Redis, and how many Redis commands it spends per record.

Starts a redis-server (append-only, fsync every second: a production
setting) and metawriter ($HF_BIN, default build/bin) on free loopback ports,
prepares CMD_MW_BATCH frames (each record a distinct user.worker of one
minute: s/p/g/reject for the worker and its user), then sends them over one
connection with a window of requests in flight, and times from the first
send to the last acknowledgement. Redis command counts come from INFO
commandstats (commands run inside the apply script included).

    HF_BIN=build/bin python3 bench/bench_metawriter.py [batches] [records_per_batch]
"""
import json
import os
import select
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import hflib  # noqa: E402
from test_accounting import RpcLink, CMD_MW_BATCH  # noqa: E402


def make_body(epoch, seq, records, minute):
    shares = []
    for i in range(records):
        shares.append({"t": minute, "user": "user%d" % (i % 500), "worker": "w%d-%d" % (seq, i),
                       "s": 10, "p": 10 * 2048.0, "g": 10 * 2048.0 / 1024, "r": 1})
    system = [{"t": minute, "pow": records * 20480.0, "share": records * 10,
               "reject": records, "connections": records}]
    return json.dumps({"v": 1, "source": "bench", "epoch": epoch,
                       "seq": seq, "coin": "btc", "coin_name": "BTC", "host": "bench-host",
                       "time": minute + 30, "shares": shares, "system": system,
                       "events": []}).encode()


def commandstats(redis):
    """{command: calls} from INFO commandstats."""
    out = {}
    for line in redis.cmd("INFO", "commandstats").splitlines():
        if line.startswith("cmdstat_"):
            name, rest = line[8:].split(":", 1)
            calls = int(rest.split(",")[0].split("=")[1])
            out[name] = calls
    return out


def run(batches, per_batch, window=16):
    wd = hflib.tmpdir("bench-mw")
    redis = hflib.Redis(wd)
    redis.cmd("CONFIG", "SET", "appendfsync", "everysec")
    port = hflib.free_port()
    conf = os.path.join(wd, "metawriter.json")
    with open(conf, "w") as f:
        json.dump({"listen": "tcp@127.0.0.1:%d" % port, "coin": "btc",
                   "redis": {"port": redis.port}, "pipeline": window,
                   "log": {"path": os.path.join(wd, "mw.log"), "level": "warn"}}, f)
    mw = hflib.start_bin("metawriter", ["--config", conf], wd)
    link = hflib.wait_for(lambda: _try_link(port), 20, what="metawriter")

    minute = (int(time.time()) // 60) * 60
    epoch = "%016x" % int(time.time() * 1e6)
    epoch_frames = []
    for seq in range(1, batches + 1):
        body = make_body(epoch, seq, per_batch, minute)
        epoch_frames.append(link.frame(1, CMD_MW_BATCH, seq, body))
    before = commandstats(redis)
    t0 = time.time()
    sent = acked = 0
    link.s.setblocking(True)
    while acked < batches:
        while sent < batches and sent - acked < window:
            link.s.sendall(epoch_frames[sent])
            sent += 1
        select.select([link.s], [], [], 5)
        acked += _read_replies(link)
    elapsed = time.time() - t0
    after = commandstats(redis)
    mw.stop()
    redis.proc.stop()

    records = batches * per_batch
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    delta.pop("info", None)
    total = sum(delta.values())
    print("   %d batches x %d records in %.2f s" % (batches, per_batch, elapsed))
    print("   records applied per second: %.0f" % (records / elapsed))
    print("   Redis commands per record: %.2f (%d commands: %s)" %
          (total / records, total,
           ", ".join("%s %d" % kv for kv in sorted(delta.items()) if kv[1])))
    print("   Redis round trips per record: %.4f (one EVALSHA per batch)" %
          (delta.get("evalsha", 0) / records))


def _try_link(port):
    try:
        return RpcLink(port)
    except OSError:
        return None


def _read_replies(link):
    """Reads whatever replies arrived; returns how many were status 0."""
    link.s.settimeout(0.0)
    try:
        data = link.s.recv(1 << 20)
    except (BlockingIOError, OSError):
        data = b""
    link.s.settimeout(None)
    link.buf += data
    n = 0
    while len(link.buf) >= 32:
        blen = int.from_bytes(link.buf[20:24], "big")
        if len(link.buf) < 32 + blen:
            break
        typ, status = link.buf[5], int.from_bytes(link.buf[24:28], "big")
        link.buf = link.buf[32 + blen:]
        if typ == 2:
            if status != 0:
                raise RuntimeError("batch refused, status %d" % status)
            n += 1
    return n


if __name__ == "__main__":
    nb = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    run(nb, per)
