#!/usr/bin/env python3
"""Clients and a server for postern's TLS tests (regress/keyd/tls_test.sh).

  tlsdrive.py inject PORT          A STARTTLS + B NOOP in one segment
  tlsdrive.py twice PORT           STARTTLS over TLS, and after login
  tlsdrive.py afterlogin PORT      STARTTLS after a plaintext login
  tlsdrive.py required PORT        starttls-required: LOGIN refused and
                                   LOGINDISABLED until TLS, then LOGIN
  tlsdrive.py caps PORT            an IMAPS listener offers no STARTTLS
  tlsdrive.py hold PORT SNI FILE   a TLS session that stays open until
                                   FILE is gone
  tlsdrive.py evil MODE PORTFILE CERT KEY
                                   a malicious upstream (see evil())
  tlsdrive.py bye PORT             the first line the client gets
  tlsdrive.py secrets KEYFILE      hex of the private key's secrets
  tlsdrive.py memscan PID SECRETS  how many secrets PID's memory holds

Each client prints "<name> ok" or a reason and exits 1.
"""
import os
import re
import socket
import ssl
import subprocess
import sys
import time


def fail(msg):
    print(msg)
    sys.exit(1)


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                return None
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def send(self, b):
        self.s.sendall(b)

    def cmd(self, tag, text):
        self.send(tag + b" " + text + b"\r\n")
        out = []
        while True:
            l = self.line()
            if l is None:
                return out
            out.append(l)
            if l.startswith(tag + b" "):
                return out

    def tls(self, sni=None):
        if self.buf:
            fail("bytes before TLS: %r" % self.buf)
        self.s = ctx().wrap_socket(self.s, server_hostname=sni)


def inject(port):
    c = Conn(port)
    c.line()
    # One segment: B must never run, neither in plaintext nor in TLS.
    c.send(b"A STARTTLS\r\nB NOOP\r\n")
    lines = []
    while True:
        try:
            l = c.line()
        except OSError:
            break
        if l is None:
            break
        lines.append(l)
    if any(l.startswith(b"B ") for l in lines):
        fail("B answered: %r" % lines)
    if not any(l.startswith(b"* BYE") for l in lines):
        fail("no BYE: %r" % lines)
    if any(l.startswith(b"A OK") for l in lines):
        fail("STARTTLS accepted with data behind it: %r" % lines)
    print("inject ok")


def twice(port):
    c = Conn(port)
    c.line()
    out = c.cmd(b"a1", b"STARTTLS")
    if not out or not out[-1].startswith(b"a1 OK"):
        fail("STARTTLS: %r" % out)
    c.tls()
    out = c.cmd(b"a2", b"CAPABILITY")
    if b"STARTTLS" in b" ".join(out):
        fail("STARTTLS offered over TLS: %r" % out)
    out = c.cmd(b"a3", b"STARTTLS")
    if not out[-1].startswith(b"a3 BAD"):
        fail("second STARTTLS: %r" % out)
    out = c.cmd(b"a4", b"LOGIN testuser testpass")
    if not out[-1].startswith(b"a4 OK"):
        fail("LOGIN over TLS: %r" % out)
    out = c.cmd(b"a5", b"STARTTLS")
    if not out[-1].startswith(b"a5 BAD"):
        fail("STARTTLS after login: %r" % out)
    out = c.cmd(b"a6", b"NOOP")
    if not out[-1].startswith(b"a6 OK"):
        fail("NOOP: %r" % out)
    print("twice ok")


def afterlogin(port):
    c = Conn(port)
    c.line()
    out = c.cmd(b"a1", b"LOGIN testuser testpass")
    if not out[-1].startswith(b"a1 OK"):
        fail("LOGIN: %r" % out)
    out = c.cmd(b"a2", b"STARTTLS")
    if not out[-1].startswith(b"a2 BAD"):
        fail("STARTTLS after login: %r" % out)
    out = c.cmd(b"a3", b"NOOP")
    if not out[-1].startswith(b"a3 OK"):
        fail("NOOP in plaintext after the refusal: %r" % out)
    print("afterlogin ok")


def caplist(out):
    for l in out:
        if l.upper().startswith(b"* CAPABILITY "):
            return l.upper().split()[2:]
    fail("no CAPABILITY in %r" % out)


