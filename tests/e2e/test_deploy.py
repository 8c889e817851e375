"""End-to-end test of deploy/: install.sh and the per-module shell scripts.

test_metawriter (needs metawriter, redis-server): deploy/install.sh lays out
PREFIX/metawriter/{bin,conf,log,shell,spool} and PREFIX/systemd/; a second
run changes nothing and keeps an edited config. Then, with the installed
scripts only: start.sh (pid file, refuses a second start), check_alive.sh
(exit 0), status.sh (the /status JSON with redis_ready true; --metrics),
reload.sh after moving the log away (SIGHUP: a new log file), check_alive.sh
on a SIGSTOPped process (exit 2, /status does not answer), a SIGKILLed
module restarted by watchdog.sh (one-shot and --loop), stop.sh (process
gone, pid file removed, exit 0, and exit 0 again), check_alive.sh (exit 1),
watchdog.sh leaving a stopped module stopped, start.sh refusing a config
that is not JSON.

test_gateway (needs gateway only; its jobmaster is absent, which it
tolerates): two worker processes, so two /status ports: check_alive.sh asks
both, status.sh 1 reads worker 1; stop.sh ends supervisor and workers;
restart.sh; stop.sh on a SIGSTOPped supervisor falls back to SIGKILL of the
whole process group after HF_STOP_TIMEOUT.

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_deploy.py
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402

INSTALL = os.path.join(hflib.ROOT, "deploy", "install.sh")


def bin_dir():
    if os.path.exists(os.path.join(hflib.BIN, "metawriter")):
        return hflib.BIN
    return os.path.join(hflib.ROOT, "build", "bin")


def gone(pid):
    """The process does not exist anymore (or is a zombie nobody reaped)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode()
    except OSError:
        return ""


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def port_pair():
    """A port P such that P and P + 1 are free on 127.0.0.1."""
    for _ in range(50):
        p = hflib.free_port()
        if p >= 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p + 1))
            except OSError:
                continue
        return p
    raise RuntimeError("no two consecutive free ports")


class Installed:
    """One module installed under a temp PREFIX; kills what its scripts
    started (by pid, and the process group start.sh made) at the end."""

    def __init__(self, test, prefix, module):
        self.test, self.prefix, self.module = test, prefix, module
        self.base = os.path.join(prefix, module)
        self.conf = os.path.join(self.base, "conf", module + ".json")
        self.pidfile = os.path.join(self.base, "log", module + ".pid")
        self.exe = os.path.join(self.base, "bin", module)
        self.pids = set()
        test.addCleanup(self.kill_all)

    def install(self):
        out = subprocess.run([INSTALL, "--bin", bin_dir(), self.prefix, self.module],
                             capture_output=True, text=True, timeout=60)
        self.test.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def run(self, script, *args, env=None, timeout=90):
        e = dict(os.environ, HF_IGNORE_SYSTEMD="1")
        e.update(env or {})
        out = subprocess.run([os.path.join(self.base, "shell", script)] + list(args),
                             capture_output=True, text=True, env=e, timeout=timeout)
        self.pid()   # remember every pid the scripts wrote
        return out

    def pid(self):
        try:
            with open(self.pidfile) as f:
                p = int(f.read().strip())
        except (OSError, ValueError):
            return None
        self.pids.add(p)
        return p

    def edit_conf(self, fn):
        with open(self.conf) as f:
            c = json.load(f)
        fn(c)
        with open(self.conf, "w") as f:
            json.dump(c, f, indent=2)

    def kill_all(self):
        for p in self.pids:
            if gone(p) or cmdline(p) != self.exe:
                continue
            try:
                if os.getpgid(p) == p:
                    os.killpg(p, signal.SIGCONT)
                    os.killpg(p, signal.SIGKILL)
                else:
                    os.kill(p, signal.SIGKILL)
            except OSError:
                pass


