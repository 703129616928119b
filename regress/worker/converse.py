#! /usr/bin/python3
"""A raw IMAP conversation for enforce_test.sh.

converse.py PORT LINE...
    Connects, prints the greeting, then for each LINE sends it (with
    CRLF) and prints every line received until the tagged answer to it,
    a "* BYE" or the end of the connection.  In a LINE, "{n}" followed
    by "|" ends a segment: the client waits for the server's "+" (or a
    tagged answer), then sends the literal's n octets and the rest.
    A LINE starting with "!" is sent and not waited for (a dropped
    command); the next LINE's answer shows what happened to it.
Lines are printed as received, without CRLF; "EOF" when the peer closed.
"""

import re
import socket
import sys

TIMEOUT = 15


def main():
    port = int(sys.argv[1])
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
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

    def send(b):
        try:
            s.sendall(b)
        except OSError:
            # closed on us: show what came before the end
            while True:
                line()

    line()
    for cmd in sys.argv[2:]:
        nowait = cmd.startswith("!")
        if nowait:
            cmd = cmd[1:]
        tag = cmd.split(" ", 1)[0]
        parts = cmd.split("|")
        answered = False
        for i, p in enumerate(parts):
            if i > 0:
                # the literal announced at the end of the previous part
                n = int(re.search(r"\{(\d+)\+?\}$", parts[i - 1]).group(1))
                if not parts[i - 1].endswith("+}"):
                    ln = line()
                    if not ln.startswith("+"):
                        answered = True
                        break
                send(p[:n].encode())
                p = p[n:]
            send(p.encode() + b"\r\n")
        if not nowait and not answered:
            until(tag)
    s.close()


if __name__ == "__main__":
    main()
