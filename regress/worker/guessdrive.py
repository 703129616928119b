#! /usr/bin/python3
"""Login attempts through postern, timed, for guess_test.sh.

guessdrive.py imap|pop3 PORT[,PORT...] SRC USER PASS N
    N logins of USER with PASS from the local address SRC, each on a
    connection of its own (Dovecot ends a connection after a few
    failures), to the ports in turn (a fleet's nodes); one line each:
    "I STATUS SECONDS ANSWER", where SECONDS is the time from the
    login's last line sent to its answer.
guessdrive.py sessions imap|pop3 PORT USER PASS
    The per-user limit of 1: a first session logs in and stays; a second
    one's login ends its session ("second: ANSWER" then "second: EOF");
    the first logs out; a third then logs in within 10 s ("third: OK").
guessdrive.py sessions2 imap|pop3 PORT1 PORT2 USER PASS
    The same with the first session on PORT1 and the others on PORT2:
    the limit of a fleet's nodes sharing their counters.
"""

import socket
import sys
import time

TIMEOUT = 30


def connect(port, src):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT,
                                 source_address=(src, 0))
    return s, s.makefile("rb")


def line(f):
    ln = f.readline()
    if not ln:
        return None
    return ln.rstrip(b"\r\n").decode("utf-8", "replace")


def imap_login(port, src, user, pw):
    """(status, seconds, answer, socket, file)"""
    s, f = connect(port, src)
    if not (line(f) or "").startswith("* OK"):
        raise SystemExit("no greeting")
    s.sendall(b'a LOGIN "%s" "%s"\r\n' % (user.encode(), pw.encode()))
    t = time.monotonic()
    while True:
        ln = line(f)
        if ln is None:
            return "EOF", time.monotonic() - t, "", s, f
        if ln.startswith("a ") or ln.startswith("* BYE"):
            st = ln.split(" ")[1]
            return st, time.monotonic() - t, ln, s, f


def pop3_login(port, src, user, pw):
    s, f = connect(port, src)
    if not (line(f) or "").startswith("+OK"):
        raise SystemExit("no greeting")
    s.sendall(b"USER %s\r\n" % user.encode())
    ln = line(f) or ""
    if not ln.startswith("+OK"):
        return "USER", 0.0, ln, s, f
    s.sendall(b"PASS %s\r\n" % pw.encode())
    t = time.monotonic()
    ln = line(f)
    if ln is None:
        return "EOF", time.monotonic() - t, "", s, f
    return ln.split(" ")[0], time.monotonic() - t, ln, s, f


def main():
    if sys.argv[1] in ("sessions", "sessions2"):
        if sys.argv[1] == "sessions":
            proto, port, user, pw = sys.argv[2], int(sys.argv[3]), \
                sys.argv[4], sys.argv[5]
            port2 = port
        else:
            proto, port, port2, user, pw = sys.argv[2], int(sys.argv[3]), \
                int(sys.argv[4]), sys.argv[5], sys.argv[6]
        login = imap_login if proto == "imap" else pop3_login
        st, _, ln, s1, f1 = login(port, "127.0.0.1", user, pw)
        print("first:", st)
        st, _, ln, s2, f2 = login(port2, "127.0.0.1", user, pw)
        print("second:", ln)
        sys.stdout.flush()
        while line(f2) is not None:
            pass
        print("second: EOF")
        s1.sendall(b"z LOGOUT\r\n" if proto == "imap" else b"QUIT\r\n")
        while line(f1) is not None:
            pass
        s1.close()
        s2.close()
        deadline = time.monotonic() + 10
        while True:
            st, _, ln, s3, f3 = login(port2, "127.0.0.1", user, pw)
            s3.close()
            if st in ("OK", "+OK") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        print("third:", st)
        return
    proto, ports, src, user, pw, n = sys.argv[1], \
        [int(p) for p in sys.argv[2].split(",")], sys.argv[3], \
        sys.argv[4], sys.argv[5], int(sys.argv[6])
    login = imap_login if proto == "imap" else pop3_login
    for i in range(1, n + 1):
        st, secs, ln, s, _ = login(ports[(i - 1) % len(ports)], src, user,
                                   pw)
        s.close()
        print("%d %s %.2f %s" % (i, st, secs, ln))
        sys.stdout.flush()


main()
