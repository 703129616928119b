#!/usr/bin/env python3
"""A Maildir tree as sorted lines, for diff(1): "FOLDER FLAGS SHA256".

  maildiff.py ROOT [SKIP]

Every directory under ROOT holding cur/ and new/ is a folder, named by
its path below ROOT with "/" (mbsync's Verbatim and offlineimap's "/"
layouts alike; ROOT itself is INBOX).  Messages are named by their
content's sha256 and their Maildir flags; file names, UIDs and the sync
programs' state files differ between runs and are left out, and so is
the X-TUID header mbsync adds.  Folders
whose name starts with SKIP are left out too.
"""
import hashlib
import os
import re
import sys

root = sys.argv[1]
skip = sys.argv[2] if len(sys.argv) > 2 else None
lines = []
for d, dirs, files in os.walk(root):
    dirs.sort()
    if not (os.path.isdir(os.path.join(d, "cur")) and
            os.path.isdir(os.path.join(d, "new"))):
        continue
    name = os.path.relpath(d, root)
    name = "INBOX" if name == "." else name
    if skip and name.startswith(skip):
        continue
    lines.append("%s folder" % name)
    for sub in ("cur", "new"):
        for f in os.listdir(os.path.join(d, sub)):
            flags = f.split(":2,", 1)[1] if ":2," in f else ""
            with open(os.path.join(d, sub, f), "rb") as fh:
                body = fh.read()
            # mbsync's transaction id, random, in the header it keeps
            body = re.sub(rb"(?m)^X-TUID: [^\r\n]*\r?\n", b"", body, count=1)
            h = hashlib.sha256(body).hexdigest()
            lines.append("%s %s %s" % (name, "".join(sorted(flags)) or "-", h))
print("\n".join(sorted(lines)))
