#! /usr/bin/python3
"""Clients of id_test.sh: a raw IMAP (or POP3) conversation, in clear or
over TLS with a chosen ClientHello, so that the rules' "ja4" tells the
clients apart.

idtalk.py PORT MODE LINE...
    MODE is plain, tls (implicit TLS) or starttls, with options after
    commas: "12" (TLS 1.2 at most), "sni=NAME", "alpn=P1/P2", "pop3".
    starttls reads the greeting, sends STARTTLS (POP3: STLS) and shakes
    hands after the OK.  Then, as converse.py: the greeting (of an
    implicit TLS session) is printed, each LINE is sent with CRLF and
    every line received is printed until the tagged answer to it, a
    "* BYE" or the end; in a LINE, "{n}|" ends a segment: the client
    waits for the "+" and sends the literal's n octets and the rest.
    POP3: each LINE gets one line back, CAPA its lines up to ".".
Lines are printed as received, without CRLF; "EOF" when the peer closed.
"""

import re
import socket
import ssl
import sys

TIMEOUT = 15


def context(opts):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    if "12" in opts:
        c.maximum_version = ssl.TLSVersion.TLSv1_2
    if "alpn" in opts:
        c.set_alpn_protocols(opts["alpn"].split("/"))
    return c


def main():
    port = int(sys.argv[1])
    mode, *rest = sys.argv[2].split(",")
    opts = {}
    for o in rest:
        k, _, v = o.partition("=")
        opts[k] = v
    pop3 = "pop3" in opts
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    if mode == "tls":
        s = context(opts).wrap_socket(s, server_hostname=opts.get("sni"))
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

    def until(tag):
        while True:
            ln = line()
            if ln.startswith(tag + " ") or ln.startswith("* BYE"):
                return ln

    line()
    if mode == "starttls":
        s.sendall(b"STLS\r\n" if pop3 else b"S STARTTLS\r\n")
        ln = line() if pop3 else until("S")
        if not (ln.startswith("+OK") or ln.startswith("S OK")):
            sys.exit(1)
        s = context(opts).wrap_socket(s, server_hostname=opts.get("sni"))
        f = s.makefile("rb")
    for cmd in sys.argv[3:]:
        if pop3:
            s.sendall(cmd.encode() + b"\r\n")
            ln = line()
            if cmd.upper() == "CAPA" and ln.startswith("+OK"):
                while line() != ".":
                    pass
            continue
        tag = cmd.split(" ", 1)[0]
        parts = cmd.split("|")
        answered = False
        for i, p in enumerate(parts):
            if i > 0:
                n = int(re.search(r"\{(\d+)\}$", parts[i - 1]).group(1))
                ln = line()
                if not ln.startswith("+"):
                    answered = True
                    break
                s.sendall(p[:n].encode())
                p = p[n:]
            s.sendall(p.encode() + b"\r\n")
        if not answered:
            until(tag)
    s.close()


if __name__ == "__main__":
    main()