def required(port):
    c = Conn(port)
    g = c.line()
    caps = caplist(c.cmd(b"r1", b"CAPABILITY"))
    if b"STARTTLS" not in caps or b"LOGINDISABLED" not in caps or \
            any(x.startswith(b"AUTH=") for x in caps):
        fail("before TLS: %r (greeting %r)" % (caps, g))
    out = c.cmd(b"r2", b"LOGIN testuser testpass")
    if not out[-1].startswith(b"r2 NO [PRIVACYREQUIRED]"):
        fail("LOGIN before TLS: %r" % out)
    out = c.cmd(b"r3", b"AUTHENTICATE PLAIN AHRlc3R1c2VyAHRlc3RwYXNz")
    if not out[-1].startswith(b"r3 NO [PRIVACYREQUIRED]"):
        fail("AUTHENTICATE before TLS: %r" % out)
    out = c.cmd(b"r4", b"STARTTLS")
    if not out[-1].startswith(b"r4 OK"):
        fail("STARTTLS: %r" % out)
    c.tls()
    caps = caplist(c.cmd(b"r5", b"CAPABILITY"))
    if b"STARTTLS" in caps or b"LOGINDISABLED" in caps:
        fail("after TLS: %r" % caps)
    out = c.cmd(b"r6", b"LOGIN testuser testpass")
    if not out[-1].startswith(b"r6 OK"):
        fail("LOGIN after TLS: %r" % out)
    print("required ok")


def caps(port):
    s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", port),
                                                   timeout=10))
    c = Conn.__new__(Conn)
    c.s, c.buf = s, b""
    g = c.line()
    cl = caplist(c.cmd(b"c1", b"CAPABILITY"))
    if b"STARTTLS" in g.upper() or b"STARTTLS" in cl:
        fail("STARTTLS offered over implicit TLS: %r %r" % (g, cl))
    out = c.cmd(b"c2", b"STARTTLS")
    if not out[-1].startswith(b"c2 BAD"):
        fail("STARTTLS over implicit TLS: %r" % out)
    print("caps ok")


def hold(port, sni, path):
    s = ctx().wrap_socket(socket.create_connection(("127.0.0.1", port),
                                                   timeout=30),
                          server_hostname=sni if sni != "-" else None)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"h1 LOGIN testuser testpass\r\n")
    while not f.readline().startswith(b"h1 "):
        pass
    open(path + ".up", "w").close()
    while os.path.exists(path):
        time.sleep(0.05)
    s.sendall(b"h2 LOGOUT\r\n")
    print("hold ok")


def bye(port):
    c = Conn(port)
    c.s.settimeout(30)
    l = c.line()
    print(l.decode() if l is not None else "EOF")


def silent(port):
    """Connects and says nothing: postern must close, within 30 s."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    t0 = time.monotonic()
    try:
        d = s.recv(1)
    except ConnectionResetError:
        d = b""
    if d:
        fail("got %r" % d)
    print("closed after %d s" % round(time.monotonic() - t0))


def evil(mode, portfile, cert, key):
    """A server that misbehaves around STARTTLS, as the EAST cases do:
    preauth: greets with PREAUTH; nostarttls: offers no STARTTLS;
    gluecaps: glues "* CAPABILITY ... AUTH=PLAIN" onto its STARTTLS OK;
    glueok: glues "B OK" onto it; silent: never greets; after TLS it
    answers like a server
    whose every line says INJECTED."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert, key)
    caps = b"IMAP4rev1 AUTH=PLAIN" if mode == "nostarttls" else \
        b"IMAP4rev1 STARTTLS LOGINDISABLED"
    while True:
        s, _ = srv.accept()
        try:
            serve_evil(s, mode, caps, sctx)
        except (OSError, ssl.SSLError):
            pass
        s.close()


