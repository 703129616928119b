#!/usr/bin/env python3
"""IMAP clients that speak COMPRESS=DEFLATE (RFC 4978), for compress_test.

  zimap.py session PORT [HIDE] [--tls implicit|starttls] [--plain]
      Python's imaplib, with COMPRESS DEFLATE after login (a subclass
      that inflates what it reads and deflates what it sends): LIST (but
      mailboxes starting with HIDE), EXAMINE each, FETCH every message's
      FLAGS, RFC822.SIZE and BODY.PEEK[] (its sha256), STATUS each.
      Printed so that a session direct to Dovecot and one through
      postern can be compared byte for byte.  --plain: no COMPRESS.
  zimap.py hidden PORT HIDDEN
      Inside the compressed stream: LIST, LSUB, STATUS and SELECT of
      a mailbox the rules hide.
  zimap.py offer PORT yes|no OK|NO|BAD
      COMPRESS=DEFLATE in the capability lists after login, or not (and
      never before), and COMPRESS DEFLATE's answer; the session goes on
      either way.
  zimap.py twice PORT
      COMPRESS before login (BAD), an unknown mechanism (BAD), COMPRESS
      DEFLATE (OK), again inside the compressed stream (NO
      [COMPRESSIONACTIVE]), then NOOP and LOGOUT.
  zimap.py garbage PORT
      COMPRESS, then bytes that are not a deflate stream: the session
      must end.
  zimap.py bomb PORT MEGABYTES
      COMPRESS, then a command line of MEGABYTES MB of "A", deflated to
      a thousandth of that, then NOOP: postern refuses the line and
      answers the NOOP, or ends the session, without its memory
      growing.
  zimap.py idle PORT SECONDS [--plain]
      Logged in, SELECTed INBOX, compressed (unless --plain), then
      silent for SECONDS (the test measures the worker meanwhile), then
      NOOP and LOGOUT.

Exit 0 when every expectation held, 1 with a message otherwise.
"""

import hashlib
import imaplib
import re
import socket
import ssl
import sys
import time
import zlib

USER, PASS = "testuser", "testpass"
# imaplib knows no COMPRESS (RFC 4978: authenticated and selected states).
imaplib.Commands.setdefault("COMPRESS", ("AUTH", "SELECTED"))


def fail(msg):
    print("zimap: " + msg, file=sys.stderr)
    sys.exit(1)


def expect(cond, msg):
    if not cond:
        fail(msg)


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Deflating:
    """imaplib with COMPRESS=DEFLATE: after the OK, reads are inflated and
    writes deflated, each write flushed (Z_SYNC_FLUSH)."""

    zc = None
    zd = None
    zbuf = b""

    def compress(self):
        typ, data = self._simple_command("COMPRESS", "DEFLATE")
        if typ != "OK":
            return typ, data
        self.zc = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.zd = zlib.decompressobj(-15)
        return typ, data

    def _zfill(self):
        d = self.sock.recv(65536)
        if not d:
            raise self.abort("socket error: EOF")
        self.zbuf += self.zd.decompress(d)

    def read(self, size):
        if self.zd is None:
            return super().read(size)
        while len(self.zbuf) < size:
            self._zfill()
        r, self.zbuf = self.zbuf[:size], self.zbuf[size:]
        return r

    def readline(self):
        if self.zd is None:
            return super().readline()
        while b"\n" not in self.zbuf:
            self._zfill()
        i = self.zbuf.index(b"\n") + 1
        r, self.zbuf = self.zbuf[:i], self.zbuf[i:]
        return r

    def send(self, data):
        if self.zc is not None:
            data = self.zc.compress(data) + self.zc.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)


class ZIMAP4(Deflating, imaplib.IMAP4):
    pass


class ZIMAP4_SSL(Deflating, imaplib.IMAP4_SSL):
    pass


def scrub(b):
    s = b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)
    s = re.sub(r"UIDVALIDITY \d+", "UIDVALIDITY x", s)
    return re.sub(r" \([0-9.+ ]+ secs\)", "", s)


