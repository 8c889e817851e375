"""End-to-end tests of how alertcenter delivers: SMTP with STARTTLS and AUTH,
the webhook, and what a stop/restart does to alerts not delivered yet.

The SMTP server is aiosmtpd in this process (hflib.SmtpCatcher): with a
throwaway certificate (hflib.make_certs) it offers STARTTLS and refuses MAIL
before it, and it refuses any mail before a successful AUTH.

test_starttls_auth: alertcenter (tls starttls, ca_file = the throwaway CA,
user/password) delivers a FATAL: exactly one mail, one AUTH attempt with
the right login; the password is nowhere in alertcenter's log or output.
test_wrong_password: the same server, a wrong password: no mail; the
attempts are retried; each is an ERROR line naming the server, the user
and the settings to check; the password is nowhere in the log or output.
test_webhook: a local HTTP server gets the POST: exact JSON
{"text": subject + "\\n" + body, "chat_id": ...} (Slack reads "text",
Telegram's sendMessage "chat_id" and "text"), Content-Type
application/json; the mail is the same text.
test_dead_webhook: the webhook URL is a dead port: the mail still arrives,
the webhook is given up after 3 attempts (hooks_failed 3).
test_stop_delivers_held_alerts: alerts held by `gather` are mailed at once
when alertcenter is stopped (SIGTERM), before it exits.
test_stop_with_smtp_down: with the SMTP server down, a stop logs every
undelivered mail as lost (ERROR, with its subject); the restarted
alertcenter finds the alerts in Redis (alert:list) but does not mail them
again: the documented limit (docs/operations.md, "Alerts").

Run: HF_BIN=build-asan/bin python3 tests/e2e/test_alert_delivery.py
"""
import http.server
import json
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hflib  # noqa: E402
from test_alertcenter import datagram  # noqa: E402

HOST = socket.gethostname()
USER, PASSWORD, WRONG = "alerts", "s3cret-PW-9f41", "wrong-PW-77c2"
FATAL_SUBJECT = "[headframe] FATAL jobmaster@pool1: jm_node.c:120 node unreachable"


