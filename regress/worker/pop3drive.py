#!/usr/bin/env python3
"""POP3 clients for pop3_test: poplib and raw sockets against posternd.

  pop3drive.py session PORT MAILDIR   STAT, LIST, UIDL, RETR (raw, undone
                                      by hand), TOP, DELE, RSET, QUIT
  pop3drive.py capa PORT              CAPA without STLS; STLS refused
  pop3drive.py pipeline PORT          one send of a whole session
  pop3drive.py malformed PORT LIMIT   100 KB line, NUL, bad numbers, AUTH
  pop3drive.py big PORT USER FILE     RETR 1 of USER is FILE, byte for byte
  pop3drive.py apop PORT              USER/PASS and APOP through postern

Each prints "NAME ok" or what differs, and exits 1 on a difference.
"""

import os
import poplib
import socket
import sys
import time

HOST = "127.0.0.1"
USER = "testuser"
PASS = "testpass"


class Fail(Exception):
    pass


def check(cond, fmt, *args):
    if not cond:
        raise Fail(fmt % args)


class Raw:
    """A POP3 connection by hand: lines and dot-terminated bodies."""

    def __init__(self, port):
        self.s = socket.create_connection((HOST, port), timeout=30)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise Fail("connection closed; have %r" % self.buf[:200])
            self.buf += d
        i = self.buf.index(b"\n") + 1
        ln, self.buf = self.buf[:i], self.buf[i:]
        return ln

    def body(self):
        """The raw body up to ".CRLF", and the body un-stuffed."""
        end = b"\r\n.\r\n"
        if self.buf.startswith(b".\r\n"):
            self.buf = self.buf[3:]
            return b"", b""
        while end not in self.buf:
            d = self.s.recv(1 << 20)
            if not d:
                raise Fail("closed in a body")
            self.buf += d
        i = self.buf.index(end) + 2
        raw, self.buf = self.buf[:i], self.buf[i + 3:]
        lines = raw.split(b"\r\n")[:-1]
        plain = b"".join((l[1:] if l.startswith(b".") else l) + b"\r\n"
                         for l in lines)
        return raw, plain

    def cmd(self, c):
        self.send(c + b"\r\n")
        return self.line()

    def eof(self):
        try:
            return self.s.recv(1) == b""
        except ConnectionResetError:
            return True

    def login(self):
        check(self.line().startswith(b"+OK"), "greeting")
        check(self.cmd(b"USER " + USER.encode()).startswith(b"+OK"), "USER")
        check(self.cmd(b"PASS " + PASS.encode()).startswith(b"+OK"), "PASS")


def inbox(maildir):
    d = os.path.join(maildir, USER, "INBOX")
    return [open(os.path.join(d, f), "rb").read()
            for f in sorted(os.listdir(d))]


