#!/usr/bin/env python3
"""Clients of postern's connect-rule tests (regress/worker/connect_test.sh),
with imaplib, each from its own loopback address (the rules tell the
clients apart by it).

  connectdrive.py required PORT SRC  LOGINDISABLED and LOGIN refused until
                                     STARTTLS, then LOGIN works
  connectdrive.py offered PORT SRC   STARTTLS offered, no LOGINDISABLED;
                                     the rule "LOGIN reject unless tls"
                                     refuses LOGIN until STARTTLS
  connectdrive.py none PORT SRC      no STARTTLS in CAPABILITY, STARTTLS
                                     refused
  connectdrive.py implicit PORT SRC  IMAP4_SSL: the rule's tls holds,
                                     LOGIN works
  connectdrive.py pop3 PORT SRC      poplib: greeting, USER/PASS, STAT
  connectdrive.py first PORT SRC [tls]  the first line the client gets

Each prints "<name> ok" or a reason and exits 1.
"""
import imaplib
import poplib
import socket
import ssl
import sys


def fail(msg):
    print(msg)
    sys.exit(1)


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class From:
    """imaplib from a chosen source address."""

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), 10,
                                        source_address=(SRC, 0))


class Plain(From, imaplib.IMAP4):
    pass


class Implicit(From, imaplib.IMAP4_SSL):
    def _create_socket(self, timeout):
        return self.ssl_context.wrap_socket(From._create_socket(self,
                                                                timeout))


class Pop(From, poplib.POP3):
    pass


def pop3(port):
    p = Pop("127.0.0.1", port)
    if not p.getwelcome().startswith(b"+OK"):
        fail("POP3 greeting: %r" % p.getwelcome())
    p.user("testuser")
    p.pass_("testpass")
    n, _ = p.stat()
    if n < 1:
        fail("STAT: %d messages" % n)
    p.quit()
    print("pop3 ok")


def caps(m):
    typ, data = m.capability()
    if typ != "OK":
        fail("CAPABILITY: %s %r" % (typ, data))
    return data[0].upper().split()


def login_refused(m, want):
    try:
        m.login("testuser", "testpass")
    except imaplib.IMAP4.error as e:
        if want.encode() not in str(e).encode():
            fail("LOGIN refused, but not with %r: %s" % (want, e))
        return
    fail("LOGIN accepted before TLS")


def after_tls(m):
    m.starttls(ssl_context=ctx())
    c = caps(m)
    if b"STARTTLS" in c or b"LOGINDISABLED" in c:
        fail("after STARTTLS: %r" % c)
    typ, data = m.login("testuser", "testpass")
    if typ != "OK":
        fail("LOGIN after STARTTLS: %s %r" % (typ, data))
    typ, data = m.select("INBOX", readonly=True)
    if typ != "OK":
        fail("EXAMINE over TLS: %s %r" % (typ, data))
    m.logout()


def required(port):
    m = Plain("127.0.0.1", port)
    c = caps(m)
    if b"STARTTLS" not in c or b"LOGINDISABLED" not in c:
        fail("starttls-required, before TLS: %r" % c)
    login_refused(m, "PRIVACYREQUIRED")
    after_tls(m)
    print("required ok")


def offered(port):
    m = Plain("127.0.0.1", port)
    c = caps(m)
    if b"STARTTLS" not in c or b"LOGINDISABLED" in c:
        fail("starttls, before TLS: %r" % c)
    # The rule's refusal, not postern's starttls-required one.
    login_refused(m, "Use TLS first")
    after_tls(m)
    print("offered ok")


def none(port):
    m = Plain("127.0.0.1", port)
    c = caps(m)
    if b"STARTTLS" in c or b"LOGINDISABLED" in c:
        fail("none: %r" % c)
    # imaplib would not send it: ask postern itself.
    typ, data = m._simple_command("STARTTLS")
    if typ != "NO" or b"not available" not in data[-1]:
        fail("STARTTLS where none was the mode: %s %r" % (typ, data))
    print("none ok")


def implicit(port):
    m = Implicit("127.0.0.1", port, ssl_context=ctx())
    c = caps(m)
    if b"STARTTLS" in c or b"LOGINDISABLED" in c:
        fail("implicit: %r" % c)
    typ, data = m.login("testuser", "testpass")
    if typ != "OK":
        fail("LOGIN over implicit TLS: %s %r" % (typ, data))
    m.logout()
    print("implicit ok")


def first(port, tls):
    s = socket.create_connection(("127.0.0.1", port), 10,
                                 source_address=(SRC, 0))
    if tls:
        s = ctx().wrap_socket(s)
    f = s.makefile("rb")
    print(f.readline().decode().strip())
    print("EOF" if f.readline() == b"" else "more")


if __name__ == "__main__":
    what, port, SRC = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if what == "first":
        first(port, len(sys.argv) > 4)
    else:
        {"required": required, "offered": offered, "none": none,
         "implicit": implicit, "pop3": pop3}[what](port)
