#!/usr/bin/env python3
"""A scripted load for control_test: sessions held open through postern.

usage: controldrive.py IMAP_PORT POP3_PORT

Opens five sessions, one after the other, and leaves them open:

  a  IMAP, LOGIN, SELECT INBOX, a DELETE the rules reject
  b  IMAP, STARTTLS, LOGIN
  c  IMAP, CAPABILITY only
  d  IMAP, a LOGIN the server refuses
  e  POP3, USER and PASS

For each it prints "session NAME port P user U tls T in N out M": the
client's port, the user it logged in as ("-" none), its TLS ("-" none),
and the bytes it sent and read on the socket (the TLS records, for b),
then "ready".  Then it takes commands on standard input, one a line:

  bye NAME   reads session NAME to its end: "bye NAME LAST-LINE"
  end        ends every session left (LOGOUT, QUIT): "ended"
"""
import socket
import ssl
import sys

USER, PASSWORD = "testuser", "testpass"


class Session:
    def __init__(self, name, port):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.port = self.sock.getsockname()[1]
        self.io = self.sock
        self.buf = b""
        self.sent = 0
        self.read = 0
        self.user = "-"
        self.tls = "-"

    def send(self, line):
        data = line.encode() + b"\r\n"
        self.io.sendall(data)
        if self.io is self.sock:
            self.sent += len(data)

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.io.recv(65536)
            if not data:
                raise EOFError(self.name)
            if self.io is self.sock:
                self.read += len(data)
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def imap(self, tag, command):
        self.send("%s %s" % (tag, command))
        while True:
            line = self.line()
            if line.startswith(tag + " "):
                return line.split(" ")[1]

    def pop3(self, command):
        self.send(command)
        return self.line().split(" ")[0]

    def starttls(self):
        # The TLS records are counted by the kernel's socket, not here.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.io = ctx.wrap_socket(self.sock)
        self.tls = self.io.version()

    def report(self):
        print("session %s port %d user %s tls %s in %d out %d" % (
            self.name, self.port, self.user, self.tls, self.sent,
            self.read), flush=True)


def expect(what, got, want):
    if got != want:
        sys.exit("%s: %s, not %s" % (what, got, want))


def main():
    imap_port, pop3_port = int(sys.argv[1]), int(sys.argv[2])
    sessions = {}

    a = sessions["a"] = Session("a", imap_port)
    a.line()
    expect("a LOGIN", a.imap("a1", "LOGIN %s %s" % (USER, PASSWORD)), "OK")
    a.user = USER
    expect("a SELECT", a.imap("a2", "SELECT INBOX"), "OK")
    expect("a DELETE", a.imap("a3", "DELETE Nothing"), "NO")

    b = sessions["b"] = Session("b", imap_port)
    b.line()
    expect("b STARTTLS", b.imap("b1", "STARTTLS"), "OK")
    b.starttls()
    expect("b LOGIN", b.imap("b2", "LOGIN %s %s" % (USER, PASSWORD)), "OK")
    b.user = USER

    c = sessions["c"] = Session("c", imap_port)
    c.line()
    expect("c CAPABILITY", c.imap("c1", "CAPABILITY"), "OK")

    e = sessions["e"] = Session("e", pop3_port)
    e.line()
    expect("e USER", e.pop3("USER " + USER), "+OK")
    expect("e PASS", e.pop3("PASS " + PASSWORD), "+OK")
    e.user = USER

    # Last: the server's penalty for a refused login would slow the others.
    d = sessions["d"] = Session("d", imap_port)
    d.line()
    expect("d LOGIN", d.imap("d1", "LOGIN %s wrong%s" % (USER, PASSWORD)),
        "NO")

    for name in sorted(sessions):
        sessions[name].report()
    print("ready", flush=True)

    for cmd in sys.stdin:
        words = cmd.split()
        if words[:1] == ["bye"]:
            s = sessions.pop(words[1])
            last = ""
            try:
                while True:
                    last = s.line()
            except (EOFError, OSError):
                pass
            print("bye %s %s" % (s.name, last), flush=True)
        elif words == ["end"]:
            for s in sessions.values():
                if s.name == "e":
                    s.pop3("QUIT")
                else:
                    s.imap("z", "LOGOUT")
                s.io.close()
            sessions = {}
            print("ended", flush=True)
            return


main()
