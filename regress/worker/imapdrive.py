#! /usr/bin/python3
"""Drive IMAP sessions through postern for relay_test.sh.

imapdrive.py session PORT MAILDIR USER   the whole relay scenario
imapdrive.py hold PORT USER              log in, SELECT, print "held",
                                         wait for a line on stdin, LOGOUT
imapdrive.py many PORT N MAILDIR         N concurrent sessions, each
                                         fetching INBOX and checking it
Every failure prints what differed and exits 1.
"""

import imaplib
import os
import socket
import sys
import threading

TIMEOUT = 20


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


class Raw:
    """A line-level client: we choose every byte that goes out."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=TIMEOUT)
        self.f = self.s.makefile("rb")
        self.greeting = self.line()

    def line(self):
        ln = self.f.readline()
        if not ln:
            fail("connection closed")
        return ln

    def send(self, data):
        self.s.sendall(data)

    def until(self, tag):
        """Lines up to and including the tagged answer to tag."""
        out = []
        while True:
            ln = self.line()
            out.append(ln)
            if ln.startswith(tag + b" "):
                return out

    def cmd(self, tag, text):
        self.send(tag + b" " + text + b"\r\n")
        return self.until(tag)

    def close(self):
        self.s.close()


def expect(cond, what):
    if not cond:
        fail(what)


def maildir_messages(maildir, user, folder):
    d = os.path.join(maildir, user, folder)
    return [open(os.path.join(d, n), "rb").read()
            for n in sorted(os.listdir(d)) if n.endswith(".eml")]


def check_fetch(m, maildir, user):
    """Every INBOX message byte for byte, by sequence number."""
    want = maildir_messages(maildir, user, "INBOX")
    typ, data = m.select("INBOX")
    expect(typ == "OK", "SELECT INBOX: %r" % data)
    expect(int(data[0]) >= len(want), "INBOX has %s, want %d" %
           (data[0], len(want)))
    for i, body in enumerate(want, 1):
        typ, data = m.fetch(str(i), "(BODY.PEEK[])")
        expect(typ == "OK", "FETCH %d: %r" % (i, data))
        expect(data[0][1] == body, "FETCH %d: body differs" % i)


def session(port, maildir, user):
    # Capabilities: what the proxy cannot pass on is not offered;
    # COMPRESS=DEFLATE is postern's own, after login (compress_test.sh),
    # never the server's other mechanisms.
    r = Raw(port)
    g = r.greeting
    expect(g.startswith(b"* OK"), "greeting %r" % g)
    expect(b"STARTTLS" not in g and b"COMPRESS" not in g,
           "greeting offers STARTTLS or COMPRESS: %r" % g)
    expect(b"LITERAL+" in g, "greeting lost LITERAL+: %r" % g)
    out = r.cmd(b"c1", b"CAPABILITY")
    expect(out[0].startswith(b"* CAPABILITY ") and
           b"STARTTLS" not in out[0] and b"IMAP4rev1" in out[0],
           "CAPABILITY: %r" % out)
    out = r.cmd(b"c2", b"STARTTLS")
    expect(out[-1].startswith(b"c2 NO"), "STARTTLS: %r" % out)
    # LOGIN with synchronizing literals: each waits for our "+".
    r.send(b"c3 LOGIN {%d}\r\n" % len(user))
    expect(r.line().startswith(b"+"), "no + for the user literal")
    r.send(user.encode() + b" {8}\r\n")
    expect(r.line().startswith(b"+"), "no + for the password literal")
    r.send(b"testpass\r\n")
    out = r.until(b"c3")
    expect(out[-1].startswith(b"c3 OK"), "LOGIN: %r" % out)
    caps = b"".join(out)
    expect(caps.count(b"COMPRESS=") == caps.count(b"COMPRESS=DEFLATE") <= 1,
           "COMPRESS offered: %r" % out)
    out = r.cmd(b"c4", b"COMPRESS LZW")
    expect(out[-1].startswith(b"c4 BAD"), "COMPRESS LZW: %r" % out)
    # The session goes on, uncompressed.
    out = r.cmd(b"c5", b"NOOP")
    expect(out[-1].startswith(b"c5 OK"), "NOOP after COMPRESS: %r" % out)
    # A synchronizing literal over the limit, refused by postern: the
    # client sends nothing more and the next command works.
    r.send(b"c6 APPEND INBOX {999999999}\r\n")
    out = r.until(b"c6")
    expect(out[-1].startswith(b"c6 BAD [TOOBIG]"), "huge APPEND: %r" % out)
    out = r.cmd(b"c7", b"NOOP")
    expect(out[-1].startswith(b"c7 OK"), "NOOP after refusal: %r" % out)
    # APPEND with LITERAL+: no continuation, octets right away.
    msg = b"Subject: literal plus\r\n\r\nsent with {n+}\r\n"
    r.send(b"c8 APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
    out = r.until(b"c8")
    expect(out[-1].startswith(b"c8 OK"), "APPEND LITERAL+: %r" % out)
    # A malformed command: BAD from the parser, and the session goes on.
    out = r.cmd(b"c9", b"NOOP (")
    expect(out[-1].startswith(b"c9 BAD"), "bad command: %r" % out)
    out = r.cmd(b"c10", b"LOGOUT")
    expect(out[0].startswith(b"* BYE") and out[-1].startswith(b"c10 OK"),
           "LOGOUT: %r" % out)
    r.close()

    # A non-synchronizing literal over the limit: its octets are on their
    # way anyway, so postern ends the session.
    r = Raw(port)
    r.send(b"d1 APPEND INBOX {999999999+}\r\n")
    ln = r.line()
    expect(ln.startswith(b"* BYE"), "huge {n+}: %r" % ln)
    expect(r.f.readline() == b"", "session goes on after BYE")
    r.close()

    # imaplib: the usual client.
    m = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
    typ, data = m.login(user, "testpass")
    expect(typ == "OK", "LOGIN: %r" % data)
    typ, data = m.list()
    expect(typ == "OK" and any(b"INBOX" in x for x in data),
           "LIST: %r" % data)
    check_fetch(m, maildir, user)
    # APPEND: imaplib sends a synchronizing literal.
    msg = b"Subject: sync literal\r\n\r\nsent with {n}\r\n"
    typ, data = m.append("INBOX", None, None, msg)
    expect(typ == "OK", "APPEND: %r" % data)
    typ, data = m.select("INBOX")
    n = int(data[0])
    typ, data = m.fetch(str(n), "(BODY.PEEK[])")
    expect(typ == "OK" and data[0][1] == msg, "appended message: %r" % data)

    # IDLE, with an EXISTS caused by another session's APPEND.
    tag = m._new_tag()
    m.send(tag + b" IDLE\r\n")
    ln = m.readline()
    expect(ln.startswith(b"+"), "IDLE: %r" % ln)
    o = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
    o.login(user, "testpass")
    typ, data = o.append("INBOX", None, None,
                         b"Subject: wake up\r\n\r\nidle\r\n")
    expect(typ == "OK", "second APPEND: %r" % data)
    o.logout()
    while True:
        ln = m.readline()
        expect(ln != b"", "closed in IDLE")
        if ln.startswith(b"* ") and b"EXISTS" in ln:
            break
    m.send(b"DONE\r\n")
    while True:
        ln = m.readline()
        expect(ln != b"", "closed after DONE")
        if ln.startswith(tag + b" "):
            expect(ln.startswith(tag + b" OK"), "IDLE end: %r" % ln)
            break

    typ, data = m.store(str(n), "+FLAGS", "(\\Deleted)")
    expect(typ == "OK" and b"\\Deleted" in data[0], "STORE: %r" % data)
    typ, data = m.expunge()
    expect(typ == "OK" and data[0] == str(n).encode(),
           "EXPUNGE: %r" % data)
    typ, data = m.logout()
    expect(typ == "BYE", "LOGOUT: %r" % data)
    print("session ok")


def hold(port, user):
    m = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
    m.login(user, "testpass")
    m.select("INBOX")
    print("held", flush=True)
    sys.stdin.readline()
    typ, data = m.noop()
    expect(typ == "OK", "NOOP: %r" % data)
    m.logout()
    print("released")


def many(port, n, maildir):
    errors = []
    want = maildir_messages(maildir, "testuser", "INBOX")

    def one(i):
        try:
            m = imaplib.IMAP4("127.0.0.1", port, timeout=60)
            m.login("testuser", "testpass")
            m.select("INBOX", readonly=True)
            for j, body in enumerate(want, 1):
                typ, data = m.fetch(str(j), "(BODY.PEEK[])")
                if typ != "OK" or data[0][1] != body:
                    raise Exception("message %d differs" % j)
            m.logout()
        except Exception as e:
            errors.append("session %d: %r" % (i, e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        fail("%d of %d sessions failed: %s" % (len(errors), n,
             "; ".join(errors[:5])))
    print("%d sessions ok" % n)


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "session":
        session(int(a[1]), a[2], a[3])
    elif len(a) == 3 and a[0] == "hold":
        hold(int(a[1]), a[2])
    elif len(a) == 4 and a[0] == "many":
        many(int(a[1]), int(a[2]), a[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
