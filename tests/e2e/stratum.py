"""A small raw Stratum V1 client for Headframe's end-to-end tests (stdlib only).

It speaks line-delimited JSON to a gateway, keeps the notifications it sees
(mining.notify, mining.set_difficulty, mining.set_version_mask) and can build
and mine shares itself: the coinbase, merkle root and header are computed here
independently of the gateway, so a share this client finds is a real proof of
work for the job it was given.

    c = Client(port)
    c.subscribe(); c.authorize("alice.rig1")
    job = c.wait_job()
    share = c.mine(job, difficulty=c.difficulty)
    reply = c.submit_share(share)
"""
import hashlib
import json
import socket
import struct
import time
from fractions import Fraction

DIFF1 = 0xFFFF << 208
NOTIFICATIONS = ("mining.notify", "mining.set_difficulty", "mining.set_version_mask",
                 "mining.set_extranonce", "client.reconnect", "client.show_message")


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def target_for(difficulty):
    """Share target (an integer) for a difficulty, which may be below 1."""
    d = Fraction(difficulty)
    if d <= 0:
        raise ValueError("difficulty must be > 0")
    return min(int(Fraction(DIFF1) / d), (1 << 256) - 1)


def nbits_target(nbits):
    """The network target encoded by compact nbits (an int)."""
    exp, mant = nbits >> 24, nbits & 0x007FFFFF
    if exp <= 3:
        return mant >> (8 * (3 - exp))
    return mant << (8 * (exp - 3))


def hash_value(h):
    """A header hash (raw sha256d bytes) as the little-endian integer compared to targets."""
    return int.from_bytes(h, "little")


def prevhash_internal(notify_prevhash):
    """mining.notify prevhash -> the previous block hash in internal (serialized) byte order.
    The notify form is the internal bytes with every 4-byte word byte-swapped."""
    raw = bytes.fromhex(notify_prevhash)
    if len(raw) != 32:
        raise ValueError("prevhash must be 32 bytes")
    return b"".join(raw[i:i + 4][::-1] for i in range(0, 32, 4))


class Job:
    """The parameters of one mining.notify."""

    def __init__(self, params, received=None):
        (self.job_id, self.prevhash, self.coinb1, self.coinb2, self.branch, self.version,
         self.nbits, self.ntime, self.clean) = params[:9]
        self.params = params
        self.received = received if received is not None else time.time()

    @classmethod
    def from_jobmaster(cls, job):
        """The Stratum view of a jobmaster job (the JSON body of CMD_JM_JOB)."""
        return cls([job["job_id"], job["prevhash"], job["coinb1"], job["coinb2"],
                    job["merkle_branch"], job["version"], job["nbits"], job["ntime"],
                    job["clean"]])

    @property
    def prev_block(self):
        """Previous block hash in display hex (as getbestblockhash prints it)."""
        return prevhash_internal(self.prevhash)[::-1].hex()

    @property
    def version_int(self):
        return int(self.version, 16)

    @property
    def ntime_int(self):
        return int(self.ntime, 16)

    @property
    def nbits_int(self):
        return int(self.nbits, 16)

    def coinbase(self, en1, en2):
        return bytes.fromhex(self.coinb1 + en1 + en2 + self.coinb2)

    def merkle_root(self, en1, en2):
        root = sha256d(self.coinbase(en1, en2))
        for h in self.branch:
            root = sha256d(root + bytes.fromhex(h))
        return root

    def header(self, en1, en2, ntime, nonce, version=None, root=None):
        """The 80-byte header; ntime, nonce, version are ints (version: the final one)."""
        if version is None:
            version = self.version_int
        if root is None:
            root = self.merkle_root(en1, en2)
        return (struct.pack("<I", version) + prevhash_internal(self.prevhash) + root +
                struct.pack("<III", ntime, self.nbits_int, nonce))


class Share:
    """A share ready to submit: hex fields as Stratum sends them."""

    def __init__(self, job, en2, ntime, nonce, version, rolled_bits, header_hash):
        self.job, self.en2, self.ntime, self.nonce = job, en2, ntime, nonce
        self.version = version            # final header version (int)
        self.rolled_bits = rolled_bits    # what goes into the 6th submit param, or None
        self.hash = header_hash           # raw sha256d bytes

    @property
    def block_hash(self):
        return self.hash[::-1].hex()

    @property
    def value(self):
        return hash_value(self.hash)

    def params(self, worker):
        p = [worker, self.job.job_id, self.en2, "%08x" % self.ntime, "%08x" % self.nonce]
        if self.rolled_bits is not None:
            p.append("%08x" % self.rolled_bits)
        return p