class DeployTest(unittest.TestCase):
    def ok(self, out, rc=0):
        self.assertEqual(out.returncode, rc, "stdout: %s\nstderr: %s" % (out.stdout, out.stderr))
        return out

    def test_mineragent(self):
        """install.sh lays out a mineragent with its config 0600 (it holds the
        agent's secret); start.sh runs it, check_alive.sh sees its /status
        while no gateway answers (its farm port stays closed), stop.sh stops it."""
        if not os.path.exists(os.path.join(bin_dir(), "mineragent")):
            self.fail("mineragent not built: run make first")
        work = hflib.tmpdir("deploy-ag")
        certs = hflib.make_certs(work, names=())
        prefix = os.path.join(work, "opt")
        a = Installed(self, prefix, "mineragent")
        out = a.install()
        self.assertIn("conf/mineragent.json installed", out)
        self.assertEqual(os.stat(a.conf).st_mode & 0o777, 0o600)
        http, farm, gw = hflib.free_port(), hflib.free_port(), hflib.free_port()

        def conf(c):
            c["upstream"]["addr"] = ["tcp@127.0.0.1:%d" % gw]   # nobody: it retries
            c["upstream"]["tls"]["ca_file"] = certs["ca"]
            c["agent"]["secret"] = "a-test-secret-of-some-length"
            c["stratum"]["bind"] = "tcp@127.0.0.1:%d" % farm
            c["http"]["bind"] = "tcp@127.0.0.1:%d" % http
        a.edit_conf(conf)
        self.ok(a.run("start.sh"))
        pid = a.pid()
        self.assertIsNotNone(pid)
        out = self.ok(a.run("check_alive.sh"))
        self.assertIn("127.0.0.1:%d" % http, out.stdout)
        st = json.loads(self.ok(a.run("status.sh")).stdout)
        self.assertEqual((st["module"], st["agent"]), ("mineragent", "farm1"))
        self.assertFalse(st["upstream"]["up"])
        self.assertFalse(hflib.listening(farm), "farm port open without a gateway")
        self.ok(a.run("stop.sh"))
        self.assertTrue(gone(pid), "mineragent still there after stop.sh")

    def test_metawriter(self):
        if not os.path.exists(os.path.join(bin_dir(), "metawriter")):
            self.fail("metawriter not built: run make first")
        if not shutil.which("redis-server"):
            self.fail("redis-server missing: run depends/install.sh")
        work = hflib.tmpdir("deploy-mw")
        redis = hflib.Redis(work)
        self.addCleanup(redis.proc.stop)
        prefix = os.path.join(work, "opt")
        m = Installed(self, prefix, "metawriter")

        # Layout, and a second run that changes nothing.
        out = m.install()
        for d in ("bin", "conf", "log", "shell", "spool"):
            self.assertTrue(os.path.isdir(os.path.join(m.base, d)), d)
        self.assertTrue(os.access(m.exe, os.X_OK))
        for s in ("start.sh", "stop.sh", "restart.sh", "reload.sh", "check_alive.sh",
                  "status.sh", "watchdog.sh"):
            self.assertTrue(os.access(os.path.join(m.base, "shell", s), os.X_OK), s)
        with open(os.path.join(hflib.ROOT, "deploy", "conf", "metawriter.json")) as f:
            example = f.read()
        with open(m.conf) as f:
            self.assertEqual(f.read(), example)
        self.assertIn("conf/metawriter.json installed", out)
        unit = os.path.join(prefix, "systemd", "headframe@.service")
        with open(unit) as f:
            text = f.read()
        self.assertIn("ExecStart=%s/%%i/bin/%%i --config" % prefix, text)
        self.assertNotIn("/opt/headframe", text)
        self.assertTrue(os.path.exists(os.path.join(
            prefix, "systemd", "headframe@gateway.service.d", "gateway.conf")))

        listen, http = hflib.free_port(), hflib.free_port()

        def conf(c):
            c["rpc"]["bind"] = "tcp@127.0.0.1:%d" % listen
            c["http"]["bind"] = "tcp@127.0.0.1:%d" % http
            c["redis"]["port"] = redis.port
        m.edit_conf(conf)
        with open(m.conf) as f:
            edited = f.read()
        out = m.install()
        self.assertIn("bin/metawriter unchanged", out)
        self.assertIn("conf/metawriter.json kept", out)
        self.assertIn("shell/ unchanged", out)
        self.assertIn("unchanged", out.splitlines()[-2])   # systemd units
        with open(m.conf) as f:
            self.assertEqual(f.read(), edited, "install.sh overwrote an edited config")

        # start.sh, and a second start refused.
        out = self.ok(m.run("start.sh"))
        self.assertIn("started", out.stdout)
        pid = m.pid()
        self.assertIsNotNone(pid)
        self.assertEqual(cmdline(pid), m.exe)
        out = self.ok(m.run("start.sh"), 1)
        self.assertIn("already running", out.stderr)
        self.assertEqual(m.pid(), pid)

        # check_alive.sh and status.sh.
        out = self.ok(m.run("check_alive.sh"))
        self.assertIn("alive", out.stdout)
        self.assertIn(str(http), out.stdout)
        self.assertEqual(self.ok(m.run("check_alive.sh", "-q")).stdout, "")
        hflib.wait_for(lambda: json.loads(self.ok(m.run("status.sh")).stdout)["redis_ready"],
                       20, 0.2, "redis_ready in status.sh")
        st = json.loads(self.ok(m.run("status.sh", "--raw")).stdout)
        self.assertEqual(st["applied"], 0)
        self.assertIn("metawriter_redis_ready 1", self.ok(m.run("status.sh", "--metrics")).stdout)

        # reload.sh: the log was moved away (logrotate); SIGHUP opens a new one.
        log = os.path.join(m.base, "log", "metawriter.log")
        os.rename(log, log + ".1")
        self.ok(m.run("reload.sh"))
        hflib.wait_for(lambda: "SIGHUP" in read(log), 10,
                       what="a new log after SIGHUP")

        # A process that runs but does not answer: check_alive.sh exit 2.
        os.kill(pid, signal.SIGSTOP)
        try:
            out = self.ok(m.run("check_alive.sh", env={"HF_HTTP_TIMEOUT": "1"}), 2)
            self.assertIn("does not answer", out.stdout)
            self.assertEqual(len(out.stdout.strip().splitlines()), 1)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.ok(m.run("check_alive.sh"))

        # SIGKILL; watchdog.sh (one shot) starts it again.
        os.kill(pid, signal.SIGKILL)
        hflib.wait_for(lambda: gone(pid), 10, what="SIGKILLed metawriter gone")
        out = self.ok(m.run("check_alive.sh"), 1)
        self.assertIn("not running", out.stdout)
        out = self.ok(m.run("watchdog.sh"))
        self.assertIn("restarting", out.stdout)
        pid2 = m.pid()
        self.assertNotEqual(pid2, pid)
        self.assertEqual(cmdline(pid2), m.exe)
        self.ok(m.run("check_alive.sh"))
        with open(os.path.join(m.base, "log", "watchdog.log")) as f:
            self.assertIn("restarted (pid %d)" % pid2, f.read())
        self.assertEqual(self.ok(m.run("watchdog.sh")).stdout, "", "a healthy module was touched")

        # watchdog.sh --loop: restarts within its period; a one-shot run next
        # to it does nothing.
        loop = hflib.Proc("watchdog", [os.path.join(m.base, "shell", "watchdog.sh"), "--loop",
                                       "1"], os.path.join(work, "watchdog-loop.out"),
                          env={"HF_IGNORE_SYSTEMD": "1"})
        self.addCleanup(loop.stop)
        hflib.wait_for(lambda: "watchdog started" in loop.output(), 10, what="watchdog loop")
        self.assertEqual(self.ok(m.run("watchdog.sh")).stdout, "")
        os.kill(pid2, signal.SIGKILL)
        pid3 = hflib.wait_for(lambda: (lambda p: p if p not in (None, pid2) and
                                       cmdline(p) == m.exe else None)(m.pid()),
                              30, 0.1, "the loop watchdog restarting metawriter")
        self.ok(m.run("check_alive.sh"))
        loop.stop()

        # stop.sh: gone, pid file removed; again: still exit 0.
        out = self.ok(m.run("stop.sh"))
        self.assertIn("stopped (pid %d)" % pid3, out.stdout)
        self.assertTrue(gone(pid3))
        self.assertFalse(os.path.exists(m.pidfile))
        out = self.ok(m.run("stop.sh"))
        self.assertIn("not running", out.stdout)
        out = self.ok(m.run("check_alive.sh"), 1)
        self.assertEqual(len(out.stdout.strip().splitlines()), 1)
        self.assertIn("not running", out.stdout)

        # Stopped on purpose: the watchdog leaves it stopped.
        self.assertEqual(self.ok(m.run("watchdog.sh")).stdout, "")
        self.assertFalse(os.path.exists(m.pidfile))

        # A config that is not JSON: start.sh says so and starts nothing.
        with open(m.conf, "a") as f:
            f.write("}")
        out = self.ok(m.run("start.sh"), 1)
        self.assertIn("not valid JSON", out.stderr)
        self.assertFalse(os.path.exists(m.pidfile))

    def test_gateway(self):
        if not os.path.exists(os.path.join(bin_dir(), "gateway")):
            self.fail("gateway not built: run make first")
        work = hflib.tmpdir("deploy-gw")
        prefix = os.path.join(work, "opt")
        g = Installed(self, prefix, "gateway")
        g.install()
        http = port_pair()
        stratum, jm = hflib.free_port(), hflib.free_port()

        def conf(c):
            c["workers"] = 2
            c["stratum"]["bind"] = "tcp@127.0.0.1:%d" % stratum
            c["http"]["bind"] = "tcp@127.0.0.1:%d" % http
            c["jobmaster"]["addr"] = "tcp@127.0.0.1:%d" % jm   # nobody: it retries
            c.pop("meta", None)
        g.edit_conf(conf)

        self.ok(g.run("start.sh"))
        sup = g.pid()
        out = self.ok(g.run("check_alive.sh"))
        self.assertIn("127.0.0.1:%d" % http, out.stdout)
        self.assertIn("127.0.0.1:%d" % (http + 1), out.stdout)
        st = json.loads(self.ok(g.run("status.sh", "1")).stdout)
        self.assertEqual((st["module"], st["process"], st["processes"]), ("gateway", 1, 2))
        workers = {st["pid"], json.loads(self.ok(g.run("status.sh")).stdout)["pid"]}
        self.assertEqual(len(workers), 2)
        g.pids |= workers

        out = self.ok(g.run("stop.sh"))
        for p in workers | {sup}:
            self.assertTrue(gone(p), "pid %d still there after stop.sh" % p)
        self.assertFalse(os.path.exists(g.pidfile))
        self.ok(g.run("check_alive.sh"), 1)

        # restart.sh from stopped, then again while running.
        self.ok(g.run("restart.sh"))
        sup1 = g.pid()
        self.ok(g.run("restart.sh"))
        sup2 = g.pid()
        self.assertNotEqual(sup1, sup2)
        self.assertTrue(gone(sup1))
        self.ok(g.run("check_alive.sh"))

        # A supervisor that ignores SIGTERM (stopped): SIGKILL to its group.
        workers = {json.loads(self.ok(g.run("status.sh", str(i))).stdout)["pid"]
                   for i in (0, 1)}
        g.pids |= workers
        os.kill(sup2, signal.SIGSTOP)
        t0 = time.time()
        out = self.ok(g.run("stop.sh", env={"HF_STOP_TIMEOUT": "1"}))
        self.assertIn("SIGKILL to process group %d" % sup2, out.stdout)
        self.assertLess(time.time() - t0, 15)
        for p in workers | {sup2}:
            hflib.wait_for(lambda: gone(p), 5, what="pid %d gone after SIGKILL" % p)
        self.assertFalse(os.path.exists(g.pidfile))


if __name__ == "__main__":
    unittest.main(verbosity=2)
