"""End-to-end test of bitpeer and empty-block jobs on three real bcoin
regtest nodes over P2P (loopback).

Node A is the pool's node (segwit active, so its full templates carry a
witness commitment); B and C share A's chain (copied by submitblock) but
are NOT peered with A or with each other: the only P2P links are
bitpeer's, so whatever reaches B or C from the pool came through bitpeer,
and A learns of B's blocks only when the test hands them over.

- A pool block (a share mined through the gateway) reaches A by submitblock
  and B and C through bitpeer: every node's getbestblockhash is the block.
- A block mined on B (generatetoaddress) reaches jobmaster through bitpeer
  while A does not have it yet (the poller cannot have seen it): the miner
  gets a clean mining.notify on the new prevhash with an empty merkle branch
  and no witness commitment; once A has the block, the full job (same
  prevhash, witness commitment) follows.
- A share found on that empty job is a block A accepts (coinbase = subsidy).

Binaries come from $HF_BIN (default build-asan/bin).
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import stratum  # noqa: E402
from stratum import Client  # noqa: E402

NET_TARGET = stratum.nbits_target(0x207FFFFF)
COMMITMENT = "6a24aa21a9ed"


class BitpeerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = hflib.tmpdir("bitpeer")
        cls.a = hflib.Node(os.path.join(cls.dir, "a"), segwit=True)
        cls.b = hflib.Node(os.path.join(cls.dir, "b"))
        cls.c = hflib.Node(os.path.join(cls.dir, "c"))
        for n in (cls.b, cls.c):
            hflib.copy_chain(cls.a, n)
        cls.bp = hflib.bitpeer(cls.dir, [cls.a.p2p_port, cls.b.p2p_port, cls.c.p2p_port])
        payout = hflib.new_key()["p2wpkh"]
        # a slow poller: only bitpeer can make the jobmaster see B's blocks fast
        cls.jm = hflib.jobmaster(cls.dir, cls.a, [{"address": payout}],
                                 poll_interval=2.0, refresh_interval=60,
                                 bitpeer={"addr": ["tcp@127.0.0.1:%d" % cls.bp.rpc_port]})
        cls.gw = hflib.gateway(cls.dir, cls.jm.gw_port, gateway_id=3,
                               vardiff={"start": 1e-6, "min": 1e-6, "max": 1, "target": 1,
                                        "retarget": 3})
        hflib.wait_for(lambda: cls.status()["peers_ready"] == 3 and
                       cls.status()["jobmasters"] == 1, 30, what="bitpeer peers and jobmaster")

    @classmethod
    def tearDownClass(cls):
        codes = {}
        for name in ("gw", "jm", "bp"):
            svc = getattr(cls, name, None)
            if svc:
                codes[name] = svc.stop()
        for n in ("a", "b", "c"):
            if getattr(cls, n, None):
                getattr(cls, n).stop()
        for name, rc in codes.items():
            if rc != 0:
                raise AssertionError("%s exited with %r on SIGTERM:\n%s" % (
                    name, rc, getattr(cls, name).output()[-3000:]))

    @classmethod
    def status(cls):
        return hflib.http_json(cls.bp.http_port, "/status")

    def client(self):
        c = Client(self.gw.st_port)
        self.addCleanup(c.close)
        self.assertIsNone(c.subscribe()["error"])
        self.assertIs(c.authorize("alice.rig1")["result"], True)
        return c

    def job_on(self, c, prev, timeout=20):
        return c.wait_job(lambda j: j.prev_block == prev, timeout)

    def mine_block(self, c, job):
        """A share of job that is a block; returns (share, reply)."""
        share = c.mine(job, accept=lambda v: v <= NET_TARGET and
                       v <= stratum.target_for(c.difficulty))
        return share, c.submit_share(share)

    def wait_best(self, node, block_hash, timeout=20):
        hflib.wait_for(lambda: node.rpc("getbestblockhash") == block_hash, timeout,
                       what="node tip %s" % block_hash)

    def test_1_pool_block_reaches_every_node(self):
        c = self.client()
        job = self.job_on(c, self.a.rpc("getbestblockhash"))
        share, reply = self.mine_block(c, job)
        self.assertIs(reply["result"], True, reply)
        h = share.block_hash
        for n in (self.a, self.b, self.c):
            self.wait_best(n, h)
        st = self.status()
        self.assertEqual(st["push"]["last_hash"], h)
        self.assertEqual(st["push"]["last_peers"], 3)
        for p in st["peers"]:
            self.assertGreaterEqual(p["push"]["pushes"], 1, p)
        # B and C have no other peer: they fetched it from bitpeer
        served = [p["push"]["blocks_sent"] + p["push"]["cmpct_sent"] for p in st["peers"][1:]]
        self.assertTrue(all(s >= 1 for s in served), st["peers"])
        # Both modules' /metrics pass promtool with the figures of this push in them.
        for port in (self.bp.http_port, self.jm.http_port):
            self.assertEqual(hflib.promtool_problems(port), "", port)

    def test_2_foreign_block_gives_empty_job_then_full_job(self):
        c = self.client()
        tip = self.a.rpc("getbestblockhash")
        self.job_on(c, tip)
        t0 = time.time()
        other = hflib.new_key()["p2pkh"]
        new = self.b.rpc("generatetoaddress", 1, other)[0]
        empty = c.wait_job(lambda j: j.prev_block == new, 10)
        seen = time.time()
        # A does not have it: no template of A can be behind this job
        self.assertEqual(self.a.rpc("getbestblockhash"), tip)
        self.assertTrue(empty.clean)
        self.assertEqual(empty.branch, [])
        self.assertNotIn(COMMITMENT, empty.coinb2)
        self.assertLess(seen - t0, 5.0)
        # a block on the empty job: mined now, submitted once A has B's block
        share = c.mine(empty, accept=lambda v: v <= NET_TARGET and
                       v <= stratum.target_for(c.difficulty))
        raw_new = self.b.rpc("getblock", new, False)
        self.c.rpc("submitblock", raw_new)      # C too, so it can take the block below
        self.a.rpc("submitblock", raw_new)
        full = c.wait_job(lambda j: j.prev_block == new and j.job_id != empty.job_id, 15)
        self.assertIn(COMMITMENT, full.coinb2)
        self.assertFalse(full.clean)
        reply = c.submit_share(share)
        self.assertIs(reply["result"], True, reply)
        self.wait_best(self.a, share.block_hash)
        blk = self.a.rpc("getblock", share.block_hash, True, True)
        self.assertEqual(len(blk["tx"]), 1)
        height = blk["height"]
        value = sum(o["value"] for o in blk["tx"][0]["vout"])
        self.assertAlmostEqual(value, 50 / 2 ** (height // 150), places=8)   # subsidy only
        for n in (self.b, self.c):
            self.wait_best(n, share.block_hash)
        st = hflib.http_json(self.jm.http_port, "/status")
        self.assertGreaterEqual(st["empty_jobs"]["jobs"], 1, st)
        self.assertGreaterEqual(st["empty_jobs"]["replaced"], 1, st)
        metrics = hflib.http_get(self.jm.http_port, "/metrics")[1].decode()
        self.assertIn("jobmaster_empty_jobs_total %d\n" % st["empty_jobs"]["jobs"], metrics)
        # both blocks of this suite: accepted, although the P2P push may reach A first
        self.assertEqual(st["blocks_rejected"], 0, st)
        self.assertEqual(st["blocks_accepted"], 2, st)
        self.assertLess(st["empty_jobs"]["last_signal_to_job_ms"], 100, st)


if __name__ == "__main__":
    unittest.main()