class StratumError(Exception):
    pass


class Client:
    """One Stratum V1 connection. Replies are matched by id; notifications are
    kept in self.notes (and the latest job/difficulty/mask in attributes)."""

    def __init__(self, port, host="127.0.0.1", timeout=30.0, connect_timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        self.sock.settimeout(timeout)
        self.timeout = timeout
        self.buf = b""
        self.eof = False
        self.next_id = 1
        self.replies = {}        # id (as json) -> reply dict
        self.unmatched = []      # replies whose id is null or unknown, in order
        self.notes = []          # (time, message) of every notification
        self.jobs = {}           # job_id -> Job
        self.job = None          # the latest job
        self.difficulty = None   # the latest mining.set_difficulty
        self.version_mask = None
        self.extranonce1 = None
        self.extranonce2_size = None
        self.worker = None

    # -- wire ---------------------------------------------------------------
    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, obj):
        self.sock.sendall(json.dumps(obj, separators=(",", ":")).encode() + b"\n")

    def _fill(self, deadline):
        """Reads more bytes; returns False on EOF. Raises socket.timeout at deadline."""
        left = deadline - time.time()
        if left <= 0:
            raise socket.timeout("no data from the gateway in time")
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def read_line(self, timeout=None):
        """The next raw line (bytes, without the newline), or None on EOF."""
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        while b"\n" not in self.buf:
            if self.eof or not self._fill(deadline):
                return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def read_msg(self, timeout=None):
        """The next message (dict), bookkept; None on EOF."""
        line = self.read_line(timeout)
        if line is None:
            return None
        msg = json.loads(line)
        self._book(msg)
        return msg

    def _book(self, msg):
        method = msg.get("method")
        if method is not None and ("params" in msg) and method in NOTIFICATIONS:
            self.notes.append((time.time(), msg))
            p = msg.get("params") or []
            if method == "mining.notify":
                job = Job(p)
                if job.clean:
                    self.jobs = {}
                self.jobs[job.job_id] = job
                self.job = job
            elif method == "mining.set_difficulty" and p:
                self.difficulty = p[0]
            elif method == "mining.set_version_mask" and p:
                self.version_mask = int(p[0], 16)
            return
        mid = msg.get("id")
        if mid is None:
            self.unmatched.append(msg)
        else:
            self.replies[json.dumps(mid)] = msg

    def pump(self, timeout=0.2):
        """Reads whatever arrives within timeout; returns False on EOF."""
        end = time.time() + timeout
        while True:
            try:
                if self.read_msg(max(0.001, end - time.time())) is None:
                    return False
            except socket.timeout:
                return True
            if time.time() >= end:
                return True

    def wait_reply(self, mid, timeout=None):
        key = json.dumps(mid)
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        while key not in self.replies:
            if self.read_msg(max(0.001, deadline - time.time())) is None:
                raise StratumError("connection closed before the reply to id %r" % (mid,))
        return self.replies.pop(key)

    def wait_unmatched(self, timeout=None):
        """The next reply with id null (or an id we never sent)."""
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        while not self.unmatched:
            if self.read_msg(max(0.001, deadline - time.time())) is None:
                raise StratumError("connection closed before an id-less reply")
        return self.unmatched.pop(0)

    def wait_closed(self, timeout=None):
        """Reads (and books) until EOF; True if the gateway closed in time."""
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        try:
            while self.read_msg(max(0.001, deadline - time.time())) is not None:
                pass
        except socket.timeout:
            return False
        return True

    def request(self, method, params, mid=None):
        if mid is None:
            mid = self.next_id
            self.next_id += 1
        self.send({"id": mid, "method": method, "params": params})
        return mid

    def call(self, method, params, timeout=None):
        return self.wait_reply(self.request(method, params), timeout)

    # -- the protocol ---------------------------------------------------------
    def subscribe(self, agent="hf-e2e/1.0"):
        r = self.call("mining.subscribe", [agent])
        if r.get("error"):
            raise StratumError("subscribe: %r" % (r,))
        res = r["result"]
        self.extranonce1, self.extranonce2_size = res[1], int(res[2])
        return r

    def authorize(self, worker, password="x"):
        r = self.call("mining.authorize", [worker, password])
        if r.get("result") is True:
            self.worker = worker
        return r

    def configure(self, mask=0x1FFFE000, min_bit_count=0):
        r = self.call("mining.configure", [["version-rolling"], {
            "version-rolling.mask": "%08x" % mask,
            "version-rolling.min-bit-count": min_bit_count}])
        res = r.get("result") or {}
        if res.get("version-rolling"):
            self.version_mask = int(res["version-rolling.mask"], 16)
        return r

    def submit(self, params, timeout=None):
        return self.call("mining.submit", params, timeout)

    def submit_share(self, share, worker=None, timeout=None):
        return self.submit(share.params(worker or self.worker), timeout)

    def wait_job(self, pred=None, timeout=None):
        """The latest job satisfying pred (default: any), waiting for it."""
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        while True:
            if self.job is not None and (pred is None or pred(self.job)):
                return self.job
            if self.read_msg(max(0.001, deadline - time.time())) is None:
                raise StratumError("connection closed while waiting for a job")

    def wait_new_job(self, old, clean=None, timeout=None):
        """A job other than old (a Job or job id), optionally with clean set."""
        old_id = old.job_id if isinstance(old, Job) else old
        return self.wait_job(lambda j: j.job_id != old_id and (clean is None or
                                                               bool(j.clean) == clean),
                             timeout)

    def wait_difficulty(self, pred, timeout=None):
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        while self.difficulty is None or not pred(self.difficulty):
            if self.read_msg(max(0.001, deadline - time.time())) is None:
                raise StratumError("connection closed while waiting for a difficulty")
        return self.difficulty

    # -- mining ---------------------------------------------------------------
    def en2(self, counter):
        return counter.to_bytes(self.extranonce2_size, "big").hex()

    def mine(self, job, difficulty=None, en2=None, ntime=None, rolled_bits=None,
             accept=None, start_nonce=0, max_tries=5_000_000):
        """Searches nonces for a share of job. accept(hash_int) decides what counts
        (default: meets the share target of difficulty, or of self.difficulty).
        rolled_bits: the version bits to submit (None: no rolling); the header then
        uses (job.version & ~mask) | (rolled_bits & mask) with self.version_mask."""
        if en2 is None:
            en2 = self.en2(1)
        if ntime is None:
            ntime = job.ntime_int
        if accept is None:
            tgt = target_for(difficulty if difficulty is not None else self.difficulty)
            accept = lambda v: v <= tgt  # noqa: E731
        version = job.version_int
        if rolled_bits is not None:
            mask = self.version_mask or 0
            version = (version & ~mask & 0xFFFFFFFF) | (rolled_bits & mask)
        nonce, d = search_nonce(job, self.extranonce1, en2, ntime, version, accept,
                                start_nonce, max_tries)
        return Share(job, en2, ntime, nonce, version, rolled_bits, d)


def search_nonce(job, en1, en2, ntime, version, accept, start_nonce=0, max_tries=5_000_000):
    """The first nonce from start_nonce whose header hash h (raw sha256d bytes)
    has accept(hash_value(h)); returns (nonce, h). en1, en2: hex; ntime,
    version: ints (version: the final header version)."""
    root = job.merkle_root(en1, en2)
    head = job.header(en1, en2, ntime, 0, version, root)[:76]
    h0 = hashlib.sha256(head)
    for nonce in range(start_nonce, start_nonce + max_tries):
        n = nonce & 0xFFFFFFFF
        h = h0.copy()
        h.update(struct.pack("<I", n))
        d = hashlib.sha256(h.digest()).digest()
        if accept(hash_value(d)):
            return n, d
    raise StratumError("no nonce found in %d tries" % max_tries)


def error_code(reply):
    """The numeric error code of a reply, or None."""
    err = reply.get("error")
    if err is None:
        return None
    if isinstance(err, list) and err:
        return err[0]
    if isinstance(err, dict):
        return err.get("code")
    return err
