"""Shared harness for Headframe's end-to-end tests (stdlib only).

Starts real peers on loopback: the pinned bcoin regtest node, redis-server,
Headframe's own binaries (from $HF_BIN, default build-asan/bin), and cleans
up every process it started, by pid, when the test ends. Test files are
unittest modules; run them with `python3 tests/e2e/test_x.py`.
"""
import atexit
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, os.environ.get("HF_BIN", "build-asan/bin"))
DEPENDS = os.path.join(ROOT, "depends")

_procs = []


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout=30.0, step=0.05, what="condition"):
    """Polls cond() until it returns a true value; returns it or raises."""
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))


class Proc:
    """A process we started; stopped by pid at exit."""

    def __init__(self, name, argv, logpath, env=None, cwd=None):
        self.name, self.argv, self.logpath = name, argv, logpath
        self.log = open(logpath, "ab")
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  env=e, cwd=cwd, start_new_session=True)
        _procs.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.p.pid, sig)

    def stop(self, timeout=10.0):
        """SIGTERM, wait, SIGKILL if needed; returns the exit code."""
        if self.alive():
            os.kill(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()
        self.log.close()
        return self.p.returncode

    def kill9(self):
        if self.alive():
            os.kill(self.p.pid, signal.SIGKILL)
            self.p.wait()
        self.log.close()

    def output(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")


def _cleanup():
    for p in reversed(_procs):
        try:
            if p.alive():
                os.kill(p.p.pid, signal.SIGKILL)
                p.p.wait(5)
        except Exception:
            pass


atexit.register(_cleanup)


def tmpdir(prefix):
    d = tempfile.mkdtemp(prefix="hf-%s-" % prefix)
    if not os.environ.get("HF_KEEP"):
        atexit.register(shutil.rmtree, d, True)
    return d


def start_bin(name, args, workdir, env=None):
    """Starts $HF_BIN/name with args; log in workdir/name.log."""
    exe = os.path.join(BIN, name)
    if not os.path.exists(exe):
        exe = os.path.join(ROOT, "build", "bin", name)
    return Proc(name, [exe] + list(args), os.path.join(workdir, name + ".log"), env=env)


class Node:
    """A throw-away bcoin regtest node (depends/regtest.sh)."""

    def __init__(self, workdir, key="headframe"):
        self.dir = os.path.join(workdir, "node")
        self.rpc_port, self.p2p_port, self.key = free_port(), free_port(), key
        out = subprocess.run([os.path.join(DEPENDS, "regtest.sh"), "start", self.dir,
                              str(self.rpc_port), str(self.p2p_port), key],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError("regtest node did not start: " + out.stderr)
        self.pid = int(out.stdout.strip().splitlines()[-1])
        atexit.register(self.stop)

    @property
    def url(self):
        return "http://127.0.0.1:%d/" % self.rpc_port

    def rpc(self, method, *params):
        body = json.dumps({"jsonrpc": "1.0", "id": 1, "method": method,
                           "params": list(params)}).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        auth = base64.b64encode(("x:" + self.key).encode()).decode()
        req.add_header("Authorization", "Basic " + auth)
        with urllib.request.urlopen(req, timeout=60) as r:
            reply = json.loads(r.read())
        if reply.get("error"):
            raise RuntimeError("%s: %s" % (method, reply["error"]))
        return reply["result"]

    def stop(self):
        subprocess.run([os.path.join(DEPENDS, "regtest.sh"), "stop", self.dir],
                       capture_output=True, timeout=30)


def bcoin_js(script, *args):
    """Runs a node.js script with the pinned bcoin on its require path;
    returns stdout (stripped)."""
    env = dict(os.environ, NODE_PATH=os.path.join(DEPENDS, "node_modules"))
    out = subprocess.run(["node", "-e", script] + list(args), capture_output=True,
                         text=True, env=env, timeout=60)
    if out.returncode != 0:
        raise RuntimeError("node script failed: " + out.stderr)
    return out.stdout.strip()


def new_key():
    """A fresh regtest key: dict with wif, pubkey, p2pkh (R...), p2wpkh (rb1...)."""
    js = ("const b=require('bcoin');const k=b.KeyRing.generate();"
          "k.witness=false;const a=k.getAddress().toString('regtest');"
          "const r=b.KeyRing.fromPrivate(k.privateKey);r.witness=true;"
          "const w=r.getAddress().toString('regtest');"
          "console.log(JSON.stringify({wif:k.toSecret('regtest'),"
          "pubkey:k.getPublicKey().toString('hex'),p2pkh:a,p2wpkh:w}))")
    return json.loads(bcoin_js(js))


class Redis:
    """A redis-server on loopback with its own dir; append-only with fsync
    always so a SIGKILL loses nothing that was acknowledged."""

    def __init__(self, workdir, port=None):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.proc = None
        self.start()

    def start(self):
        self.proc = Proc("redis", ["redis-server", "--port", str(self.port), "--bind",
                                   "127.0.0.1", "--dir", self.dir, "--save", "",
                                   "--appendonly", "yes", "--appendfsync", "always",
                                   "--protected-mode", "no"],
                         os.path.join(self.dir, "redis.log"))
        wait_for(lambda: self._ping(), 20, what="redis on %d" % self.port)

    def _ping(self):
        try:
            return self.cmd("PING") == "PONG"
        except OSError:
            return False

    def cmd(self, *args):
        """One command over a fresh connection; returns the decoded reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = str(a).encode() if not isinstance(a, bytes) else a
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            f = s.makefile("rb")
            return _resp_read(f)


def _resp_read(f):
    line = f.readline()
    if not line:
        raise OSError("redis closed the connection")
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return rest.decode()
    if t == b"-":
        raise RuntimeError("redis: " + rest.decode())
    if t == b":":
        return int(rest)
    if t == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode(errors="replace")
    if t == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_read(f) for _ in range(n)]
    raise OSError("bad RESP reply: %r" % line)