class HookServer:
    """A local HTTP server that records every POST (path, headers, body)."""

    def __init__(self):
        self.posts = []
        rec = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                rec.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class AlertDeliveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = hflib.tmpdir("alert-delivery")
        cls.redis = hflib.Redis(cls.work)
        cls.certs = hflib.make_certs(cls.work, names=("smtp",))

    @classmethod
    def tearDownClass(cls):
        cls.redis.proc.stop()

    def setUp(self):
        self.redis.cmd("FLUSHALL")
        self.smtp = None
        self.ac = None
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def tearDown(self):
        self.sock.close()
        if self.ac and self.ac.alive():
            self.ac.stop()
        if self.ac:
            self.check_clean(self.ac)
        if self.smtp:
            self.smtp.stop()

    def check_clean(self, ac):
        out = ac.output()
        self.assertNotIn("ERROR: AddressSanitizer", out)
        self.assertNotIn("runtime error", out)

    def start(self, name=None, **keys):
        self.ac = hflib.alertcenter(self.work, self.redis.port, self.smtp.port,
                                    name=name or "ac-%s" % self._testMethodName, **keys)
        return self.ac

    def send(self, data):
        self.sock.sendto(data, ("127.0.0.1", self.ac.port))

    def status(self):
        return hflib.http_json(self.ac.http_port, "/status")

    def tls_mail(self, password):
        return {"url": "smtp://127.0.0.1:%d" % self.smtp.port, "tls": "starttls",
                "ca_file": self.certs["ca"], "user": USER, "password": password,
                "from": "alertcenter@test", "to": ["ops@test"], "gather": 0.5,
                "interval": 3, "retry_max": 1}

    def no_password_anywhere(self, *secrets):
        ac = self.ac
        texts = (ac.log(), ac.output())
        for s in secrets:
            for t in texts:
                self.assertNotIn(s, t)

    def test_starttls_auth(self):
        self.smtp = hflib.SmtpCatcher(tls=self.certs["smtp"], users={USER: PASSWORD})
        self.start(level="debug", mail=self.tls_mail(PASSWORD))
        self.send(datagram())
        hflib.wait_for(lambda: self.smtp.count() >= 1, 30, what="the mail over STARTTLS")
        time.sleep(1)
        (frm, rcpt, msg), = self.smtp.get()
        self.assertEqual((frm, rcpt, msg["Subject"]), ("alertcenter@test", ["ops@test"],
                                                        FATAL_SUBJECT))
        self.assertEqual(self.smtp.auths, [(USER, PASSWORD, True)])
        st = self.status()["mail"]
        self.assertEqual((st["sent"], st["attempts_failed"]), (1, 0))
        self.ac.stop()
        self.no_password_anywhere(PASSWORD)

    def test_wrong_password(self):
        self.smtp = hflib.SmtpCatcher(tls=self.certs["smtp"], users={USER: PASSWORD})
        self.start(level="debug", mail=self.tls_mail(WRONG))
        self.send(datagram())
        hflib.wait_for(lambda: self.status()["mail"]["attempts_failed"] >= 3, 30,
                       what="three refused attempts")
        self.assertEqual(self.smtp.count(), 0)
        self.assertEqual(self.status()["mail"]["sent"], 0)
        self.assertEqual(self.status()["mail"]["outbox"], 1)
        self.assertGreaterEqual(len(self.smtp.auths), 3)
        self.assertEqual({(a[0], a[2]) for a in self.smtp.auths}, {(USER, False)})
        lines = [x for x in self.ac.log().splitlines() if " ERROR " in x and "mail: attempt" in x]
        self.assertGreaterEqual(len(lines), 3, self.ac.log()[-3000:])
        for i, line in enumerate(lines[:3]):
            self.assertIn("ERROR ac_mail.c:", line)
            self.assertIn("mail: attempt %d to operators: the SMTP server smtp://127.0.0.1:%d "
                          "refused the login of user '%s' (" % (i + 1, self.smtp.port, USER), line)
            self.assertIn("): check mail.user and mail.password; 1 mail(s) waiting, next try "
                          "in 1 s", line)
        self.ac.stop()
        self.no_password_anywhere(WRONG, PASSWORD)

    def test_webhook(self):
        self.smtp = hflib.SmtpCatcher()
        hook = HookServer()
        try:
            self.start(webhook={"url": "http://127.0.0.1:%d/hook/T123" % hook.port,
                                "chat_id": "-100200300"})
            self.send(datagram())
            hflib.wait_for(lambda: hook.posts and self.smtp.count() >= 1, 30,
                           what="the webhook post and the mail")
            time.sleep(1)
        finally:
            hook.stop()
        self.assertEqual(len(hook.posts), 1)
        path, headers, body = hook.posts[0]
        self.assertEqual(path, "/hook/T123")
        self.assertEqual(headers["Content-Type"], "application/json")
        j = json.loads(body)
        self.assertEqual(sorted(j), ["chat_id", "text"])
        self.assertEqual(j["chat_id"], "-100200300")
        msg = self.smtp.get()[0][2]
        mail_body = msg.get_content().replace("\r\n", "\n")
        self.assertEqual(j["text"], FATAL_SUBJECT + "\n" + mail_body[:-1])
        lines = j["text"].split("\n")
        self.assertEqual(lines[:4], [
            FATAL_SUBJECT,
            "FATAL jobmaster@pool1 pid 4242, key jobmaster jm_node.c:120",
            "count: 1 since the last mail (1 since alertcenter started)",
            "first: 2026-01-02 03:04:05 UTC  2026-01-02 03:04:05.125 [4242] FATAL "
            "jm_node.c:120 node unreachable"])
        st = self.status()["mail"]
        self.assertEqual((st["sent"], st["hooks_sent"], st["hooks_failed"]), (1, 1, 0))

    def test_dead_webhook(self):
        self.smtp = hflib.SmtpCatcher()
        self.start(webhook={"url": "http://127.0.0.1:%d/hook" % hflib.free_port()})
        self.send(datagram())
        hflib.wait_for(lambda: self.smtp.count() >= 1, 30, what="the mail")
        hflib.wait_for(lambda: self.status()["mail"]["hooks_failed"] >= 3, 30,
                       what="the webhook given up")
        time.sleep(2)
        st = self.status()["mail"]
        self.assertEqual((st["sent"], st["hooks_sent"], st["hooks_failed"]), (1, 0, 3))
        self.assertEqual(self.smtp.get()[0][2]["Subject"], FATAL_SUBJECT)
        self.assertEqual(self.ac.log().count("webhook: attempt "), 3)

    def test_stop_delivers_held_alerts(self):
        self.smtp = hflib.SmtpCatcher()
        self.start(mail={"gather": 60})
        for i in range(3):
            self.send(datagram(key="k.c:%d" % i, msg="alert %d" % i))
        hflib.wait_for(lambda: self.status()["groups"]["alerts"] == 3, 10, what="3 alerts")
        time.sleep(1)
        self.assertEqual(self.smtp.count(), 0)          # held for 60 s
        t0 = time.time()
        self.ac.stop()
        took = time.time() - t0
        (_, _, msg), = self.smtp.get()
        self.assertEqual(msg["Subject"], "[headframe] 3 alerts of 3 kinds, first: FATAL "
                         "jobmaster@pool1: k.c:0 alert 0")
        keys = [x.split()[-1] for x in msg.get_content().split("\n")
                if x.startswith("FATAL jobmaster@pool1 pid 4242, key ")]
        self.assertEqual(sorted(keys), ["k.c:0", "k.c:1", "k.c:2"])
        self.assertLess(took, 10)
        self.assertIn("alertcenter: stopping with 0 mail(s) undelivered and 0 group(s) of "
                      "alerts in no mail (1 mail(s) sent since start)", self.ac.log())

    def test_stop_with_smtp_down(self):
        self.smtp = hflib.SmtpCatcher()
        self.smtp.stop()
        ac = self.start(mail={"shutdown_wait": 2})
        for i in range(2):
            self.send(datagram(key="k.c:%d" % i, msg="alert %d" % i))
        hflib.wait_for(lambda: self.status()["mail"]["attempts_failed"] >= 1, 30,
                       what="a failed attempt")
        ac.stop()
        lost = [x for x in ac.log().splitlines() if "mail: lost at shutdown" in x]
        self.assertEqual(len(lost), 1, ac.log()[-3000:])
        self.assertIn(" ERROR ac_mail.c:", lost[0])
        self.assertRegex(lost[0], r"mail: lost at shutdown, not delivered after \d+ attempt\(s\):"
                         r" to operators, 2 alert\(s\): \[headframe\] 2 alerts of 2 kinds, "
                         r"first: FATAL jobmaster@pool1: k.c:[01] alert [01]$")
        self.assertIn("alertcenter: stopping with 1 mail(s) undelivered", ac.log())
        self.check_clean(ac)
        # Restarted (same config, SMTP back): the alerts are in Redis, no mail repeats them.
        self.assertEqual(self.redis.cmd("LLEN", "alert:list"), 2)
        self.smtp.start()
        ac.start()
        time.sleep(3)
        self.assertEqual(self.smtp.count(), 0)
        self.assertEqual(self.status()["groups"]["alerts"], 0)
        self.assertEqual(self.redis.cmd("LLEN", "alert:list"), 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
