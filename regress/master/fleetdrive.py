#! /usr/bin/python3
"""Clients of a fleet of posternd nodes behind HAProxy, for haproxy_test.sh.

fleetdrive.py run PORT N USER PASS
    N sessions one after the other: LOGIN, SELECT INBOX, FETCH 1 (its
    Subject), LOGOUT.  One line each: "I OK LOCALPORT EXISTS SUBJECT",
    or "I FAIL LOCALPORT WHY".
fleetdrive.py hold PORT N USER PASS GOFILE
    N sessions at once, logged in with INBOX selected; "I LOCALPORT"
    each, then "ready"; once GOFILE exists, a NOOP on each: "I OK" or
    "I BROKEN WHY"; then LOGOUT of those that answered.
fleetdrive.py delete PORT N USER PASS
    N sessions: LOGIN, DELETE of a mailbox that does not exist, LOGOUT;
    "I LOCALPORT STATUS TEXT" each, the DELETE's answer.
fleetdrive.py state SOCKET BACKEND
    What HAProxy's stats socket says of the servers of BACKEND: one line
    "NAME UP|DOWN|..." each.
"""

import imaplib
import os
import socket
import sys
import time

TIMEOUT = 20


def login(port, user, pw):
    c = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
    lport = c.sock.getsockname()[1]
    c.login(user, pw)
    typ, data = c.select("INBOX")
    if typ != "OK":
        raise imaplib.IMAP4.error("SELECT: %r" % data)
    return c, lport, int(data[0])


def run(port, n, user, pw):
    for i in range(1, n + 1):
        lport = 0
        try:
            c, lport, exists = login(port, user, pw)
            typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            subj = data[0][1].decode().strip().replace("\r\n", " ")
            c.logout()
            print("%d OK %d %d %s" % (i, lport, exists, subj))
        except (OSError, imaplib.IMAP4.error) as e:
            print("%d FAIL %d %s" % (i, lport, str(e).replace("\n", " ")))
        sys.stdout.flush()


def hold(port, n, user, pw, go):
    held = []
    for i in range(1, n + 1):
        c, lport, _ = login(port, user, pw)
        held.append(c)
        print("%d %d" % (i, lport))
    print("ready")
    sys.stdout.flush()
    deadline = time.monotonic() + 60
    while not os.path.exists(go):
        if time.monotonic() > deadline:
            raise SystemExit("no %s within 60 s" % go)
        time.sleep(0.05)
    for i, c in enumerate(held, 1):
        try:
            typ, data = c.noop()
            if typ != "OK":
                raise imaplib.IMAP4.error("NOOP: %r" % data)
            print("%d OK" % i)
            c.logout()
        except (OSError, imaplib.IMAP4.error) as e:
            print("%d BROKEN %s" % (i, str(e).replace("\n", " ")))
        sys.stdout.flush()


def delete(port, n, user, pw):
    for i in range(1, n + 1):
        c = imaplib.IMAP4("127.0.0.1", port, timeout=TIMEOUT)
        lport = c.sock.getsockname()[1]
        c.login(user, pw)
        typ, data = c.delete("nosuchbox")
        c.logout()
        print("%d %d %s %s" % (i, lport, typ, data[0].decode()))
        sys.stdout.flush()


def state(path, backend):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(b"show stat\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    for ln in data.decode().splitlines():
        f = ln.split(",")
        if len(f) > 17 and f[0] == backend and f[1] not in ("FRONTEND",
                                                             "BACKEND"):
            print(f[1], f[17])


def main():
    a = sys.argv
    if a[1] == "run":
        run(int(a[2]), int(a[3]), a[4], a[5])
    elif a[1] == "hold":
        hold(int(a[2]), int(a[3]), a[4], a[5], a[6])
    elif a[1] == "delete":
        delete(int(a[2]), int(a[3]), a[4], a[5])
    elif a[1] == "state":
        state(a[2], a[3])
    else:
        raise SystemExit("usage: see the docstring")


main()
