"""The internal link protocol (ut_rpc framing, docs/protocol.md) for the
end-to-end tests and the benches: one Python implementation, stdlib only.

A frame is a 32-byte big-endian header (magic HFM1, version, type, command,
sequence, request id, body length, status, CRC32C over header bytes 0..27
and the body) followed by the body. On import this module packs the worked
example of docs/protocol.md and checks it byte for byte, so the doc, the C
code (tests/unit/test_ut_rpc.c checks the same bytes) and this file agree.

    link = Link(port)                                  # a client, heartbeats included
    status, reply = link.request_json(CMD_MW_BATCH, {...})
"""
import json
import os
import socket
import struct
import threading
import time

MAGIC = 0x48464D31                    # "HFM1"
VERSION = 1
HEADER = struct.Struct(">IBBHIQIII")  # magic ver type cmd seq req_id body_len status crc
HEADER_SIZE = HEADER.size             # 32
T_REQUEST, T_REPLY, T_PUSH, T_HEARTBEAT = 1, 2, 3, 4

# Commands (utils/ut_cmd.h).
CMD_JM_HELLO = 0x0101
CMD_JM_JOB = 0x0102
CMD_JM_BLOCK_FOUND = 0x0103
CMD_JM_BLOCK_RESULT = 0x0104
CMD_MW_BATCH = 0x0201


# ---- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) ----

def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data, crc=0):
    """CRC-32C of data; pass a previous result as crc to continue a running sum."""
    crc ^= 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---- frames ----

class FrameError(Exception):
    """A frame that a receiver must refuse (docs/protocol.md, Validation)."""


class Frame:
    """One received frame: the header fields and the body (bytes)."""
    __slots__ = ("version", "type", "command", "seq", "req_id", "status", "body")

    def __init__(self, version, ftype, command, seq, req_id, status, body):
        self.version, self.type, self.command = version, ftype, command
        self.seq, self.req_id, self.status, self.body = seq, req_id, status, body

    def json(self):
        """The body as JSON, or None when it is empty."""
        return json.loads(self.body) if self.body else None

    def __repr__(self):
        return "Frame(type=%d cmd=0x%04x seq=%d id=%d status=%d body=%r)" % (
            self.type, self.command, self.seq, self.req_id, self.status, self.body[:200])


def pack_frame(ftype, command, seq, req_id, body, status=0):
    """The bytes of one frame."""
    head = HEADER.pack(MAGIC, VERSION, ftype, command, seq, req_id, len(body), status, 0)[:28]
    return head + struct.pack(">I", crc32c(body, crc32c(head))) + body


def parse_header(head):
    """(version, type, command, seq, req_id, body_len, status, crc) of a 32-byte
    header; raises FrameError on a bad magic, version or type."""
    magic, ver, ftype, cmd, seq, req_id, blen, status, crc = HEADER.unpack(head)
    if magic != MAGIC:
        raise FrameError("bad magic %08x" % magic)
    if ver < 1:
        raise FrameError("bad protocol version %d" % ver)
    if not 1 <= ftype <= 4:
        raise FrameError("bad message type %d" % ftype)
    return ver, ftype, cmd, seq, req_id, blen, status, crc


def make_frame(head, body):
    """A Frame from a parsed header and its body; raises FrameError on a CRC mismatch."""
    ver, ftype, cmd, seq, req_id, _, status, crc = parse_header(head)
    if crc32c(body, crc32c(head[:28])) != crc:
        raise FrameError("CRC mismatch (command 0x%04x, seq %d)" % (cmd, seq))
    return Frame(ver, ftype, cmd, seq, req_id, status, body)


def split_frames(buf):
    """Complete frames at the start of buf: ([Frame, ...], the rest of buf)."""
    frames = []
    while len(buf) >= HEADER_SIZE:
        blen = HEADER.unpack_from(buf)[6]
        end = HEADER_SIZE + blen
        if len(buf) < end:
            break
        frames.append(make_frame(buf[:HEADER_SIZE], buf[HEADER_SIZE:end]))
        buf = buf[end:]
    return frames, buf


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("peer closed the link")
        buf += chunk
    return buf


def read_frame(sock):
    """The next frame from a blocking socket (EOFError when the peer closed)."""
    head = recv_exact(sock, HEADER_SIZE)
    blen = HEADER.unpack(head)[6]
    return make_frame(head, recv_exact(sock, blen) if blen else b"")


# ---- the worked example of docs/protocol.md, checked on import ----

