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
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
os.environ.setdefault("HF_BIN", "build/bin")     # benches measure the release build
import hflib  # noqa: E402
from hfrpc import CMD_MW_BATCH, T_REPLY, T_REQUEST, pack_frame, split_frames  # noqa: E402


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
    mw = hflib.metawriter(wd, redis.port, "btc", level="warn", pipeline=window)
    sock = socket.create_connection(("127.0.0.1", mw.port), timeout=10)

    minute = (int(time.time()) // 60) * 60
    epoch = "%016x" % int(time.time() * 1e6)
    frames = []
    for seq in range(1, batches + 1):
        body = make_body(epoch, seq, per_batch, minute)
        frames.append(pack_frame(T_REQUEST, CMD_MW_BATCH, seq, seq, body))
    before = commandstats(redis)
    t0 = time.time()
    sent = acked = 0
    buf = [b""]
    sock.setblocking(True)
    while acked < batches:
        while sent < batches and sent - acked < window:
            sock.sendall(frames[sent])
            sent += 1
        select.select([sock], [], [], 5)
        acked += _read_replies(sock, buf)
    elapsed = time.time() - t0
    after = commandstats(redis)
    sock.close()
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


def _read_replies(sock, buf):
    """Reads whatever replies arrived (buf[0]: bytes not yet a whole frame);
    returns how many were status 0."""
    sock.settimeout(0.0)
    try:
        data = sock.recv(1 << 20)
    except (BlockingIOError, OSError):
        data = b""
    sock.settimeout(None)
    frames, buf[0] = split_frames(buf[0] + data)
    n = 0
    for f in frames:
        if f.type == T_REPLY:
            if f.status != 0:
                raise RuntimeError("batch refused, status %d" % f.status)
            n += 1
    return n


if __name__ == "__main__":
    nb = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    run(nb, per)
