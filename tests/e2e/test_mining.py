"""End-to-end mining test: the real bcoin regtest node, jobmaster, gateway and
hfminer, plus a raw Stratum client (stratum.py) that mines in Python.

What it proves:
  - blocks found through the pool are accepted by the node: the tip moves,
    the height grows, every new block's coinbase pays the configured script;
  - a mempool segwit spend (signed here with bcoin) ends up in a pool block
    that carries a witness commitment;
  - a share with rolled version bits (BIP310) becomes a block whose header
    version has those bits set;
  - every rejection path of mining.submit answers with its exact code
    (25, 24, 21 unknown and stale, 22, 23, 20 for bad extranonce2 size,
    ntime, version bits, params), malformed JSON gets an id-null error, an
    over-long line gets an error and the connection is closed, and
    mining.suggest_difficulty in all its shapes leaves a working connection.

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_mining.py
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import stratum  # noqa: E402
from stratum import Client  # noqa: E402

START_DIFF = 1e-6          # regtest: ~4300 hashes per share, every share a block
POOL_MASK = 0x1FFFE000
NET_TARGET_REGTEST = stratum.nbits_target(0x207FFFFF)
WITNESS_MAGIC = "6a24aa21a9ed"
WORKER = "alice.rig1"


def err_reply(reply):
    """(id, result, code, message) of an error reply, checking its shape."""
    err = reply.get("error")
    assert isinstance(err, list) and len(err) == 3, "error must be [code, msg, null]: %r" % (
        reply,)
    return reply.get("id"), reply.get("result"), err[0], err[1]


class Pool:
    """node + jobmaster + gateway on loopback, with a key we control."""

    def __init__(self):
        self.dir = hflib.tmpdir("mining")
        # segwit active; node.coin_key (our spending key) owns the activation coinbases
        self.node = hflib.Node(self.dir, segwit=True)
        self.key = self.node.coin_key
        self.activation = self.node.activation
        gbt = self.node.rpc("getblocktemplate", {"rules": ["segwit"]})
        assert "!segwit" in gbt["rules"] or "segwit" in gbt["rules"], gbt["rules"]
        self.payout = hflib.new_key()     # the pool's payout address
        self.payout_addr = self.payout["p2wpkh"]
        self.payout_script = hflib.script_of(self.payout_addr)
        self.other_addr = hflib.new_key()["p2pkh"]   # for blocks we make on the node
        self.jm = hflib.jobmaster(self.dir, self.node, [{"address": self.payout_addr}],
                                  pool_tag="/headframe-e2e/")
        self.gw = hflib.gateway(
            self.dir, self.jm.gw_port, gateway_id=7,
            stratum={"max_line": 4096, "version_mask": "%08x" % POOL_MASK},
            jobs={"keep": 16},
            vardiff={"start": START_DIFF, "min": START_DIFF, "max": 1e4, "target": 1,
                     "retarget": 3})
        self.st_port, self.gw_http = self.gw.st_port, self.gw.http_port

    def best(self):
        return self.node.rpc("getbestblockhash")

    def height(self):
        return self.node.rpc("getblockcount")

    def block(self, h):
        return self.node.rpc("getblock", h, True, True)


class MiningTest(unittest.TestCase):
    pool = None

    @classmethod
    def setUpClass(cls):
        cls.pool = Pool()

    @classmethod
    def tearDownClass(cls):
        if cls.pool:
            codes = {"gateway": cls.pool.gw.stop(), "jobmaster": cls.pool.jm.stop()}
            cls.pool.node.stop()
            # A clean SIGTERM exit, not a sanitizer report or a crash.
            for name, rc in codes.items():
                if rc != 0:
                    raise AssertionError("%s exited with %r on SIGTERM; log:\n%s" % (
                        name, rc, getattr(cls.pool, name[:2]).output()[-3000:]))

    # -- helpers ---------------------------------------------------------------
    def client(self, subscribe=True, authorize=True, configure=None):
        c = Client(self.pool.st_port)
        self.addCleanup(c.close)
        if configure is not None:
            r = c.configure(configure)
            self.assertIs(r["result"]["version-rolling"], True, r)
        if subscribe:
            r = c.subscribe()
            self.assertIsNone(r["error"])
            self.assertEqual(len(c.extranonce1) // 2 + c.extranonce2_size, 12)
        if authorize:
            r = c.authorize(WORKER)
            self.assertEqual(r["result"], True, r)
            self.assertIsNone(r["error"])
        return c

    def current_job(self, c, timeout=20):
        """Waits until c's latest job builds on the node's tip (no block in flight)."""
        deadline = time.time() + timeout
        while True:
            best = self.pool.best()
            if c.job is not None and c.job.prev_block == best:
                c.pump(0.15)      # let a job that is on its way arrive
                if c.job.prev_block == self.pool.best():
                    return c.job
            if time.time() > deadline:
                raise AssertionError("no job on the node's tip %s (last job on %s)" % (
                    best, c.job.prev_block if c.job else None))
            c.pump(0.1)

    def assert_error(self, reply, mid, code, msg_part=None):
        rid, result, rcode, msg = err_reply(reply)
        self.assertEqual(rid, mid, reply)
        self.assertIsNone(result, reply)
        self.assertEqual(rcode, code, reply)
        if msg_part is not None:
            self.assertIn(msg_part.lower(), msg.lower(), reply)

    def assert_ok(self, reply, mid):
        self.assertEqual(reply, {"id": mid, "result": True, "error": None})

    def wait_tip(self, block_hash, timeout=30):
        hflib.wait_for(lambda: self.pool.best() == block_hash, timeout,
                       what="node tip %s" % block_hash)

    def coinbase_pays_pool(self, blk):
        cb = blk["tx"][0]
        self.assertIn("coinbase", cb["vin"][0])
        pays = [o for o in cb["vout"] if o["scriptPubKey"]["hex"] == self.pool.payout_script]
        self.assertTrue(pays, "block %s coinbase does not pay %s: %r" % (
            blk["hash"], self.pool.payout_script, cb["vout"]))
        self.assertGreater(sum(o["value"] for o in pays), 0)
        return cb

    # -- rejection paths (the pool is quiet: no hfminer yet) ---------------------
    def test_10_submit_before_subscribe(self):
        c = self.client(subscribe=False, authorize=False)
        mid = c.request("mining.submit", [WORKER, "0000000000000001", "0000000000000000",
                                          "65000000", "00000000"])
        self.assert_error(c.wait_reply(mid), mid, 25, "not subscribed")

    def test_11_submit_before_authorize(self):
        c = self.client(authorize=False)
        mid = c.request("mining.submit", [WORKER, "0000000000000001",
                                          "00" * c.extranonce2_size, "65000000", "00000000"])
        self.assert_error(c.wait_reply(mid), mid, 24, "unauthorized")
        # A worker name this connection never authorized is refused the same way.
        c.authorize(WORKER)
        job = c.wait_job()
        mid = c.request("mining.submit", ["mallory.rig9", job.job_id,
                                          "00" * c.extranonce2_size, job.ntime, "00000000"])
        self.assert_error(c.wait_reply(mid), mid, 24, "unauthorized")

    def test_12_unknown_job(self):
        c = self.client()
        c.wait_job()
        mid = c.request("mining.submit", [WORKER, "ffffffffffff0bad",
                                          "00" * c.extranonce2_size, c.job.ntime, "00000000"])
        self.assert_error(c.wait_reply(mid), mid, 21, "job not found")

    def test_13_malformed_params(self):
        c = self.client()
        job = c.wait_job()
        mid = c.request("mining.submit", [WORKER, job.job_id, "00" * c.extranonce2_size])
        self.assert_error(c.wait_reply(mid), mid, 20)
        mid = c.request("mining.submit", [WORKER, job.job_id, "zz" * c.extranonce2_size,
                                          job.ntime, "00000000"])
        self.assert_error(c.wait_reply(mid), mid, 20)

    def test_14_bad_extranonce2_size(self):
        c = self.client()
        job = self.current_job(c)
        for en2 in ("00" * (c.extranonce2_size - 1), "00" * (c.extranonce2_size + 1)):
            mid = c.request("mining.submit", [WORKER, job.job_id, en2, job.ntime, "00000000"])
            self.assert_error(c.wait_reply(mid), mid, 20, "extranonce2")

    def test_15_ntime_out_of_range(self):
        c = self.client()
        job = self.current_job(c)
        # Even a share that meets the target is refused with ntime past job+7200.
        late = job.ntime_int + 7201
        share = c.mine(job, ntime=late)
        mid = c.request("mining.submit", share.params(WORKER))
        self.assert_error(c.wait_reply(mid), mid, 20, "ntime")
        share = c.mine(job, ntime=job.ntime_int - 86400)
        mid = c.request("mining.submit", share.params(WORKER))
        self.assert_error(c.wait_reply(mid), mid, 20, "ntime")

    def test_16_version_bits_outside_mask(self):
        # Without mining.configure no bit may roll.
        c = self.client()
        job = self.current_job(c)
        mid = c.request("mining.submit", [WORKER, job.job_id, c.en2(1), job.ntime, "00000000",
                                          "00002000"])
        self.assert_error(c.wait_reply(mid), mid, 20, "version")
        # With a granted mask, a bit outside it is refused.
        c2 = self.client(configure=0xFFFFFFFF)
        self.assertEqual(c2.version_mask, POOL_MASK)
        job = self.current_job(c2)
        for bits in (0x00000001, 0x20000000 | 0x2000, 0x00001000):
            mid = c2.request("mining.submit", [WORKER, job.job_id, c2.en2(1), job.ntime,
                                               "00000000", "%08x" % bits])
            self.assert_error(c2.wait_reply(mid), mid, 20, "version")

    def test_17_configure_mask(self):
        c = Client(self.pool.st_port)
        self.addCleanup(c.close)
        r = c.configure(0x00FFF000)
        self.assertEqual(r["error"], None)
        self.assertIs(r["result"]["version-rolling"], True)
        self.assertEqual(r["result"]["version-rolling.mask"], "%08x" % (POOL_MASK & 0x00FFF000))
        # Asking for more bits than the pool can grant: version-rolling false.
        r = c.call("mining.configure", [["version-rolling"], {
            "version-rolling.mask": "00001fff", "version-rolling.min-bit-count": 2}])
        self.assertIs(r["result"]["version-rolling"], False, r)

    def test_18_low_difficulty(self):
        c = self.client()
        job = self.current_job(c)
        tgt = stratum.target_for(c.difficulty)
        # A hash above both the share target and the network target.
        share = c.mine(job, accept=lambda v: v > tgt and v > NET_TARGET_REGTEST)
        mid = c.request("mining.submit", share.params(WORKER))
        self.assert_error(c.wait_reply(mid), mid, 23, "low difficulty")

    def test_19_duplicate(self):
        c = self.client()
        job = self.current_job(c)
        share = c.mine(job)
        best = self.pool.best()
        # Both submits in one write: the gateway sees them before any new job.
        line = json.dumps({"id": 901, "method": "mining.submit",
                           "params": share.params(WORKER)}) + "\n"
        line2 = line.replace('"id": 901', '"id": 902')
        c.send_raw((line + line2).encode())
        self.assert_ok(c.wait_reply(901), 901)
        self.assert_error(c.wait_reply(902), 902, 22, "duplicate")
        # The first one was a block (regtest): the node takes it.
        self.wait_tip(share.block_hash)
        blk = self.pool.block(share.block_hash)
        self.assertEqual(blk["previousblockhash"], best)
        self.coinbase_pays_pool(blk)

    def test_20_stale_after_clean_job(self):
        c = self.client()
        old = self.current_job(c)
        share = c.mine(old)          # valid for the old job
        h = self.pool.node.rpc("generatetoaddress", 1, self.pool.other_addr)[0]
        new = c.wait_new_job(old, clean=True, timeout=20)
        self.assertEqual(new.prev_block, h)
        mid = c.request("mining.submit", share.params(WORKER))
        self.assert_error(c.wait_reply(mid), mid, 21, "stale")
        self.assertEqual(self.pool.best(), h, "a stale share must not become a block")

    def test_21_malformed_json(self):
        c = self.client(subscribe=False, authorize=False)
        for junk in (b'{"id": 5, "method": "mining.subscribe", "params": [\n',
                     b'[1, 2, 3]\n', b'"just a string"\n', b'\x00\xff garbage\n'):
            c.send_raw(junk)
            r = c.wait_unmatched()
            self.assertEqual(r["id"], None, r)
            self.assertEqual(r["result"], None, r)
            self.assertEqual(r["error"][0], 20, r)
            self.assertIn("parse", r["error"][1].lower(), r)
        # The connection is still usable.
        r = c.subscribe()
        self.assertIsNone(r["error"])
        # An unknown method: error 20 with the request's id.
        mid = c.request("mining.frobnicate", [])
        self.assert_error(c.wait_reply(mid), mid, 20, "unknown method")

    def test_22_overlong_line(self):
        # No newline at all: the gateway gives up once the buffer passes max_line.
        c = self.client(subscribe=False, authorize=False)
        c.send_raw(b'{"id":1,"method":"mining.subscribe","params":["' + b"a" * 8192)
        r = c.wait_unmatched()
        self.assertEqual(r, {"id": None, "result": None, "error": [20, "Line too long", None]})
        self.assertTrue(c.wait_closed(10), "gateway kept the connection open")
        # A complete line that is too long, after a valid request.
        c = self.client()
        pad = "x" * 5000
        c.send_raw(json.dumps({"id": 2, "method": "mining.suggest_difficulty",
                               "params": [1], "pad": pad}).encode() + b"\n")
        r = c.wait_unmatched()
        self.assertEqual(r["error"], [20, "Line too long", None])
        self.assertTrue(c.wait_closed(10), "gateway kept the connection open")
        self.assertTrue(self.pool.gw.alive())

    def test_23_suggest_difficulty_shapes(self):
        c = self.client()
        job = self.current_job(c)
        self.assertEqual(c.difficulty, START_DIFF)
        shapes = [([2e-6], 2e-6), ([[4e-6]], 4e-6), (8e-6, 8e-6), (["1.6e-05"], 1.6e-5),
                  ([3e-6, "extra"], 3e-6)]
        for params, want in shapes:
            mid = c.request("mining.suggest_difficulty", params)
            r = c.wait_reply(mid)
            self.assertEqual(r, {"id": mid, "result": True, "error": None}, params)
            got = c.wait_difficulty(lambda d: abs(d - want) <= want * 1e-9, timeout=15)
            self.assertAlmostEqual(got, want, delta=want * 1e-9)
        # Below the floor: clamped to vardiff.min.
        r = c.call("mining.suggest_difficulty", [1e-12])
        self.assertIs(r["result"], True, r)
        c.wait_difficulty(lambda d: abs(d - START_DIFF) <= START_DIFF * 1e-9, timeout=15)
        for bad in (["abc"], [{}], [[]], [], [None], [-1], [0]):
            mid = c.request("mining.suggest_difficulty", bad)
            self.assert_error(c.wait_reply(mid), mid, 20)
        # Still a working connection: a share at the current difficulty is taken.
        job = self.current_job(c)
        share = c.mine(job, difficulty=max(c.difficulty, 2e-6))
        r = c.submit_share(share)
        self.assertEqual(r.get("error"), None, r)
        self.assertIs(r["result"], True)
        self.wait_tip(share.block_hash)
        self.assertTrue(self.pool.gw.alive())

    # -- blocks --------------------------------------------------------------------
    def test_30_version_rolled_block(self):
        c = self.client(configure=POOL_MASK)
        self.assertEqual(c.version_mask, POOL_MASK)
        job = self.current_job(c)
        rolled = 0x0ABCE000 & POOL_MASK
        share = c.mine(job, rolled_bits=rolled, en2=c.en2(0x7E57))
        self.assertEqual(share.version, (job.version_int & ~POOL_MASK) | rolled)
        r = c.submit_share(share)
        self.assertEqual(r, {"id": r["id"], "result": True, "error": None})
        self.wait_tip(share.block_hash)
        blk = self.pool.block(share.block_hash)
        self.assertEqual(blk["version"], share.version)
        self.assertEqual(blk["version"] & POOL_MASK, rolled)
        self.assertEqual(blk["previousblockhash"], job.prev_block)
        cb = self.coinbase_pays_pool(blk)
        # The coinbase carries our extranonce1 + extranonce2 as the job laid them out.
        self.assertIn(c.extranonce1 + c.en2(0x7E57), cb["vin"][0]["coinbase"])

    def segwit_spend(self):
        """Signs a P2WPKH spend of a mature activation coinbase; returns (txid, hex)."""
        r = hflib.spend_coinbase(self.pool.node, self.pool.key, self.pool.activation[1],
                                 hflib.new_key()["p2wpkh"])
        self.assertEqual(r["out"]["scriptPubKey"]["type"], "WITNESSPUBKEYHASH")
        self.assertTrue(r["witness"])
        return r["txid"], r["hex"]

    def test_40_hfminer_blocks_with_segwit_tx(self):
        pool = self.pool
        h0, best0 = pool.height(), pool.best()
        st0 = hflib.http_json(pool.gw_http, "/status")["total"]["blocks"]
        txid, txhex = self.segwit_spend()
        self.assertEqual(pool.node.rpc("sendrawtransaction", txhex), txid)

        miner = hflib.start_bin("hfminer", [
            "--url", "stratum+tcp://127.0.0.1:%d" % pool.st_port, "--user", "bob.cpu0",
            # d=: a start difficulty of ~1 share/s at a few MH/s. At 1e-6 the first
            # second would bring ~1000 shares, each a sibling block for the node.
            "--password", "d=0.001", "--threads", "1", "--version-rolling", "--json",
            "--progress", "1"], pool.dir)
        try:
            def enough():
                if not miner.alive():
                    raise AssertionError("hfminer exited: " + miner.output()[-2000:])
                return pool.height() >= h0 + 5
            hflib.wait_for(enough, 180, step=0.2, what="5 blocks from hfminer")
        finally:
            rc = miner.stop()
        self.assertEqual(rc, 0, miner.output()[-2000:])
        summary = hflib.json_summary(miner)
        self.assertTrue(summary, "no JSON summary from hfminer")
        self.assertGreaterEqual(summary["accepted"], 5, summary)
        self.assertGreaterEqual(summary["blocks_accepted"], 5, summary)

        h1 = pool.height()
        self.assertGreaterEqual(h1, h0 + 5)
        self.assertNotEqual(pool.best(), best0)
        # Every block since h0 came from the pool: pays the pool, chains up.
        prev, found_tx, rolled = best0, None, 0
        for height in range(h0 + 1, h1 + 1):
            bh = pool.node.rpc("getblockhash", height)
            blk = pool.block(bh)
            self.assertEqual(blk["previousblockhash"], prev)
            prev = bh
            cb = self.coinbase_pays_pool(blk)
            if blk["version"] & POOL_MASK:
                rolled += 1
            if txid in [t["txid"] for t in blk["tx"]]:
                found_tx = (blk, cb)
        self.assertGreater(rolled, 0, "no hfminer block has rolled version bits")
        self.assertIsNotNone(found_tx, "the segwit spend %s is in no pool block" % txid)
        blk, cb = found_tx
        commits = [o for o in cb["vout"] if o["scriptPubKey"]["hex"].startswith(WITNESS_MAGIC)]
        self.assertEqual(len(commits), 1, cb["vout"])
        tx = [t for t in blk["tx"] if t["txid"] == txid][0]
        self.assertTrue(tx["vin"][0].get("txinwitness"), tx)
        self.assertNotEqual(tx["hash"], tx["txid"])     # wtxid differs: witness present
        self.assertGreater(len(blk["tx"]), 1)
        # The gateway counted the blocks the node took.
        st1 = hflib.http_json(pool.gw_http, "/status")["total"]["blocks"]
        self.assertGreaterEqual(st1["accepted"] - st0["accepted"], 5, st1)

    def test_50_status_counts(self):
        """The gateway's own counters saw the rejections sent above."""
        st = hflib.http_json(self.pool.gw_http, "/status")
        self.assertTrue(st["jobmaster_up"])
        rej = st["total"]["shares"]["rejected"]
        # At least: 20 x 10 (2 params, 2 en2 size, 2 ntime, 4 version bits),
        # 21 x 2 (unknown, stale), 22 x 1, 23 x 1.
        self.assertGreaterEqual(rej["20"], 10, rej)
        self.assertGreaterEqual(rej["21"], 2, rej)
        self.assertGreaterEqual(rej["22"], 1, rej)
        self.assertGreaterEqual(rej["23"], 1, rej)
        self.assertGreaterEqual(st["total"]["blocks"]["accepted"], 8, st["total"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
