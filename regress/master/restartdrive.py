#!/usr/bin/env python3
"""Clients for restart_test.sh: sessions through posternd while its
helper daemons and workers are killed under them.

  restartdrive.py hold PORT plain|tls policy|nopolicy DIR
        logs in, touches DIR/up, waits (at most 120 s) for DIR/go, then
        checks that nothing came meanwhile and that NOOP, SELECT INBOX
        (with a policy, a verdict asked of policyd each time: it has an
        argument), SELECT Private (refused by the rules, with a policy)
        and LOGOUT are answered as they should be
  restartdrive.py sessions PORT plain|tls N
        N sessions one after the other, each LOGIN, SELECT INBOX,
        LOGOUT; every one must succeed
  restartdrive.py handshake PORT
        one IMAPS session: TLS handshake and greeting; prints the
        seconds it took

Each prints "<name> ok ..." or what went wrong, and exits 1 then.
"""
import os
import select
import socket
import ssl
import sys
import time


def fail(msg):
    print(msg, flush=True)
    sys.exit(1)


def connect(port, mode, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if mode == "tls":
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        s = c.wrap_socket(s)
    return s


class Conn:
    def __init__(self, port, mode, timeout=10):
        self.s = connect(port, mode, timeout)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def cmd(self, tag, text):
        self.s.sendall(tag + b" " + text + b"\r\n")
        out = []
        while True:
            l = self.line()
            if l is None:
                fail("%s %s: connection closed after %r" %
                     (tag.decode(), text.decode(), out))
            out.append(l)
            if l.startswith(tag + b" "):
                return out

    def expect(self, tag, text, status):
        out = self.cmd(tag, text)
        if not out[-1].startswith(tag + b" " + status):
            fail("%s %s: %r" % (tag.decode(), text.decode(), out))
        return out

    def quiet(self):
        """Nothing came unasked: no BYE, no end of the connection."""
        if self.buf:
            fail("unasked: %r" % self.buf)
        if isinstance(self.s, ssl.SSLSocket) and self.s.pending():
            fail("unasked TLS bytes")
        r, _, _ = select.select([self.s], [], [], 0)
        if r:
            self.s.setblocking(False)
            try:
                d = self.s.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                d = None
            self.s.setblocking(True)
            self.s.settimeout(10)
            if d is not None:
                fail("unasked: %r" % d)


def session(port, mode, i):
    c = Conn(port, mode)
    g = c.line()
    if g is None or not g.startswith(b"* OK"):
        fail("session %d: greeting %r" % (i, g))
    c.expect(b"a", b"LOGIN testuser testpass", b"OK")
    c.expect(b"b", b"SELECT INBOX", b"OK")
    c.expect(b"c", b"LOGOUT", b"OK")
    c.s.close()


def hold(port, mode, policy, d):
    c = Conn(port, mode, timeout=30)
    g = c.line()
    if g is None or not g.startswith(b"* OK"):
        fail("hold: greeting %r" % g)
    c.expect(b"h1", b"LOGIN testuser testpass", b"OK")
    c.expect(b"h2", b"SELECT INBOX", b"OK")
    open(os.path.join(d, "up"), "w").close()
    t0 = time.monotonic()
    while not os.path.exists(os.path.join(d, "go")):
        if time.monotonic() - t0 > 120:
            fail("hold: no go")
        time.sleep(0.05)
    c.quiet()
    c.expect(b"h3", b"NOOP", b"OK")
    c.expect(b"h4", b"SELECT INBOX", b"OK")
    if policy:
        c.expect(b"h5", b"SELECT Private", b"NO")
    c.expect(b"h6", b"NOOP", b"OK")
    out = c.cmd(b"h7", b"LOGOUT")
    if not out[-1].startswith(b"h7 OK"):
        fail("hold: LOGOUT %r" % out)
    print("hold ok", flush=True)


def main():
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "hold":
        hold(int(a[1]), a[2], a[3] == "policy", a[4])
    elif len(a) == 4 and a[0] == "sessions":
        for i in range(int(a[3])):
            session(int(a[1]), a[2], i)
        print("sessions ok %s" % a[3])
    elif len(a) == 2 and a[0] == "handshake":
        t0 = time.monotonic()
        c = Conn(int(a[1]), "tls")
        g = c.line()
        if g is None or not g.startswith(b"* OK"):
            fail("handshake: greeting %r" % g)
        print("handshake ok %.3f" % (time.monotonic() - t0))
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
