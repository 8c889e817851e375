#!/usr/bin/env python3
"""bench_poolbench: another pool's mining.notify -> our miners' empty job.

Starts on loopback (stdlib only, ~30 s): a real bcoin regtest node, the
real poolbench, jobmaster and gateway (build/bin), and a scripted Stratum
V1 pool (FakePool of tests/e2e/test_poolbench.py) that poolbench watches.
A Stratum client is our miner.

  other pool's notify -> our empty-job mining.notify: the scripted pool
  sends a notify whose BIP34 height is one above the last (prevhash: a new
  random hash each round, nBits/ntime from our node's tip) at t0; the
  client's arrival of the clean mining.notify on that prevhash (goal <= 10 ms).
  The path: pool socket -> poolbench (parse, CMD_PB_TIP) -> jobmaster
  (empty job) -> gateway -> miner.

Repeated ROUNDS times; min / median / max in ms are printed, with
jobmaster's own signal -> push time. Figures on a busy 2-core machine are
noisy.
"""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import hflib  # noqa: E402
import stratum  # noqa: E402
from test_poolbench import FakePool, other_notify  # noqa: E402

ROUNDS = int(os.environ.get("HF_BENCH_ROUNDS", "20"))


def figures(name, xs, goal):
    xs = [x * 1e3 for x in xs]
    print("   %-46s min %.3f  median %.3f  max %.3f ms  (n=%d, goal <= %g ms)" % (
        name, min(xs), statistics.median(xs), max(xs), len(xs), goal))


def main():
    d = hflib.tmpdir("bench-poolbench")
    node = hflib.Node(d)
    node.rpc("generatetoaddress", 1, hflib.new_key()["p2pkh"])   # a recent tip
    tip = node.rpc("getblockheader", node.rpc("getbestblockhash"), True)
    pool = FakePool()
    pool.notify(other_notify("b0", tip["hash"], tip["height"] + 1, tip["bits"],
                             tip["time"] + 1))
    pb = hflib.poolbench(d, [("other", pool.port)], level="notice")
    jm = hflib.jobmaster(d, node, [{"address": hflib.new_key()["p2wpkh"]}], level="notice",
                         poll_interval=5, refresh_interval=60,
                         poolbench={"addr": ["tcp@127.0.0.1:%d" % pb.rpc_port]})
    gw = hflib.gateway(d, jm.gw_port, level="notice")
    try:
        hflib.wait_for(lambda: hflib.http_json(pb.http_port, "/status")["jobmasters"] == 1, 20,
                       what="jobmaster linked to poolbench")
        c = stratum.Client(gw.st_port)
        c.subscribe()
        c.authorize("bench.rig1")
        c.wait_job(lambda j: j.prev_block == tip["hash"], 20)
        lat, height = [], tip["height"] + 1
        for i in range(ROUNDS):
            prev = os.urandom(32).hex()
            height += 1
            t0 = time.time()
            pool.notify(other_notify("b%d" % (i + 1), prev, height, tip["bits"],
                                     tip["time"] + 1 + i))
            job = c.wait_job(lambda j: j.prev_block == prev, 10)
            assert job.clean and job.branch == [], job.params
            lat.append(job.received - t0)
            time.sleep(0.05)
        c.close()
        st = hflib.http_json(jm.http_port, "/status")
        print("   poolbench watching 1 scripted Stratum pool, jobmaster + gateway on a bcoin "
              "regtest node; %d rounds (busy shared machine)" % ROUNDS)
        figures("other pool's notify -> our empty job notify", lat, 10)
        print("   %-46s last %.3f ms" % ("(jobmaster: CMD_PB_TIP read -> job pushed)",
                                        st["empty_jobs"]["last_signal_to_job_ms"]))
    finally:
        for s in (gw, jm, pb):
            s.stop()
        pool.close()
        node.stop()


if __name__ == "__main__":
    main()
