#! /usr/bin/python3
"""Replay fuzz corpus files through posternd, for corpus_replay_test.sh.

replay.py PORT FILE...
    For each FILE: connect, wait for the greeting, send the client's half
    of the file (a session file's bytes before its "=====" line, a client
    file whole), as it is and then again with its bare LFs made CRLF,
    close the sending side and read until postern closes, at most TIMEOUT
    seconds.  Prints one line per replay: the file, the form, the
    number of lines received.  Exit 2 when a replay hangs.
"""

import socket
import sys

TIMEOUT = 10


def client_half(data):
    cut = data.find(b"\n=====\n")
    if cut >= 0:
        return data[:cut + 1]
    if data.startswith(b"=====\n"):
        return b""
    return data


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def replay(port, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    f = s.makefile("rb")
    f.readline()
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    n = 0
    try:
        while f.readline():
            n += 1
    except socket.timeout:
        return -1
    except OSError:
        pass
    s.close()
    return n


def main():
    port = int(sys.argv[1])
    hung = 0
    for path in sys.argv[2:]:
        with open(path, "rb") as fh:
            data = client_half(fh.read())
        for form, d in (("as-is", data), ("crlf", crlf(data))):
            n = replay(port, d)
            print("%s %s %s" % (path, form, "HUNG" if n < 0 else n))
            hung += n < 0
    sys.exit(2 if hung else 0)


if __name__ == "__main__":
    main()
