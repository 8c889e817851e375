"""End-to-end test of poolbench and of found blocks going to every node,
on two real bcoin regtest nodes that are NOT peered with each other (no
P2P at all in this suite).

Node A is our pool's first node, node B its second (jobmaster "nodes":
[A, B]); B starts with A's chain (copied by submitblock). The "other pool"
is a scripted Stratum V1 server in this file: it answers subscribe and
authorize and sends the mining.notify the test gives it.

- A pool block (a share mined through the gateway) is submitted by
  jobmaster to A and B at once: both nodes' getbestblockhash is the block,
  jobmaster's /status counts it accepted on each node, /metrics has one
  hf_jobmaster_node_* sample per node.
- B mines a block A does not have; the other pool's notify builds on it
  (BIP34 height in coinb1, prevhash in Stratum's word-swapped order):
  poolbench tells jobmaster, and our miner gets a clean empty job (empty
  merkle branch) whose notify carries exactly those prevhash bytes, while
  A's tip is still the old block. Once A has the block, the full job
  follows. poolbench's /metrics passes promtool.
- A notify below or at the height already seen changes nothing.

Binaries come from $HF_BIN (default build-asan/bin).
"""
import json
import os
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import stratum  # noqa: E402
from stratum import Client  # noqa: E402

NET_TARGET = stratum.nbits_target(0x207FFFFF)


