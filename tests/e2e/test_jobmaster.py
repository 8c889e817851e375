"""End-to-end test of the jobmaster against the real bcoin regtest node.

The test plays a gateway: it speaks the ut_rpc framing (32-byte header,
big-endian, CRC32C) over TCP, says hello, receives jobs, mines them in
Python (the regtest target 7fffff... takes ~2 hashes) and reports found
blocks. It checks that the node accepts them (tip, height, coinbase payee,
witness commitment), that a mempool segwit transaction makes it into a
block, that bad blocks come back accepted:false with a reason, that
blocknotify datagrams trigger a clean job, and the status/metrics pages.
"""
import hashlib
import itertools
import json
import os
import queue
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402

EN2 = itertools.count(1)

CMD_JM_HELLO = 0x0101
CMD_JM_JOB = 0x0102
CMD_JM_BLOCK_FOUND = 0x0103
CMD_JM_BLOCK_RESULT = 0x0104
RPC_MAGIC = 0x48464D31
T_REQUEST, T_REPLY, T_PUSH, T_HEARTBEAT = 1, 2, 3, 4


# ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) ----

def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the published check value


def pack_frame(ftype, command, seq, req_id, body, status=0):
    head = struct.pack(">IBBHIQII", RPC_MAGIC, 1, ftype, command, seq, req_id, len(body),
                       status)
    return head + struct.pack(">I", crc32c(head + body)) + body


class FakeGateway:
    """One ut_rpc link to the jobmaster, as a gateway would hold it."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.settimeout(None)
        self.lock = threading.Lock()
        self.seq = 0
        self.next_id = 1
        self.replies = {}
        self.reply_cv = threading.Condition()
        self.jobs = queue.Queue()
        self.results = queue.Queue()
        self.closed = False
        threading.Thread(target=self._reader, daemon=True).start()
        threading.Thread(target=self._heartbeats, daemon=True).start()

    def _send(self, ftype, command, req_id, body):
        with self.lock:
            self.seq += 1
            self.sock.sendall(pack_frame(ftype, command, self.seq, req_id, body))

    def _heartbeats(self):
        while not self.closed:
            try:
                self._send(T_HEARTBEAT, 0, 0, b"")
            except OSError:
                return
            time.sleep(0.5)

    def _read_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("jobmaster closed the link")
            buf += chunk
        return buf

    def _reader(self):
        try:
            while True:
                head = self._read_exact(32)
                magic, ver, ftype, cmd, seq, req_id, blen, status, crc = struct.unpack(
                    ">IBBHIQIII", head)
                assert magic == RPC_MAGIC, "bad magic %x" % magic
                body = self._read_exact(blen)
                assert crc32c(head[:28] + body) == crc, "bad CRC from jobmaster"
                if ftype == T_REPLY:
                    with self.reply_cv:
                        self.replies[req_id] = (status, json.loads(body) if body else None)
                        self.reply_cv.notify_all()
                elif ftype == T_PUSH and cmd == CMD_JM_JOB:
                    self.jobs.put(json.loads(body))
                elif ftype == T_PUSH and cmd == CMD_JM_BLOCK_RESULT:
                    self.results.put(json.loads(body))
        except (EOFError, OSError):
            self.closed = True

    def request(self, command, body, timeout=40.0):
        with self.lock:
            req_id = self.next_id
            self.next_id += 1
        self._send(T_REQUEST, command, req_id, json.dumps(body).encode())
        with self.reply_cv:
            ok = self.reply_cv.wait_for(lambda: req_id in self.replies, timeout)
            assert ok, "no reply to command 0x%04x within %.0fs" % (command, timeout)
            return self.replies.pop(req_id)

    def wait_job(self, pred=lambda j: True, timeout=30.0):
        end = time.time() + timeout
        while time.time() < end:
            try:
                job = self.jobs.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                break
            if pred(job):
                return job
        raise TimeoutError("no matching job within %.0fs" % timeout)

    def drain_jobs(self):
        while not self.jobs.empty():
            self.jobs.get_nowait()

    def close(self):
        self.closed = True
        self.sock.close()


# ---- mining in Python ----

def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def nbits_target(nbits):
    exp, mant = nbits >> 24, nbits & 0x7FFFFF
    return mant << (8 * (exp - 3))


def job_header(job, en, nonce, ntime=None):
    coinbase = bytes.fromhex(job["coinb1"]) + en + bytes.fromhex(job["coinb2"])
    root = sha256d(coinbase)
    for step in job["merkle_branch"]:
        root = sha256d(root + bytes.fromhex(step))
    prev = bytes.fromhex(job["prev_block"])[::-1]
    ntime = int(job["ntime"], 16) if ntime is None else ntime
    return (struct.pack("<I", int(job["version"], 16)) + prev + root +
            struct.pack("<III", ntime, int(job["nbits"], 16), nonce))


def mine(job, en, want_valid=True, ntime=None):
    """First nonce whose header hash meets (or, want_valid=False, misses)
    the job's network target; returns (nonce, display hash)."""
    target = nbits_target(int(job["nbits"], 16))
    for nonce in range(1 << 20):
        h = sha256d(job_header(job, en, nonce, ntime))
        if (int.from_bytes(h, "little") <= target) == want_valid:
            return nonce, h[::-1].hex()
    raise AssertionError("no nonce found")