def session(argv):
    port = int(argv[0])
    hide = None
    tls = None
    plain = False
    rest = argv[1:]
    while rest:
        a = rest.pop(0)
        if a == "--tls":
            tls = rest.pop(0)
        elif a == "--plain":
            plain = True
        else:
            hide = a
    if tls == "implicit":
        c = ZIMAP4_SSL("127.0.0.1", port, ssl_context=tls_context(),
                       timeout=20)
    else:
        c = ZIMAP4("127.0.0.1", port, timeout=20)
        if tls == "starttls":
            typ, _ = c.starttls(ssl_context=tls_context())
            expect(typ == "OK", "STARTTLS: %s" % typ)
    c.login(USER, PASS)
    if not plain:
        # imaplib keeps the greeting's list: Dovecot's grows at login.
        typ, data = c.capability()
        caps = data[0].upper().split()
        expect(b"COMPRESS=DEFLATE" in caps,
               "COMPRESS=DEFLATE not offered: %r" % (data,))
        typ, data = c.compress()
        expect(typ == "OK", "COMPRESS: %s %r" % (typ, data))
        print("COMPRESS", typ)
    typ, data = c.list()
    boxes = []
    # Dovecot lists the mailboxes it autocreates in no fixed order, and
    # marks (RFC 3348 \Marked) what the session before left recent.
    for d in sorted(data, key=lambda d: d.rsplit(b" ", 1)[-1]):
        m = re.match(rb'\((.*?)\) "(.*?)" (.*)$', d)
        name = m.group(3).decode().strip('"')
        if hide and name.startswith(hide):
            continue
        print("LIST", re.sub(r" ?\\(Un)?Marked", "", scrub(d)))
        boxes.append(name)
    for name in sorted(boxes):
        typ, data = c.select('"%s"' % name, readonly=True)
        print("EXAMINE", name, typ, scrub(data[0]))
        if typ != "OK":
            continue
        n = int(data[0])
        if n == 0:
            continue
        typ, data = c.fetch("1:*", "(FLAGS RFC822.SIZE BODY.PEEK[])")
        for d in data:
            if isinstance(d, tuple):
                print("FETCH", scrub(d[0]),
                      hashlib.sha256(d[1]).hexdigest(), len(d[1]))
            elif d != b")":
                print("FETCH", scrub(d))
    for name in sorted(boxes):
        typ, data = c.status('"%s"' % name, "(MESSAGES UNSEEN UIDNEXT)")
        print("STATUS", typ, scrub(data[0]))
    typ, _ = c.logout()
    print("LOGOUT", typ)


class Conn:
    """A raw IMAP connection, compressed once compress() says so."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.buf = b""
        self.zc = self.zd = None

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        if self.zd is not None:
            d = self.zd.decompress(d)
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n") + 2
        r, self.buf = self.buf[:i], self.buf[i:]
        return r

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        r, self.buf = self.buf[:n], self.buf[n:]
        return r

    def response(self, tag):
        """The lines up to tag's, literals inline."""
        out = []
        while True:
            ln = self.line()
            while True:
                m = re.search(rb"\{(\d+)\}\r\n$", ln)
                if not m:
                    break
                ln += self.take(int(m.group(1)))
                ln += self.line()
            out.append(ln)
            if ln.startswith(tag + b" "):
                return out

    def send(self, data):
        if self.zc is not None:
            data = self.zc.compress(data) + self.zc.flush(zlib.Z_SYNC_FLUSH)
        self.s.sendall(data)

    def cmd(self, tag, text):
        tag = tag.encode()
        self.send(tag + b" " + text.encode() + b"\r\n")
        return self.response(tag)

    def compress(self, tag):
        r = self.cmd(tag, "COMPRESS DEFLATE")
        if r[-1].split()[1] == b"OK":
            expect(self.buf == b"", "bytes behind the COMPRESS OK: %r" %
                   self.buf)
            self.zc = zlib.compressobj(6, zlib.DEFLATED, -15)
            self.zd = zlib.decompressobj(-15)
        return r

    def login(self):
        g = self.line()
        r = self.cmd("l1", "LOGIN %s %s" % (USER, PASS))
        expect(r[-1].startswith(b"l1 OK"), "LOGIN: %r" % r)
        return g, r


def status(r):
    return r[-1].split()[1].decode()


