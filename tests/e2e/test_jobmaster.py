"""End-to-end test of the jobmaster against the real bcoin regtest node.

The test plays a gateway: it speaks the ut_rpc framing (32-byte header,
big-endian, CRC32C) over TCP, says hello, receives jobs, mines them in
Python (the regtest target 7fffff... takes ~2 hashes) and reports found
blocks. It checks that the node accepts them (tip, height, coinbase payee,
witness commitment), that a mempool segwit transaction makes it into a
block, that bad blocks come back accepted:false with a reason, that
blocknotify datagrams trigger a clean job, and the status/metrics pages.
"""
import itertools
import os
import queue
import signal
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import hfrpc  # noqa: E402
import stratum  # noqa: E402
from hfrpc import CMD_JM_BLOCK_FOUND, CMD_JM_BLOCK_RESULT, CMD_JM_HELLO, CMD_JM_JOB  # noqa: E402

EN2 = itertools.count(1)


class FakeGateway:
    """One ut_rpc link to the jobmaster, as a gateway would hold it."""

    def __init__(self, port):
        self.jobs = queue.Queue()
        self.results = queue.Queue()
        self.link = hfrpc.Link(port, on_push=self._push)

    def _push(self, frame):
        if frame.command == CMD_JM_JOB:
            self.jobs.put(frame.json())
        elif frame.command == CMD_JM_BLOCK_RESULT:
            self.results.put(frame.json())

    def request(self, command, body, timeout=40.0):
        """(status, reply body as JSON)."""
        return self.link.request_json(command, body, timeout)

    def wait_job(self, pred=lambda j: True, timeout=30.0):
        end = time.time() + timeout
        while time.time() < end:
            try:
                job = self.jobs.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                break
            if pred(job):
                return job
        raise TimeoutError("no matching job within %.0fs%s" % (
            timeout, " (link down: %s)" % self.link.error if self.link.closed else ""))

    def close(self):
        self.link.close()


# ---- mining in Python ----

def mine(job, en1, en2, want_valid=True, ntime=None):
    """First nonce whose header hash meets (or, want_valid=False, misses)
    the job's network target; returns (nonce, display hash)."""
    sj = stratum.Job.from_jobmaster(job)
    target = stratum.nbits_target(sj.nbits_int)
    nonce, h = stratum.search_nonce(sj, en1.hex(), en2.hex(),
                                    sj.ntime_int if ntime is None else ntime, sj.version_int,
                                    lambda v: (v <= target) == want_valid, max_tries=1 << 20)
    return nonce, h[::-1].hex()


def found_body(job, en1, en2, nonce, hexhash, ntime=None, job_id=None):
    return {"v": 1, "job_id": job_id or job["job_id"], "extranonce1": en1.hex(),
            "extranonce2": en2.hex(),
            "ntime": "%08x" % (int(job["ntime"], 16) if ntime is None else ntime),
            "nonce": "%08x" % nonce, "version": job["version"], "hash": hexhash,
            "user": "alice", "worker": "rig1", "gateway_id": 7, "peer": "127.0.0.1:1"}


class JobmasterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = hflib.tmpdir("jobmaster")
        # 450 blocks: segwit active, and the early coinbases are mature.
        cls.node = hflib.Node(cls.work, segwit=True)
        cls.spend_key = cls.node.coin_key
        cls.pay_key = hflib.new_key()
        cls.pay_script = hflib.script_of(cls.pay_key["p2wpkh"])
        # A segwit transaction in the mempool before the first template: bcoin
        # caches its template and adds new transactions only every 10 s.
        cls.tx = hflib.spend_coinbase(cls.node, cls.spend_key, cls.node.activation[0],
                                      cls.pay_key["p2pkh"], fee=100000)
        assert cls.tx["witness"]
        assert cls.node.rpc("sendrawtransaction", cls.tx["hex"]) == cls.tx["txid"]
        cls.jm = cls.start_jobmaster("jm", poll=0.1, refresh=1.0)

    @classmethod
    def start_jobmaster(cls, name, poll, refresh, payouts=None):
        """A jobmaster with a blocknotify port (.notify_port) besides its own."""
        notify_port = hflib.free_port()
        jm = hflib.jobmaster(
            cls.work, cls.node, payouts or [{"address": cls.pay_key["p2wpkh"], "weight": 1}],
            # node_timeout 5: the submit retries may then last 18 s (28 s - 2 x
            # node_timeout), time for test_6 to restart the node on a busy machine.
            name=name, level="debug", submit_attempts=60, submit_retry_delay=0.5,
            node_timeout=5,
            pool_tag="/hf-e2e/", poll_interval=poll, refresh_interval=refresh,
            gateway={"heartbeat": 1.0}, blocknotify={"bind": "udp@127.0.0.1:%d" % notify_port})
        jm.notify_port = notify_port
        return jm

    @classmethod
    def tearDownClass(cls):
        rc = cls.jm.stop()
        out = cls.jm.output()
        assert "AddressSanitizer" not in out and "runtime error" not in out, out[-4000:]
        assert rc == 0, "jobmaster exited with %s: %s" % (rc, out[-2000:])

    def setUp(self):
        self.gw = FakeGateway(self.jm.gw_port)
        status, body = self.gw.request(CMD_JM_HELLO, {"v": 1, "gateway_id": 7, "process": 0,
                                                      "host": "e2e"})
        self.assertEqual(status, 0)
        self.assertEqual(body, {"v": 1})

    def tearDown(self):
        self.gw.close()

    def log(self):
        return self.jm.log()

    def next_en(self):
        return bytes.fromhex("0000beef"), struct.pack(">Q", next(EN2))

    def current_job(self):
        best = self.node.rpc("getbestblockhash")
        return self.gw.wait_job(lambda j: j["prev_block"] == best, 20)

    def submit(self, job, want_valid=True, ntime=None, job_id=None):
        en1, en2 = self.next_en()
        nonce, hexhash = mine(job, en1, en2, want_valid, ntime)
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
        result = self.gw.results.get(timeout=20)
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
        st = hflib.http_json(self.jm.http_port, "/status")
        self.assertEqual(st["prev_block"], job["prev_block"])
        self.assertGreaterEqual(st["height"], job["height"])
        self.assertIn(7, [g["gateway_id"] for g in st["gateways"]])
        self.assertEqual(st["blocks_accepted"], 3)
        self.assertEqual(st["last_block"]["accepted"], False)
        text = hflib.http_get(self.jm.http_port, "/metrics")[1].decode()
        self.assertRegex(text, r"\nhf_jobmaster_blocks_accepted_total %d\n" % st["blocks_accepted"])
        self.assertIn("# TYPE hf_jobmaster_gateways gauge", text)
        # SIGHUP reopens the log and keeps running
        self.jm.signal(signal.SIGHUP)
        hflib.wait_for(lambda: "log reopened" in self.log(), 15, what="SIGHUP log line")
        self.assertTrue(self.jm.alive())

    def test_5_blocknotify(self):
        # A second jobmaster that barely polls: only the datagram tells it fast.
        p2pkh_script = hflib.script_of(self.pay_key["p2pkh"])
        jm2 = self.start_jobmaster("jm2", poll=30, refresh=60,
                                   payouts=[{"address": self.pay_key["p2wpkh"], "weight": 3},
                                            {"script": p2pkh_script, "weight": 1}])
        try:
            gw2 = FakeGateway(jm2.gw_port)
            status, _ = gw2.request(CMD_JM_HELLO, {"v": 1, "gateway_id": 8, "host": "e2e"})
            self.assertEqual(status, 0)
            gw2.wait_job(lambda j: True, 30)
            new = self.node.rpc("generatetoaddress", 1, self.spend_key["p2wpkh"])[0]
            exe = jm2.proc.argv[0]
            rc = os.spawnv(os.P_WAIT, exe, [exe, "--blocknotify", "udp@127.0.0.1:%d" %
                                            jm2.notify_port, new])
            self.assertEqual(rc, 0)
            t0 = time.time()
            job = gw2.wait_job(lambda j: j["prev_block"] == new, 5)
            self.assertLess(time.time() - t0, 5)
            self.assertTrue(job["clean"])
            # the 3:1 split, the last output taking the remainder
            en1, en2 = self.next_en()
            nonce, hexhash = mine(job, en1, en2)
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
        self.assertIn("blocknotify from 127.0.0.1", jm2.log())

    def test_6_submit_retried_while_node_down(self):
        job = self.current_job()
        en1, en2 = self.next_en()
        nonce, hexhash = mine(job, en1, en2)
        self.node.stop()
        out = {}

        def found():
            try:
                out["r"] = self.gw.request(CMD_JM_BLOCK_FOUND,
                                           found_body(job, en1, en2, nonce, hexhash), 60)
            except Exception as e:  # noqa: BLE001 - raised again below
                out["e"] = e
        t = threading.Thread(target=found)
        t.start()
        hflib.wait_for(lambda: "retrying" in self.log(), 15, what="a submit retry")
        self.node.start()           # same ports, same chain
        t.join(70)
        self.assertFalse(t.is_alive(), "no answer to the block found")
        if "e" in out:
            raise out["e"]
        status, reply = out["r"]
        self.assertEqual(status, 0)
        self.assertTrue(reply["accepted"], reply)
        self.assertEqual(self.node.rpc("getbestblockhash"), hexhash)


if __name__ == "__main__":
    unittest.main(verbosity=2)
