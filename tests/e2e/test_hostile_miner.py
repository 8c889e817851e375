"""End-to-end test of hostile difficulty inputs: a miner must never be able to
give its connection a difficulty outside the gateway's [vardiff.min,
vardiff.max], nor make the gateway write a non-finite number anywhere.

The bug this guards against: a miner that sent
    {"id":1,"method":"mining.subscribe","params":["x"]}
    {"id":2,"method":"mining.suggest_difficulty","params":[1e-310]}
    {"id":3,"method":"mining.authorize","params":["nanuser.w1","x"]}
(or the password "d=1e-310") got the difficulty NaN: the gateway sent
`"params":[-nan]` (not JSON), accepted junk shares with hashes above 2^255
(counted in Redis), /status answered an empty body and /metrics printed -nan.

One cluster for the whole class: a bcoin regtest node, jobmaster, a gateway
(vardiff min = start = 1e-8, max = 1e4, no retarget during the test, bans
off, accounting on with a 0.5 s flush) straight to metawriter -> Redis.
Every hostile input gets its own connection and its own user (h<N>.w1):

  test_1_suggest_difficulty  mining.suggest_difficulty before authorize with
      tiny/denormal/zero/negative/huge numbers, strings, nested arrays,
      objects, null, true, nothing, and raw lines with 1e999 and NaN;
  test_2_password_difficulty "d=..." passwords on mining.authorize;
  test_3_configure           mining.configure minimum-difficulty and
      version-rolling with hostile values;
  for each: every line the gateway sends parses as strict JSON (no
      NaN/Infinity, no number that overflows a double), every request gets a
      well-formed reply (result true/false or an error [code, message, ...]),
      the connection stays open, authorize answers true, and the first
      mining.set_difficulty after authorize is finite, within [min, max]:
      min (= start) for tiny/negative/invalid inputs, max for 1e300/1e308;
  test_4_shares_and_redis    on every one of those connections 2 real
      shares (hash within target_for(min); on regtest also blocks) are
      accepted, then ~10 junk shares (hash >= the network target, so
      neither a share nor a block) are each rejected with code 23 (real
      first: a name costs accounting only once it did work); then Redis
      btc:s:<user>:<worker> sums to the accepted count exactly,
      btc:s:<user>:<worker>:reject to the rejected submits, btc:p:... to the
      credited difficulty (the connection's difficulty, or the network
      difficulty for a block that missed the share target), and no btc:*
      hash holds a non-finite or negative value;
  test_5_status_and_metrics  /status is a non-empty strict-JSON body and
      every /metrics sample is `name{labels} value` / `name value` with a
      finite value.

The connections and the shares are made once (memoized) and shared by the
methods, so any single method can also be run on its own.

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_hostile_miner.py
"""
import json
import math
import os
import re
import socket
import sys
import time
import unittest
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
import stratum  # noqa: E402
from stratum import StratumError, error_code, nbits_target, target_for  # noqa: E402

COIN = "btc"
MIN_DIFF = 1e-8            # share target ~2^250.6: ~45 hashes per share in Python
MAX_DIFF = 1e4
START_DIFF = MIN_DIFF
POOL_MASK = 0x1FFFE000
FLUSH = 0.5
JUNK_PER_CONN = 10
REAL_PER_CONN = 2
WAIT = 10.0                # seconds to wait for any one reply

LOW, HIGH, EITHER = ("min",), ("max",), ("min", "max")


# ---- strict JSON ----

def _no_constant(name):
    raise ValueError("non-standard JSON constant %s" % name)


def _finite_float(text):
    v = float(text)
    if not math.isfinite(v):
        raise ValueError("number %s does not fit a double" % text)
    return v


def strict_loads(line):
    """A line as strict JSON: NaN, Infinity and overflowing numbers raise."""
    if isinstance(line, bytes):
        line = line.decode("utf-8")
    return json.loads(line, parse_constant=_no_constant, parse_float=_finite_float)


