"""Shared harness for Headframe's end-to-end tests and benches (stdlib only).

Starts real peers on loopback: the pinned bcoin regtest node, redis-server,
Headframe's own binaries (from $HF_BIN, default build-asan/bin) from config
files written here, and cleans up every process it started when the test
process ends, also after a failure, an exception or SIGTERM: each Headframe
binary runs in its own session and is killed with its whole process group
(its own id), the nodes are stopped by the pid they wrote, then the work
directories are removed (kept with HF_KEEP=1).

Ports: free_port() hands out each port once per process and keeps a socket
bound to it (SO_REUSEADDR, not listening) until the process ends. Nothing
else on the machine gets that port from bind(0) or as a connect() source
port meanwhile, while our servers (which all set SO_REUSEADDR) can still
bind and listen on it, even one that binds late, like bcoin's P2P port.

Test files are unittest modules; run them with `python3 tests/e2e/test_x.py`.
"""
import atexit
import base64
import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, os.environ.get("HF_BIN", "build-asan/bin"))
DEPENDS = os.path.join(ROOT, "depends")

_procs = []        # Proc, in start order
_nodes = []        # Node
_dirs = []         # work directories to remove at exit


# ---- clean-up, on any exit ----

def _cleanup():
    for p in reversed(_procs):
        p.kill_group()
    for n in reversed(_nodes):
        try:
            n.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    if not os.environ.get("HF_KEEP"):
        for d in _dirs:
            shutil.rmtree(d, True)


atexit.register(_cleanup)


def _on_sigterm(signum, frame):
    # KeyboardInterrupt, not SystemExit: unittest stops on it (it would record
    # SystemExit as one test's error and go on), and atexit then cleans up.
    raise KeyboardInterrupt("signal %d" % signum)


if threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _on_sigterm)


def tmpdir(prefix):
    """A fresh work directory, removed at exit unless HF_KEEP is set."""
    d = tempfile.mkdtemp(prefix="hf-%s-" % prefix)
    _dirs.append(d)
    return d


# ---- ports and waiting ----

_reserved = {}     # port -> the socket that holds it


def free_port():
    """A loopback TCP port handed out by no other call in this process, held
    for this process (see the module doc) so nobody else gets it either."""
    while True:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        if port not in _reserved:
            _reserved[port] = s
            return port
        s.close()