def session(port, maildir):
    msgs = inbox(maildir)
    r = Raw(port)
    r.login()
    st = r.cmd(b"STAT").split()
    check(st[0] == b"+OK" and int(st[1]) == len(msgs) and
          int(st[2]) == sum(map(len, msgs)), "STAT %r", st)
    check(r.cmd(b"LIST").startswith(b"+OK"), "LIST")
    _, lst = r.body()
    want = b"".join(b"%d %d\r\n" % (i + 1, len(m)) for i, m in
                    enumerate(msgs))
    check(lst == want, "LIST %r", lst)
    check(r.cmd(b"LIST 2") == b"+OK 2 %d\r\n" % len(msgs[1]), "LIST 2")
    check(r.cmd(b"UIDL").startswith(b"+OK"), "UIDL")
    _, uidl = r.body()
    check(len(uidl.split(b"\r\n")) == len(msgs) + 1, "UIDL %r", uidl)
    check(r.cmd(b"UIDL 1").startswith(b"+OK 1 "), "UIDL 1")
    dotted = 0
    for i, m in enumerate(msgs):
        ln = r.cmd(b"RETR %d" % (i + 1))
        check(ln.startswith(b"+OK"), "RETR %d: %r", i + 1, ln)
        raw, plain = r.body()
        check(plain == m, "RETR %d differs from the Maildir", i + 1)
        dotted += raw.count(b"\r\n..")
    check(dotted > 0, "no dot-stuffed line seen")
    check(r.cmd(b"TOP 1 0").startswith(b"+OK"), "TOP")
    _, top = r.body()
    check(msgs[0].startswith(top) and top.endswith(b"\r\n\r\n"),
          "TOP 1 0 %r", top)
    check(r.cmd(b"DELE 1").startswith(b"+OK"), "DELE")
    check(r.cmd(b"RETR 1").startswith(b"-ERR"), "RETR of a deleted one")
    check(r.cmd(b"STAT").split()[1] == b"%d" % (len(msgs) - 1), "STAT")
    check(r.cmd(b"RSET").startswith(b"+OK"), "RSET")
    check(r.cmd(b"STAT").split()[1] == b"%d" % len(msgs), "STAT after RSET")
    check(r.cmd(b"NOOP").startswith(b"+OK"), "NOOP")
    check(r.cmd(b"QUIT").startswith(b"+OK"), "QUIT")
    check(r.eof(), "open after QUIT")
    # RSET undid DELE: all there still
    p = poplib.POP3(HOST, port)
    p.user(USER)
    p.pass_(PASS)
    check(p.stat()[0] == len(msgs), "messages after RSET, QUIT")
    for i, m in enumerate(msgs):
        check(b"\r\n".join(p.retr(i + 1)[1]) + b"\r\n" == m, "poplib RETR")
    p.quit()


def capa(port):
    p = poplib.POP3(HOST, port)
    c = p.capa()
    check("STLS" not in c, "STLS offered: %r", c)
    check("PIPELINING" in c and "TOP" in c and "UIDL" in c, "CAPA %r", c)
    p.close()
    # poplib's stls() would not even ask: STLS is not in CAPA.
    r = Raw(port)
    check(r.line().startswith(b"+OK"), "greeting")
    ln = r.cmd(b"STLS")
    check(ln == b"-ERR STLS is not available through this proxy\r\n",
          "STLS: %r", ln)
    check(r.cmd(b"CAPA").startswith(b"+OK"), "CAPA")
    _, c = r.body()
    check(b"STLS" not in c and b"USER" in c, "CAPA %r", c)
    r.send(b"QUIT\r\n")
    p = poplib.POP3(HOST, port)
    p.user(USER)
    p.pass_(PASS)
    check("STLS" not in p.capa(), "STLS after login")
    p.quit()


def pipeline(port):
    r = Raw(port)
    r.send(b"USER %s\r\nPASS %s\r\nSTAT\r\nLIST 2\r\nUIDL\r\nXYZZY\r\n"
           b"RETR x\r\nNOOP\r\nQUIT\r\n" % (USER.encode(), PASS.encode()))
    got = [r.line() for _ in range(5)]
    check(got[0].startswith(b"+OK") and b"ready" in got[0], "greeting")
    check(got[1].startswith(b"+OK") and got[2].startswith(b"+OK Logged"),
          "login %r", got)
    check(got[3].startswith(b"+OK 3 "), "STAT %r", got[3])
    check(got[4].startswith(b"+OK 2 "), "LIST 2 %r", got[4])
    check(r.line().startswith(b"+OK"), "UIDL")
    r.body()
    check(r.line() == b"-ERR Unknown command\r\n", "XYZZY")
    check(r.line() == b"-ERR Invalid message number\r\n", "RETR x")
    check(r.line().startswith(b"+OK"), "NOOP")
    check(r.line().startswith(b"+OK"), "QUIT")
    check(r.eof(), "open after QUIT")