DOC_EXAMPLE = bytes.fromhex("48464d31 01 01 0101 00000001 0000000000000001 00000007 "
                            "00000000 678c3e47 7b2276223a317d".replace(" ", ""))


def self_check(doc=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "docs", "protocol.md")):
    """Raises AssertionError unless this module packs and reads the doc's example."""
    assert crc32c(b"123456789") == 0xE3069283, "CRC-32C check value"
    got = pack_frame(T_REQUEST, CMD_JM_HELLO, 1, 1, b'{"v":1}')
    assert got == DOC_EXAMPLE, "worked example: packed %s" % got.hex()
    frames, rest = split_frames(DOC_EXAMPLE)
    assert rest == b"" and len(frames) == 1, "worked example: did not parse"
    f = frames[0]
    assert (f.type, f.command, f.seq, f.req_id, f.status, f.body) == (
        T_REQUEST, CMD_JM_HELLO, 1, 1, 0, b'{"v":1}'), "worked example: %r" % f
    if os.path.exists(doc):
        with open(doc) as fh:
            text = fh.read()
        # The whole frame as the doc prints it, in its fenced block.
        marker = text.find("The whole frame")
        assert marker >= 0, "%s: no 'The whole frame' example" % doc
        block = text[marker:].split("```")[1]
        assert bytes.fromhex("".join(block.split())) == DOC_EXAMPLE, (
            "%s: the worked example differs from hfrpc.DOC_EXAMPLE" % doc)


self_check()


# ---- connections ----

class Conn:
    """One end of a ut_rpc connection: numbers and sends frames (thread-safe)."""

    def __init__(self, sock):
        self.sock = sock
        self.seq = 0
        self.send_lock = threading.Lock()
        self.closed = False

    def send(self, ftype, command, req_id, body=b"", status=0):
        with self.send_lock:
            self.seq = (self.seq + 1) & 0xFFFFFFFF
            self.sock.sendall(pack_frame(ftype, command, self.seq, req_id, body, status))

    def heartbeat(self):
        self.send(T_HEARTBEAT, 0, 0)

    def read(self):
        return read_frame(self.sock)

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass


class Link(Conn):
    """A client link to a Headframe server on 127.0.0.1:port, as a module holds
    it: a reader thread matches replies to requests and hands pushes to
    on_push(frame); a second thread sends a heartbeat every `heartbeat`
    seconds. A request fails at once (ConnectionError) when the link drops,
    and with TimeoutError at its deadline."""

    def __init__(self, port, on_push=None, heartbeat=0.5, connect_timeout=10.0):
        super().__init__(socket.create_connection(("127.0.0.1", port),
                                                  timeout=connect_timeout))
        self.sock.settimeout(None)
        self.on_push = on_push
        self.interval = heartbeat
        self.next_id = 1
        self.replies = {}
        self.error = None          # why the link went down, once it did
        self.cv = threading.Condition()
        threading.Thread(target=self._reader, daemon=True).start()
        threading.Thread(target=self._beat, daemon=True).start()

    def _beat(self):
        while not self.closed:
            try:
                self.heartbeat()
            except OSError:
                return
            time.sleep(self.interval)

    def _reader(self):
        try:
            while True:
                f = self.read()
                if f.type == T_REPLY:
                    with self.cv:
                        self.replies[f.req_id] = f
                        self.cv.notify_all()
                elif f.type == T_PUSH and self.on_push:
                    self.on_push(f)
        except (EOFError, OSError, FrameError) as e:
            with self.cv:
                self.error = "%s: %s" % (type(e).__name__, e)
                self.closed = True
                self.cv.notify_all()

    def request(self, command, body, timeout=10.0):
        """Sends a request; returns its reply (a Frame)."""
        with self.cv:
            req_id = self.next_id
            self.next_id += 1
        self.send(T_REQUEST, command, req_id, body)
        with self.cv:
            self.cv.wait_for(lambda: req_id in self.replies or self.closed, timeout)
            if req_id in self.replies:
                return self.replies.pop(req_id)
            if self.closed:
                raise ConnectionError("link down before the reply to command 0x%04x (%s)"
                                      % (command, self.error or "closed here"))
        raise TimeoutError("no reply to command 0x%04x within %.0fs" % (command, timeout))

    def request_json(self, command, obj, timeout=10.0):
        """Sends obj as a JSON body; returns (status, reply body as JSON or None)."""
        f = self.request(command, json.dumps(obj).encode(), timeout)
        return f.status, f.json()
