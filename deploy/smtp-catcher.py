#!/usr/bin/env python3
"""A local SMTP catcher for `make run`: a real SMTP server (Debian's
python3-aiosmtpd) on 127.0.0.1:PORT that writes every mail it receives as
one file DIR/<unix time>-<n>.eml (the message as received, with an
X-Envelope-To header naming the recipients). Runs until SIGTERM.

    deploy/smtp-catcher.py PORT DIR
"""
import os
import signal
import sys
import threading
import time

try:
    from aiosmtpd.controller import Controller
except ImportError:                      # python3 is not Debian's: use its package
    sys.path.append("/usr/lib/python3/dist-packages")
    from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outdir):
        self.outdir, self.n = outdir, 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.outdir, "%d-%04d.eml" % (int(time.time()), self.n))
        with open(path + ".tmp", "wb") as f:
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        print("smtp-catcher: mail to %s -> %s" % (", ".join(envelope.rcpt_tos), path), flush=True)
        return "250 OK"


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    ctl = Controller(Handler(outdir), hostname="127.0.0.1", port=port)
    ctl.start()
    print("smtp-catcher: listening on 127.0.0.1:%d, mails in %s" % (port, outdir), flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    done.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
