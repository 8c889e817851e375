#!/usr/bin/env python3
"""bench_bitpeer: how fast found blocks go out and new tips come in.

Starts on loopback (stdlib only, ~1 min): a real bcoin regtest node, a
counting TCP proxy between jobmaster and the node's RPC port (it stamps the
moment a request naming "submitblock" passes), three scripted P2P peers
(version/verack, pong, sendcmpct(1, 2): BIP152 high-bandwidth, so bitpeer
pushes a cmpctblock at once; each stamps the arrival of every block
announcement), and the real bitpeer, jobmaster and gateway (build/bin).
A Stratum client mines in Python.

  1. winning share -> submitblock sent: the client sends a share that is a
     block (t0); the proxy's stamp of the submitblock request (goal <= 1 ms).
  2. winning share -> block on the wire to all P2P peers: the same t0 to the
     last of the three peers' stamps of the cmpctblock (goal <= 5 ms).
  3. new tip on P2P -> mining.notify of the empty job: a scripted peer sends
     a `headers` message with a block on the current tip (valid regtest
     proof of work, ground here) at t0; the client's arrival of the clean
     mining.notify on that prevhash (goal <= 10 ms).

Each is repeated ROUNDS times; min / median / max in ms are printed. Taken
on whatever else the machine runs: figures on a busy 2-core machine are
noisy.
"""
import hashlib
import os
import socket
import statistics
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import hflib  # noqa: E402
import stratum  # noqa: E402

ROUNDS = int(os.environ.get("HF_BENCH_ROUNDS", "20"))
MAGIC = struct.pack("<I", 0xDAB5BFFA)
NET_TARGET = stratum.nbits_target(0x207FFFFF)


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def p2p_msg(cmd, payload=b""):
    return (MAGIC + cmd.encode().ljust(12, b"\0") + struct.pack("<I", len(payload)) +
            sha256d(payload)[:4] + payload)


class FakePeer:
    """A scripted P2P node that bitpeer connects to."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(4)
        self.port = self.srv.getsockname()[1]
        self.stamps = {}          # command -> list of arrival times
        self.conn = None
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            d = self.conn.recv(n - len(buf))
            if not d:
                raise EOFError
            buf += d
        return buf

    def _run(self):
        while True:
            self.conn, _ = self.srv.accept()
            self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self._serve()
            except (EOFError, OSError):
                self.ready.clear()

    def _serve(self):
        while True:
            hdr = self._read(24)
            t = time.time()
            cmd = hdr[4:16].rstrip(b"\0").decode()
            payload = self._read(struct.unpack("<I", hdr[16:20])[0])
            self.stamps.setdefault(cmd, []).append(t)
            if cmd == "version":
                ver = struct.pack("<iQq", 70015, 9, int(time.time())) + b"\0" * 52 + \
                    b"\x07" * 8 + b"\x0b/fakepeer/" + struct.pack("<i", 0) + b"\x01"
                self.conn.sendall(p2p_msg("version", ver) + p2p_msg("verack"))
                self.conn.sendall(p2p_msg("sendcmpct", b"\x01" + struct.pack("<Q", 2)))
                self.ready.set()
            elif cmd == "ping":
                self.conn.sendall(p2p_msg("pong", payload))

    def send(self, cmd, payload):
        self.conn.sendall(p2p_msg(cmd, payload))

    def last(self, cmd):
        return (self.stamps.get(cmd) or [None])[-1]


class RpcProxy:
    """TCP proxy to the node's RPC; stamps requests that name submitblock."""

    def __init__(self, target_port):
        self.target = target_port
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(64)
        self.port = self.srv.getsockname()[1]
        self.submits = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            c, _ = self.srv.accept()
            u = socket.create_connection(("127.0.0.1", self.target))
            for s in (c, u):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pipe, args=(c, u, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(u, c, False), daemon=True).start()

    def _pipe(self, a, b, up):
        try:
            while True:
                d = a.recv(65536)
                if not d:
                    break
                if up and b"submitblock" in d:
                    self.submits.append(time.time())
                b.sendall(d)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def grind_header(prev_internal, ntime):
    """An 80-byte regtest header on prev that meets its own target."""
    for nonce in range(1 << 32):
        h = struct.pack("<I", 0x20000000) + prev_internal + os.urandom(32) + \
            struct.pack("<III", ntime, 0x207FFFFF, nonce)
        d = sha256d(h)
        if int.from_bytes(d, "little") <= NET_TARGET:
            return h, d
    raise RuntimeError("no header")


