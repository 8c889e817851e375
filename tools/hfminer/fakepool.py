#!/usr/bin/env python3
"""fakepool: a tiny Stratum V1 pool (stdlib only) for checking hfminer by
hand, without the rest of Headframe. It sends one made-up job (regtest
nbits, a coinbase with a BIP34-style height, a merkle branch of --branch
made-up hashes) at difficulty --diff, grants version rolling (mask
--mask), and checks every submitted share on its own with hashlib:
coinbase, merkle root, header, sha256d, share target; then duplicates
(22), unknown/stale jobs (21), bad ntime/extranonce2/version bits (20),
unknown workers (24), low difficulty (23). Counts go to --out as JSON
after every session ends (and at start):
  {"accepted":n, "rejected":{"23":n,...}, "per_worker":{...}, "blocks":n,
   "versions":{"20002000":n,...}, "connections":n, "diff_accepted":x}

  python3 tools/hfminer/fakepool.py --port 3333 --diff 1e-6 --out /tmp/fp.json &
  build/bin/hfminer --url stratum+tcp://127.0.0.1:3333 --user alice.rig1 \
      --version-rolling --shares 50 --json
  cat /tmp/fp.json     # accepted must equal the summary's "accepted"
"""
import argparse, asyncio, hashlib, json, os, struct, sys, time

DIFF1 = 0xFFFF << 208

def dsha(b): return hashlib.sha256(hashlib.sha256(b).digest()).digest()

def target_of(diff):
    return min(int(DIFF1 / diff), (1 << 256) - 1)

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--diff", type=float, default=1e-6)
ap.add_argument("--en2", type=int, default=4)
ap.add_argument("--out", required=True)
ap.add_argument("--new-job-every", type=int, default=0, help="clean job after N accepted")
ap.add_argument("--branch", type=int, default=2)
ap.add_argument("--mask", default="1fffe000")
ap.add_argument("--reconnect-after", type=int, default=0, help="client.reconnect after N shares")
ap.add_argument("--close-after", type=int, default=0, help="drop the connection after N shares")
ap.add_argument("--nbits", default="207fffff")
ap.add_argument("--delay", type=float, default=0, help="seconds before each submit reply")
args = ap.parse_args()

stats = {"accepted": 0, "rejected": {}, "per_worker": {}, "blocks": 0, "versions": {},
         "connections": 0, "diff_accepted": 0.0}
jobs = {}
seen = set()
job_counter = [0]
en1_counter = [0]
POOL_MASK = int(args.mask, 16)

def make_job():
    job_counter[0] += 1
    jid = "%08x" % (0xabc000 + job_counter[0])
    prev_display = hashlib.sha256(b"prev%d" % job_counter[0]).digest()
    # notify form: display hex split in 8 words, word order reversed
    words = [prev_display[i:i + 4] for i in range(0, 32, 4)]
    prev_notify = b"".join(reversed(words)).hex()
    prev_internal = prev_display[::-1]
    height = 100 + job_counter[0]
    coinb1 = bytes.fromhex("01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20") + bytes([3]) + height.to_bytes(3, "little") + b"hfminer-test"
    coinb2 = b"tail" + bytes.fromhex("ffffffff0100f2052a010000001976a914") + b"\x11" * 20 + bytes.fromhex("88ac00000000")
    branch = [hashlib.sha256(b"tx%d-%d" % (job_counter[0], i)).digest() for i in range(args.branch)]
    ntime = int(time.time())
    job = dict(id=jid, prev_internal=prev_internal, prev_notify=prev_notify, coinb1=coinb1,
               coinb2=coinb2, branch=branch, version=0x20000000, nbits=int(args.nbits, 16),
               ntime=ntime)
    jobs[jid] = job
    return job

def notify_line(job, clean):
    return json.dumps({"id": None, "method": "mining.notify", "params": [
        job["id"], job["prev_notify"], job["coinb1"].hex(), job["coinb2"].hex(),
        [b.hex() for b in job["branch"]], "%08x" % job["version"], "%08x" % job["nbits"],
        "%08x" % job["ntime"], clean]}) + "\n"

current = [make_job()]
writers = set()
all_sessions = []

def reject(code):
    stats["rejected"][str(code)] = stats["rejected"].get(str(code), 0) + 1

def nbits_target(nbits):
    exp = nbits >> 24; mant = nbits & 0x7fffff
    return mant << (8 * (exp - 3)) if exp > 3 else mant >> (8 * (3 - exp))