def serve_evil(s, mode, caps, sctx):
    if mode == "silent":
        # Says nothing, for postern's timeout; the next client comes
        # after postern has given up on this one.
        s.recv(1)
        return
    if mode == "preauth":
        s.sendall(b"* PREAUTH [CAPABILITY IMAP4rev1] INJECTED logged in\r\n")
    else:
        s.sendall(b"* OK [CAPABILITY " + caps + b"] evil ready\r\n")
    f = s.makefile("rb")
    while True:
        l = f.readline()
        if not l:
            return
        tag, _, rest = l.strip().partition(b" ")
        verb = rest.split(b" ")[0].upper()
        if verb == b"CAPABILITY":
            s.sendall(b"* CAPABILITY " + caps + b"\r\n" + tag +
                      b" OK done\r\n")
        elif verb == b"STARTTLS":
            if mode == "gluecaps":
                s.sendall(tag + b" OK begin TLS\r\n* CAPABILITY IMAP4rev1 "
                          b"INJECTED AUTH=PLAIN AUTH=LOGIN\r\n")
            elif mode == "glueok":
                s.sendall(tag + b" OK begin TLS\r\nB OK INJECTED\r\n")
            else:
                s.sendall(tag + b" OK begin TLS\r\n")
            t = sctx.wrap_socket(s, server_side=True)
            t.sendall(b"* OK INJECTED\r\n")
            tf = t.makefile("rb")
            while True:
                l = tf.readline()
                if not l:
                    return
                tag = l.split(b" ")[0]
                t.sendall(b"* CAPABILITY IMAP4rev1 INJECTED\r\n" + tag +
                          b" OK INJECTED\r\n")
        else:
            s.sendall(tag + b" OK INJECTED\r\n")


def secrets(keyfile):
    """The key's DER, and its secret numbers big- and little-endian
    (OpenSSL keeps a BIGNUM as little-endian machine words)."""
    der = subprocess.run(["openssl", "pkey", "-in", keyfile, "-outform",
                          "DER"], capture_output=True, check=True).stdout
    text = subprocess.run(["openssl", "pkey", "-in", keyfile, "-text",
                           "-noout"], capture_output=True, text=True,
                          check=True).stdout
    out = [der.hex()]
    for name in ("privateExponent", "prime1", "prime2", "priv"):
        m = re.search(r"^" + name + r":\n((?:\s+[0-9a-f:]+\n)+)", text,
                      re.M)
        if not m:
            continue
        b = bytes.fromhex(re.sub(r"[^0-9a-f]", "", m.group(1)))
        b = b.lstrip(b"\0")
        pad = (-len(b)) % 8
        out.append(b.hex())
        out.append((b"\0" * pad + b)[::-1].hex())
    for h in out:
        print(h)


def scan(mem, lo, hi, wanted):
    """Occurrences in [lo, hi), read in chunks that overlap by the
    longest pattern, so none is missed at a chunk's edge."""
    chunk, over = 16 << 20, max(len(w) for w in wanted)
    found, pos, tail = 0, lo, b""
    while pos < hi:
        try:
            mem.seek(pos)
            data = mem.read(min(chunk, hi - pos))
        except (OSError, ValueError, OverflowError):
            return found
        buf = tail + data
        for w in wanted:
            # Only matches that end in the new bytes: none counted twice.
            found += buf.count(w) - tail.count(w)
        tail = buf[-(over - 1):] if over > 1 else b""
        pos += len(data)
        if not data:
            break
    return found


def memscan(pid, secretfile):
    wanted = [bytes.fromhex(l.strip()) for l in open(secretfile)
              if l.strip()]
    # Long values: the first 32 bytes say enough, and a DER's start
    # (its version and modulus) is found the same way.
    wanted = [w[:32] if len(w) > 32 else w for w in wanted]
    found = 0
    regions = 0
    with open("/proc/%s/maps" % pid) as maps, \
            open("/proc/%s/mem" % pid, "rb", 0) as mem:
        for line in maps:
            addr, perms = line.split()[:2]
            if perms[0] != "r":
                continue
            lo, hi = (int(x, 16) for x in addr.split("-"))
            # ASan's shadow and allocator reserve terabytes that hold
            # no program data; nothing else maps a gigabyte here.
            if hi - lo > (1 << 30):
                continue
            regions += 1
            found += scan(mem, lo, hi, wanted)
    if regions == 0:
        fail("no region of %s read" % pid)
    print(found)


def main():
    a = sys.argv[1:]
    cmds = {"inject": lambda: inject(int(a[1])),
            "twice": lambda: twice(int(a[1])),
            "afterlogin": lambda: afterlogin(int(a[1])),
            "required": lambda: required(int(a[1])),
            "caps": lambda: caps(int(a[1])),
            "hold": lambda: hold(int(a[1]), a[2], a[3]),
            "evil": lambda: evil(a[1], a[2], a[3], a[4]),
            "bye": lambda: bye(int(a[1])),
            "silent": lambda: silent(int(a[1])),
            "secrets": lambda: secrets(a[1]),
            "memscan": lambda: memscan(a[1], a[2])}
    if not a or a[0] not in cmds:
        fail(__doc__)
    cmds[a[0]]()


if __name__ == "__main__":
    main()
