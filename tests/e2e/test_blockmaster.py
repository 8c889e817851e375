"""End-to-end test of blockmaster (thin-block relay between sites) on three
real bcoin regtest nodes that are NOT peered over P2P.

Node A is the pool's node (segwit active); B and C share A's chain (copied
by submitblock) and stand for two other sites, each with a blockmaster.
Three transactions spend A's early coinbases: two are sent to every node's
mempool, the third only to A's. The pool (jobmaster on A, a miner through
the gateway) finds a block holding all three; jobmaster sends it thin
(header, coinbase, BIP152 short ids) to both blockmasters over
agent-authenticated links.

- B's blockmaster rebuilds it from B's mempool, fetches the one transaction
  B lacks, checks the merkle root and submits: B's tip is the block.
- C's blockmaster has max_missing 0, so the rebuild is given up for the
  missing transaction and the full block is fetched: C's tip is the block.
- A jobmaster with a wrong secret is refused (never counted as a link).
The link bytes of the thin and of the full path are printed and compared.

Binaries come from $HF_BIN (default build-asan/bin).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import stratum  # noqa: E402
from stratum import Client  # noqa: E402

NET_TARGET = stratum.nbits_target(0x207FFFFF)
SECRET = "s3cret-for-the-blockmaster-test"


class BlockmasterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = hflib.tmpdir("blockmaster")
        cls.a = hflib.Node(os.path.join(cls.dir, "a"), segwit=True)
        cls.b = hflib.Node(os.path.join(cls.dir, "b"))
        cls.c = hflib.Node(os.path.join(cls.dir, "c"))
        for n in (cls.b, cls.c):
            hflib.copy_chain(cls.a, n)
        dest = hflib.new_key()["p2wpkh"]
        cls.txs = [hflib.spend_coinbase(cls.a, cls.a.coin_key, cls.a.activation[i], dest)
                   for i in range(3)]
        for tx in cls.txs[:2]:
            for n in (cls.a, cls.b, cls.c):
                n.rpc("sendrawtransaction", tx["hex"])
        cls.a.rpc("sendrawtransaction", cls.txs[2]["hex"])
        agents = [{"id": "jm-dc1", "secret": SECRET}]
        cls.bmb = hflib.blockmaster(cls.dir, cls.b, agents, name="bm_b")
        cls.bmc = hflib.blockmaster(cls.dir, cls.c, agents, name="bm_c", max_missing=0)
        payout = hflib.new_key()["p2wpkh"]
        cls.jm = hflib.jobmaster(cls.dir, cls.a, [{"address": payout}], blockmaster={
            "addr": ["tcp@127.0.0.1:%d" % cls.bmb.rpc_port,
                     "tcp@127.0.0.1:%d" % cls.bmc.rpc_port],
            "id": "jm-dc1", "secret": SECRET})
        cls.gw = hflib.gateway(cls.dir, cls.jm.gw_port, gateway_id=3,
                               vardiff={"start": 1e-6, "min": 1e-6, "max": 1, "target": 1,
                                        "retarget": 3})
        for bm in (cls.bmb, cls.bmc):
            hflib.wait_for(lambda: cls.status(bm)["jobmasters"] == 1 and
                           cls.status(bm)["mempool"]["txs"] == 2, 30,
                           what="blockmaster link and mempool copy")

    @classmethod
    def tearDownClass(cls):
        codes = {}
        for name in ("gw", "jm", "bad_jm", "bmb", "bmc"):
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

    @staticmethod
    def status(bm):
        return hflib.http_json(bm.http_port, "/status")

    def wait_best(self, node, block_hash, timeout=20):
        hflib.wait_for(lambda: node.rpc("getbestblockhash") == block_hash, timeout,
                       what="node tip %s" % block_hash)

    def test_1_block_rebuilt_thin_and_full(self):
        c = Client(self.gw.st_port)
        self.addCleanup(c.close)
        self.assertIsNone(c.subscribe()["error"])
        self.assertIs(c.authorize("alice.rig1")["result"], True)
        tip = self.a.rpc("getbestblockhash")
        job = c.wait_job(lambda j: j.prev_block == tip and len(j.branch) >= 2, 20)
        share = c.mine(job, accept=lambda v: v <= NET_TARGET and
                       v <= stratum.target_for(c.difficulty))
        reply = c.submit_share(share)
        self.assertIs(reply["result"], True, reply)
        h = share.block_hash
        for n in (self.a, self.b, self.c):
            self.wait_best(n, h)
        blk = self.a.rpc("getblock", h, True, False)
        want = sorted(tx["txid"] for tx in self.txs)
        self.assertEqual(sorted(blk["tx"][1:]), want)
        size = len(self.a.rpc("getblock", h, False)) // 2

        hflib.wait_for(lambda: self.status(self.bmb)["last"] and
                       self.status(self.bmc)["last"], 10, what="both blockmasters done")
        lb = self.status(self.bmb)["last"]
        self.assertEqual((lb["hash"], lb["mode"], lb["result"], lb["fallback"]),
                         (h, "thin", "accepted", ""), lb)
        self.assertEqual((lb["txs"], lb["from_mempool"], lb["fetched"], lb["size"]),
                         (4, 2, 1, size), lb)
        self.assertEqual(lb["full_bytes"], 0, lb)
        lc = self.status(self.bmc)["last"]
        self.assertEqual((lc["hash"], lc["mode"], lc["result"]), (h, "full", "accepted"), lc)
        self.assertEqual(lc["fallback"], "more missing than max_missing", lc)
        self.assertEqual((lc["from_mempool"], lc["fetched"], lc["size"]), (2, 0, size), lc)
        thin = lb["thin_bytes"] + lb["fetch_bytes"]
        full = lc["thin_bytes"] + lc["full_bytes"]
        print("\nblockmaster: block %d bytes: thin path %d link bytes (%d thin + %d fetch of "
              "1 tx), full path %d (%d thin + %d full block); B in %.4f s, C in %.4f s"
              % (size, thin, lb["thin_bytes"], lb["fetch_bytes"], full, lc["thin_bytes"],
                 lc["full_bytes"], lb["seconds"], lc["seconds"]))
        self.assertLess(lb["thin_bytes"], lc["full_bytes"])
        self.assertLess(thin, full)
        st = hflib.http_json(self.jm.http_port, "/status")
        self.assertEqual(st["blockmasters"], {"configured": 2, "up": 2, "blocks_sent": 2}, st)
        for port in (self.bmb.http_port, self.jm.http_port):
            self.assertEqual(hflib.promtool_problems(port), "", port)
        m = hflib.http_get(self.bmb.http_port, "/metrics")[1].decode()
        self.assertIn('hf_blockmaster_blocks_rebuilt_total{mode="thin"} 1\n', m)
        self.assertIn("hf_blockmaster_blocks_accepted_total 1\n", m)

    def test_2_wrong_secret_refused(self):
        payout = hflib.new_key()["p2wpkh"]
        type(self).bad_jm = hflib.jobmaster(self.dir, self.a, [{"address": payout}],
                                            name="bad_jm", blockmaster={
            "addr": ["tcp@127.0.0.1:%d" % self.bmb.rpc_port], "id": "jm-dc1",
            "secret": "not-the-right-secret-at-all"})
        hflib.wait_for(lambda: "bad secret" in self.bmb.log() or
                       "bad secret" in self.bad_jm.output(), 15, what="refusal logged")
        self.assertEqual(self.status(self.bmb)["jobmasters"], 1)
        st = hflib.http_json(self.bad_jm.http_port, "/status")
        self.assertEqual(st["blockmasters"]["up"], 0, st)


if __name__ == "__main__":
    unittest.main()