def hidden(argv):
    port, name = int(argv[0]), argv[1]
    c = Conn(port)
    c.login()
    r = c.compress("z1")
    expect(status(r) == "OK", "COMPRESS: %r" % r)
    nb = name.encode()
    r = c.cmd("h1", 'LIST "" "*"')
    expect(status(r) == "OK", "LIST: %r" % r)
    expect(not any(nb in ln for ln in r), "LIST shows %s: %r" % (name, r))
    expect(any(b"INBOX" in ln for ln in r), "LIST without INBOX: %r" % r)
    print("LIST", len(r) - 1, "mailboxes")
    r = c.cmd("h2", 'LIST "" "%s*"' % name)
    expect(r == [b"h2 OK List completed.\r\n"] or
           (len(r) == 1 and status(r) == "OK"),
           "LIST of the hidden name: %r" % r)
    r = c.cmd("h3", 'STATUS "%s" (MESSAGES)' % name)
    expect(status(r) == "NO" and b"NONEXISTENT" in r[-1] and
           not any(nb in ln for ln in r[:-1]), "STATUS: %r" % r)
    print("STATUS", r[-1].decode().strip())
    r = c.cmd("h4", 'SELECT "%s"' % name)
    expect(status(r) == "NO" and len(r) == 1, "SELECT: %r" % r)
    print("SELECT", r[-1].decode().strip())
    r = c.cmd("h5", 'LIST (SUBSCRIBED) "" "*" RETURN (STATUS (MESSAGES))')
    expect(status(r) == "OK" and not any(nb in ln for ln in r),
           "LIST-STATUS: %r" % r)
    r = c.cmd("h6", "SELECT INBOX")
    expect(status(r) == "OK", "SELECT INBOX: %r" % r)
    r = c.cmd("h7", "LOGOUT")
    expect(status(r) == "OK", "LOGOUT: %r" % r)
    print("ok")


def has_compress(lines):
    return any(b"COMPRESS=DEFLATE" in ln.upper() for ln in lines)


def offer(argv):
    port, want, result = int(argv[0]), argv[1] == "yes", argv[2]
    c = Conn(port)
    # Before login, never: COMPRESS is a command of the authenticated
    # state (RFC 4978 section 5).
    g = c.line()
    expect(b"COMPRESS" not in g.upper(), "greeting offers COMPRESS: %r" % g)
    r = c.cmd("c1", "CAPABILITY")
    expect(not has_compress(r), "CAPABILITY before login: %r" % r)
    r = c.cmd("l1", "LOGIN %s %s" % (USER, PASS))
    expect(status(r) == "OK", "LOGIN: %r" % r)
    expect(has_compress(r) == want, "LOGIN's capabilities: %r" % r)
    r = c.cmd("c2", "CAPABILITY")
    expect(has_compress(r) == want, "CAPABILITY after login: %r" % r)
    # Never the server's other mechanisms.
    expect(not any(re.search(rb"COMPRESS=(?!DEFLATE)", ln.upper())
                   for ln in r), "another COMPRESS offered: %r" % r)
    r = c.compress("z1")
    print("COMPRESS", r[-1].decode().strip())
    expect(status(r) == result, "COMPRESS: %r, not %s" % (r, result))
    expect((c.zd is not None) == (result == "OK"), "compression state")
    r = c.cmd("n1", "NOOP")
    expect(status(r) == "OK", "NOOP: %r" % r)
    r = c.cmd("s1", "SELECT INBOX")
    expect(status(r) == "OK", "SELECT: %r" % r)
    r = c.cmd("o1", "LOGOUT")
    expect(status(r) == "OK", "LOGOUT: %r" % r)
    print("ok")


def twice(argv):
    port = int(argv[0])
    c = Conn(port)
    c.line()
    r = c.cmd("b1", "COMPRESS DEFLATE")
    expect(status(r) == "BAD", "COMPRESS before login: %r" % r)
    print("before login", r[-1].decode().strip())
    r = c.cmd("l1", "LOGIN %s %s" % (USER, PASS))
    expect(status(r) == "OK", "LOGIN: %r" % r)
    r = c.cmd("b2", "COMPRESS LZW")
    expect(status(r) == "BAD", "COMPRESS LZW: %r" % r)
    print("unknown", r[-1].decode().strip())
    r = c.compress("z1")
    expect(status(r) == "OK" and c.zd is not None, "COMPRESS: %r" % r)
    print("first", r[-1].decode().strip())
    r = c.cmd("z2", "COMPRESS DEFLATE")
    expect(status(r) == "NO" and b"[COMPRESSIONACTIVE]" in r[-1],
           "second COMPRESS: %r" % r)
    print("second", r[-1].decode().strip())
    # Pipelined, inside the compressed stream.
    c.send(b"p1 NOOP\r\np2 SELECT INBOX\r\np3 NOOP\r\n")
    for t in (b"p1", b"p2", b"p3"):
        r = c.response(t)
        expect(r[-1].startswith(t + b" OK"), "%s: %r" % (t, r))
    r = c.cmd("o1", "LOGOUT")
    expect(status(r) == "OK" and any(ln.startswith(b"* BYE") for ln in r),
           "LOGOUT: %r" % r)
    # A client that does not wait for the OK (RFC 4978 says it must):
    # the compressed bytes behind COMPRESS in the same write are read as
    # such.
    c = Conn(port)
    c.login()
    zc = zlib.compressobj(6, zlib.DEFLATED, -15)
    c.s.sendall(b"y1 COMPRESS DEFLATE\r\n" + zc.compress(b"y2 NOOP\r\n") +
                zc.flush(zlib.Z_SYNC_FLUSH))
    r = c.response(b"y1")
    expect(status(r) == "OK", "COMPRESS: %r" % r)
    c.zc, c.zd = zc, zlib.decompressobj(-15)
    c.buf = c.zd.decompress(c.buf)
    r = c.response(b"y2")
    expect(status(r) == "OK", "NOOP behind COMPRESS: %r" % r)
    r = c.cmd("o2", "LOGOUT")
    expect(status(r) == "OK", "LOGOUT: %r" % r)
    print("behind", r[-1].decode().strip())
    print("ok")