def bip34(height):
    """CScript() << height, as Bitcoin Core writes it."""
    if height == 0:
        return b"\x00"
    if height <= 16:
        return bytes([0x50 + height])
    n = height.to_bytes((height.bit_length() + 7) // 8, "little")
    if n[-1] & 0x80:
        n += b"\x00"
    return bytes([len(n)]) + n


def stratum_prevhash(display_hex):
    """A block hash (display hex) as Stratum's notify carries it: the
    internal bytes with every 4-byte word reversed."""
    internal = bytes.fromhex(display_hex)[::-1]
    return b"".join(internal[i:i + 4][::-1] for i in range(0, 32, 4)).hex()


def bits_hex(bits):
    """getblockheader's bits: bcoin gives an integer, Core a hex string."""
    return bits if isinstance(bits, str) else "%08x" % bits


def other_notify(job_id, prev_display, height, nbits, ntime):
    nbits = bits_hex(nbits)
    script = bip34(height) + b"/otherpool/"
    cb1 = (struct.pack("<I", 1) + b"\x01" + b"\x00" * 32 + b"\xff" * 4 +
           bytes([len(script) + 8]) + script)
    return [job_id, stratum_prevhash(prev_display), cb1.hex(),
            "ffffffff0100f2052a01000000016a00000000", [], "20000000", nbits,
            "%08x" % ntime, True]


class FakePool:
    """A Stratum V1 server that answers subscribe/authorize and sends the
    notifies it is given to every connection (the latest one also to
    connections made later)."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.port = self.srv.getsockname()[1]
        self.conns = []
        self.authorized = []
        self.last = None
        self.lock = threading.Lock()
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        f = c.makefile("rb")
        for line in f:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if msg.get("method") == "mining.subscribe":
                self._send(c, {"id": msg["id"], "result": [[["mining.notify", "ab"]],
                                                           "f0000001", 4], "error": None})
            elif msg.get("method") == "mining.authorize":
                self.authorized.append(msg["params"][0])
                self._send(c, {"id": msg["id"], "result": True, "error": None})
                with self.lock:
                    self.conns.append(c)
                    if self.last:
                        self._send(c, self.last)

    @staticmethod
    def _send(c, obj):
        try:
            c.sendall((json.dumps(obj) + "\n").encode())
        except OSError:
            pass

    def notify(self, params):
        msg = {"id": None, "method": "mining.notify", "params": params}
        with self.lock:
            self.last = msg
            for c in self.conns:
                self._send(c, msg)

    def close(self):
        self.stop = True
        self.srv.close()
        with self.lock:
            for c in self.conns:
                c.close()


class PoolbenchTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = hflib.tmpdir("poolbench")
        cls.a = hflib.Node(os.path.join(cls.dir, "a"))
        cls.b = hflib.Node(os.path.join(cls.dir, "b"))
        hflib.copy_chain(cls.a, cls.b)
        cls.other = FakePool()
        tip = cls.a.rpc("getblockheader", cls.a.rpc("getbestblockhash"), True)
        # the other pool starts on our tip: poolbench's first notify is no news
        cls.other.notify(other_notify("o1", tip["hash"], tip["height"] + 1, tip["bits"],
                                      tip["time"] + 1))
        cls.pb = hflib.poolbench(cls.dir, [("other", cls.other.port)])
        payout = hflib.new_key()["p2wpkh"]
        # a slow poller: only poolbench can make the jobmaster see B's block fast
        cls.jm = hflib.jobmaster(cls.dir, cls.a, [{"address": payout}],
                                 nodes=[{"url": cls.a.url, "user": "x", "password": cls.a.key},
                                        {"url": cls.b.url, "user": "x", "password": cls.b.key}],
                                 poll_interval=2.0, refresh_interval=60,
                                 poolbench={"addr": ["tcp@127.0.0.1:%d" % cls.pb.rpc_port]})
        cls.gw = hflib.gateway(cls.dir, cls.jm.gw_port, gateway_id=3,
                               vardiff={"start": 1e-6, "min": 1e-6, "max": 1, "target": 1,
                                        "retarget": 3})
        hflib.wait_for(lambda: cls.pb_status()["jobmasters"] == 1 and
                       cls.pb_status()["pools"][0]["authorized"], 30,
                       what="poolbench authorized and jobmaster linked")

    @classmethod
    def tearDownClass(cls):
        codes = {}
        for name in ("gw", "jm", "pb"):
            svc = getattr(cls, name, None)
            if svc:
                codes[name] = svc.stop()
        if getattr(cls, "other", None):
            cls.other.close()
        for n in ("a", "b"):
            if getattr(cls, n, None):
                getattr(cls, n).stop()
        for name, rc in codes.items():
            if rc != 0:
                raise AssertionError("%s exited with %r on SIGTERM:\n%s" % (
                    name, rc, getattr(cls, name).output()[-3000:]))

    @classmethod
    def pb_status(cls):
        return hflib.http_json(cls.pb.http_port, "/status")

    def jm_status(self):
        return hflib.http_json(self.jm.http_port, "/status")

    def client(self):
        c = Client(self.gw.st_port)
        self.addCleanup(c.close)
        self.assertIsNone(c.subscribe()["error"])
        self.assertIs(c.authorize("alice.rig1")["result"], True)
        return c

    def wait_best(self, node, block_hash, timeout=20):
        hflib.wait_for(lambda: node.rpc("getbestblockhash") == block_hash, timeout,
                       what="node tip %s" % block_hash)

    def test_1_pool_block_reaches_both_nodes(self):
        c = self.client()
        tip = self.a.rpc("getbestblockhash")
        self.assertEqual(self.b.rpc("getbestblockhash"), tip)
        job = c.wait_job(lambda j: j.prev_block == tip, 20)
        share = c.mine(job, accept=lambda v: v <= NET_TARGET and
                       v <= stratum.target_for(c.difficulty))
        reply = c.submit_share(share)
        self.assertIs(reply["result"], True, reply)
        # no P2P between A and B: B has it only from jobmaster's submitblock
        self.assertEqual(self.b.rpc("getpeerinfo"), [])
        self.wait_best(self.a, share.block_hash)
        self.wait_best(self.b, share.block_hash)
        hflib.wait_for(lambda: all(n["blocks_submitted"] == 1 and n["blocks_accepted"] == 1
                                   for n in self.jm_status()["nodes"]), 10,
                       what="both nodes counted")
        st = self.jm_status()
        self.assertEqual([n["node"] for n in st["nodes"]],
                         ["127.0.0.1:%d" % self.a.rpc_port, "127.0.0.1:%d" % self.b.rpc_port])
        self.assertEqual(st["blocks_accepted"], 1, st)
        metrics = hflib.http_get(self.jm.http_port, "/metrics")[1].decode()
        for port in (self.a.rpc_port, self.b.rpc_port):
            self.assertIn('hf_jobmaster_node_blocks_accepted_total{node="127.0.0.1:%d"} 1\n'
                          % port, metrics)
        self.assertEqual(hflib.promtool_problems(self.jm.http_port), "")

    def test_2_other_pool_ahead_gives_empty_job(self):
        c = self.client()
        tip = self.a.rpc("getbestblockhash")
        cur = c.wait_job(lambda j: j.prev_block == tip, 20)
        # a notify no higher than the best seen (test 1's block): nothing happens
        hdr = self.a.rpc("getblockheader", tip, True)
        self.other.notify(other_notify("o2", hdr["previousblockhash"], hdr["height"],
                                       hdr["bits"], hdr["time"]))
        new = self.b.rpc("generatetoaddress", 1, hflib.new_key()["p2pkh"])[0]
        nh = self.b.rpc("getblockheader", new, True)
        self.assertEqual(nh["height"], hdr["height"] + 1)
        t0 = time.time()
        self.other.notify(other_notify("o3", new, nh["height"] + 1, nh["bits"],
                                       nh["time"] + 1))
        empty = c.wait_job(lambda j: j.prev_block == new, 10)
        seen = time.time()
        self.assertEqual(self.a.rpc("getbestblockhash"), tip)   # our node: still the old tip
        self.assertTrue(empty.clean)
        self.assertEqual(empty.branch, [])
        # exact bytes: the notify's prevhash is the new block's internal
        # bytes, word by word reversed
        internal = bytes.fromhex(new)[::-1]
        self.assertEqual(bytes.fromhex(empty.prevhash),
                         b"".join(internal[i:i + 4][::-1] for i in range(0, 32, 4)))
        self.assertEqual(empty.nbits, bits_hex(nh["bits"]))
        self.assertGreaterEqual(int(empty.ntime, 16), nh["time"] + 1)
        self.assertLess(seen - t0, 5.0)
        self.assertNotEqual(empty.job_id, cur.job_id)
        # our node gets the block: the full job on it follows
        self.a.rpc("submitblock", self.b.rpc("getblock", new, False))
        c.wait_job(lambda j: j.prev_block == new and j.job_id != empty.job_id, 15)
        pb = self.pb_status()
        self.assertEqual(pb["best_height"], nh["height"] + 1, pb)
        self.assertEqual(pb["pools"][0]["height"], nh["height"] + 1, pb)
        self.assertEqual(pb["pools"][0]["prev_block"], new, pb)
        self.assertEqual(pb["pools"][0]["bad_notifies"], 0, pb)
        self.assertEqual(pb["pools"][0]["notifies"], 3, pb)
        self.assertEqual(pb["tips_sent"], 2, pb)     # the first notify and o3; o2 was no news
        self.assertEqual(self.other.authorized, ["watch.pb"])
        jm = self.jm_status()
        self.assertEqual(jm["poolbench"]["tips"], 2, jm)
        self.assertGreaterEqual(jm["empty_jobs"]["jobs"], 1, jm)
        self.assertLess(jm["empty_jobs"]["last_signal_to_job_ms"], 100, jm)
        self.assertEqual(hflib.promtool_problems(self.pb.http_port), "")
        metrics = hflib.http_get(self.pb.http_port, "/metrics")[1].decode()
        self.assertIn('hf_poolbench_pool_notifies_total{pool="other"} 3\n', metrics)
        print("\npoolbench e2e: other pool's notify -> our miner's empty job %.1f ms "
              "(jobmaster signal -> push %.3f ms)" % ((seen - t0) * 1e3,
                                                      jm["empty_jobs"]["last_signal_to_job_ms"]))


if __name__ == "__main__":
    unittest.main()
