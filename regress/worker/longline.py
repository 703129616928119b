#! /usr/bin/python3
"""Long command lines, for longline_test.sh.

longline.py PORT
    Logs in as testuser, EXAMINEs INBOX and sends, one after another:
    a UID FETCH of the set 1,3,5,...,8499 (about 20 KB), an ID of about
    30 KB (many pairs), and a UID SEARCH of about 60 KB (many OR and UID
    terms), then LOGOUT.  Prints every line received after the login,
    without CRLF, capability lists left out (postern filters them), so
    that two runs, one direct and one through postern, compare byte for
    byte.  Dovecot's timings, "(0.001 + 0.000 secs)", are left out too:
    they differ from one run to the next.  The sizes sent go to stderr.
longline.py PORT over N
    Logs in and sends one ID whose line is N bytes long, CRLF included;
    prints what came back, then "EOF" if the connection was closed, or
    the answer to a LOGOUT if it was not.
"""

import re
import os
import socket
import sys

TIMEOUT = 20


def uidset(first, last, step=2):
    return ",".join(str(u) for u in range(first, last + 1, step))


def id_args(size):
    # RFC 2971 wants at most 30 pairs, keys of 30 octets, values of
    # 1024: a long ID from a real client breaks those, and what the
    # server makes of it is what postern must pass on.
    pairs = []
    n = 0
    i = 0
    while n < size:
        k = '"x-field-%d"' % i
        v = '"%s"' % ("v%d-" % i * 200)[:900]
        pairs.append(k + " " + v)
        n += len(k) + len(v) + 2
        i += 1
    return "(" + " ".join(pairs) + ")"


def search_args(size):
    # OR a OR b OR c ... d: right-nested, each term a short UID set.
    terms = []
    n = 0
    i = 1
    while n < size:
        t = "UID " + uidset(i, i + 60)
        terms.append(t)
        n += len(t) + 4
        i += 200
    return " ".join("OR " + t for t in terms[:-1]) + " " + terms[-1]


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=TIMEOUT)
        self.f = self.s.makefile("rb")
        self.out = []

    def line(self):
        ln = self.f.readline()
        if not ln:
            return None
        return ln.rstrip(b"\r\n").decode("utf-8", "replace")

    def cmd(self, tag, text, keep=True):
        self.s.sendall(("%s %s\r\n" % (tag, text)).encode())
        while True:
            ln = self.line()
            if ln is None:
                self.out.append("EOF")
                return False
            if keep:
                self.emit(ln)
            if ln.startswith(tag + " ") or ln.startswith("* BYE"):
                return True

    def emit(self, ln):
        if ln.startswith("* CAPABILITY "):
            return
        ln = re.sub(r"\[CAPABILITY [^]]*\] ?", "", ln)
        self.out.append(re.sub(r" \([0-9.]+( \+ [0-9.]+)* secs\)", "", ln))


def main():
    port = int(sys.argv[1])
    c = Conn(port)
    c.line()
    # a session straight to Dovecot logs in as DIRECT, which the
    # differential oracle leaves out (regress/fixture/oracle.py)
    c.cmd(os.environ.get("LOGIN_TAG", "a"), "LOGIN testuser testpass",
          keep=False)
    if len(sys.argv) > 2 and sys.argv[2] == "over":
        pad = int(sys.argv[3]) - len('b ID ("x-pad" "")\r\n')
        if c.cmd("b", 'ID ("x-pad" "%s")' % ("x" * pad)):
            if c.out[-1].startswith("* BYE"):
                while True:
                    ln = c.line()
                    if ln is None:
                        c.out.append("EOF")
                        break
                    c.emit(ln)
            else:
                c.cmd("z", "LOGOUT")
        print("\n".join(c.out))
        return
    c.cmd("b", "EXAMINE INBOX")
    fetch = "UID FETCH %s (FLAGS)" % uidset(1, 8499)
    ident = "ID " + id_args(30 * 1024)
    search = "UID SEARCH " + search_args(60 * 1024)
    for tag, text in (("c", fetch), ("d", ident), ("e", search)):
        sys.stderr.write("%s: %d bytes\n" % (tag, len(text) + len(tag) + 3))
        if not c.cmd(tag, text):
            break
    c.cmd("z", "LOGOUT")
    print("\n".join(c.out))


if __name__ == "__main__":
    main()