def closed(c, within):
    """The server closes within seconds; what it said meanwhile."""
    end = time.time() + within
    c.s.settimeout(1)
    said = b""
    while time.time() < end:
        try:
            d = c.s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return said
        if not d:
            return said
        if c.zd is not None:
            try:
                said += c.zd.decompress(d)
            except zlib.error:
                said += b"<undecodable>"
        else:
            said += d
    fail("the session is still open after %d s" % within)


def garbage(argv):
    port = int(argv[0])
    c = Conn(port)
    c.login()
    r = c.compress("z1")
    expect(status(r) == "OK", "COMPRESS: %r" % r)
    # 0xff 0xff: a block type 3, which RFC 1951 does not have.
    c.s.sendall(b"\xff\xff\xff\xffa1 NOOP\r\n" * 4)
    said = closed(c, 10)
    print("closed", said.decode("ascii", "replace").strip())


def bomb(argv):
    port, mb = int(argv[0]), int(argv[1])
    c = Conn(port)
    c.login()
    r = c.compress("z1")
    expect(status(r) == "OK", "COMPRESS: %r" % r)
    z = c.zc
    sent = 0
    chunk = b"A" * (1024 * 1024)
    try:
        c.s.sendall(z.compress(b"a1 NOOP "))
        for _ in range(mb):
            d = z.compress(chunk)
            sent += len(d)
            c.s.sendall(d)
        d = z.compress(b"\r\na2 NOOP\r\n") + z.flush(zlib.Z_SYNC_FLUSH)
        sent += len(d)
        c.s.sendall(d)
        print("sent %d compressed bytes for %d MB" % (sent, mb))
        r = c.response(b"a2")
    except (EOFError, BrokenPipeError, ConnectionResetError):
        # postern may end the session: with its BYE, compressed
        print("sent %d compressed bytes, then closed:" % sent,
              (c.buf + closed(c, 10)).decode("ascii", "replace").strip())
        return
    expect(any(ln.startswith(b"a1 BAD") or ln.startswith(b"* BYE")
               for ln in r) or r[-1].startswith(b"a2 OK"),
           "after the bomb: %r" % r)
    print("answered", b" | ".join(ln.strip() for ln in r).decode())


def idle(argv):
    port, secs = int(argv[0]), float(argv[1])
    plain = "--plain" in argv[2:]
    c = Conn(port)
    c.login()
    if not plain:
        r = c.compress("z1")
        expect(status(r) == "OK", "COMPRESS: %r" % r)
    r = c.cmd("s1", "SELECT INBOX")
    expect(status(r) == "OK", "SELECT: %r" % r)
    # Some traffic first, as a client's first sync has.
    r = c.cmd("f1", "FETCH 1:* (FLAGS BODY.PEEK[])")
    expect(status(r) == "OK", "FETCH: %r" % r)
    print("ready", flush=True)
    time.sleep(secs)
    r = c.cmd("n1", "NOOP")
    expect(status(r) == "OK", "NOOP: %r" % r)
    r = c.cmd("o1", "LOGOUT")
    expect(status(r) == "OK", "LOGOUT: %r" % r)


MODES = {"session": session, "hidden": hidden, "offer": offer,
         "twice": twice, "garbage": garbage, "bomb": bomb, "idle": idle}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in MODES:
        fail("usage: zimap.py %s PORT ..." % "|".join(MODES))
    try:
        MODES[sys.argv[1]](sys.argv[2:])
    except (OSError, EOFError, imaplib.IMAP4.error, zlib.error) as e:
        fail("%s: %s" % (type(e).__name__, e))
