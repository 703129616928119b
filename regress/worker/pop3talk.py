#! /usr/bin/python3
"""POP3 through postern for pop3pol_test.sh.

pop3talk.py talk PORT LINE...
    Connects, prints the greeting, then for each LINE sends it with
    CRLF and prints the answer's first line; a LINE starting with "@"
    is a command with a multi-line answer: after "+OK" its lines are
    printed up to ".".  A LINE starting with "!" is sent and not waited
    for (a dropped command).  Lines print without CRLF; "EOF" when the
    peer closed.
pop3talk.py inject PORT
    "STLS\\r\\nSTAT\\r\\n" in one segment; prints all until the close.
pop3talk.py stls PORT | ssl PORT | required PORT
    poplib: STLS in CAPA, stls(), no STLS after, login, STAT; POP3_SSL
    login; with starttls-required USER refused before STLS.
pop3talk.py apoponly PORT
    USER refused, APOP logs in (Zorp's example 4.15).
Prints "NAME ok" or what went wrong (exit 1).
"""

import poplib
import socket
import ssl
import sys

HOST = "127.0.0.1"
USER = "testuser"
PASS = "testpass"


class Fail(Exception):
    pass


def check(cond, fmt, *args):
    if not cond:
        raise Fail(fmt % args)


def talk(port, lines):
    s = socket.create_connection((HOST, port), timeout=15)
    f = s.makefile("rb")

    def line():
        ln = f.readline()
        if not ln:
            print("EOF")
            sys.stdout.flush()
            sys.exit(0)
        ln = ln.rstrip(b"\r\n").decode("utf-8", "replace")
        print(ln)
        return ln

    line()
    for cmd in lines:
        multi = cmd.startswith("@")
        nowait = cmd.startswith("!")
        if multi or nowait:
            cmd = cmd[1:]
        s.sendall(cmd.encode() + b"\r\n")
        if nowait:
            continue
        if line().startswith("+OK") and multi:
            while line() != ".":
                pass
    return 0


def inject(port):
    s = socket.create_connection((HOST, port), timeout=15)
    f = s.makefile("rb")
    print(f.readline().rstrip(b"\r\n").decode())
    s.sendall(b"STLS\r\nSTAT\r\n")
    for ln in f:
        print(ln.rstrip(b"\r\n").decode("utf-8", "replace"))
    print("EOF")
    return 0


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def login(p):
    check(p.user(USER).startswith(b"+OK"), "USER")
    check(p.pass_(PASS).startswith(b"+OK"), "PASS")
    check(p.stat()[0] == 3, "STAT")
    p.quit()


def stls(port):
    p = poplib.POP3(HOST, port)
    check("STLS" in p.capa(), "no STLS in CAPA before TLS")
    p.stls(ctx())
    check("STLS" not in p.capa(), "STLS in CAPA after TLS")
    try:
        p._shortcmd("STLS")
        raise Fail("a second STLS was taken")
    except poplib.error_proto:
        pass
    login(p)


def ssl_(port):
    p = poplib.POP3_SSL(HOST, port, context=ctx())
    check("STLS" not in p.capa(), "STLS offered over implicit TLS")
    login(p)


def required(port):
    p = poplib.POP3(HOST, port)
    for c in ("USER " + USER, "APOP %s %s" % (USER, "0" * 32),
              "AUTH PLAIN"):
        try:
            r = p._shortcmd(c)
            raise Fail("%s before TLS: %r" % (c, r))
        except poplib.error_proto as e:
            check("STLS" in str(e), "%s: %s", c, e)
    p.stls(ctx())
    login(p)


def apoponly(port):
    p = poplib.POP3(HOST, port)
    try:
        p.user(USER)
        raise Fail("USER was accepted")
    except poplib.error_proto as e:
        check("Use APOP" in str(e), "USER: %s", e)
    check(p.apop(USER, PASS).startswith(b"+OK"), "APOP")
    check(p.stat()[0] == 3, "STAT")
    p.quit()


def main(argv):
    try:
        if argv[1] == "talk":
            return talk(int(argv[2]), argv[3:])
        if argv[1] == "inject":
            return inject(int(argv[2]))
        {"stls": stls, "ssl": ssl_, "required": required,
         "apoponly": apoponly}[argv[1]](int(argv[2]))
    except (Fail, OSError, poplib.error_proto, KeyError) as e:
        print("%s: %s" % (argv[1], e))
        return 1
    print("%s ok" % argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
