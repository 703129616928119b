#!/usr/bin/env python3
"""Clients for overload_test.sh: each prints what it read and when.

overload.py hold PORT [tls]     connect, print "held LINE" (the greeting),
                                then hold the session until killed
overload.py first PORT [tls]    connect, print the first line, "after S"
                                (seconds from the connect), then "eof" or
                                "more" for what follows it
overload.py greet PORT          connect, print the first line and
                                "after S", then close
overload.py slow PORT PROTO     read the greeting, then send a login
                                command (PROTO imap or pop3) one byte
                                every 0.3 s; print each line the server
                                sends, "after S" at the first line after
                                the greeting, and "eof" at the close
overload.py login PORT PROTO    log in as testuser and out (imaplib or
                                poplib): "login ok"
"""

import imaplib
import poplib
import socket
import ssl
import sys
import time


def connect(port, tls):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    return s


def out(*a):
    print(*a, flush=True)


def hold(port, tls):
    s = connect(port, tls)
    f = s.makefile("rb")
    out("held", f.readline().decode().strip())
    time.sleep(3600)


def first(port, tls):
    t = time.monotonic()
    try:
        s = connect(port, tls)
        f = s.makefile("rb")
        line = f.readline()
    except (ssl.SSLError, ConnectionError, OSError) as e:
        out("closed", type(e).__name__)
        out("after %.2f" % (time.monotonic() - t))
        return
    out(line.decode().strip() if line else "closed")
    out("after %.2f" % (time.monotonic() - t))
    try:
        rest = f.readline()
    except (ConnectionError, OSError):
        rest = b""
    out("eof" if rest == b"" else "more " + rest.decode().strip())


def greet(port):
    t = time.monotonic()
    s = connect(port, False)
    out(s.makefile("rb").readline().decode().strip())
    out("after %.2f" % (time.monotonic() - t))
    s.close()


def slow(port, proto):
    t = time.monotonic()
    s = connect(port, False)
    f = s.makefile("rb")
    out("greeting", f.readline().decode().strip())
    if proto == "imap":
        cmd = b"a1 LOGIN testuser testpass\r\n"
    else:
        cmd = b"USER testuser\r\nPASS testpass\r\n"
    s.setblocking(False)
    buf = b""
    first_line = True
    i = 0
    while True:
        if i < len(cmd):
            try:
                s.send(cmd[i:i + 1])
            except OSError:
                pass
            i += 1
        time.sleep(0.3)
        try:
            data = s.recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if data == b"":
            out("eof")
            return
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            out(line.decode().strip())
            if first_line:
                out("after %.2f" % (time.monotonic() - t))
                first_line = False
        if time.monotonic() - t > 30:
            out("still open after 30 s")
            return


def login(port, proto):
    if proto == "imap":
        m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
        m.login("testuser", "testpass")
        m.select("INBOX")
        m.logout()
    else:
        p = poplib.POP3("127.0.0.1", port, timeout=20)
        p.user("testuser")
        p.pass_("testpass")
        p.stat()
        p.quit()
    out("login ok")


def main():
    a = sys.argv[1:]
    if len(a) >= 2 and a[0] == "hold":
        hold(int(a[1]), len(a) > 2 and a[2] == "tls")
    elif len(a) >= 2 and a[0] == "first":
        first(int(a[1]), len(a) > 2 and a[2] == "tls")
    elif len(a) == 2 and a[0] == "greet":
        greet(int(a[1]))
    elif len(a) == 3 and a[0] == "slow":
        slow(int(a[1]), a[2])
    elif len(a) == 3 and a[0] == "login":
        login(int(a[1]), a[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
