#!/usr/bin/env python3
"""One imaplib session, printed so two runs can be compared byte for byte.

  imapsession.py PORT [HIDE]

Logs in as testuser, LISTs every mailbox, then in each (but those whose
name starts with HIDE, when given: what a policy hides) SELECTs, FETCHes
every message's FLAGS, INTERNALDATE, RFC822.SIZE and BODY[], sets
\\Flagged on message 1 and fetches its FLAGS again; APPENDs a message to
INBOX, COPYs it to Archive.  Prints every answer but capabilities and
UIDVALIDITY (which differ from server to server), a sha256 of each body.
"""

import hashlib
import imaplib
import re
import sys

port = int(sys.argv[1])
hide = sys.argv[2] if len(sys.argv) > 2 else None
c = imaplib.IMAP4("127.0.0.1", port, timeout=20)
c.login("testuser", "testpass")


def out(*a):
    print(*a)


def scrub(b):
    s = b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)
    s = re.sub(r"UIDVALIDITY \d+", "UIDVALIDITY x", s)
    # Dovecot's timings: "(0.001 + 0.000 secs)."
    return re.sub(r" \([0-9.+ ]+ secs\)", "", s)


typ, data = c.list()
boxes = []
for d in data:
    m = re.match(rb'\((.*?)\) "(.*?)" (.*)$', d)
    name = m.group(3).decode().strip('"')
    if hide and name.startswith(hide):
        continue
    out("LIST", scrub(d))
    boxes.append(name)
for name in sorted(boxes):
    typ, data = c.select('"%s"' % name)
    out("SELECT", name, typ, scrub(data[0]))
    if typ != "OK":
        continue
    n = int(data[0])
    for i in range(1, n + 1):
        typ, data = c.fetch(str(i), "(FLAGS INTERNALDATE RFC822.SIZE BODY[])")
        for d in data:
            if isinstance(d, tuple):
                out("FETCH", i, scrub(d[0]),
                    hashlib.sha256(d[1]).hexdigest(), len(d[1]))
            else:
                out("FETCH", i, scrub(d))
    if n:
        out("STORE", c.store("1", "+FLAGS", "(\\Flagged)"))
        out("FLAGS", c.fetch("1", "(FLAGS)"))
msg = (b"From: imaplib <imaplib@postern.test>\r\nSubject: appended\r\n"
       b"Message-ID: <appended@postern.test>\r\n\r\nappended by imaplib\r\n")
typ, data = c.append("INBOX", "(\\Seen)", '"14-Nov-2023 10:00:00 +0000"', msg)
out("APPEND", typ, re.sub(r"APPENDUID \d+", "APPENDUID x", scrub(data[0])))
c.select("INBOX")
typ, data = c.search(None, "HEADER", "Message-ID", "appended@postern.test")
out("SEARCH", typ, scrub(data[0]))
typ, data = c.copy(data[0].split()[-1], "Archive")
out("COPY", typ, re.sub(r"COPYUID \d+", "COPYUID x", scrub(data[0])))
out("STATUS", scrub(c.status("Archive", "(MESSAGES UNSEEN)")[1][0]))
c.logout()
