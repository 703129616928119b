#!/usr/bin/env python3
"""Clients for proxy_test.sh, each from a chosen loopback address.

proxydrive.py imap HOST PORT SRC [opts]    log in (testuser) and out
proxydrive.py pop3 HOST PORT SRC [opts]    log in (testuser) and out
proxydrive.py raw HOST PORT SRC HEX        send the bytes, then print the
                                           first line or "closed", and
                                           "after S" (from the connect)
proxydrive.py hold HOST PORT SRC           log in, print "held", and hold
                                           the session until killed

Options: --hdr KIND puts a PROXY header first, made here: v1 (TCP4
192.0.2.7 198.51.100.1 50312 143), v1-tcp6 (2001:db8::7 2001:db8::1
50312 143), v1-unknown, v2 (the same TCP4 addresses), v2-local;
--tls does TLS after it (SNI mail.example, ALPN imap); --together sends
the header and the ClientHello in one segment; --forge sends the
client's own ID or XCLIENT claiming 10.9.9.9 before the login.

Printed: "port N" (the client's source port), "greeting LINE", then
"capa ..." (pop3), "id LINE" or "xclient LINE" with --forge, and
"login ok" or "login LINE".
"""

import socket
import ssl
import struct
import sys
import time

V2SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def header(kind):
    if kind == "v1":
        return b"PROXY TCP4 192.0.2.7 198.51.100.1 50312 143\r\n"
    if kind == "v1-tcp6":
        return b"PROXY TCP6 2001:db8::7 2001:db8::1 50312 143\r\n"
    if kind == "v1-unknown":
        return b"PROXY UNKNOWN\r\n"
    if kind == "v2":
        body = (socket.inet_aton("192.0.2.7") +
                socket.inet_aton("198.51.100.1") +
                struct.pack(">HH", 50312, 143))
        return V2SIG + bytes([0x21, 0x11]) + struct.pack(">H", len(body)) + body
    if kind == "v2-local":
        return V2SIG + bytes([0x20, 0x00, 0, 0])
    raise SystemExit("unknown header " + kind)


def out(*a):
    print(*a, flush=True)


def connect(host, port, src, opts):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(30)
    s.connect((host, port))
    out("port", s.getsockname()[1])
    if "--hdr" in opts:
        hdr = header(opts[opts.index("--hdr") + 1])
        if "--together" in opts:
            # held back until the ClientHello joins it
            s.send(hdr, socket.MSG_MORE)
        else:
            s.sendall(hdr)
    if "--tls" in opts:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_alpn_protocols(["imap"])
        s = ctx.wrap_socket(s, server_hostname="mail.example")
    return s, s.makefile("rb")


def line(f):
    return f.readline().decode(errors="replace").rstrip("\r\n")


def imap(host, port, src, opts, hold=False):
    s, f = connect(host, port, src, opts)
    out("greeting", line(f))
    if "--forge" in opts:
        s.sendall(b'f1 ID ("name" "proxydrive" "x-originating-ip" '
                  b'"10.9.9.9" "x-originating-port" "9999" '
                  b'"X-Connected-IP" "10.8.8.8")\r\n')
        while True:
            ln = line(f)
            if not ln.startswith("* "):
                break
        out("id", ln)
    s.sendall(b"a1 LOGIN testuser testpass\r\n")
    while True:
        ln = line(f)
        if not ln.startswith("* "):
            break
    out("login ok" if ln.startswith("a1 OK") else "login " + ln)
    if hold:
        out("held")
        time.sleep(3600)
    s.sendall(b"a2 LOGOUT\r\n")
    while line(f):
        pass


def pop3(host, port, src, opts):
    s, f = connect(host, port, src, opts)
    out("greeting", line(f))
    s.sendall(b"CAPA\r\n")
    caps = []
    if line(f).startswith("+OK"):
        while True:
            ln = line(f)
            if ln == ".":
                break
            caps.append(ln.split(" ")[0])
    out("capa", "xclient" if "XCLIENT" in caps else "-")
    if "--forge" in opts:
        s.sendall(b"XCLIENT ADDR=10.9.9.9 PORT=9999\r\n")
        out("xclient", line(f))
    s.sendall(b"USER testuser\r\n")
    line(f)
    s.sendall(b"PASS testpass\r\n")
    ln = line(f)
    out("login ok" if ln.startswith("+OK") else "login " + ln)
    s.sendall(b"QUIT\r\n")
    while line(f):
        pass


def raw(host, port, src, data):
    t = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(30)
    s.connect((host, port))
    out("port", s.getsockname()[1])
    try:
        if data:
            s.sendall(data)
        ln = s.makefile("rb").readline()
        out("line " + ln.decode(errors="replace").rstrip("\r\n")
            if ln else "closed")
    except ConnectionError as e:
        out("closed", type(e).__name__)
    out("after %.1f" % (time.monotonic() - t))


def main(argv):
    if len(argv) < 5:
        raise SystemExit(__doc__)
    cmd, host, port, src = argv[1], argv[2], int(argv[3]), argv[4]
    opts = argv[5:]
    if cmd == "imap":
        imap(host, port, src, opts)
    elif cmd == "hold":
        imap(host, port, src, opts, hold=True)
    elif cmd == "pop3":
        pop3(host, port, src, opts)
    elif cmd == "raw":
        raw(host, port, src, bytes.fromhex(opts[0]) if opts else b"")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