def check_share(sess, params):
    if len(params) < 5:
        return 20, None
    worker, jid, en2, ntime, nonce = params[:5]
    if worker not in sess["workers"]:
        return 24, None
    job = jobs.get(jid)
    if not job or job["id"] in sess["stale"]:
        return 21, None
    if len(en2) != 2 * args.en2:
        return 20, None
    nt = int(ntime, 16)
    if nt < job["ntime"] or nt > job["ntime"] + 7200:
        return 20, None
    version = job["version"]
    if len(params) >= 6:
        vb = int(params[5], 16)
        if vb & ~sess["mask"]:
            return 20, None
        version = (version & ~sess["mask"]) | (vb & sess["mask"])
    key = (jid, sess["en1"], en2, ntime, nonce, version)
    if key in seen:
        return 22, None
    cb = job["coinb1"] + sess["en1"] + bytes.fromhex(en2) + job["coinb2"]
    h = dsha(cb)
    for b in job["branch"]:
        h = dsha(h + b)
    header = struct.pack("<I", version) + job["prev_internal"] + h + struct.pack("<III", nt, job["nbits"], int(nonce, 16))
    hv = int.from_bytes(dsha(header), "little")
    if hv > target_of(sess["diff"]):
        return 23, None
    seen.add(key)
    stats["versions"]["%08x" % version] = stats["versions"].get("%08x" % version, 0) + 1
    if hv <= nbits_target(job["nbits"]):
        stats["blocks"] += 1
    return 0, worker

async def handle(reader, writer):
    stats["connections"] += 1
    en1_counter[0] += 1
    sess = {"en1": struct.pack(">I", 0x1000 + en1_counter[0]), "workers": set(), "mask": 0,
            "diff": args.diff, "stale": set(), "shares": 0}
    writers.add(writer)
    all_sessions.append(sess)
    def send(obj):
        writer.write((json.dumps(obj) + "\n").encode())
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            try:
                msg = json.loads(line)
            except ValueError:
                send({"id": None, "result": None, "error": [20, "bad json", None]})
                continue
            m, p, mid = msg.get("method"), msg.get("params") or [], msg.get("id")
            if m == "mining.configure":
                req = int(p[1].get("version-rolling.mask", "0"), 16)
                sess["mask"] = req & POOL_MASK
                send({"id": mid, "result": {"version-rolling": True,
                      "version-rolling.mask": "%08x" % sess["mask"]}, "error": None})
            elif m == "mining.subscribe":
                send({"id": mid, "result": [[["mining.notify", "x"]], sess["en1"].hex(), args.en2], "error": None})
            elif m == "mining.authorize":
                sess["workers"].add(p[0])
                send({"id": mid, "result": True, "error": None})
                writer.write(("%s\n" % json.dumps({"id": None, "method": "mining.set_difficulty", "params": [args.diff]})).encode())
                writer.write(notify_line(current[0], True).encode())
            elif m == "mining.submit":
                if args.delay:
                    await asyncio.sleep(args.delay)
                code, worker = check_share(sess, p)
                sess["shares"] += 1
                if code == 0:
                    stats["accepted"] += 1
                    stats["diff_accepted"] += sess["diff"]
                    pw = stats["per_worker"].setdefault(worker, 0)
                    stats["per_worker"][worker] = pw + 1
                    send({"id": mid, "result": True, "error": None})
                    if args.new_job_every and stats["accepted"] % args.new_job_every == 0:
                        current[0] = make_job()
                        for w in list(writers):
                            w.write(notify_line(current[0], True).encode())
                        # every session treats older jobs as stale
                        for s in all_sessions:
                            s["stale"].update(j for j in jobs if j != current[0]["id"])
                else:
                    reject(code)
                    send({"id": mid, "result": None, "error": [code, "rejected", None]})
                if args.reconnect_after and sess["shares"] == args.reconnect_after:
                    send({"id": None, "method": "client.reconnect", "params": ["127.0.0.1", args.port, 0]})
                if args.close_after and sess["shares"] == args.close_after:
                    await writer.drain()
                    break
            else:
                send({"id": mid, "result": None, "error": [20, "unknown", None]})
            await writer.drain()
    finally:
        writers.discard(writer)
        writer.close()
        dump()

def dump():
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(stats, f)
    os.replace(tmp, args.out)

async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", args.port)
    dump()
    async with srv:
        await srv.serve_forever()

asyncio.run(main())
