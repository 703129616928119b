#!/usr/bin/env python3
"""Clients for template_test.sh.

  templatedrive.py randoms PORT N
        N IMAPS handshakes, all held open until the last is done, so
        that each is served by a different worker; prints the 32-byte
        random of each ServerHello in hex, one a line, as the server
        sent it (read from the raw records through a memory BIO), then
        closes them all

Prints what went wrong and exits 1 when a handshake fails.
"""
import socket
import ssl
import sys


def fail(msg):
    print(msg, flush=True)
    sys.exit(1)


def server_random(raw):
    """The random of the first ServerHello in the server's raw bytes."""
    i = 0
    hs = b""
    while i + 5 <= len(raw):
        rtype, rlen = raw[i], int.from_bytes(raw[i + 3:i + 5], "big")
        body = raw[i + 5:i + 5 + rlen]
        i += 5 + rlen
        if rtype != 22:
            continue
        hs += body
        # handshake: type 1, length 3, version 2, random 32
        if len(hs) >= 38:
            if hs[0] != 2:
                fail(f"first handshake message is type {hs[0]}")
            return hs[6:38]
    fail("no ServerHello in the server's bytes")


def handshake(port):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=False)
    raw = b""
    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                s.sendall(pending)
            d = s.recv(65536)
            if not d:
                fail("server closed during the handshake")
            raw += d
            inc.write(d)
    pending = out.read()
    if pending:
        s.sendall(pending)
    return s, server_random(raw)


def main():
    if len(sys.argv) != 4 or sys.argv[1] != "randoms":
        fail("usage: templatedrive.py randoms PORT N")
    port, n = int(sys.argv[2]), int(sys.argv[3])
    held = []
    for _ in range(n):
        s, r = handshake(port)
        held.append(s)
        print(r.hex(), flush=True)
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