class StrictClient(stratum.Client):
    """A stratum.Client that keeps every raw line it receives (self.lines)
    and parses strictly; a line that is not a strict-JSON object is kept in
    self.bad (with the reason) and skipped instead of raising."""

    def __init__(self, port, timeout=WAIT):
        super().__init__(port, timeout=timeout)
        self.lines = []
        self.bad = []

    def read_line(self, timeout=None):
        line = super().read_line(timeout)
        if line is not None:
            self.lines.append(line)
        return line

    def read_msg(self, timeout=None):
        while True:
            line = self.read_line(timeout)
            if line is None:
                return None
            try:
                msg = strict_loads(line)
                if not isinstance(msg, dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                self.bad.append((line, str(e)))
                continue
            self._book(msg)
            return msg


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def reply_problems(r, mid, allow_null_id=False):
    """What is wrong with reply r to request mid: it must be
    {"id": mid, "result": true|false, "error": null} or an error reply
    {"id": mid, "result": null, "error": [code, message, ...]}."""
    out = []
    if r.get("id") != mid and not (allow_null_id and r.get("id") is None):
        out.append("reply id %r, sent %r: %r" % (r.get("id"), mid, r))
    if "result" not in r or "error" not in r:
        out.append("reply without result/error: %r" % (r,))
        return out
    err = r["error"]
    if err is None:
        if not isinstance(r["result"], bool):
            out.append("result neither true nor false: %r" % (r,))
    elif not (isinstance(err, list) and len(err) >= 2 and is_number(err[0]) and
              isinstance(err[1], str)):
        out.append("error is not [code, message, ...]: %r" % (r,))
    elif r["result"] is not None:
        out.append("error reply with a result: %r" % (r,))
    return out


def wait_line(c, pred, start, timeout=WAIT):
    """The first raw line at index >= start with pred(line), reading more as
    needed; None on EOF or timeout."""
    deadline = time.time() + timeout
    while True:
        for line in c.lines[start:]:
            if pred(line):
                return line
        left = deadline - time.time()
        if left <= 0:
            return None
        try:
            if c.read_msg(left) is None:
                for line in c.lines[start:]:
                    if pred(line):
                        return line
                return None
        except socket.timeout:
            pass


def wait_reply_any(c, mid, timeout=WAIT):
    """The reply with id mid or, failing that, one with id null (a parse
    error answers with id null); raises StratumError on EOF/timeout."""
    key = json.dumps(mid)
    deadline = time.time() + timeout
    while key not in c.replies and not c.unmatched:
        left = deadline - time.time()
        if left <= 0:
            raise StratumError("no reply to id %r within %.0fs" % (mid, timeout))
        try:
            if c.read_msg(left) is None:
                raise StratumError("connection closed before the reply to id %r" % (mid,))
        except socket.timeout:
            raise StratumError("no reply to id %r within %.0fs" % (mid, timeout))
    if key in c.replies:
        return c.replies.pop(key)
    return c.unmatched.pop(0)


def network_diff(job):
    return float(Fraction(stratum.DIFF1, nbits_target(job.nbits_int)))


# ---- the hostile inputs ----

SUGGEST = [
    ("[1e-310]", [1e-310], LOW),
    ("[5e-324]", [5e-324], LOW),
    ("[0]", [0], LOW),
    ("[-1]", [-1], LOW),
    ("[1e308]", [1e308], HIGH),
    ("[1e300]", [1e300], HIGH),
    ('["1e-310"]', ["1e-310"], LOW),
    ('["abc"]', ["abc"], LOW),
    ("[[1e-310]]", [[1e-310]], LOW),
    ("[[[1e-310]]]", [[[1e-310]]], LOW),
    ('[{"a":1}]', [{"a": 1}], LOW),
    ("[]", [], LOW),
    ("[null]", [None], LOW),
    ("[true]", [True], LOW),
    # Numbers JSON cannot hold in a double: raw lines.
    ("raw [1e999]", b'{"id":2,"method":"mining.suggest_difficulty","params":[1e999]}\n', EITHER),
    ("raw [NaN]", b'{"id":2,"method":"mining.suggest_difficulty","params":[NaN]}\n', LOW),
]

PASSWORDS = [
    ("d=1e-310", LOW), ("x,d=5e-324", LOW), ("d=nan", LOW), ("d=inf", EITHER),
    ("d=-1", LOW), ("d=0", LOW), ("d=1e999", EITHER), ("d=abc", LOW), ("d=1e300", HIGH),
]


def _min_diff(v):
    return [["minimum-difficulty"], {"minimum-difficulty.value": v}]


def _rolling(mask, bits):
    return [["version-rolling"], {"version-rolling.mask": mask,
                                  "version-rolling.min-bit-count": bits}]


CONFIGURE = [
    ("minimum-difficulty 1e-310", _min_diff(1e-310), LOW),
    ("minimum-difficulty -1", _min_diff(-1), LOW),
    ('minimum-difficulty "x"', _min_diff("x"), LOW),
    # A granted floor of 1e308 is clamped to max; a refused one leaves start.
    ("minimum-difficulty 1e308", _min_diff(1e308), "floor"),
    ('version-rolling mask "zz"', _rolling("zz", 2), LOW),
    ('version-rolling mask "ffffffffff"', _rolling("ffffffffff", 2), LOW),
    ("version-rolling min-bit-count -1", _rolling("ffffffff", -1), LOW),
    ("version-rolling min-bit-count 99", _rolling("ffffffff", 99), LOW),
    ('version-rolling min-bit-count "x"', _rolling("ffffffff", "x"), LOW),
    ("version-rolling min-bit-count 1.5", _rolling("ffffffff", 1.5), LOW),
]

FAMILIES = ("suggest", "password", "configure")


def _user_numbers():
    out, n = {}, 0
    for fam, cases in (("suggest", SUGGEST), ("password", PASSWORDS),
                       ("configure", CONFIGURE)):
        for case in cases:
            n += 1
            out[(fam, case[0])] = "h%d" % n
    return out


USERS = _user_numbers()


class Hostile:
    """One hostile connection and what happened on it."""

    def __init__(self, family, label):
        self.family, self.label = family, label
        self.user = USERS[(family, label)]
        self.worker = self.user + ".w1"
        self.c = None
        self.problems = []         # from the hostile handshake
        self.share_problems = []   # from the share phase
        self.authorized = False
        self.first_diff = None
        self.accepted = 0          # real shares answered true
        self.junk_accepted = 0
        self.rejected = 0          # submits answered with an error
        self.credited = []         # difficulty credited per accepted share
        self.nonce = 0

    def name(self):
        return "%s %s (%s)" % (self.family, self.label, self.worker)


class Cluster:
    def __init__(self):
        self.dir = hflib.tmpdir("hostile")
        self.node = hflib.Node(self.dir)
        self.redis = hflib.Redis(self.dir)
        self.mw = hflib.metawriter(self.dir, self.redis.port, COIN, allow=["127.0.0.1"])
        self.jm = hflib.jobmaster(self.dir, self.node, [{"address": hflib.new_key()["p2pkh"]}])
        self.gw = hflib.gateway(
            self.dir, self.jm.gw_port, gateway_id=9, host="gw-hostile",
            stratum={"version_mask": "%08x" % POOL_MASK},
            vardiff={"start": START_DIFF, "min": MIN_DIFF, "max": MAX_DIFF, "target": 1,
                     "retarget": 3600},
            meta={"upstream": "tcp@127.0.0.1:%d" % self.mw.port, "coin": COIN,
                  "spool_dir": os.path.join(self.dir, "spool-gateway"),
                  "source": "gwhostile", "flush_interval": FLUSH})

    def best(self):
        return self.node.rpc("getbestblockhash")


class HostileMinerTest(unittest.TestCase):
    cluster = None
    recs = {}            # family -> [Hostile]
    shares_done = False

    @classmethod
    def setUpClass(cls):
        cls.recs = {}
        cls.shares_done = False
        cls.cluster = Cluster()

    @classmethod
    def tearDownClass(cls):
        for recs in cls.recs.values():
            for h in recs:
                if h.c is not None:
                    h.c.close()
        if cls.cluster:
            cl = cls.cluster
            codes = {"gateway": cl.gw.stop(), "jobmaster": cl.jm.stop(),
                     "metawriter": cl.mw.stop()}
            cl.redis.proc.stop()
            cl.node.stop()
            for name, rc in codes.items():
                if rc != 0 and not (name == "metawriter" and rc == -15):
                    svc = {"gateway": cl.gw, "jobmaster": cl.jm, "metawriter": cl.mw}[name]
                    raise AssertionError("%s exited with %r on SIGTERM; output:\n%s" % (
                        name, rc, svc.output()[-3000:]))

    # ---- the hostile handshakes (made once, shared by the methods) ----------

    @classmethod
    def family(cls, fam):
        if fam not in cls.recs:
            cases = {"suggest": SUGGEST, "password": PASSWORDS, "configure": CONFIGURE}[fam]
            recs = []
            for case in cases:
                h = Hostile(fam, case[0])
                getattr(cls, "_open_" + fam)(h, *case[1:])
                recs.append(h)
            cls.recs[fam] = recs
        return cls.recs[fam]

    @classmethod
    def all_recs(cls):
        return [h for fam in FAMILIES for h in cls.family(fam)]

    @classmethod
    def _connect(cls, h):
        h.c = StrictClient(cls.cluster.gw.st_port)

    @classmethod
    def _subscribe(cls, h):
        mid = h.c.request("mining.subscribe", ["x"])
        r = h.c.wait_reply(mid, WAIT)
        if r.get("error") is not None or not isinstance(r.get("result"), list):
            h.problems.append("subscribe refused: %r" % (r,))
            raise StratumError("not subscribed")
        h.c.extranonce1, h.c.extranonce2_size = r["result"][1], int(r["result"][2])

    @classmethod
    def _authorize(cls, h, password, expect):
        """authorize must answer true; then the first set_difficulty is checked
        against expect (a tuple of "min"/"max")."""
        c = h.c
        n0 = len(c.lines)
        mid = c.request("mining.authorize", [h.worker, password])
        r = c.wait_reply(mid, WAIT)
        if r != {"id": mid, "result": True, "error": None}:
            h.problems.append("authorize %r with password %r: %r" % (h.worker, password, r))
            return
        h.authorized = True
        line = wait_line(c, lambda ln: b"mining.set_difficulty" in ln, n0)
        if line is None:
            h.problems.append("no mining.set_difficulty after authorize (closed: %s)" % c.eof)
            return
        try:
            msg = strict_loads(line)
            v = msg["params"][0]
        except (ValueError, KeyError, IndexError, TypeError) as e:
            h.problems.append("first mining.set_difficulty after authorize is not strict JSON "
                              "with a number (%s): %r" % (e, line))
            return
        h.first_diff = v
        if not is_number(v) or not math.isfinite(v):
            h.problems.append("first set_difficulty %r is not a finite number" % (v,))
            return
        lo_ok = v >= MIN_DIFF or math.isclose(v, MIN_DIFF, rel_tol=1e-12)
        hi_ok = v <= MAX_DIFF or math.isclose(v, MAX_DIFF, rel_tol=1e-12)
        if not (lo_ok and hi_ok):
            h.problems.append("first set_difficulty %r outside [%r, %r]" % (v, MIN_DIFF, MAX_DIFF))
        want = {"min": MIN_DIFF, "max": MAX_DIFF}
        if not any(math.isclose(v, want[w], rel_tol=1e-12) for w in expect):
            h.problems.append("first set_difficulty %r, want %s" % (
                v, " or ".join("%s=%r" % (w, want[w]) for w in expect)))
        try:
            c.wait_job(timeout=WAIT)
        except (StratumError, socket.timeout) as e:
            h.problems.append("no job after authorize: %s" % e)

    @classmethod
    def _finish(cls, h, what):
        if h.c is not None and h.c.bad:
            h.problems.append("%d line(s) from the gateway are not strict JSON, e.g. %r (%s)" % (
                len(h.c.bad), h.c.bad[0][0], h.c.bad[0][1]))
        if h.c is not None and h.c.eof:
            h.problems.append("the gateway closed the connection (%s)" % what)

    @classmethod
    def _open_suggest(cls, h, params, expect):
        try:
            cls._connect(h)
            cls._subscribe(h)
            c = h.c
            if isinstance(params, bytes):
                c.send_raw(params)
                c.next_id = 3          # the raw line was id 2
                try:
                    r = wait_reply_any(c, 2)
                    h.problems += reply_problems(r, 2, allow_null_id=True)
                    if r.get("id") is None and r.get("error") is None:
                        h.problems.append("id-null reply that is no error: %r" % (r,))
                except StratumError as e:
                    h.problems.append("suggest_difficulty raw line: %s" % e)
            else:
                mid = c.request("mining.suggest_difficulty", params)
                try:
                    r = c.wait_reply(mid, WAIT)
                    h.problems += reply_problems(r, mid)
                except (StratumError, socket.timeout) as e:
                    h.problems.append("suggest_difficulty %s: %s" % (h.label, e))
            cls._authorize(h, "x", expect)
        except (StratumError, socket.timeout, OSError) as e:
            h.problems.append("connection failed: %s" % e)
        cls._finish(h, "suggest_difficulty " + h.label)

    @classmethod
    def _open_password(cls, h, expect):
        try:
            cls._connect(h)
            cls._subscribe(h)
            cls._authorize(h, h.label, expect)
        except (StratumError, socket.timeout, OSError) as e:
            h.problems.append("connection failed: %s" % e)
        cls._finish(h, "password " + h.label)

    @classmethod
    def _open_configure(cls, h, params, expect):
        try:
            cls._connect(h)
            c = h.c
            mid = c.request("mining.configure", params)
            try:
                r = c.wait_reply(mid, WAIT)
            except (StratumError, socket.timeout) as e:
                h.problems.append("configure %s: %s" % (h.label, e))
                r = None
            floor_granted = False
            if r is not None:
                if r.get("id") != mid:
                    h.problems.append("reply id %r, sent %r" % (r.get("id"), mid))
                if r.get("error") is not None:
                    h.problems += reply_problems(r, mid)
                elif not isinstance(r.get("result"), dict):
                    h.problems.append("configure result is not an object: %r" % (r,))
                else:
                    res = r["result"]
                    for ext in params[0]:
                        if ext in res and not isinstance(res[ext], bool):
                            h.problems.append("%s is not true/false: %r" % (ext, res))
                    if res.get("version-rolling") is True:
                        mask = res.get("version-rolling.mask")
                        if not (isinstance(mask, str) and re.fullmatch(r"[0-9a-fA-F]{8}", mask)):
                            h.problems.append("granted mask is not 8 hex digits: %r" % (res,))
                        elif int(mask, 16) & ~POOL_MASK:
                            h.problems.append("granted mask %s is not within %08x" % (
                                mask, POOL_MASK))
                    floor_granted = res.get("minimum-difficulty") is True
            if expect == "floor":
                expect = HIGH if floor_granted else LOW
            cls._subscribe(h)
            cls._authorize(h, "x", expect)
        except (StratumError, socket.timeout, OSError) as e:
            h.problems.append("connection failed: %s" % e)
        cls._finish(h, "configure " + h.label)

    # ---- shares (made once, after every handshake) ------------------------

    @classmethod
    def current_job(cls, c, timeout=20):
        """c's latest job, once it builds on the node's tip."""
        deadline = time.time() + timeout
        while True:
            best = cls.cluster.best()
            if c.job is not None and c.job.prev_block == best:
                c.pump(0.05)
                if c.job.prev_block == cls.cluster.best():
                    return c.job
            if time.time() > deadline:
                raise StratumError("no job on the node's tip %s (last job on %s)" % (
                    best, c.job.prev_block if c.job else None))
            if not c.pump(0.1):
                raise StratumError("connection closed while waiting for a job")

    @classmethod
    def conn_diff(cls, h):
        """The connection's share difficulty: the last set_difficulty it got,
        if that is a finite number within [min, max]; else None."""
        d = h.c.difficulty
        if not is_number(d) or not math.isfinite(d) or \
                not MIN_DIFF * (1 - 1e-12) <= d <= MAX_DIFF * (1 + 1e-12):
            return None
        return float(d)

    @classmethod
    def _search(cls, h, job, accept):
        nonce, d = stratum.search_nonce(job, h.c.extranonce1, h.c.en2(1), job.ntime_int,
                                        job.version_int, accept, h.nonce, 100_000)
        h.nonce = nonce + 1
        return stratum.Share(job, h.c.en2(1), job.ntime_int, nonce, job.version_int, None, d)

    @classmethod
    def _junk(cls, h):
        share_tgt = target_for(MIN_DIFF)
        done = tries = 0
        job = cls.current_job(h.c)
        while done < JUNK_PER_CONN and tries < JUNK_PER_CONN + 5:
            tries += 1
            job = h.c.job      # nobody mines meanwhile: the latest job is current
            net = nbits_target(job.nbits_int)
            share = cls._search(h, job, lambda v: v >= net and v > share_tgt)
            r = h.c.submit_share(share, h.worker, WAIT)
            code = error_code(r)
            if r.get("result") is True:
                h.junk_accepted += 1
                h.share_problems.append("junk share (hash %064x >= network target %064x) "
                                        "answered %r" % (share.value, net, r))
                done += 1
                continue
            if code is None:
                h.share_problems.append("junk share answered neither true nor an error: %r" % (r,))
                done += 1
                continue
            h.rejected += 1
            if code == 21:          # a new block came in between: submit again
                job = cls.current_job(h.c)
                continue
            if code != 23:
                h.share_problems.append("junk share rejected with %r, want 23" % (r,))
            done += 1

    @classmethod
    def _real(cls, h):
        tgt = target_for(MIN_DIFF)
        for _ in range(REAL_PER_CONN):
            for attempt in range(5):
                job = cls.current_job(h.c)
                net = nbits_target(job.nbits_int)
                share = cls._search(h, job, lambda v: v <= tgt)
                diff = cls.conn_diff(h)
                r = h.c.submit_share(share, h.worker, WAIT)
                if r.get("result") is True and r.get("error") is None:
                    h.accepted += 1
                    if diff is None:        # no usable difficulty: nothing to expect
                        h.credited.append(float("nan"))
                    elif share.value <= target_for(diff):
                        h.credited.append(diff)
                    else:                   # a block that missed the share target
                        h.credited.append(network_diff(job))
                    try:
                        hflib.wait_for(lambda: cls.cluster.best() == share.block_hash, 15,
                                       what="block %s on the node" % share.block_hash)
                    except TimeoutError as e:
                        h.share_problems.append("accepted real share: %s" % e)
                    break
                if r.get("error") is not None:
                    h.rejected += 1
                if error_code(r) == 21 and attempt < 4:
                    continue
                h.share_problems.append("real share (hash %064x <= target_for(min) %064x) "
                                        "answered %r" % (share.value, tgt, r))
                break

    @classmethod
    def shares(cls):
        if cls.shares_done:
            return
        cls.shares_done = True
        recs = cls.all_recs()
        for h in recs:
            if not h.authorized or h.c is None or h.c.eof:
                h.share_problems.append("no authorized connection to submit shares on")
                continue
            try:
                # Real shares first: a name costs accounting only once it has
                # an accepted share, so junk before that is not in Redis.
                cls._real(h)
                cls._junk(h)
            except (StratumError, socket.timeout, OSError) as e:
                h.share_problems.append("share phase failed: %s" % e)
            # read what the others got meanwhile (jobs), so no socket backs up
            for o in recs:
                if o.c is not None and not o.c.eof:
                    o.c.pump(0.002)
        for h in recs:
            if h.c is not None and h.c.bad:
                h.share_problems.append("%d line(s) from the gateway are not strict JSON, "
                                        "e.g. %r (%s)" % (len(h.c.bad), h.c.bad[0][0],
                                                          h.c.bad[0][1]))

    # ---- Redis ----------------------------------------------------------------

    def redis_hash(self, key):
        flat = self.cluster.redis.cmd("HGETALL", key) or []
        return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}

    def redis_sums(self, recs):
        out = {}
        for h in recs:
            who = "%s:w1" % h.user
            row = {}
            for kind, key in (("s", "%s:s:%s" % (COIN, who)),
                              ("r", "%s:s:%s:reject" % (COIN, who)),
                              ("p", "%s:p:%s" % (COIN, who)),
                              ("us", "%s:s:%s" % (COIN, h.user)),
                              ("ur", "%s:s:%s:reject" % (COIN, h.user))):
                try:
                    row[kind] = sum(float(v) for v in self.redis_hash(key).values())
                except ValueError:
                    row[kind] = float("nan")
            out[h.user] = row
        return out

    def redis_matches(self, recs):
        sums = self.redis_sums(recs)
        for h in recs:
            g = sums[h.user]
            want_p = sum(h.credited)
            if g["s"] != h.accepted or g["r"] != h.rejected or \
                    not math.isclose(g["p"], want_p, rel_tol=1e-9, abs_tol=1e-30):
                return False
        return sums

    def bad_redis_values(self):
        """(key, field, value) of every btc:* hash value that is not a finite,
        non-negative number."""
        bad, cursor = [], "0"
        while True:
            cursor, keys = self.cluster.redis.cmd("SCAN", cursor, "MATCH", COIN + ":*",
                                                  "COUNT", 1000)
            for k in keys:
                if self.cluster.redis.cmd("TYPE", k) != "hash":
                    continue
                for f, v in self.redis_hash(k).items():
                    try:
                        x = float(v)
                    except ValueError:
                        bad.append((k, f, v))
                        continue
                    if not math.isfinite(x) or x < 0:
                        bad.append((k, f, v))
            if cursor == "0":
                return bad

    # ---- the tests ----------------------------------------------------------

    def check_family(self, fam):
        recs = self.family(fam)
        self.assertTrue(self.cluster.gw.alive(), "the gateway died: " +
                        self.cluster.gw.output()[-3000:])
        for h in recs:
            with self.subTest(case=h.label):
                if h.problems:
                    self.fail("%s:\n  %s" % (h.name(), "\n  ".join(h.problems)))

    def test_1_suggest_difficulty(self):
        """suggest_difficulty before authorize: valid replies, strict-JSON lines,
        the first set_difficulty within [min, max]."""
        self.check_family("suggest")

    def test_2_password_difficulty(self):
        """d=... passwords: authorize true, first set_difficulty within [min, max]."""
        self.check_family("password")

    def test_3_configure(self):
        """mining.configure with hostile values: valid results or errors, a
        granted mask within the pool's, the difficulty within [min, max]."""
        self.check_family("configure")

    def test_4_shares_and_redis(self):
        """Junk shares rejected with 23, real ones accepted, Redis exact and finite."""
        self.shares()
        recs = self.all_recs()
        for h in recs:
            with self.subTest(case="shares %s %s" % (h.family, h.label)):
                problems = list(h.share_problems)
                if h.accepted != REAL_PER_CONN:
                    problems.append("%d real shares accepted, want %d" % (h.accepted,
                                                                         REAL_PER_CONN))
                if h.junk_accepted:
                    problems.append("%d of %d junk shares accepted" % (h.junk_accepted,
                                                                       JUNK_PER_CONN))
                if problems:
                    self.fail("%s:\n  %s" % (h.name(), "\n  ".join(problems)))
        self.assertTrue(self.cluster.gw.alive(), "the gateway died")

        # The gateway flushes every FLUSH s; wait until Redis has it all, then
        # make sure nothing more comes in after a few more flushes.
        try:
            hflib.wait_for(lambda: self.redis_matches(recs), 20, step=0.25,
                           what="Redis to hold every hostile worker's counts")
        except TimeoutError:
            pass
        time.sleep(4 * FLUSH + 0.5)
        sums = self.redis_sums(recs)
        for h in recs:
            g = sums[h.user]
            want_p = sum(h.credited)
            who = "%s:%s:w1" % (COIN, h.user)
            with self.subTest(case="redis %s %s" % (h.family, h.label)):
                problems = []
                if g["s"] != h.accepted:
                    problems.append("%s sum %r, accepted real shares %d" % (
                        who.replace(":", ":s:", 1), g["s"], h.accepted))
                if g["r"] != h.rejected:
                    problems.append("%s:reject sum %r, rejected submits %d" % (
                        who.replace(":", ":s:", 1), g["r"], h.rejected))
                if not math.isclose(g["p"], want_p, rel_tol=1e-9, abs_tol=1e-30):
                    problems.append("%s sum %r, credited %r (sum %r)" % (
                        who.replace(":", ":p:", 1), g["p"], h.credited, want_p))
                if (g["us"], g["ur"]) != (g["s"], g["r"]):
                    problems.append("user keys s/reject %r differ from its only worker's %r" % (
                        (g["us"], g["ur"]), (g["s"], g["r"])))
                if problems:
                    self.fail("%s:\n  %s" % (h.name(), "\n  ".join(problems)))
        with self.subTest(case="redis values finite"):
            bad = self.bad_redis_values()
            if bad:
                self.fail("non-finite or negative values in Redis (key, field, value): %r" % (
                    bad[:20],))

    def test_5_status_and_metrics(self):
        """/status is strict JSON, /metrics has only finite samples."""
        self.shares()      # the hostile connections and their shares exist
        port = self.cluster.gw.http_port
        with self.subTest(page="/status"):
            code, body = hflib.http_get(port, "/status")
            self.assertEqual(code, 200)
            self.assertTrue(body.strip(), "/status answered an empty body")
            try:
                st = strict_loads(body)
            except ValueError as e:
                self.fail("/status is not strict JSON (%s): %r" % (e, body[:2000]))
            self.assertIsInstance(st, dict)

        with self.subTest(page="/metrics"):
            code, body = hflib.http_get(port, "/metrics")
            self.assertEqual(code, 200)
            text = body.decode()
            self.assertTrue(text.strip(), "/metrics answered an empty body")
            sample = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*(\{[^{}]*\})? (\S+)$")
            bad = []
            for line in text.splitlines():
                if not line.strip() or line.startswith("#"):
                    continue
                m = sample.match(line)
                if not m:
                    bad.append("%s   <- not `name{labels} value`" % line)
                    continue
                try:
                    v = float(m.group(2))
                except ValueError:
                    bad.append("%s   <- value is not a number" % line)
                    continue
                if not math.isfinite(v):
                    bad.append("%s   <- value is not finite" % line)
            if bad:
                self.fail("bad /metrics lines:\n  " + "\n  ".join(bad))
        self.assertTrue(self.cluster.gw.alive(), "the gateway died")

if __name__ == "__main__":
    unittest.main(verbosity=2)