def malformed(port, limit):
    r = Raw(port)
    check(r.line().startswith(b"+OK"), "greeting")
    ln = r.cmd(b"NOOP " + b"x" * 100000)
    check(ln == b"-ERR Line too long\r\n", "100 KB line: %r", ln)
    ln = r.cmd(b"USER " + b"y" * (limit + 1))
    check(ln == b"-ERR User name too long\r\n", "long USER: %r", ln)
    check(r.cmd(b"STAT").startswith(b"-ERR"), "STAT in AUTHORIZATION")
    check(r.cmd(b"US\0ER x") == b"-ERR Control character in command\r\n",
          "NUL")
    check(r.cmd(b"AUTH") == b"-ERR AUTH needs a mechanism\r\n", "AUTH")
    check(r.cmd(b"PASS x").startswith(b"-ERR"), "PASS before USER")
    # AUTHORIZATION still: a login works
    check(r.cmd(b"USER " + USER.encode()).startswith(b"+OK"), "USER")
    check(r.cmd(b"PASS " + PASS.encode()).startswith(b"+OK"), "PASS")
    for c in (b"RETR abc", b"RETR 0", b"RETR -1", b"DELE 1x", b"TOP 1",
              b"LIST 99999999999"):
        ln = r.cmd(c)
        check(ln.startswith(b"-ERR"), "%r: %r", c, ln)
    ln = r.cmd(b"RETR 99")
    check(ln.startswith(b"-ERR"), "RETR 99 (server's answer): %r", ln)
    check(r.cmd(b"NOOP " + b"z" * 100000) == b"-ERR Line too long\r\n",
          "100 KB line in TRANSACTION")
    check(r.cmd(b"STAT").startswith(b"+OK 3 "), "TRANSACTION still")
    check(r.cmd(b"QUIT").startswith(b"+OK"), "QUIT")


def big(port, user, path):
    want = open(path, "rb").read()
    r = Raw(port)
    check(r.line().startswith(b"+OK"), "greeting")
    check(r.cmd(b"USER " + user.encode()).startswith(b"+OK"), "USER")
    check(r.cmd(b"PASS " + PASS.encode()).startswith(b"+OK"), "PASS")
    t = time.monotonic()
    ln = r.cmd(b"RETR 1")
    check(ln == b"+OK %d octets\r\n" % len(want), "RETR: %r", ln)
    raw, plain = r.body()
    dt = time.monotonic() - t
    check(plain == want, "RETR of %d bytes differs (%d back)", len(want),
          len(plain))
    check(r.cmd(b"QUIT").startswith(b"+OK"), "QUIT")
    sys.stderr.write("RETR %d bytes in %.3f s\n" % (len(raw), dt))


def apop(port):
    p = poplib.POP3(HOST, port)
    check(b"<" in p.getwelcome(), "no timestamp: %r", p.getwelcome())
    check(p.user(USER).startswith(b"+OK"), "USER")
    check(p.pass_(PASS).startswith(b"+OK"), "PASS as APOP")
    check(p.stat()[0] == 3, "STAT")
    p.quit()
    p = poplib.POP3(HOST, port)
    p.user(USER)
    try:
        p.pass_("wrong")
        raise Fail("a wrong password logged in")
    except poplib.error_proto as e:
        check(str(e).startswith("b'-ERR"), "wrong password: %s", e)
    p.quit()
    p = poplib.POP3(HOST, port)
    check(p.apop(USER, PASS).startswith(b"+OK"), "client APOP")
    p.quit()


def main(argv):
    try:
        if argv[1] == "session":
            session(int(argv[2]), argv[3])
        elif argv[1] == "capa":
            capa(int(argv[2]))
        elif argv[1] == "pipeline":
            pipeline(int(argv[2]))
        elif argv[1] == "malformed":
            malformed(int(argv[2]), int(argv[3]))
        elif argv[1] == "big":
            big(int(argv[2]), argv[3], argv[4])
        elif argv[1] == "apop":
            apop(int(argv[2]))
        else:
            raise Fail("usage: see the source")
    except (Fail, OSError, poplib.error_proto) as e:
        print("%s: %s" % (argv[1], e))
        return 1
    print("%s ok" % argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
