#! /usr/bin/python3
"""reload.py PORT POLICYCTL STORE SESSIONS LOADS POLICYD_PID [ANSWERS], for
enforce_test.sh.

SESSIONS sessions log in through postern and send NOOPs, which the rules
answer with 'respond "OK gen I"', while rule set I = 1..LOADS is loaded
one after the other.  Every answer must come from a rule set that was
current at some moment between the NOOP's sending and its answer: set I
was being loaded before the answer came, and set I+1 was not yet
published when the NOOP was sent.  "Published" is what the workers go
by: policyd's generation page, read here from its memfd in /proc.  No session may see an error or lose its
connection.  Prints "ok N answers" or what went wrong, exit 1.  With
ANSWERS, writes there the rule set of every answer, one a line, so the
audit records can be held against what the clients saw.  With
RELOAD_HUP="PID N" in the environment, SIGHUP goes to PID (posternd) N
times, spread over the loads: a configuration reload under the same load.
"""

import mmap
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

PACE = 0.002  # seconds between a session's NOOPs
RULES = ('imap request NOOP respond "OK gen %d"\n'
         'imap request * accept\n'
         'imap response * all * accept\n'
         'imap capability * accept\n')


def genpage(pid):
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            if os.readlink(os.path.join(d, fd)).startswith("/memfd:"):
                f = open(os.path.join(d, fd), "rb")
                return mmap.mmap(f.fileno(), 8, mmap.MAP_SHARED,
                                 mmap.PROT_READ)
        except OSError:
            pass
    raise Exception("no generation page in policyd %d" % pid)


def main():
    port, policyctl, store = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    nsess, nloads = int(sys.argv[4]), int(sys.argv[5])
    page = genpage(int(sys.argv[6]))
    gen0 = struct.unpack("<Q", page[:8])[0]
    start = {0: 0.0}
    pub = {0: 0.0}
    lags = []
    stop = threading.Event()
    errors = []
    answers = []
    lock = threading.Lock()

    def session(k):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=20)
            f = s.makefile("rb")
            f.readline()
            s.sendall(b"a LOGIN testuser testpass\r\n")
            ln = f.readline()
            while not ln.startswith(b"a "):
                ln = f.readline()
            if not ln.startswith(b"a OK"):
                raise Exception("login: %r" % ln)
            n = 0
            while not stop.is_set() or n < 3:
                n += 1
                tag = b"n%d" % n
                t0 = time.monotonic()
                s.sendall(tag + b" NOOP\r\n")
                ln = f.readline()
                t1 = time.monotonic()
                if not ln.startswith(tag + b" OK gen "):
                    raise Exception("session %d: %r" % (k, ln))
                with lock:
                    answers.append((t0, t1, int(ln.split()[3])))
                # A session's pace, not a wait for an event: 50 sessions at
                # full speed under ASan write hundreds of MB of audit log,
                # and the disk, not postern, sets the answer time.
                time.sleep(PACE)
            s.sendall(b"z LOGOUT\r\n")
            s.close()
        except Exception as e:
            with lock:
                errors.append(str(e))

    hup = os.environ.get("RELOAD_HUP", "").split()
    hup_every = nloads // int(hup[1]) if hup else 0
    threads = [threading.Thread(target=session, args=(k,))
               for k in range(nsess)]
    for t in threads:
        t.start()
    for i in range(1, nloads + 1):
        with open("rules.%d" % i, "w") as fp:
            fp.write(RULES % i)
        start[i] = time.monotonic()
        subprocess.run([policyctl, "-s", store, "load", "rules.%d" % i],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        t = time.monotonic()
        # generation gen0 + i holds rule set i
        while struct.unpack("<Q", page[:8])[0] < gen0 + i:
            if time.monotonic() - t > 5:
                print("rule set %d not published in 5 s" % i)
                sys.exit(1)
            time.sleep(0.0005)
        pub[i] = time.monotonic()
        lags.append(pub[i] - t)
        if hup_every and i % hup_every == 0:
            os.kill(int(hup[0]), signal.SIGHUP)
    stop.set()
    for t in threads:
        t.join()
    if errors:
        print("errors: %s" % errors[:5])
        sys.exit(1)
    bad = 0
    for t0, t1, i in answers:
        if i not in start or start[i] > t1 or \
                (i + 1 in pub and pub[i + 1] < t0):
            bad += 1
            if bad < 5:
                print("gen %d answered in [%f, %f]" % (i, t0, t1))
    seen = len(set(i for _, _, i in answers))
    if bad:
        print("%d answers from a rule set not current" % bad)
        sys.exit(1)
    if seen < nloads / 4:
        print("only %d of %d rule sets seen" % (seen, nloads))
        sys.exit(1)
    if len(sys.argv) > 7:
        with open(sys.argv[7], "w") as fp:
            fp.write("".join("%d\n" % i for _, _, i in answers))
    lags.sort()
    print("ok %d answers, %d rule sets seen, publish lag p50 %.1f ms "
          "max %.1f ms" % (len(answers), seen, 1000 * lags[len(lags) // 2],
                           1000 * lags[-1]))


if __name__ == "__main__":
    main()
