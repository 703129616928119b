#!/usr/bin/python3
"""postern's TLS benchmark: `make bench` runs it before bench.sh's rounds.

  tlsbench [--rounds N] [--seconds S] [--clients C] [--out FILE]

The Dovecot fixture with bench.sh's mail (user "big": 2,000 messages of
about 50 KB), and posternd with TLS on both legs in front of its IMAPS
port: an implicit-TLS listener with an RSA 2048 certificate whose key is
in postern-keyd.  tlsload measures, against Dovecot's IMAPS directly and
through posternd, in interleaved rounds: one FETCH 1:* of "big" over TLS
(MB/s), and new TLS sessions per second (connect, full handshake, LOGIN,
LOGOUT) from C clients.  The key holder's share of a handshake is read
from posternd's log (the worker's "keyd N requests, U us" per
handshake).  Medians go to stdout and OBJDIR/bench-tls.md; goals are
reported, never asserted.
"""

import argparse
import importlib.machinery
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

OBJDIR = "@OBJDIR@"
TLSLOAD = OBJDIR + "/regress/bench/tlsload"

# bench.sh's fixture and process helpers, not a copy of them.
_loader = importlib.machinery.SourceFileLoader(
    "bench", OBJDIR + "/regress/bench/bench")
_spec = importlib.util.spec_from_loader("bench", _loader)
bench = importlib.util.module_from_spec(_spec)
_loader.exec_module(bench)


def tlsload(args):
    r = subprocess.run([TLSLOAD] + args, capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"tlsload {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.split()


def start_postern(tmp, imaps, ca):
    key, crt = os.path.join(tmp, "rsa.key"), os.path.join(tmp, "rsa.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=bench.test"], check=True,
                   capture_output=True)
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty, exist_ok=True)
    os.chmod(empty, 0o755)
    port = bench.free_ports(1)[0]
    conf = os.path.join(tmp, "postern-tls.conf")
    with open(conf, "w") as f:
        f.write(f"""user nobody
chroot "{empty}"
worker "{bench.WORKER}"
pool min-idle 40 max 400 sessions 100
listen on 127.0.0.1 port {port} imap name bench-tls tls implicit \\
	certificate "{crt}" key "{key}" \\
	upstream 127.0.0.1 port {imaps} tls implicit ca "{ca}" \\
	servername localhost
""")
    logf = open(os.path.join(tmp, "posternd-tls.log"), "w")
    p = subprocess.Popen([bench.POSTERND, "-d", "-v", "-f", conf],
                         stdout=logf, stderr=subprocess.STDOUT)
    # Ready when a handshake gets through: the greeting comes over TLS.
    end = time.monotonic() + 30
    while True:
        try:
            tlsload(["sessions", "-p", str(port), "-u", "small", "-c", "1",
                     "-t", "0.2"])
            break
        except RuntimeError:
            if time.monotonic() > end or p.poll() is not None:
                raise
            time.sleep(0.2)
    return p, port, logf.name


def keyd_cost(logname):
    n = us = hs = 0
    with open(logname) as f:
        for line in f:
            m = re.search(r"keyd (\d+) requests, (\d+) us", line)
            if m:
                hs += 1
                n += int(m.group(1))
                us += int(m.group(2))
    return hs, n, us


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--out", default=OBJDIR + "/bench-tls.md")
    opts = ap.parse_args()
    if os.getuid() != 0:
        sys.exit("tlsbench: must run as root")
    bench.raise_nofile()
    tmp = tempfile.mkdtemp(prefix="postern-tlsbench.")
    os.chmod(tmp, 0o755)
    dv = os.path.join(tmp, "dv")
    proc = None
    try:
        bench.start_dovecot(dv, 10)
        # The fixture's ports file went with its restart; the
        # configuration it was made from stays.
        conf = open(os.path.join(dv, "dovecot.conf")).read()
        imaps = int(re.search(r"inet_listener imaps \{[^}]*?port = (\d+)",
                              conf).group(1))
        proc, port, logname = start_postern(tmp, imaps,
                                            os.path.join(dv, "cert.pem"))
        targets = {"direct": imaps, "postern": port}
        for p in targets.values():	# warm up
            tlsload(["fetch", "-p", str(p), "-u", "big"])
        res = {(w, t): [] for w in ("fetch", "sessions", "lat", "p99")
               for t in targets}
        hs0 = keyd_cost(logname)
        for r in range(opts.rounds):
            order = list(targets.items())
            if r % 2:
                order.reverse()
            for name, p in order:
                f = tlsload(["fetch", "-p", str(p), "-u", "big"])
                res[("fetch", name)].append(float(f[3]))
                s = tlsload(["sessions", "-p", str(p), "-u", "small",
                             "-c", str(opts.clients), "-t",
                             str(opts.seconds)])
                res[("sessions", name)].append(float(s[3]))
                s1 = tlsload(["sessions", "-p", str(p), "-u", "small",
                              "-c", "1", "-t", "1"])
                res[("lat", name)].append(float(s1[4]))
                res[("p99", name)].append(float(s1[5]))
            bench.log(f"tls round {r + 1}/{opts.rounds} done")
        time.sleep(0.5)		# the last sessions' log lines
        hs1 = keyd_cost(logname)
        hs, n, us = (hs1[i] - hs0[i] for i in range(3))
        med = {k: statistics.median(v) for k, v in res.items()}
        d, q = "direct", "postern"
        lines = [
            f"TLS on both legs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
            f"{bench.machine()}, {opts.rounds} rounds, medians, "
            f"{opts.clients} clients for sessions/s:",
            "",
            "| target | fetch MB/s | TLS sessions/s | session p50 ms (1 client) | p99 ms |",
            "|---|---|---|---|---|",
            f"| direct (Dovecot IMAPS) | {med[('fetch', d)]:.1f} | "
            f"{med[('sessions', d)]:.1f} | {med[('lat', d)]:.2f} | "
            f"{med[('p99', d)]:.2f} |",
            f"| postern (TLS both legs) | {med[('fetch', q)]:.1f} "
            f"({med[('fetch', q)] / med[('fetch', d)]:.2f}x) | "
            f"{med[('sessions', q)]:.1f} "
            f"({med[('sessions', q)] / med[('sessions', d)]:.2f}x) | "
            f"{med[('lat', q)]:.2f} | {med[('p99', q)]:.2f} |",
            "",
            f"Key holder: {hs} handshakes, {n / hs if hs else 0:.2f} "
            f"requests each, {us / n if n else 0:.0f} us per request "
            f"(sign and round trip, as the worker sees it).",
            "",
            f"Goals: fetch >= 0.80x direct: "
            f"{'met' if med[('fetch', q)] >= 0.8 * med[('fetch', d)] else 'NOT met'}; "
            f"sessions/s >= 0.80x direct: "
            f"{'met' if med[('sessions', q)] >= 0.8 * med[('sessions', d)] else 'NOT met'}.",
        ]
        text = "\n".join(lines) + "\n"
        print(text)
        with open(opts.out, "w") as f:
            f.write(text)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run([bench.FIXTURE, "stop", dv],
                       stdout=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