def figures(name, xs, goal):
    xs = [x * 1e3 for x in xs]
    print("   %-46s min %.3f  median %.3f  max %.3f ms  (n=%d, goal <= %g ms)" % (
        name, min(xs), statistics.median(xs), max(xs), len(xs), goal))


def main():
    d = hflib.tmpdir("bench-bitpeer")
    node = hflib.Node(d)
    node.rpc("generatetoaddress", 1, hflib.new_key()["p2pkh"])   # a recent tip
    proxy = RpcProxy(node.rpc_port)
    peers = [FakePeer() for _ in range(3)]
    bp = hflib.bitpeer(d, [p.port for p in peers], level="notice")
    jm = hflib.jobmaster(d, node, [{"address": hflib.new_key()["p2wpkh"]}], level="notice",
                         nodes=[{"url": "http://127.0.0.1:%d/" % proxy.port, "user": "x",
                                 "password": node.key}],
                         bitpeer={"addr": ["tcp@127.0.0.1:%d" % bp.rpc_port]})
    gw = hflib.gateway(d, jm.gw_port, level="notice",
                       vardiff={"start": 1e-6, "min": 1e-6, "max": 1, "target": 1,
                                "retarget": 3})
    try:
        for p in peers:
            if not p.ready.wait(20):
                raise RuntimeError("bitpeer did not connect to a scripted peer")
        c = stratum.Client(gw.st_port)
        c.subscribe()
        c.authorize("bench.rig1")
        share_to_submit, share_to_wire, tip_to_notify = [], [], []
        for _ in range(ROUNDS):
            job = c.wait_job(lambda j: j.prev_block == node.rpc("getbestblockhash"), 20)
            share = c.mine(job, accept=lambda v: v <= NET_TARGET and
                           v <= stratum.target_for(c.difficulty))
            n_sub, n_cmpct = len(proxy.submits), [len(p.stamps.get("cmpctblock", []))
                                                  for p in peers]
            t0 = time.time()
            reply = c.submit_share(share)
            assert reply["result"] is True, reply
            hflib.wait_for(lambda: len(proxy.submits) > n_sub and all(
                len(p.stamps.get("cmpctblock", [])) > n for p, n in zip(peers, n_cmpct)),
                10, step=0.001, what="submitblock and the cmpctblocks")
            share_to_submit.append(proxy.submits[n_sub] - t0)
            share_to_wire.append(max(p.stamps["cmpctblock"][n] for p, n in
                                     zip(peers, n_cmpct)) - t0)
            hflib.wait_for(lambda: node.rpc("getbestblockhash") == share.block_hash, 10)
        # new tips on P2P: a chain of headers only the scripted peer has
        prev = bytes.fromhex(node.rpc("getbestblockhash"))[::-1]
        c.wait_job(lambda j: j.prev_block == prev[::-1].hex(), 20)
        ntime = int(time.time())
        for i in range(ROUNDS):
            hdr, h = grind_header(prev, ntime + i + 1)
            want = h[::-1].hex()
            t0 = time.time()
            peers[i % 3].send("headers", b"\x01" + hdr + b"\x00")
            job = c.wait_job(lambda j: j.prev_block == want, 10)
            assert job.clean and job.branch == [], job.params
            tip_to_notify.append(job.received - t0)
            prev = h
            time.sleep(0.05)
        c.close()
        print("   bitpeer with 3 scripted P2P peers (cmpctblock HB), jobmaster on a bcoin "
              "regtest node via a TCP proxy; %d rounds each (busy shared machine)" % ROUNDS)
        figures("winning share -> submitblock sent", share_to_submit, 1)
        figures("winning share -> block on the wire (3 peers)", share_to_wire, 5)
        figures("new tip on P2P -> empty job mining.notify", tip_to_notify, 10)
    finally:
        for s in (gw, jm, bp):
            s.stop()
        node.stop()


if __name__ == "__main__":
    main()