def found_body(job, en1, en2, nonce, hexhash, ntime=None, job_id=None):
    return {"v": 1, "job_id": job_id or job["job_id"], "extranonce1": en1.hex(),
            "extranonce2": en2.hex(),
            "ntime": "%08x" % (int(job["ntime"], 16) if ntime is None else ntime),
            "nonce": "%08x" % nonce, "version": job["version"], "hash": hexhash,
            "user": "alice", "worker": "rig1", "gateway_id": 7, "peer": "127.0.0.1:1"}


def script_of(address):
    return hflib.bcoin_js(
        "const b=require('bcoin');"
        "console.log(b.Script.fromAddress(b.Address.fromString(process.argv[1],'regtest'))"
        ".toRaw().toString('hex'))", address)


SPEND_JS = """
const b = require('bcoin');
const [wif, txid, value, dest] = process.argv.slice(1);
const ring = b.KeyRing.fromSecret(wif, 'regtest');
ring.witness = true;
const coin = b.Coin.fromOptions({
  version: 1, height: 1, coinbase: true, index: 0, value: Number(value),
  hash: Buffer.from(txid, 'hex').reverse().toString('hex'),
  script: b.Script.fromAddress(ring.getAddress())
});
const mtx = new b.MTX();
mtx.addCoin(coin);
mtx.addOutput({ address: b.Address.fromString(dest, 'regtest'), value: Number(value) - 100000 });
mtx.sign(ring);
const tx = mtx.toTX();
console.log(JSON.stringify({ hex: tx.toRaw().toString('hex'), txid: tx.txid(),
                             witness: tx.hasWitness() }));
"""


class JobmasterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = hflib.tmpdir("jobmaster")
        cls.node = hflib.Node(cls.work)
        cls.spend_key = hflib.new_key()
        cls.pay_key = hflib.new_key()
        # 450 blocks: segwit active, and the early coinbases are mature.
        cls.node.rpc("generatetoaddress", 450, cls.spend_key["p2wpkh"])
        cls.pay_script = script_of(cls.pay_key["p2wpkh"])
        # A segwit transaction in the mempool before the first template: bcoin
        # caches its template and adds new transactions only every 10 s.
        h1 = cls.node.rpc("getblockhash", 1)
        coinbase = cls.node.rpc("getblock", h1, True, True)["tx"][0]
        value = round(coinbase["vout"][0]["value"] * 1e8)
        cls.tx = json.loads(hflib.bcoin_js(SPEND_JS, cls.spend_key["wif"], coinbase["txid"],
                                           str(value), cls.pay_key["p2pkh"]))
        assert cls.tx["witness"]
        assert cls.node.rpc("sendrawtransaction", cls.tx["hex"]) == cls.tx["txid"]
        cls.gw_port = hflib.free_port()
        cls.http_port = hflib.free_port()
        cls.notify_port = hflib.free_port()
        cls.jm = cls.start_jobmaster("jm", cls.gw_port, cls.http_port, cls.notify_port,
                                     poll=0.1, refresh=1.0)

    @classmethod
    def start_jobmaster(cls, name, gw_port, http_port, notify_port, poll, refresh,
                        payouts=None):
        cfg = {
            "network": "bcoin-regtest",
            "nodes": [{"url": cls.node.url, "user": "x", "password": cls.node.key}],
            "payouts": payouts or [{"address": cls.pay_key["p2wpkh"], "weight": 1}],
            "submit_attempts": 30,
            "submit_retry_delay": 0.5,
            "pool_tag": "/hf-e2e/",
            "extranonce_size": 12,
            "poll_interval": poll,
            "refresh_interval": refresh,
            "gateway": {"bind": "tcp@127.0.0.1:%d" % gw_port, "heartbeat": 1.0},
            "blocknotify": "udp@127.0.0.1:%d" % notify_port,
            "http": "tcp@127.0.0.1:%d" % http_port,
            "log": {"path": os.path.join(cls.work, name + ".log"), "level": "debug"},
        }
        path = os.path.join(cls.work, name + ".json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        proc = hflib.start_bin("jobmaster", ["--config", path], cls.work)
        hflib.wait_for(lambda: cls._http_ok(http_port), 20, what="jobmaster http")
        return proc

    @staticmethod
    def _http_ok(port):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/status" % port, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    @classmethod
    def tearDownClass(cls):
        rc = cls.jm.stop()
        out = cls.jm.output()
        assert "AddressSanitizer" not in out and "runtime error" not in out, out[-4000:]
        assert rc == 0, "jobmaster exited with %s: %s" % (rc, out[-2000:])

    def setUp(self):
        self.gw = FakeGateway(self.gw_port)
        status, body = self.gw.request(CMD_JM_HELLO, {"v": 1, "gateway_id": 7, "process": 0,
                                                      "host": "e2e"})
        self.assertEqual(status, 0)
        self.assertEqual(body, {"v": 1})

    def tearDown(self):
        self.gw.close()

    def log(self):
        with open(os.path.join(self.work, "jm.log")) as f:
            return f.read()

    def next_en(self):
        return bytes.fromhex("0000beef"), struct.pack(">Q", next(EN2))

    def current_job(self):
        best = self.node.rpc("getbestblockhash")
        return self.gw.wait_job(lambda j: j["prev_block"] == best, 20)

    def submit(self, job, want_valid=True, ntime=None, job_id=None):
        en1, en2 = self.next_en()
        nonce, hexhash = mine(job, en1 + en2, want_valid, ntime)
        status, reply = self.gw.request(CMD_JM_BLOCK_FOUND,
                                        found_body(job, en1, en2, nonce, hexhash, ntime,
                                                   job_id))
        self.assertEqual(status, 0, reply)
        return hexhash, reply

    def check_block(self, job, hexhash):
        block = self.node.rpc("getblock", hexhash, True, True)
        self.assertEqual(block["height"], job["height"])
        cb = block["tx"][0]
        outs = cb["vout"]
        self.assertEqual(outs[0]["scriptPubKey"]["hex"], self.pay_script)
        self.assertEqual(round(outs[0]["value"] * 1e8), job["coinbase_value"])
        self.assertTrue(outs[-1]["scriptPubKey"]["hex"].startswith("6a24aa21a9ed"))
        self.assertIn("2f68662d6532652f", cb["vin"][0]["coinbase"])  # "/hf-e2e/"
        return block

    # ---- tests (run in name order) ----

    def test_1_job_and_accepted_blocks(self):
        best = self.node.rpc("getbestblockhash")
        height = self.node.rpc("getblockcount")
        job = self.current_job()
        self.assertEqual(job["height"], height + 1)
        self.assertEqual(len(job["job_id"]), 16)
        self.assertEqual(job["extranonce_size"], 12)
        self.assertEqual(job["nbits"], "207fffff")
        self.assertEqual(job["tx_count"], 1)              # the mempool segwit tx
        words = [best[i:i + 8] for i in range(0, 64, 8)]
        self.assertEqual(job["prevhash"], "".join(reversed(words)))
        self.assertTrue(job["coinb2"].endswith("00000000"))

        hexhash, reply = self.submit(job)
        self.assertEqual(reply["accepted"], True, reply)
        self.assertEqual(reply["hash"], hexhash)
        self.assertEqual(reply["height"], height + 1)
        self.assertEqual(reply["reason"], "")
        self.assertEqual(self.node.rpc("getbestblockhash"), hexhash)
        self.assertEqual(self.node.rpc("getblockcount"), height + 1)
        block = self.check_block(job, hexhash)
        self.assertEqual([t["txid"] for t in block["tx"]][1:], [self.tx["txid"]])
        raw = bytes.fromhex(self.node.rpc("getblock", hexhash, False))
        # header, tx count (< 0xfd), coinbase version, then marker 00 flag 01,
        # and the coinbase witness: one item of 32 zero bytes before the locktime
        self.assertEqual(raw[80], 2)
        self.assertEqual(raw[81 + 4:81 + 6], b"\x00\x01")
        cb_len = len(bytes.fromhex(job["coinb1"] + job["coinb2"])) + 12 + 2 + 34
        self.assertEqual(raw[81 + cb_len - 38:81 + cb_len - 4], b"\x01\x20" + bytes(32))
        result = self.gw.results.get(timeout=5)
        self.assertEqual((result["accepted"], result["hash"], result["user"], result["worker"],
                          result["gateway_id"]), (True, hexhash, "alice", "rig1", 7))
        self.assertRegex(self.log(), r"block found height=%d hash=%s job=%s user=alice "
                         r"worker=rig1 .*accepted=true" % (height + 1, hexhash, job["job_id"]))

        # The jobmaster moves on at once: a clean job on top of our block.
        job2 = self.gw.wait_job(lambda j: j["prev_block"] == hexhash, 10)
        self.assertTrue(job2["clean"])
        self.assertEqual(job2["height"], height + 2)
        self.assertEqual(job2["tx_count"], 0)
        hexhash2, reply2 = self.submit(job2)
        self.assertTrue(reply2["accepted"], reply2)
        self.assertEqual(self.node.rpc("getbestblockhash"), hexhash2)
        self.check_block(job2, hexhash2)

    def test_2_tip_moved_by_someone_else(self):
        self.current_job()
        other = self.node.rpc("generatetoaddress", 1, self.spend_key["p2wpkh"])[0]
        job = self.gw.wait_job(lambda j: j["prev_block"] == other, 10)
        self.assertTrue(job["clean"])
        hexhash, reply = self.submit(job)
        self.assertTrue(reply["accepted"], reply)
        self.assertEqual(self.node.rpc("getbestblockhash"), hexhash)

    def test_3_rejected_blocks(self):
        job = self.current_job()
        tip = self.node.rpc("getbestblockhash")
        # wrong nonce: hash above the target, never reaches the node
        _, reply = self.submit(job, want_valid=False)
        self.assertFalse(reply["accepted"])
        self.assertIn("high-hash", reply["reason"])
        self.assertIn("GATEWAY BUG?", self.log())
        # valid work but a time before the median time past: the node says no
        _, reply = self.submit(job, ntime=job["min_time"] - 1)
        self.assertFalse(reply["accepted"])
        self.assertEqual(reply["reason"], "rejected: time-too-old")
        # a job nobody issued
        _, reply = self.submit(job, job_id="0000000000000001")
        self.assertFalse(reply["accepted"])
        self.assertEqual(reply["reason"], "unknown job")
        # malformed: wrong extranonce length -> non-zero status
        body = found_body(job, b"\x01\x02", b"\x03", 1, "")
        status, reply = self.gw.request(CMD_JM_BLOCK_FOUND, body)
        self.assertNotEqual(status, 0)
        self.assertEqual(self.node.rpc("getbestblockhash"), tip)

    def test_4_status_and_metrics(self):
        job = self.current_job()
        with urllib.request.urlopen("http://127.0.0.1:%d/status" % self.http_port) as r:
            st = json.loads(r.read())
        self.assertEqual(st["prev_block"], job["prev_block"])
        self.assertGreaterEqual(st["height"], job["height"])
        self.assertIn(7, [g["gateway_id"] for g in st["gateways"]])
        self.assertEqual(st["blocks_accepted"], 3)
        self.assertEqual(st["last_block"]["accepted"], False)
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.http_port) as r:
            text = r.read().decode()
        self.assertRegex(text, r"\njobmaster_blocks_accepted_total %d\n" % st["blocks_accepted"])
        self.assertIn("# TYPE jobmaster_gateways gauge", text)
        # SIGHUP reopens the log and keeps running
        self.jm.signal(signal.SIGHUP)
        hflib.wait_for(lambda: "log reopened" in self.log(), 5, what="SIGHUP log line")
        self.assertTrue(self.jm.alive())

    def test_5_blocknotify(self):
        # A second jobmaster that barely polls: only the datagram tells it fast.
        gw_port, http_port, notify_port = (hflib.free_port(), hflib.free_port(),
                                           hflib.free_port())
        p2pkh_script = script_of(self.pay_key["p2pkh"])
        jm2 = self.start_jobmaster("jm2", gw_port, http_port, notify_port, poll=30,
                                   refresh=60,
                                   payouts=[{"address": self.pay_key["p2wpkh"], "weight": 3},
                                            {"script": p2pkh_script, "weight": 1}])
        try:
            gw2 = FakeGateway(gw_port)
            status, _ = gw2.request(CMD_JM_HELLO, {"v": 1, "gateway_id": 8, "host": "e2e"})
            self.assertEqual(status, 0)
            gw2.wait_job(lambda j: True, 10)
            new = self.node.rpc("generatetoaddress", 1, self.spend_key["p2wpkh"])[0]
            exe = os.path.join(os.path.dirname(jm2.argv[0]), "jobmaster")
            rc = os.spawnv(os.P_WAIT, exe, [exe, "--blocknotify", "udp@127.0.0.1:%d" %
                                            notify_port, new])
            self.assertEqual(rc, 0)
            t0 = time.time()
            job = gw2.wait_job(lambda j: j["prev_block"] == new, 5)
            self.assertLess(time.time() - t0, 5)
            self.assertTrue(job["clean"])
            # the 3:1 split, the last output taking the remainder
            en1, en2 = self.next_en()
            nonce, hexhash = mine(job, en1 + en2)
            status, reply = gw2.request(CMD_JM_BLOCK_FOUND,
                                        found_body(job, en1, en2, nonce, hexhash))
            self.assertTrue(reply["accepted"], reply)
            outs = self.node.rpc("getblock", hexhash, True, True)["tx"][0]["vout"]
            value = job["coinbase_value"]
            self.assertEqual([o["scriptPubKey"]["hex"] for o in outs[:2]],
                             [self.pay_script, p2pkh_script])
            self.assertEqual([round(o["value"] * 1e8) for o in outs[:2]],
                             [value * 3 // 4, value - value * 3 // 4])
            gw2.close()
        finally:
            self.assertEqual(jm2.stop(), 0)
        with open(os.path.join(self.work, "jm2.log")) as f:
            self.assertIn("blocknotify from 127.0.0.1", f.read())

    def test_6_submit_retried_while_node_down(self):
        job = self.current_job()
        en1, en2 = self.next_en()
        nonce, hexhash = mine(job, en1 + en2)
        self.node.stop()
        out = {}

        def found():
            out["r"] = self.gw.request(CMD_JM_BLOCK_FOUND,
                                       found_body(job, en1, en2, nonce, hexhash), 40)
        t = threading.Thread(target=found)
        t.start()
        hflib.wait_for(lambda: "retrying" in self.log(), 10, what="a submit retry")
        r = subprocess.run([os.path.join(hflib.DEPENDS, "regtest.sh"), "start", self.node.dir,
                            str(self.node.rpc_port), str(self.node.p2p_port), self.node.key],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        t.join(40)
        status, reply = out["r"]
        self.assertEqual(status, 0)
        self.assertTrue(reply["accepted"], reply)
        self.assertEqual(self.node.rpc("getbestblockhash"), hexhash)


if __name__ == "__main__":
    unittest.main(verbosity=2)