def _socket_inodes(pids):
    out = set()
    for pid in pids:
        d = "/proc/%d/fd" % pid
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for fd in names:
            try:
                link = os.readlink(os.path.join(d, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(link[8:-1])
    return out


def group_pids(pgid):
    """The pids of the processes in process group pgid."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[2]) == pgid:
                        out.append(int(name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def listening(port, pids=None):
    """True if a socket listens on TCP port (read from /proc/net/tcp*, without
    connecting: a probe connection would be a peer to the server); with
    pids, only a socket that one of those processes holds counts."""
    want = ":%04X" % port
    inodes = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and fields[1].endswith(want):
                        inodes.append(fields[9])
        except OSError:
            continue
    if pids is None or not inodes:
        return bool(inodes)
    return bool(_socket_inodes(pids).intersection(inodes))


def wait_for(cond, timeout=30.0, step=0.05, what="condition"):
    """Polls cond() until it returns a true value; returns it or raises."""
    end = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.time() >= end:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(step)


def pid_alive(pid):
    """True if pid runs (a zombie does not count)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


# ---- processes ----

class Proc:
    """A process we started, in its own session; stopped by pid, and killed
    with its process group at exit."""

    def __init__(self, name, argv, logpath, env=None, cwd=None, preexec_fn=None):
        self.name, self.argv, self.logpath = name, argv, logpath
        self.log = open(logpath, "ab")
        e = dict(os.environ)
        e.update(env or {})
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                  env=e, cwd=cwd, start_new_session=True,
                                  preexec_fn=preexec_fn)
        _procs.append(self)

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.p.pid, sig)

    def stop(self, timeout=30.0):
        """SIGTERM, wait, SIGKILL if needed; returns the exit code."""
        if self.alive():
            os.kill(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill_group()
        self.kill_group()          # anything the process left behind in its group
        self.log.close()
        return self.p.returncode

    def kill9(self):
        self.kill_group()
        self.log.close()

    def kill_group(self):
        """SIGKILL to the process group this process leads (its children too)."""
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            pass

    def output(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")


def bin_path(name):
    """$HF_BIN/name, else build/bin/name; None if neither exists."""
    for d in (BIN, os.path.join(ROOT, "build", "bin")):
        exe = os.path.join(d, name)
        if os.path.exists(exe):
            return exe
    return None


def have_bins(*names):
    return all(bin_path(n) for n in names)


def start_bin(name, args, workdir, env=None, log=None, preexec_fn=None):
    """Starts the Headframe binary name with args; its output in
    workdir/log (default name.out)."""
    exe = bin_path(name) or os.path.join(BIN, name)
    return Proc(name, [exe] + list(args), os.path.join(workdir, log or name + ".out"),
                env=env, preexec_fn=preexec_fn)


def json_summary(proc):
    """The last line of proc's output that is a JSON object (hfminer --json), or None."""
    lines = [ln for ln in proc.output().splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def read_text(path, tail=None):
    """A file's text ("" if it is missing); the last tail bytes only, if given."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    return (data[-tail:] if tail else data).decode(errors="replace")


def write_json(workdir, name, obj):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
    return path


def http_get(port, path, timeout=10.0):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
        return r.status, r.read()


def http_json(port, path, timeout=10.0):
    return json.loads(http_get(port, path, timeout)[1])


def promtool_problems(port):
    """"" when `promtool check metrics` (Debian's prometheus package) finds
    nothing wrong in the /metrics page on port, else what it printed."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return "promtool missing (Debian package prometheus)"
    _, body = http_get(port, "/metrics")
    p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
    return "" if p.returncode == 0 else (p.stdout + p.stderr).decode()


def http_ok(port, path="/status"):
    try:
        return http_get(port, path, 2.0)[0] == 200
    except OSError:
        return False


# ---- the bcoin regtest node ----

class PortInUse(RuntimeError):
    pass


class Node:
    """A throw-away bcoin regtest node (depends/regtest.sh). With segwit=True
    it mines 450 blocks to self.coin_key (a fresh key): segwit is active and
    the early coinbases (self.activation, block hashes) are mature."""

    def __init__(self, workdir, key="headframe", segwit=False, attempts=4):
        self.dir = os.path.join(workdir, "node")
        self.key, self.pid = key, None
        self.coin_key, self.activation = None, []
        _nodes.append(self)
        for attempt in range(attempts):
            self.rpc_port, self.p2p_port = free_port(), free_port()
            try:
                if listening(self.rpc_port) or listening(self.p2p_port):
                    raise PortInUse("port %d or %d taken" % (self.rpc_port, self.p2p_port))
                self.start()
                break
            except PortInUse as e:
                if attempt == attempts - 1:
                    raise RuntimeError("regtest node: ports in use %d times: %s" % (attempts, e))
        if segwit:
            self.activate_segwit()

    def _out(self):
        return read_text(os.path.join(self.dir, "node.out"), 4000)

    def start(self, timeout=60.0):
        """Starts bcoin in self.dir on self's ports (again, after stop(): the
        chain is kept); returns once RPC answers and the P2P port listens.
        Raises PortInUse if a port was taken."""
        out = subprocess.run([os.path.join(DEPENDS, "regtest.sh"), "start", self.dir,
                              str(self.rpc_port), str(self.p2p_port), self.key],
                             capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            why = out.stderr + self._out()
            self.stop()
            raise (PortInUse if "EADDRINUSE" in why else RuntimeError)(
                "regtest node did not start: " + why)
        self.pid = int(out.stdout.strip().splitlines()[-1])

        def p2p_up():     # bcoin binds its P2P port ~2 s after RPC answers
            if not pid_alive(self.pid):
                why = self._out()
                self.stop()
                raise (PortInUse if "EADDRINUSE" in why else RuntimeError)(
                    "regtest node exited after start: " + why)
            return listening(self.p2p_port, [self.pid])
        wait_for(p2p_up, timeout, step=0.1, what="bcoin P2P port %d" % self.p2p_port)

    def stop(self):
        subprocess.run([os.path.join(DEPENDS, "regtest.sh"), "stop", self.dir],
                       capture_output=True, timeout=30)

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

    def activate_segwit(self, blocks=450):
        # No getblocktemplate here: bcoin would cache that template and add a
        # transaction sent next only some 10 s later.
        self.coin_key = new_key()
        self.activation = self.rpc("generatetoaddress", blocks, self.coin_key["p2wpkh"])


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


def script_of(address):
    """The output script (hex) of a regtest address, as bcoin encodes it."""
    return bcoin_js("const b=require('bcoin');console.log(b.Script.fromAddress("
                    "b.Address.fromString(process.argv[1],'regtest')).toRaw().toString('hex'))",
                    address)


SPEND_JS = r"""
const b = require('bcoin');
const [wif, txid, idx, value, script, height, dest, fee] = process.argv.slice(1);
const ring = b.KeyRing.fromSecret(wif, 'regtest');
ring.witness = true;
const coin = new b.Coin({version: 1, height: parseInt(height), value: parseInt(value),
  script: b.Script.fromRaw(Buffer.from(script, 'hex')),
  hash: Buffer.from(txid, 'hex').reverse().toString('hex'),
  index: parseInt(idx), coinbase: true});
const mtx = new b.MTX();
mtx.addCoin(coin);
mtx.addOutput({address: b.Address.fromString(dest, 'regtest'),
               value: parseInt(value) - parseInt(fee)});
mtx.sign(ring);
if (!mtx.verify()) throw new Error('transaction does not verify');
const tx = mtx.toTX();
console.log(JSON.stringify({hex: tx.toRaw().toString('hex'), txid: tx.txid(),
                            witness: tx.hasWitness()}));
"""


def spend_coinbase(node, key, block_hash, dest, fee=20000):
    """Signs (with key, as P2WPKH) a spend of output 0 of block_hash's coinbase
    to the address dest. Returns {hex, txid, witness, out}: out is the spent
    output as getblock shows it."""
    blk = node.rpc("getblock", block_hash, True, True)
    cb = blk["tx"][0]
    out = cb["vout"][0]
    sat = int(round(out["value"] * 1e8))
    r = json.loads(bcoin_js(SPEND_JS, key["wif"], cb["txid"], "0", str(sat),
                            out["scriptPubKey"]["hex"], str(blk["height"]), dest, str(fee)))
    r["out"] = out
    return r


# ---- redis-server ----

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
        wait_for(self._ping, 30, what="redis on %d" % self.port)

    def _ping(self):
        if not self.proc.alive():
            raise RuntimeError("redis-server exited: " + self.proc.output()[-2000:])
        try:
            return self.cmd("PING") == "PONG"
        except OSError:
            return False

    def cmd(self, *args, loading_wait=60.0):
        """One command over a fresh connection; returns the decoded reply.
        A server still loading its append-only file after a restart answers
        -LOADING: that is waited out (up to loading_wait s), not an error."""
        deadline = time.time() + loading_wait
        while True:
            try:
                return self._cmd_once(args)
            except RuntimeError as e:
                if not str(e).startswith("redis: LOADING") or time.time() > deadline:
                    raise
                time.sleep(0.1)

    def _cmd_once(self, args):
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


# ---- Headframe's services, from config files ----

def merged(base, extra):
    """A copy of base with extra merged in (nested dicts merged key by key)."""
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merged(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


class Service:
    """One Headframe binary with a config file written here: workdir/NAME.json,
    its log file workdir/NAME.log (the config's log.path), its output
    workdir/NAME.out. start() may be called again after stop()/kill9(): same
    config, same ports."""

    def __init__(self, binary, workdir, name, config, ready, preexec_fn=None):
        self.binary, self.dir, self.name = binary, workdir, name
        self.log_path = os.path.join(workdir, name + ".log")
        self.config = merged(config, {"log": {"path": self.log_path}})
        self.conf_path = write_json(workdir, name + ".json", self.config)
        self.ready = ready                 # ready(self) -> true once it serves
        self.preexec_fn = preexec_fn
        self.proc = None

    def start(self, timeout=30.0):
        self.proc = start_bin(self.binary, ["--config", self.conf_path], self.dir,
                              log=self.name + ".out", preexec_fn=self.preexec_fn)

        def up():
            if not self.proc.alive():
                raise RuntimeError("%s exited with %s at start:\n%s\n%s" % (
                    self.name, self.proc.p.returncode, self.proc.output()[-3000:],
                    read_text(self.log_path, 2000)))
            return self.ready(self)
        wait_for(up, timeout, what="%s to serve (%s)" % (self.name, self.conf_path))
        return self

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def listens(self, port):
        """True once this service's processes (its group) listen on port."""
        return listening(port, group_pids(self.proc.pid))

    def stop(self):
        return self.proc.stop()

    def kill9(self):
        self.proc.kill9()

    def signal(self, sig):
        self.proc.signal(sig)

    def log(self):
        """The text of its log file."""
        return read_text(self.log_path)

    def output(self):
        """Its stdout and stderr (sanitizer reports land here)."""
        return self.proc.output()


def _addr(port):
    return "tcp@127.0.0.1:%d" % port


def _service(binary, workdir, name, level, base, keys, ready, start, ports, preexec_fn=None):
    """A Service whose config is base with keys merged in; ports (name -> port)
    become its attributes; started unless start is false."""
    cfg = merged(merged(base, {"log": {"level": level}}), keys)
    svc = Service(binary, workdir, name, cfg, ready, preexec_fn)
    for attr, port in ports.items():
        setattr(svc, attr, port)
    return svc.start() if start else svc


def jobmaster(workdir, node, payouts, name="jobmaster", level="info", start=True, **keys):
    """A jobmaster on node paying payouts ([{"address"|"script", "weight"}]);
    keys are merged into the config. Ports: .gw_port (gateways), .http_port.
    Ready once /status answers."""
    gw_port, http_port = free_port(), free_port()
    return _service("jobmaster", workdir, name, level, {
        "network": "bcoin-regtest",
        "nodes": [{"url": node.url, "user": "x", "password": node.key}],
        "payouts": payouts,
        "extranonce_size": 12,
        "poll_interval": 0.05,
        "refresh_interval": 2,
        "gateway": {"bind": _addr(gw_port)},
        "http": {"bind": _addr(http_port)},
    }, keys, lambda s: http_ok(s.http_port), start,
        {"gw_port": gw_port, "http_port": http_port})


def gateway(workdir, jm_port, name="gateway", level="info", gateway_id=7, start=True,
            preexec_fn=None, **keys):
    """A gateway (one worker process) taking jobs from the jobmaster on
    jm_port; keys are merged into the config. Ports: .st_port (Stratum),
    .http_port. Ready once the Stratum port listens."""
    st_port, http_port = free_port(), free_port()
    return _service("gateway", workdir, name, level, {
        "gateway_id": gateway_id,
        "workers": 1,
        "stratum": {"bind": _addr(st_port)},
        "jobmaster": {"addr": _addr(jm_port)},
        "ban": {"enabled": False},
        "http": {"bind": _addr(http_port)},
    }, keys, lambda s: s.listens(s.st_port), start,
        {"st_port": st_port, "http_port": http_port}, preexec_fn)


def metawriter(workdir, redis_port, coin, name="metawriter", level="info", start=True,
               allow=None, **keys):
    """A metawriter writing to the redis-server on redis_port, taking batches
    from the hosts of allow (rpc.allow; None: everyone); keys are merged into
    the config. Ports: .port (batches), .http_port. Ready once .port listens."""
    port, http_port = free_port(), free_port()
    rpc = {"bind": _addr(port)}
    if allow is not None:
        rpc["allow"] = allow
    return _service("metawriter", workdir, name, level, {
        "rpc": rpc,
        "http": {"bind": _addr(http_port)},
        "coin": coin,
        "redis": {"host": "127.0.0.1", "port": redis_port},
    }, keys, lambda s: s.listens(s.port), start, {"port": port, "http_port": http_port})


def metarelay(workdir, upstream_port, name="metarelay", level="info", start=True,
              allow=None, request_timeout=None, **keys):
    """A metarelay forwarding to upstream_port (upstream.addr, with
    upstream.request_timeout when given), taking batches from the hosts of
    allow (rpc.allow; None: everyone), spooling to workdir/spool-NAME; keys
    are merged into the config. Ports: .port, .http_port. Ready once .port
    listens."""
    port, http_port = free_port(), free_port()
    rpc, up = {"bind": _addr(port)}, {"addr": _addr(upstream_port)}
    if allow is not None:
        rpc["allow"] = allow
    if request_timeout is not None:
        up["request_timeout"] = request_timeout
    return _service("metarelay", workdir, name, level, {
        "rpc": rpc,
        "http": {"bind": _addr(http_port)},
        "upstream": up,
        "spool_dir": os.path.join(workdir, "spool-" + name),
    }, keys, lambda s: s.listens(s.port), start, {"port": port, "http_port": http_port})


def make_certs(workdir, names=("gateway", "agent")):
    """A throwaway CA and, for each name, a certificate for 127.0.0.1 signed by
    it (made with the openssl command). Returns {"ca": path, name: (cert, key)}."""
    d = os.path.join(workdir, "certs")
    os.makedirs(d, exist_ok=True)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=headframe test CA")
    out = {"ca": os.path.join(d, "ca.pem")}
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for n in names:
        run("req", *key, "-keyout", n + ".key", "-out", n + ".csr", "-subj", "/CN=" + n)
        run("x509", "-req", "-in", n + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", n + ".pem", "-days", "2", "-extfile", ext)
        out[n] = (os.path.join(d, n + ".pem"), os.path.join(d, n + ".key"))
    return out


def mineragent(workdir, gateways, agent_id, secret, ca_file, name="mineragent", level="info",
               start=True, preexec_fn=None, **keys):
    """A mineragent for the gateways' agent ports (a list of ports), with its
    spool in workdir/spool-NAME; keys are merged into the config. Ports:
    .st_port (farm Stratum), .http_port. Ready once /status answers (the farm
    port opens only once a gateway said HELLO)."""
    st_port, http_port = free_port(), free_port()
    return _service("mineragent", workdir, name, level, {
        "agent": {"id": agent_id, "secret": secret},
        "upstream": {"addr": [_addr(p) for p in gateways], "tls": {"ca_file": ca_file},
                     "failover_after": 3, "heartbeat": 0.5},
        "stratum": {"bind": _addr(st_port)},
        "ban": {"enabled": False},
        "meta": {"spool_dir": os.path.join(workdir, "spool-" + name), "flush_interval": 0.5},
        "http": {"bind": _addr(http_port)},
    }, keys, lambda s: http_ok(s.http_port), start,
        {"st_port": st_port, "http_port": http_port}, preexec_fn)


# ---- hfminer progress, TCP byte counts ----

_PROGRESS = re.compile(r"hfminer: at ([0-9.]+)s ready (\d+)/(\d+) submitted (\d+) accepted (\d+) "
                       r"rejected (\d+) no_reply (\d+) blocks (\d+)")


def hfminer_progress(proc):
    """hfminer's last progress line (--progress S, on stderr) as a dict: t, ready,
    conns, submitted, accepted, rejected, no_reply, blocks; None before the first."""
    found = _PROGRESS.findall(proc.output())
    if not found:
        return None
    keys = ("t", "ready", "conns", "submitted", "accepted", "rejected", "no_reply", "blocks")
    return {k: (float(v) if k == "t" else int(v)) for k, v in zip(keys, found[-1])}


def tcp_bytes(port):
    """The established loopback TCP connections to port, seen from the client
    side (ss -tin, dport = port): {(local, peer): (bytes_acked, bytes_received)},
    i.e. the bytes the client sent (and the server took) and those it got."""
    out = subprocess.run(["ss", "-tinH", "state", "established", "( dport = :%d )" % port],
                         capture_output=True, text=True, timeout=10).stdout
    conns, key = {}, None
    for line in out.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            f = line.split()
            key = (f[-2], f[-1])
            conns[key] = (0, 0)
        elif key is not None:
            sent = re.search(r"bytes_acked:(\d+)", line)
            got = re.search(r"bytes_received:(\d+)", line)
            conns[key] = (int(sent.group(1)) if sent else 0, int(got.group(1)) if got else 0)
    return conns


class TcpCounter:
    """Samples tcp_bytes(port) every step seconds in a thread and keeps, per
    connection, the last numbers seen (also after it closed): sent() and
    received() are the totals over every connection to port so far (up to
    one step behind)."""

    def __init__(self, port, step=0.25):
        self.port, self.step, self.seen = port, step, {}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.step)

    def sample(self):
        try:
            for k, v in tcp_bytes(self.port).items():
                self.seen[k] = v
        except (OSError, subprocess.SubprocessError):
            pass

    def stop(self):
        self._stop.set()
        self._t.join(5)
        return self

    def sent(self):
        return sum(v[0] for v in list(self.seen.values()))

    def received(self):
        return sum(v[1] for v in list(self.seen.values()))

    def connections(self):
        return len(self.seen)


def alertcenter(workdir, redis_port, smtp_port, name="alertcenter", level="info", start=True,
                **keys):
    """An alertcenter taking alert datagrams on .port (UDP), mailing to the
    SMTP server on smtp_port (from alertcenter@test, to ops@test), storing in
    the redis-server on redis_port; keys are merged into the config. Ports:
    .port, .http_port. Ready once /status answers."""
    port, http_port = free_port(), free_port()
    return _service("alertcenter", workdir, name, level, {
        "recv": {"bind": "udp@127.0.0.1:%d" % port},
        "http": {"bind": _addr(http_port)},
        "coin": "btc",
        "redis": {"host": "127.0.0.1", "port": redis_port},
        "mail": {"url": "smtp://127.0.0.1:%d" % smtp_port, "from": "alertcenter@test",
                 "to": ["ops@test"], "gather": 0.5, "interval": 3, "retry_max": 1},
    }, keys, lambda s: http_ok(s.http_port), start, {"port": port, "http_port": http_port})


def _aiosmtpd():
    """aiosmtpd's Controller: Debian's python3-aiosmtpd, also when python3 is
    another interpreter than Debian's (its dist-packages are added then)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        sys.path.append("/usr/lib/python3/dist-packages")
        from aiosmtpd.controller import Controller
    return Controller


class SmtpCatcher:
    """A real SMTP server (aiosmtpd) on loopback, in this process: every mail
    it accepts is appended to .mails as (mail_from, rcpt_tos, email.message).
    stop() and start() again keep the port (an SMTP server down for a while).
    With tls=(cert, key) it offers STARTTLS and requires it before MAIL; with
    users={login: password} it requires AUTH (PLAIN/LOGIN, over TLS only) and
    appends each attempt to .auths as (login, password, ok)."""

    def __init__(self, port=None, tls=None, users=None):
        import email
        import email.policy
        self.port = port or free_port()
        self.mails = []
        self.auths = []
        self.lock = threading.Lock()
        self.tls, self.users = tls, users
        catcher = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                               policy=email.policy.default)
                with catcher.lock:
                    catcher.mails.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
                return "250 OK"
        self.handler = Handler()
        self.ctl = None
        self.start()

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode(errors="replace")
        password = auth_data.password.decode(errors="replace")
        ok = self.users.get(login) == password
        with self.lock:
            self.auths.append((login, password, ok))
        return AuthResult(success=ok, handled=False)   # False: aiosmtpd answers 535

    def start(self):
        Controller = _aiosmtpd()
        kw = {}
        if self.tls:
            import ssl
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*self.tls)
            kw.update(tls_context=ctx, require_starttls=True)
        if self.users is not None:
            kw.update(authenticator=self._authenticate, auth_required=True,
                      auth_require_tls=True)
        self.ctl = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kw)
        self.ctl.start()

    def stop(self):
        if self.ctl:
            self.ctl.stop()
            self.ctl = None

    def count(self):
        with self.lock:
            return len(self.mails)

    def get(self):
        with self.lock:
            return list(self.mails)


def bitpeer(workdir, peers, name="bitpeer", level="info", start=True, **keys):
    """A bitpeer speaking P2P to peers (a list of bcoin P2P ports on loopback);
    keys are merged into the config. Ports: .rpc_port (jobmasters), .http_port.
    Ready once /status answers."""
    rpc_port, http_port = free_port(), free_port()
    return _service("bitpeer", workdir, name, level, {
        "network": "regtest",
        "peers": {"addr": [_addr(p) for p in peers], "reconnect_min": 0.2,
                  "reconnect_max": 2, "ping_interval": 5},
        "rpc": {"bind": _addr(rpc_port)},
        "http": {"bind": _addr(http_port)},
    }, keys, lambda s: http_ok(s.http_port), start,
        {"rpc_port": rpc_port, "http_port": http_port})


def copy_chain(src, dst, start=1):
    """Gives dst every block of src from height start on by submitblock
    (nodes that are not peered share one chain this way)."""
    for h in range(start, src.rpc("getblockcount") + 1):
        raw = src.rpc("getblock", src.rpc("getblockhash", h), False)
        res = dst.rpc("submitblock", raw)
        if res not in (None, "duplicate"):
            raise RuntimeError("copy_chain: block %d: %s" % (h, res))


def poolbench(workdir, pools, name="poolbench", level="info", start=True, **keys):
    """A poolbench watching pools, a list of (name, stratum_port) on loopback
    (user "watch.pb"); keys are merged into the config. Ports: .rpc_port
    (jobmasters), .http_port. Ready once /status answers."""
    rpc_port, http_port = free_port(), free_port()
    return _service("poolbench", workdir, name, level, {
        "pools": [{"name": n, "addr": _addr(p), "user": "watch.pb", "password": "x"}
                  for n, p in pools],
        "reconnect_min": 0.1, "reconnect_max": 1,
        "rpc": {"bind": _addr(rpc_port)},
        "http": {"bind": _addr(http_port)},
    }, keys, lambda s: http_ok(s.http_port), start,
        {"rpc_port": rpc_port, "http_port": http_port})


def blockmaster(workdir, node, agents, name="blockmaster", level="info", start=True, **keys):
    """A blockmaster rebuilding thin blocks from node's mempool; agents:
    [{"id", "secret"}] that jobmasters authenticate with. keys are merged
    into the config. Ports: .rpc_port (jobmasters), .http_port. Ready once
    /status answers."""
    rpc_port, http_port = free_port(), free_port()
    return _service("blockmaster", workdir, name, level, {
        "node": {"url": node.url, "user": "x", "password": node.key},
        "rpc": {"bind": _addr(rpc_port), "agents": agents},
        "http": {"bind": _addr(http_port)},
        "mempool_poll": 0.2,
    }, keys, lambda s: http_ok(s.http_port), start,
        {"rpc_port": rpc_port, "http_port": http_port})
