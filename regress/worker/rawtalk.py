#! /usr/bin/python3
"""Exact bytes to an IMAP server, for the stream tests (stream_test.sh).

rawtalk.py PORT STEP...
    >BYTES   send BYTES in one write; C escapes (\\r \\n \\t \\\\ \\xNN)
    <REGEX   read lines until one matches REGEX (a Python regular
             expression, searched from the line's start)
    =        read until the peer closes
Every line received is printed without its CRLF, and "EOF" when the peer
closed.  A step that waits longer than TIMEOUT seconds fails (exit 2), so
a desynchronised session that hangs is a failure, not a stuck test.
"""

import re
import socket
import sys

TIMEOUT = 15


def unescape(s):
    return s.encode("latin-1").decode("unicode_escape").encode("latin-1")


def main():
    port = int(sys.argv[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    f = s.makefile("rb")
    eof = False

    def line():
        nonlocal eof
        try:
            ln = f.readline()
        except socket.timeout:
            print("TIMEOUT")
            sys.stdout.flush()
            sys.exit(2)
        if not ln:
            if not eof:
                print("EOF")
            eof = True
            return None
        ln = ln.rstrip(b"\r\n").decode("utf-8", "replace")
        print(ln)
        return ln

    for step in sys.argv[2:]:
        if step.startswith(">"):
            try:
                s.sendall(unescape(step[1:]))
            except OSError:
                pass
        elif step.startswith("<"):
            want = re.compile(step[1:])
            while True:
                ln = line()
                if ln is None:
                    sys.exit(0)
                if want.match(ln):
                    break
        elif step == "=":
            while line() is not None:
                pass
        sys.stdout.flush()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
